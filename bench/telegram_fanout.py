"""Fan-out of one event to many Telegram chats through a fake Bot API that enforces Telegram's
limits: how long the real notifier takes, against the 30 messages a second Telegram allows."""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp

from app.gc_tuning import tune_garbage_collector
from bench.common import (
    BACKENDS,
    CHAIN,
    CHAIN_ID,
    median,
    met,
    opened_bench_database,
    parse_backends,
    render_table,
)
from notifier.channels.telegram import TelegramChannel, build_bot
from notifier.channels.webhook import WebhookChannel
from notifier.loop import ChainInfo, Notifier
from notifier.telegram_limits import OVERALL_PER_S, TelegramLimits
from notifier.webhook_targets import TargetRules
from storage.models import Delivery, Destination, Subscription
from tests.fakes.telegram_api import FakeTelegram
from tests.support.builders import make_subscribed_destination, make_transfer_delivery

BOT_TOKEN = "123456:BENCH-token"
# Chat ids as Telegram gives them: users positive, groups negative.
FIRST_PRIVATE_CHAT = 5000
FIRST_GROUP_CHAT = -900
RATIO_TARGET = 1.2


@dataclass(frozen=True)
class FanoutOptions:
    chats: int = 500
    groups: int = 10
    runs: int = 3
    backends: tuple[str, ...] = BACKENDS

    @property
    def chat_ids(self) -> list[int]:
        private = [FIRST_PRIVATE_CHAT + i for i in range(self.chats)]
        return private + [FIRST_GROUP_CHAT - i for i in range(self.groups)]

    @property
    def ideal_s(self) -> float:
        """Telegram's overall limit alone: every message sent at 30 a second."""
        return (self.chats + self.groups) / OVERALL_PER_S


@dataclass(frozen=True)
class FanoutRun:
    backend: str
    seconds: float
    messages: int
    """Messages the fake's chats hold after the run."""
    rate_limited: int
    """429 answers of the fake."""
    exactly_once: bool
    """Every chat holds one message, and every delivery is recorded as delivered."""


@dataclass(frozen=True)
class FanoutReport:
    options: FanoutOptions
    runs: list[FanoutRun] = field(default_factory=list)

    def of(self, backend: str) -> list[FanoutRun]:
        return [run for run in self.runs if run.backend == backend]


async def save_fan_out(chat_ids: Sequence[int]) -> None:
    """One Transfer event, due now, with one delivery to each chat of `chat_ids`."""
    now = datetime.now(UTC)
    subscription, destination = await _subscribed_chat(chat_ids[0])
    first = await make_transfer_delivery(subscription, destination, due_at=now)
    rows = []
    for chat_id in chat_ids[1:]:
        subscription, destination = await _subscribed_chat(chat_id)
        rows.append(
            Delivery(
                id=uuid.uuid4(),
                event=first.event,
                subscription=subscription,
                destination=destination,
                next_attempt_at=now,
                created_at=now,
            )
        )
    await Delivery.bulk_create(rows)


async def _subscribed_chat(chat_id: int) -> tuple[Subscription, Destination]:
    return await make_subscribed_destination(kind="telegram", target=str(chat_id), secret="")


async def measure_run(backend: str, options: FanoutOptions) -> FanoutRun:
    """A fresh database and fake; timed from the first round until a round finds nothing due."""
    fake = await FakeTelegram.start(BOT_TOKEN)
    fake.enforce_limits = True
    telegram = TelegramChannel(build_bot(BOT_TOKEN, fake.url), limits=TelegramLimits())
    try:
        async with opened_bench_database(backend), aiohttp.ClientSession() as session:
            chat_ids = options.chat_ids
            await save_fan_out(chat_ids)
            chains = {CHAIN: ChainInfo(CHAIN_ID, None)}
            notifier = Notifier(
                chains, WebhookChannel(session, targets=TargetRules()), telegram=telegram
            )
            started = time.perf_counter()
            while await notifier.run_once():
                pass
            seconds = time.perf_counter() - started
            delivered = await Delivery.filter(status="delivered").count()
        counts = [len(fake.messages(chat_id)) for chat_id in chat_ids]
        once = all(count == 1 for count in counts) and delivered == len(chat_ids)
        return FanoutRun(backend, seconds, sum(counts), fake.rate_limited, once)
    finally:
        await telegram.close()
        await fake.stop()


async def run_benchmark(options: FanoutOptions) -> FanoutReport:
    """Round after round, every database in turn, so noise on the machine touches them alike."""
    report = FanoutReport(options)
    for _ in range(options.runs):
        for backend in options.backends:
            report.runs.append(await measure_run(backend, options))
    return report


def _row(report: FanoutReport, backend: str) -> list[str]:
    runs, ideal_s = report.of(backend), report.options.ideal_s
    seconds = median([run.seconds for run in runs])
    messages = median([run.messages for run in runs])
    rate_limited = sum(run.rate_limited for run in runs)
    once = all(run.exactly_once for run in runs)
    ratio = seconds / ideal_s
    return [
        backend, f"{messages:g}", f"{seconds:.2f}", " ".join(f"{r.seconds:.2f}" for r in runs),
        f"{messages / seconds:.1f}", f"{ideal_s:.2f}", f"{ratio:.2f}", str(rate_limited),
        "yes" if once else "NO",
        f"{ratio:.2f}, {rate_limited} 429s: {met(ratio <= RATIO_TARGET and rate_limited == 0)}",
    ]  # fmt: skip


def render_report(report: FanoutReport) -> str:
    options = report.options
    title = (
        f"Telegram fan-out of one event to {options.chats} private chats and {options.groups}"
        f" groups, fake Bot API enforcing Telegram's limits, median of {options.runs} runs"
    )
    headers = [
        "database", "messages", "median s", "each run s", "messages/s",
        f"ideal s (at {OVERALL_PER_S:g}/s)", "median / ideal", "429 answers",
        "one message per chat", f"target: about {options.ideal_s:.1f} s (ratio <= "
        f"{RATIO_TARGET:g}) with zero 429s",
    ]  # fmt: skip
    rows = [_row(report, backend) for backend in options.backends]
    return "\n".join([title, "", render_table(headers, rows)])


def parse_options(argv: Sequence[str] | None = None) -> FanoutOptions:
    parser = argparse.ArgumentParser(prog="python -m bench.telegram_fanout", description=__doc__)
    defaults = FanoutOptions()
    parser.add_argument("--chats", type=int, default=defaults.chats, help="private chats")
    parser.add_argument("--groups", type=int, default=defaults.groups)
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument(
        "--backends",
        type=parse_backends,
        default=defaults.backends,
        help="comma-separated: sqlite,postgres",
    )
    args = parser.parse_args(argv)
    if args.chats + args.groups < 1 or args.runs < 1:
        parser.error("at least one chat or group and one run")
    return FanoutOptions(
        chats=args.chats, groups=args.groups, runs=args.runs, backends=args.backends
    )


def main(argv: Sequence[str] | None = None) -> None:
    print(render_report(asyncio.run(run_benchmark(parse_options(argv)))))


if __name__ == "__main__":
    tune_garbage_collector()  # as `blockbell run` does
    main()
