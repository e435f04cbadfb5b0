"""The `blockbell` command: run the service, and the developer commands around it."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any, NoReturn

import orjson

from app.doctor import run_checks
from app.gc_tuning import tune_garbage_collector
from app.listings import print_deliveries, print_subscriptions
from app.logs import setup_logging
from app.secret_keys import use_configured_secret_keys
from app.setting_display import describe_database_url
from app.settings import SettingsError, load_settings
from app.subscribe import EXIT_BAD_INPUT, CommandError, NewSubscription, validate_subscription
from notifier.webhook_targets import new_webhook_secret
from storage.db import close_database, open_database, pending_migrations
from storage.deliveries import DELIVERY_STATUSES, DeliveryRow, count_by_status, list_deliveries
from storage.progress import fetch_progress, release_chain
from storage.subscriptions import (
    CreatedSubscription,
    SubscriptionRow,
    create_webhook_subscription,
    ensure_cli_user,
    list_subscriptions,
)
from storage.users import seal_plain_secrets
from watcher.standards import STANDARDS

log = logging.getLogger(__name__)

EXIT_FAILED = 1


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
    resume.add_argument(
        "--from-block",
        type=_block_number,
        default=None,
        help="a block before the fork to read again from (default: the newest block holding "
        "stored events that the node still has)",
    )
    resume.set_defaults(handler=resume_command)
    return parser


def _add_subscribe_parser(commands: Any) -> None:
    subscribe = commands.add_parser("subscribe", help="notify a webhook of a chain's events")
    subscribe.add_argument("--chain", required=True, help="a chain name from the TOML file")
    _add_subscribe_targets(subscribe)
    abi_source = subscribe.add_mutually_exclusive_group()
    abi_source.add_argument("--abi", metavar="FILE", help="EVM: the contract's ABI (JSON file)")
    abi_source.add_argument("--standard", choices=sorted(STANDARDS), help="EVM: a token standard")
    subscribe.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="EXPR",
        help="e.g. 'value > 1000' (EVM), 'amount >= 1.5ATOM' (Cosmos)",
    )
    subscribe.add_argument("--webhook", required=True, metavar="URL", help="where to POST")
    subscribe.add_argument(
        "--instant",
        action="store_true",
        help="deliver as soon as the block is seen (provisional), then event.confirmed",
    )
    subscribe.add_argument("--json", action="store_true", help="print JSON")
    subscribe.set_defaults(handler=subscribe_command)


def _add_subscribe_targets(subscribe: argparse.ArgumentParser) -> None:
    """What to notify: on EVM chains --address and --event; on Cosmos chains one of --event,
    --message and --failed-by, with --contract to narrow the first two."""
    subscribe.add_argument("--address", help="EVM: the contract address (0x...)")
    subscribe.add_argument(
        "--contract", metavar="ADDRESS", help="Cosmos: a CosmWasm contract (bech32)"
    )
    what = subscribe.add_mutually_exclusive_group()
    what.add_argument(
        "--event",
        help="EVM: event name, full signature, or '*' for every event;"
        " Cosmos: an ABCI event type such as transfer or wasm-*",
    )
    what.add_argument(
        "--message",
        metavar="TYPE_URL",
        help="Cosmos: a message type such as /cosmos.gov.v1.MsgVote",
    )
    what.add_argument(
        "--failed-by", metavar="ADDRESS", help="Cosmos: the failed transactions of this account"
    )


def _block_number(text: str) -> int:
    if not text.isdecimal():
        raise argparse.ArgumentTypeError(f"expected a block number (0 or more), got {text!r}")
    return int(text)


def _positive_int(text: str) -> int:
    if not text.isdecimal() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


# --- run and migrate -----------------------------------------------------------------------


def run_command(args: argparse.Namespace) -> int:
    from app.runtime import ROLES, run_service  # the whole service: loaded only to run it

    roles = parse_roles(args.roles, ROLES)
    settings = load_settings()
    setup_logging(settings.log_level, secrets=settings.secret_values())
    tune_garbage_collector()
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
    use_configured_secret_keys(settings)
    shown = describe_database_url(settings.database_url)
    pending = asyncio.run(_migrate(settings.database_url))
    if pending:
        print(f"{shown}: applied {len(pending)} migration(s): {', '.join(pending)}")
    else:
        print(f"{shown}: the schema is up to date; nothing to apply")
    return 0


async def _migrate(database_url: str) -> list[str]:
    async with _database(database_url, migrate=False):
        pending = await pending_migrations()
    async with _database(database_url, migrate=True):
        await seal_plain_secrets()
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


def resume_command(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    reason = asyncio.run(_release_chain(url, args.chain, args.from_block))
    if reason is None:
        print(f"Chain {args.chain} is not halted; nothing to resume.")
    else:
        print(f"Chain {args.chain} released (it was halted: {reason}).")
        print(
            "Its watcher re-reads the node's chain from before the fork, reverting the events of "
            "blocks that left it, within seconds (or when `blockbell run` next starts)."
        )
    return 0


async def _release_chain(database_url: str, chain: str, from_block: int | None) -> str | None:
    async with _database(database_url):
        progress = await fetch_progress(chain)
        if progress is None:
            raise CommandError(f"no progress recorded for chain {chain!r}: it was never watched")
        if from_block is not None and from_block > progress.block_number:
            raise CommandError(
                f"--from-block {from_block} lies after the chain's cursor "
                f"(block {progress.block_number}): give a block before the fork"
            )
        if progress.halted_reason is not None:
            await release_chain(chain, from_block)
        return progress.halted_reason


# --- subscribe -----------------------------------------------------------------------------


def subscribe_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    request = validate_subscription(args, settings)
    use_configured_secret_keys(settings)
    secret = new_webhook_secret()
    created = asyncio.run(_save_subscription(settings.database_url, request, secret))
    if args.json:
        print(orjson.dumps(created).decode())
    else:
        print(f"Subscription {created.subscription_id} created.")
        print(f"Webhook secret: {created.secret}")
        print("Deliveries are signed with it (Standard Webhooks); it is not shown again.")
    return 0


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
            instant=request.instant,
        )


# --- listings ------------------------------------------------------------------------------


def subscriptions_command(args: argparse.Namespace) -> int:
    rows = asyncio.run(_fetch_subscriptions(load_settings().database_url))
    print_subscriptions(rows, as_json=args.json)
    return 0


async def _fetch_subscriptions(database_url: str) -> list[SubscriptionRow]:
    async with _database(database_url):
        return await list_subscriptions()


def deliveries_command(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    counts, rows = asyncio.run(_fetch_deliveries(url, args.status, args.limit))
    print_deliveries(counts, rows, status=args.status, as_json=args.json)
    return 0


async def _fetch_deliveries(
    database_url: str, status: str | None, limit: int
) -> tuple[dict[str, int], list[DeliveryRow]]:
    async with _database(database_url):
        return await count_by_status(), await list_deliveries(status, limit)


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
