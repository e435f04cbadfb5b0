"""`/status`: the chains a chat watches, where their watchers are, and how they are doing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.caller import Caller
from bot.core.dispatch import BotCore
from bot.core.ports import ContractInfo
from storage.chain_health import (
    ChainSnapshot,
    claim_moving,
    claim_quiet,
    claim_recovery,
    claim_stall,
    save_snapshot,
)
from storage.subscriptions import set_subscription_status
from tests.bot.core.conftest import (
    USDC,
    Clock,
    FakeChainLookup,
    action,
    group_member,
    labels,
    person,
    render,
)

REPORTED_AT = datetime(2026, 3, 1, 11, 59, tzinfo=UTC)


async def subscribe(core: BotCore, clock: Clock, chain: str, caller: Caller | None = None) -> int:
    reply = await core.message(
        caller or person(), f"subscribe {chain} {USDC} Transfer", clock.tick()
    )
    assert "Subscribed" in render(reply)
    return int(render(reply).split("(")[1].split(")")[0].lstrip("#"))


async def report(chain: str, **changes: object) -> None:
    values: dict[str, object] = {
        "chain": chain,
        "head_number": 1_000_010,
        "cursor_number": 1_000_000,
        "healthy": True,
        "halted_reason": None,
        "error": None,
        "updated_at": REPORTED_AT,
    }
    await save_snapshot(ChainSnapshot(**{**values, **changes}))  # type: ignore[arg-type]


async def status_lines(core: BotCore, clock: Clock, caller: Caller | None = None) -> list[str]:
    reply = await core.command(caller or person(), "status", "", clock.tick())
    return render(reply).split("\n\n")


async def test_a_chat_without_subscriptions_is_offered_to_subscribe(
    core: BotCore, clock: Clock
) -> None:
    reply = await core.command(person(), "status", "", clock.tick())
    assert render(reply) == "This chat has no active subscriptions, so it watches no chain yet."
    assert action(reply, "Subscribe") == "menu:subscribe"


async def test_each_watched_chain_shows_its_block_lag_and_health(
    core: BotCore, clock: Clock, lookup: FakeChainLookup
) -> None:
    lookup.contracts[("base", USDC.lower())] = ContractInfo(True, "erc20", "USD Coin", "USDC", 6)
    await subscribe(core, clock, "mainnet")
    await subscribe(core, clock, "mainnet")
    await subscribe(core, clock, "base")
    await report("mainnet")
    assert await status_lines(core, clock) == [
        "This chat watches 2 chains:",
        "✅ mainnet: block 1000000, 10 blocks behind the head — healthy",
        "❔ base: no report from its watcher yet",
    ]
    await report("base", head_number=51, cursor_number=50, healthy=False, error="timeout")
    assert (await status_lines(core, clock))[2] == (
        "⏳ base: block 50, 1 block behind the head — having trouble, retrying"
    )


async def test_a_stalled_or_halted_chain_says_so(core: BotCore, clock: Clock) -> None:
    await subscribe(core, clock, "mainnet")
    await report("mainnet", stuck_since=REPORTED_AT)
    assert await claim_stall("mainnet", REPORTED_AT)  # its subscribers were told
    assert (await status_lines(core, clock))[1] == (
        "⚠️ mainnet: block 1000000, 10 blocks behind the head — stalled, notifications are delayed"
    )
    await report("mainnet", healthy=False, halted_reason="reorg deeper than 128 blocks")
    assert (await status_lines(core, clock))[1] == (
        "⛔ mainnet: halted — notifications of this chain wait until the operator resumes it"
    )
    await report("mainnet", head_number=None, cursor_number=None, healthy=False)
    assert (await status_lines(core, clock))[1] == (
        "⚠️ mainnet: stalled before reading its first block, notifications are delayed"
    )


async def test_a_chain_that_makes_no_blocks_says_for_how_long_once_its_subscribers_were_told(
    core: BotCore, clock: Clock
) -> None:
    await subscribe(core, clock, "mainnet")
    made = REPORTED_AT - timedelta(minutes=7, seconds=30)
    await report("mainnet", head_number=1_000_000, head_time=made)
    healthy = "✅ mainnet: block 1000000, 0 blocks behind the head — healthy"
    assert (await status_lines(core, clock))[1] == healthy  # not told yet: nothing to contradict
    assert await claim_quiet("mainnet", REPORTED_AT)
    assert (await status_lines(core, clock))[1] == (
        "⏸ mainnet: block 1000000 — no new block for 7 min, the chain itself has paused"
    )
    await core.action(person(), "lang:es", clock.tick())
    assert (await status_lines(core, clock))[1] == (
        "⏸ mainnet: bloque 1000000 — ningún bloque nuevo desde hace 7 min,"
        " la propia cadena se ha detenido"
    )
    await core.action(person(), "lang:en", clock.tick())
    # A stall of the watcher comes first: while it lasts, the chain's quiet may be old news.
    assert await claim_stall("mainnet", REPORTED_AT)
    assert (await status_lines(core, clock))[1].startswith("⚠️ mainnet: block 1000000")
    assert await claim_recovery("mainnet")
    assert await claim_moving("mainnet")
    assert (await status_lines(core, clock))[1] == healthy


async def test_a_watcher_that_read_no_block_yet_is_starting(core: BotCore, clock: Clock) -> None:
    await subscribe(core, clock, "mainnet")
    await report("mainnet", head_number=None, cursor_number=None, healthy=False)
    assert (await status_lines(core, clock))[1] == "⏳ mainnet: starting, no block read yet"


async def test_only_the_chats_own_active_subscriptions_count(core: BotCore, clock: Clock) -> None:
    paused = await subscribe(core, clock, "mainnet")
    await set_subscription_status(paused, "paused")
    await subscribe(core, clock, "mainnet", person("200"))
    await report("mainnet")
    reply = await core.command(person(), "status", "", clock.tick())
    assert render(reply).startswith("This chat has no active subscriptions")


async def test_a_group_member_sees_the_groups_chains_in_the_groups_language(
    core: BotCore, clock: Clock
) -> None:
    admin = group_member("1", admin=True)
    await subscribe(core, clock, "mainnet", admin)
    await core.action(admin, "lang:ru", clock.tick())
    await report("mainnet", head_number=1_000_003)
    lines = await status_lines(core, clock, group_member("2", admin=False))
    assert lines == [
        "Этот чат следит за 1 сетью:",
        "✅ mainnet: блок 1000000, отставание от вершины 3 блока — всё в порядке",
    ]


async def test_status_has_a_refresh_button_and_a_line_in_help(core: BotCore, clock: Clock) -> None:
    await subscribe(core, clock, "mainnet")
    reply = await core.command(person(), "status", "", clock.tick())
    assert labels(reply) == ["🔄 Refresh"]
    again = await core.action(person(), action(reply, "Refresh"), clock.tick())
    assert render(again) == render(reply)
    help_reply = await core.command(person(), "help", "", clock.tick())
    assert "/status — the chains this chat watches" in render(help_reply)
