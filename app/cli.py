"""The `blockbell` command: run the service, and the developer commands around it."""

from __future__ import annotations

import argparse
import asyncio
import base64
import ipaddress
import logging
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import aiohttp
import orjson
from tortoise.migrations.executor import MigrationExecutor

from app.logs import redact, setup_logging
from app.settings import (
    Settings,
    SettingsError,
    describe_database_url,
    describe_url,
    load_settings,
)
from notifier.channels.webhook import is_public_address
from storage.db import close_database, connection, open_database, tortoise_config
from storage.deliveries import DELIVERY_STATUSES, DeliveryRow, count_by_status, list_deliveries
from storage.progress import fetch_progress, set_halted
from storage.subscriptions import (
    CreatedSubscription,
    SubscriptionRow,
    create_webhook_subscription,
    ensure_cli_user,
    list_subscriptions,
)
from watcher.abi import (
    event_selector,
    find_event,
    parse_abi_json,
    parse_address,
    parse_event_signature,
)
from watcher.errors import InvalidInput
from watcher.filters import parse_filter
from watcher.standards import STANDARDS

log = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
RPC_TIMEOUT_S = 5.0
T = TypeVar("T")


class CommandError(Exception):
    """What went wrong, in one line that also says what to do; ends the command."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """A validated `blockbell subscribe` request."""

    chain: str
    address: str
    abi: list[dict[str, Any]]
    standard: str | None
    event_name: str | None
    selector: str | None
    filter_expr: str
    url: str


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `blockbell doctor`: ok, failed, or (ok None) just for information."""

    ok: bool | None
    subject: str
    detail: str


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `blockbell` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed its one-line complaint
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (SettingsError, CommandError) as exc:
        print(f"blockbell {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code if isinstance(exc, CommandError) else EXIT_BAD_INPUT


class _Parser(argparse.ArgumentParser):
    """argparse that complains in one line (no usage block) and points at --help."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="blockbell", description="Notifications for on-chain events.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the service (every role unless --roles)")
    run.add_argument("--roles", help="comma-separated roles, e.g. watcher,notifier")
    run.set_defaults(handler=run_command)
    migrate = commands.add_parser("migrate", help="create or update the database schema")
    migrate.set_defaults(handler=migrate_command)
    _add_subscribe_parser(commands)
    listing = commands.add_parser("subscriptions", help="list subscriptions")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=subscriptions_command)
    deliveries = commands.add_parser("deliveries", help="list recent deliveries")
    deliveries.add_argument("--status", choices=DELIVERY_STATUSES)
    deliveries.add_argument("--limit", type=_positive_int, default=20)
    deliveries.add_argument("--json", action="store_true", help="print JSON")
    deliveries.set_defaults(handler=deliveries_command)
    doctor = commands.add_parser("doctor", help="check the database, RPC URLs and tokens")
    doctor.set_defaults(handler=doctor_command)
    resume = commands.add_parser("resume", help="release a chain halted by a deep reorg")
    resume.add_argument("chain", help="the chain's name")
    resume.set_defaults(handler=resume_command)
    return parser


def _add_subscribe_parser(commands: Any) -> None:
    subscribe = commands.add_parser("subscribe", help="notify a webhook of a contract's events")
    subscribe.add_argument("--chain", required=True, help="a chain name from the TOML file")
    subscribe.add_argument("--address", required=True, help="the contract address (0x...)")
    subscribe.add_argument(
        "--event", required=True, help="event name, full signature, or '*' for every event"
    )
    abi_source = subscribe.add_mutually_exclusive_group()
    abi_source.add_argument("--abi", metavar="FILE", help="the contract's ABI (JSON file)")
    abi_source.add_argument("--standard", choices=sorted(STANDARDS), help="a token standard")
    subscribe.add_argument(
        "--filter", action="append", default=[], metavar="EXPR", help="e.g. 'value > 1000'"
    )
    subscribe.add_argument("--webhook", required=True, metavar="URL", help="where to POST")
    subscribe.add_argument("--json", action="store_true", help="print JSON")
    subscribe.set_defaults(handler=subscribe_command)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


# --- run and migrate -----------------------------------------------------------------------


def run_command(args: argparse.Namespace) -> int:
    from app.runtime import ROLES, run_service  # the whole service: loaded only to run it

    roles = parse_roles(args.roles, ROLES)
    settings = load_settings()
    setup_logging(settings.log_level, secrets=settings.secret_values())
    try:
        asyncio.run(_until_terminated(run_service(settings, roles)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("stopped")
    except Exception:
        log.exception("the service stopped on an unexpected error")
        return EXIT_FAILED
    return 0


def parse_roles(text: str | None, valid: Sequence[str]) -> set[str]:
    """The roles named in "watcher,notifier" (every role when not given)."""
    if text is None:
        return set(valid)
    roles = {role.strip() for role in text.split(",") if role.strip()}
    unknown = sorted(roles - set(valid))
    if unknown or not roles:
        named = f"unknown role {unknown[0]!r}" if unknown else "no role given"
        raise CommandError(f"--roles: {named}; valid roles are {', '.join(valid)}")
    return roles


async def _until_terminated(service: Coroutine[Any, Any, None]) -> None:
    # SIGTERM (docker stop, systemd) ends the service as Ctrl-C does: cancelled, then cleaned up.
    task = asyncio.ensure_future(service)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    await task


def migrate_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    shown = describe_database_url(settings.database_url)
    pending = asyncio.run(_migrate(settings.database_url))
    if pending:
        print(f"{shown}: applied {len(pending)} migration(s): {', '.join(pending)}")
    else:
        print(f"{shown}: the schema is up to date; nothing to apply")
    return 0


async def _migrate(database_url: str) -> list[str]:
    async with _database(database_url, migrate=False):
        pending = await _pending_migrations(database_url)
    async with _database(database_url, migrate=True):
        return pending


@asynccontextmanager
async def _database(database_url: str, *, migrate: bool = True) -> AsyncIterator[None]:
    try:
        await open_database(database_url, apply_migrations=migrate)
    except Exception as exc:
        await close_database()
        shown = describe_database_url(database_url)
        raise CommandError(f"cannot open the database {shown}: {exc}", EXIT_FAILED) from exc
    try:
        yield
    finally:
        await close_database()


async def _pending_migrations(database_url: str) -> list[str]:
    executor = MigrationExecutor(connection(), tortoise_config(database_url)["apps"])
    return [f"{step.migration.app_label}.{step.migration.name}" for step in await executor.plan()]


def resume_command(args: argparse.Namespace) -> int:
    reason = asyncio.run(_release_chain(load_settings().database_url, args.chain))
    if reason is None:
        print(f"Chain {args.chain} is not halted; nothing to resume.")
    else:
        print(f"Chain {args.chain} released (it was halted: {reason}).")
        print("Its watcher crawls again once `blockbell run` (or its watcher role) restarts.")
    return 0


async def _release_chain(database_url: str, chain: str) -> str | None:
    async with _database(database_url):
        progress = await fetch_progress(chain)
        if progress is None:
            raise CommandError(f"no progress recorded for chain {chain!r}: it was never watched")
        if progress.halted_reason is not None:
            await set_halted(chain, None)
        return progress.halted_reason


# --- subscribe -----------------------------------------------------------------------------


def subscribe_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    request = validate_subscription(args, settings)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    created = asyncio.run(_save_subscription(settings.database_url, request, secret))
    if args.json:
        print(orjson.dumps(created).decode())
    else:
        print(f"Subscription {created.subscription_id} created.")
        print(f"Webhook secret: {created.secret}")
        print("Deliveries are signed with it (Standard Webhooks); it is not shown again.")
    return 0


def validate_subscription(args: argparse.Namespace, settings: Settings) -> NewSubscription:
    """Every option of `blockbell subscribe` checked, or a CommandError naming the bad one."""
    if args.chain not in settings.chains:
        known = ", ".join(settings.chains) or "none"
        raise CommandError(
            f"--chain: no chain {args.chain!r} in {settings.config_path} (configured: {known});"
            f" add a [chains.{args.chain}] table or pick a configured chain"
        )
    address = _checked("--address", parse_address, args.address)
    abi = _chosen_abi(args)
    event = None if args.event.strip() == "*" else _checked("--event", find_event, abi, args.event)
    return NewSubscription(
        chain=args.chain,
        address=address,
        abi=abi,
        standard=args.standard,
        event_name=None if event is None else str(event["name"]),
        selector=None if event is None or event.get("anonymous") else event_selector(event),
        filter_expr=_filter_expression(args.filter, event),
        url=_webhook_url(args.webhook, settings.webhook_allow_private),
    )


def _checked(option: str, parse: Callable[..., T], *values: Any) -> T:
    try:
        return parse(*values)
    except InvalidInput as exc:
        raise CommandError(f"{option}: {exc}") from exc


def _chosen_abi(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.standard:
        return list(STANDARDS[args.standard])
    if args.abi:
        try:
            text = Path(args.abi).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not a text file"
            raise CommandError(f"--abi: cannot read {args.abi}: {reason}") from exc
        return _checked("--abi", parse_abi_json, text)
    if args.event.strip() == "*":
        raise CommandError("--event '*' needs the contract's events: add --abi FILE or --standard")
    if "(" not in args.event:
        raise CommandError(
            f"--event: without --abi or --standard give the full signature, such as"
            f" 'Transfer(address indexed from, address indexed to, uint256 value)',"
            f" not just {args.event.strip()!r}"
        )
    return [_checked("--event", parse_event_signature, args.event)]


def _filter_expression(filters: list[str], event: dict[str, Any] | None) -> str:
    if not filters:
        return ""
    if event is None:
        raise CommandError("--filter needs one event: give --event NAME instead of '*'")
    # Each expression keeps its own meaning when joined: "a or b" and "c" is (a or b) and (c).
    joined = filters[0] if len(filters) == 1 else " and ".join(f"({text})" for text in filters)
    return _checked("--filter", parse_filter, joined, event).source


def _webhook_url(url: str, allow_private: bool) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandError(
            "--webhook: expected an http(s) URL with a host, such as https://example.com/hooks"
        )
    if not allow_private and _is_private_host(parts.hostname):
        raise CommandError(
            f"--webhook: {parts.hostname} is a private or loopback address, which the notifier"
            " refuses; use a public URL or set BLOCKBELL_WEBHOOK_ALLOW_PRIVATE=true"
        )
    return url.strip()


def _is_private_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not is_public_address(ipaddress.ip_address(host))
    except ValueError:
        return False  # a name: the notifier resolves it and checks every address it gets


async def _save_subscription(
    database_url: str, request: NewSubscription, secret: str
) -> CreatedSubscription:
    async with _database(database_url):
        user_id = await ensure_cli_user()
        return await create_webhook_subscription(
            user_id=user_id,
            chain=request.chain,
            address=request.address,
            abi=request.abi,
            standard=request.standard,
            event_name=request.event_name,
            selector=request.selector,
            filter_expr=request.filter_expr,
            url=request.url,
            secret=secret,
        )


# --- listings ------------------------------------------------------------------------------


def subscriptions_command(args: argparse.Namespace) -> int:
    rows = asyncio.run(_fetch_subscriptions(load_settings().database_url))
    if args.json:
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
    elif not rows:
        print("No subscriptions yet: create one with `blockbell subscribe`.")
    else:
        _print_table(
            ("ID", "STATUS", "CHAIN", "CONTRACT", "EVENT", "FILTER", "DESTINATION"),
            [
                (
                    r.id,
                    r.status,
                    r.chain,
                    r.address,
                    r.event_name or "*",
                    r.filter_expr or "-",
                    f"{r.destination_kind} {r.destination_target}",
                )
                for r in rows
            ],
        )
    return 0


async def _fetch_subscriptions(database_url: str) -> list[SubscriptionRow]:
    async with _database(database_url):
        rows = await list_subscriptions()
    # Webhook URLs can hold tokens (Discord's, Slack's): only scheme and host are shown.
    return [
        replace(row, destination_target=describe_url(row.destination_target))
        if row.destination_kind == "webhook"
        else row
        for row in rows
    ]


def deliveries_command(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    counts, rows = asyncio.run(_fetch_deliveries(url, args.status, args.limit))
    if args.json:
        listing = {"counts": counts, "deliveries": rows}
        print(orjson.dumps(listing, option=orjson.OPT_INDENT_2).decode())
        return 0
    print("  ".join(f"{status}: {count}" for status, count in counts.items()))
    if not rows:
        print("No deliveries" + (f" with status {args.status}." if args.status else " yet."))
        return 0
    _print_table(
        ("ID", "STATUS", "CHAIN", "BLOCK", "EVENT", "DEST", "TRIES", "CODE", "LAST ERROR"),
        [
            (
                r.id[:8],
                r.status,
                r.chain,
                r.block_number,
                r.event_name or "?",
                r.destination_id,
                r.attempts,
                r.response_code or "-",
                (r.last_error or "-")[:60],
            )
            for r in rows
        ],
    )
    return 0


async def _fetch_deliveries(
    database_url: str, status: str | None, limit: int
) -> tuple[dict[str, int], list[DeliveryRow]]:
    async with _database(database_url):
        return await count_by_status(), await list_deliveries(status, limit)


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(value) for value in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


# --- doctor --------------------------------------------------------------------------------


def doctor_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    checks = asyncio.run(run_checks(settings))
    for check in checks:
        mark = {True: "ok  ", False: "FAIL", None: "--  "}[check.ok]
        print(f"{mark}  {check.subject}: {check.detail}")
    failed = sum(check.ok is False for check in checks)
    print("All checks passed." if not failed else f"{failed} check(s) failed.")
    return EXIT_FAILED if failed else 0


async def run_checks(settings: Settings) -> list[Check]:
    """The database, every RPC URL of every chain, and which bot tokens are set."""
    checks = [await _check_database(settings.database_url)]
    timeout = aiohttp.ClientTimeout(total=RPC_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        checks += await asyncio.gather(
            *(
                _check_rpc(session, name, url, chain.chain_id, settings.secret_values())
                for name, chain in settings.chains.items()
                for url in chain.rpc_urls
            )
        )
    if not settings.chains:
        checks.append(Check(None, "chains", f"none configured in {settings.config_path}"))
    return checks + _token_checks(settings)


async def _check_database(database_url: str) -> Check:
    subject = f"database {describe_database_url(database_url)}"
    try:
        async with _database(database_url, migrate=False):
            pending = await _pending_migrations(database_url)
    except CommandError as exc:
        return Check(False, subject, str(exc))
    if pending:
        return Check(
            False, subject, f"{len(pending)} migration(s) not applied: run `blockbell migrate`"
        )
    return Check(True, subject, "reachable, schema up to date")


async def _check_rpc(
    session: aiohttp.ClientSession, chain: str, url: str, expected: int, hidden: Sequence[str]
) -> Check:
    subject = f"chains.{chain} {describe_url(url)}"
    request = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        async with session.post(url, json=request) as response:
            response.raise_for_status()
            answer = await response.json(content_type=None)
        chain_id = int(answer["result"], 16)
    except TimeoutError:
        return Check(False, subject, f"no answer within {RPC_TIMEOUT_S:.0f} s")
    except aiohttp.ClientError as exc:
        return Check(False, subject, f"unreachable: {redact(str(exc), hidden)}")
    except (ValueError, KeyError, TypeError):
        return Check(False, subject, "answered, but not like an EVM JSON-RPC node")
    if chain_id != expected:
        return Check(
            False,
            subject,
            f"chain id is {chain_id}, the settings say {expected}: fix chain_id or the URL",
        )
    return Check(True, subject, f"reachable, chain id {chain_id}")


def _token_checks(settings: Settings) -> list[Check]:
    tokens = {
        "TELEGRAM_BOT_TOKEN": (settings.telegram_bot_token, "the Telegram bot stays off"),
        "DISCORD_BOT_TOKEN": (settings.discord_bot_token, "the Discord bot stays off"),
    }
    return [
        Check(None, name, "set" if value is not None else f"not set: {consequence}")
        for name, (value, consequence) in tokens.items()
    ]
