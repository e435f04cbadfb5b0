"""Checking the options of `blockbell subscribe`, and CommandError, which ends any command."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from app.settings import Settings
from notifier.webhook_targets import UrlProblem, check_webhook_url, webhook_host
from watcher.abi import (
    event_selector,
    find_event,
    parse_abi_json,
    parse_address,
)
from watcher.errors import InvalidInput
from watcher.filters import parse_filter
from watcher.signatures import parse_event_signature
from watcher.standards import STANDARDS

EXIT_BAD_INPUT = 2
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
    instant: bool = False


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
        instant=bool(getattr(args, "instant", False)),
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
    url = url.strip()
    problem = check_webhook_url(url, allow_private)
    if problem is UrlProblem.MALFORMED:
        raise CommandError(
            "--webhook: expected an http(s) URL with a host, such as https://example.com/hooks"
        )
    if problem is UrlProblem.PRIVATE:
        raise CommandError(
            f"--webhook: {webhook_host(url)} is a private or loopback address, which the notifier"
            " refuses; use a public URL or set BLOCKBELL_WEBHOOK_ALLOW_PRIVATE=true"
        )
    return url
