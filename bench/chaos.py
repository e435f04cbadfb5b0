"""Chaos run: `blockbell run --roles watcher` and `--roles notifier` processes over one
PostgreSQL, a random one SIGKILLed and replaced every few seconds and the database server
restarted once, while matching ERC-20 transfers stream on anvil. Afterwards every event must
be stored once and delivered, and the webhook receiver tells how many sends were repeated.

By default this RESTARTS THE LOCAL POSTGRESQL SERVER halfway through (`pg_ctlcluster ...
restart`): every other client of that server loses its connections. --no-restart-postgres
leaves it alone.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shlex
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from app.gc_tuning import tune_garbage_collector
from bench.chaos_actions import READY_TIMEOUT_S, Chaos, local_restart_command, say
from bench.chaos_report import (
    ChaosOptions,
    ChaosReport,
    ChaosTally,
    check_outcome,
    duplicate_causes,
    problem_lines,
    render_report,
    webhook_id,
)
from bench.common import CHAIN, opened_bench_database, started_anvil
from storage.models import ChainCursor, Delivery
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.support.builders import subscribe_transfers_by_webhook
from tests.support.service import ServiceFleet, service_env, write_chain_config
from tests.support.token import TOKEN_ABI, Token

RECIPIENT = "0x" + "3c" * 20
MAX_EVENTS_PER_TX = 20
STREAM_PAUSE_S = (0.05, 0.4)
DRAIN_POLL_S = 0.1
# Longer than a notifier's idle poll, so a duplicate sent late is still counted.
SETTLE_S = 2.0


async def stream_events(token: Token, options: ChaosOptions) -> None:
    """Transfers whose `events` Transfer logs are mined evenly over `duration_s`, from one to
    MAX_EVENTS_PER_TX in each transaction (and block)."""
    rng = random.Random(options.seed + 1)
    began, sent = time.monotonic(), 0
    while sent < options.events:
        await asyncio.sleep(rng.uniform(*STREAM_PAUSE_S))
        share = min(1.0, (time.monotonic() - began) / options.duration_s)
        count = min(round(options.events * share) - sent, MAX_EVENTS_PER_TX)
        if count == 1:
            await token.transfer(RECIPIENT, 1)
        elif count > 1:
            await token.batch_transfer(RECIPIENT, count, 1)
        sent += max(count, 0)


async def delivered_count() -> int:
    try:
        return await Delivery.filter(status="delivered").count()
    except Exception:  # the server is restarting: ask again later
        return 0


async def drain(receiver: WebhookReceiver, events: int, timeout_s: float) -> float | None:
    """Seconds until the receiver has every event's webhook and the database says delivered."""
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        received = len({webhook_id(r) for r in receiver.requests})
        if received >= events and await delivered_count() >= events:
            return time.monotonic() - began
        await asyncio.sleep(DRAIN_POLL_S)
    return None


async def subscribe(token: Token, receiver: WebhookReceiver) -> None:
    """The token's Transfer events to the receiver, stored as `blockbell subscribe` stores it."""
    await subscribe_transfers_by_webhook(
        token.address, TOKEN_ABI, chain=CHAIN, url=receiver.url, secret=receiver.secret
    )


async def start_fleet(fleet: ServiceFleet, options: ChaosOptions) -> None:
    """Every process running, and one of them crawling the chain."""
    for roles, count in (("watcher", options.watchers), ("notifier", options.notifiers)):
        for _ in range(count):
            await fleet.start(roles)
    await fleet.wait_until_ready(READY_TIMEOUT_S)
    async with asyncio.timeout(READY_TIMEOUT_S):
        while await ChainCursor.get_or_none(chain=CHAIN) is None:
            await asyncio.sleep(0.05)


async def run_fleet(
    fleet: ServiceFleet, token: Token, receiver: WebhookReceiver, options: ChaosOptions
) -> tuple[ChaosTally, float | None, dict[str, list[int]]]:
    """The chaos while the events stream, then the drain; the survivors stop cleanly."""
    chaos = Chaos(fleet, options)
    try:
        await start_fleet(fleet, options)
        say(f"streaming {options.events} events over {options.duration_s:g} s")
        await chaos.during(stream_events(token, options), token.node, receiver)
        say("streaming done, chaos stopped; draining")
        drain_s = await drain(receiver, options.events, options.drain_timeout_s)
        await asyncio.sleep(SETTLE_S)
        # A process stopped while it boots has no handler for SIGTERM yet.
        with suppress(TimeoutError):
            await fleet.wait_until_ready(READY_TIMEOUT_S)
    finally:
        codes = await fleet.stop_all()
    by_roles: dict[str, list[int]] = defaultdict(list)
    for service, code in codes.items():
        by_roles[fleet.roles_of[service]].append(code)
    return chaos.tally, drain_s, dict(by_roles)


async def run_chaos(options: ChaosOptions, folder: Path) -> ChaosReport:
    """One chaos run on a fresh database and node; the processes log into `folder`."""
    receiver = await WebhookReceiver.start()
    try:
        async with started_anvil() as node, opened_bench_database("postgres") as url:
            token = await Token.deploy(node)
            # The crawl starts at a block that exists (an empty one), after the token's mint.
            await node.mine()
            first_block = await node.block_number()
            await subscribe(token, receiver)
            config = write_chain_config(
                folder / "blockbell.toml",
                node.url,
                node.ws_url,
                poll_interval=options.poll_interval_s,
                start_block=first_block,
            )
            env = service_env(
                url,
                config,
                BLOCKBELL_LEASE_TTL=f"{options.lease_ttl_s:g}",
                BLOCKBELL_CLAIM_LEASE=f"{options.claim_lease_s:g}",
            )
            env.pop("BLOCKBELL_WEBHOOK_SCHEDULE")  # the product's retry schedule
            tally, drain_s, codes = await run_fleet(
                ServiceFleet(env, folder), token, receiver, options
            )
            outcome = await check_outcome(node, token.address, first_block, receiver.requests)
    finally:
        await receiver.stop()
    causes = duplicate_causes(receiver.requests, tally.interruptions)
    return ChaosReport(options, tally, drain_s, codes, outcome, causes, problem_lines(folder))


def parse_options(argv: Sequence[str] | None = None) -> tuple[ChaosOptions, Path | None]:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    defaults = ChaosOptions()
    parser.add_argument("--minutes", type=float, default=defaults.duration_s / 60)
    parser.add_argument("--events", type=int, default=defaults.events)
    parser.add_argument("--watchers", type=int, default=defaults.watchers)
    parser.add_argument("--notifiers", type=int, default=defaults.notifiers)
    parser.add_argument("--lease-ttl", type=float, default=defaults.lease_ttl_s, help="seconds")
    parser.add_argument(
        "--claim-lease", type=float, default=defaults.claim_lease_s,
        help="seconds a notifier's claims last (BLOCKBELL_CLAIM_LEASE)",
    )  # fmt: skip
    parser.add_argument(
        "--kill-gap", type=float, nargs=2, default=defaults.kill_gap_s, metavar=("MIN", "MAX"),
        help="seconds between kills, drawn at random between MIN and MAX",
    )  # fmt: skip
    parser.add_argument(
        "--restart-postgres", action=argparse.BooleanOptionalAction, default=True,
        help="restart the local PostgreSQL server once, halfway through (default: yes)",
    )  # fmt: skip
    parser.add_argument(
        "--restart-command", type=shlex.split, default=None,
        help="how to restart the server the bench uses (default: pg_ctlcluster on this machine)",
    )  # fmt: skip
    parser.add_argument("--drain-timeout", type=float, default=defaults.drain_timeout_s)
    parser.add_argument("--seed", type=int, default=random.randrange(2**31))
    parser.add_argument("--log-dir", type=Path, default=None, help="keep the processes' logs here")
    args = parser.parse_args(argv)
    command = None
    if args.restart_postgres:
        command = tuple(args.restart_command or local_restart_command())
    options = ChaosOptions(
        duration_s=args.minutes * 60,
        events=args.events,
        watchers=args.watchers,
        notifiers=args.notifiers,
        lease_ttl_s=args.lease_ttl,
        claim_lease_s=args.claim_lease,
        kill_gap_s=(args.kill_gap[0], args.kill_gap[1]),
        restart_command=command,
        drain_timeout_s=args.drain_timeout,
        seed=args.seed,
    )
    return options, args.log_dir


def main(argv: Sequence[str] | None = None) -> None:
    options, log_dir = parse_options(argv)
    folder = log_dir or Path(tempfile.mkdtemp(prefix="blockbell-chaos-"))
    folder.mkdir(parents=True, exist_ok=True)
    report = asyncio.run(run_chaos(options, folder))
    print(render_report(report))
    if log_dir is None and report.ok:
        shutil.rmtree(folder)
    else:
        print(f"\nThe processes' logs are in {folder}")
    if not report.ok:
        raise SystemExit(1)


if __name__ == "__main__":
    tune_garbage_collector()  # as `blockbell run` does
    main()
