"""docker-compose.yml and the Dockerfile agree with the code: settings, commands, health path."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
import yaml
from aiohttp.test_utils import TestServer

from app.cli import build_parser
from app.http_api import build_http_app
from app.setting_values import parse_host_port
from app.settings import environment_variable_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return document


@pytest.fixture(scope="module")
def blockbell(compose: dict[str, Any]) -> dict[str, Any]:
    service: dict[str, Any] = compose["services"]["blockbell"]
    return service


def environment_of(service: dict[str, Any]) -> dict[str, str | None]:
    entries = service["environment"]
    if isinstance(entries, dict):
        return {str(key): value for key, value in entries.items()}
    pairs = (entry.partition("=") for entry in entries)
    return {key: (value if sep else None) for key, sep, value in pairs}


def healthcheck_url(service: dict[str, Any]) -> str:
    command = " ".join(service["healthcheck"]["test"])
    found = re.search(r"https?://[^'\"\s]+", command)
    assert found, command
    return found.group(0)


def test_every_variable_the_service_sets_is_a_real_setting(blockbell: dict[str, Any]) -> None:
    assert set(environment_of(blockbell)) <= environment_variable_names()


def test_the_service_uses_postgres_and_passes_the_bot_tokens_through(
    blockbell: dict[str, Any], compose: dict[str, Any]
) -> None:
    environment = environment_of(blockbell)
    database = urlsplit(str(environment["DATABASE_URL"]))
    assert database.scheme == "postgres" and database.hostname == "postgres"
    assert "postgres" in compose["services"]
    assert environment["TELEGRAM_BOT_TOKEN"] is None
    assert environment["DISCORD_BOT_TOKEN"] is None
    assert environment["BLOCKBELL_SECRET_KEY"] is None
    assert blockbell["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_postgres_has_a_readiness_check_and_a_named_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_the_commands_are_real_cli_subcommands(blockbell: dict[str, Any]) -> None:
    shell, flag, script = shlex.split(blockbell["command"])
    assert (shell, flag) == ("sh", "-c")
    commands = [shlex.split(part) for part in script.split("&&")]
    assert [argv[:2] for argv in commands] == [["blockbell", "migrate"], ["blockbell", "run"]]
    for argv in commands:
        build_parser().parse_args(argv[1:])


def test_the_dockerfile_default_command_is_a_real_cli_subcommand() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    argv = yaml.safe_load(cmd.group(1))
    assert argv[0] == "blockbell"
    build_parser().parse_args(argv[1:])


def test_the_config_mount_is_where_blockbell_config_points(blockbell: dict[str, Any]) -> None:
    mounts = [volume.split(":") for volume in blockbell["volumes"]]
    targets = [mount[1] for mount in mounts]
    assert environment_of(blockbell)["BLOCKBELL_CONFIG"] in targets


def test_the_healthcheck_port_is_the_one_the_service_listens_on(
    blockbell: dict[str, Any],
) -> None:
    host, port = parse_host_port(str(environment_of(blockbell)["BLOCKBELL_HTTP_ADDR"]))
    assert host == "0.0.0.0"
    assert urlsplit(healthcheck_url(blockbell)).port == port
    assert f"{port}:{port}" in blockbell["ports"]


async def test_the_healthcheck_path_is_served_by_the_http_app(blockbell: dict[str, Any]) -> None:
    path = urlsplit(healthcheck_url(blockbell)).path
    app = build_http_app(lambda: {"status": "ok", "chains": {}})
    async with (
        TestServer(app) as server,
        aiohttp.ClientSession() as session,
        session.get(server.make_url(path)) as response,
    ):
        assert response.status == 200
