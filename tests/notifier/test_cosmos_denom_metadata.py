"""Amounts in denoms the settings do not name, end to end: Osmosis events claimed from a real
database, their units read from a fake of the chain's REST API (the SDK's gateway routes and
JSON), and the notifications as the fake Telegram and Discord show them."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from notifier.channels.discord import DiscordChannel
from notifier.channels.telegram import TelegramChannel, build_bot
from notifier.channels.webhook import WebhookChannel
from notifier.loop import ChainInfo, Notifier
from notifier.webhook_targets import LOCAL_TARGETS
from storage.models import Contract, Delivery, Destination, Event, Subscription, User
from tests.fakes.cosmos_rest import FakeCosmosRest, bank_metadata, unreachable_url
from tests.fakes.discord_api import DEFAULT_TOKEN, FakeDiscord, GuildSpec
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.notifier.conftest import BOT_TOKEN, SCHEDULE_S, Clock
from watcher.cosmos_denom_metadata import DenomMetadataLookup, RestChain
from watcher.cosmos_denoms import Denom

CHAIN = "osmosis"
OSMO = Denom("uosmo", "OSMO", 6)
ATOM = Denom("uatom", "ATOM", 6)
# ATOM on Osmosis: the voucher of uatom received over transfer/channel-0.
ATOM_HASH = "27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
IBC_ATOM = f"ibc/{ATOM_HASH}"
SHORT_IBC_ATOM = "ibc/2739…5EB2"
ATOM_ON_OSMOSIS = bank_metadata(IBC_ATOM, "atom", 6, symbol="ATOM", name="Cosmos Hub Atom")
ION = bank_metadata("uion", "ion", 6, symbol="ION", name="Ion")
CHAT = 4001
DISCORD_CHANNEL = 9100
_heights = itertools.count(20_000_000)


class Ticks:
    """Monotonic seconds for the lookup that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def rest() -> AsyncIterator[FakeCosmosRest]:
    fake = await FakeCosmosRest.start()
    fake.metadata[IBC_ATOM] = ATOM_ON_OSMOSIS
    fake.metadata["uion"] = ION
    fake.traces[ATOM_HASH] = ("transfer/channel-0", "uatom")
    yield fake
    await fake.stop()


@pytest.fixture
async def telegram(fake: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(build_bot(BOT_TOKEN, fake.url))
    yield channel
    await channel.close()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


def lookup(
    session: aiohttp.ClientSession,
    rest_url: str,
    ticks: Ticks,
    *,
    denoms: tuple[Denom, ...] = (OSMO,),
    timeout_s: float = 2.0,
) -> DenomMetadataLookup:
    chains = {CHAIN: RestChain(rest_url, denoms)}
    return DenomMetadataLookup(session, chains, timeout_s=timeout_s, clock=ticks)


def notifier(
    session: aiohttp.ClientSession,
    clock: Clock,
    denom_lookup: DenomMetadataLookup | None,
    *,
    denoms: tuple[Denom, ...] = (OSMO,),
    **channels: Any,
) -> Notifier:
    chain = ChainInfo("osmosis-1", None, family="cosmos", denoms=denoms, bech32_prefix="osmo")
    webhook = WebhookChannel(session, targets=LOCAL_TARGETS, timeout_s=1.0)
    return Notifier(
        {CHAIN: chain},
        webhook,
        schedule_s=SCHEDULE_S,
        clock=clock,
        jitter=lambda: 0.0,
        denom_lookup=denom_lookup,
        **channels,
    )


async def transfer(clock: Clock, amount: str, kind: str, target: str, secret: str = "") -> Delivery:
    """A `transfer` event of `amount` on Osmosis, due now at a new destination."""
    user = await User.create()
    contract = await Contract.create(chain=CHAIN, address="", abi=[])
    destination = await Destination.create(user=user, kind=kind, target=target, secret=secret)
    subscription = await Subscription.create(
        user=user, contract=contract, destination=destination, chain=CHAIN, event_name="transfer"
    )
    height = next(_heights)
    event = await Event.create(
        id=uuid.uuid4(),
        chain=CHAIN,
        block_number=height,
        block_hash=f"{height:064X}",
        transaction_hash=f"{height:064X}"[::-1],
        log_index=3,
        contract="",
        selector=None,
        event_name="transfer",
        args={"amount": amount},
        topics=[],
        data="",
        msg_index=0,
        created_at=clock.now,
    )
    return await Delivery.create(
        id=uuid.uuid4(),
        event=event,
        subscription=subscription,
        destination=destination,
        next_attempt_at=clock.now,
        created_at=clock.now,
    )


def amounts_in_chat(fake: FakeTelegram, chat: int = CHAT) -> list[str]:
    """The `amount` line of every message in the chat, in order."""
    return [
        line.removeprefix("amount: ")
        for message in fake.messages(chat)
        for line in message.text.splitlines()
        if line.startswith("amount: ")
    ]


async def test_an_ibc_amount_reads_in_the_unit_of_the_chains_metadata(
    db: str,
    fake: FakeTelegram,
    rest: FakeCosmosRest,
    clock: Clock,
    ticks: Ticks,
    session: aiohttp.ClientSession,
    telegram: TelegramChannel,
) -> None:
    delivery = await transfer(clock, f"2500000{IBC_ATOM},1200000uosmo", "telegram", str(CHAT))
    denom_lookup = lookup(session, rest.url, ticks)
    assert await notifier(session, clock, denom_lookup, telegram=telegram).run_once() == 1
    assert amounts_in_chat(fake) == ["2.5 ATOM, 1.2 OSMO"]
    # SDK 0.50 routes a denom with a slash only through the query string.
    assert rest.requests == [
        f"/cosmos/bank/v1beta1/denoms_metadata_by_query_string?denom={IBC_ATOM}"
    ]
    assert (await Delivery.get(id=delivery.id)).status == "delivered"


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    guild = GuildSpec(500, channels={DISCORD_CHANNEL: "alerts"}, members={7700: "alice"})
    fake = await FakeDiscord.start(guilds=[guild])
    yield fake
    await fake.stop()


async def test_a_native_denom_the_settings_leave_out_reads_in_its_unit_in_a_discord_embed(
    db: str,
    discord: FakeDiscord,
    rest: FakeCosmosRest,
    clock: Clock,
    ticks: Ticks,
    session: aiohttp.ClientSession,
) -> None:
    await transfer(clock, "2500000uion", "discord", str(DISCORD_CHANNEL))
    channel = DiscordChannel(session, DEFAULT_TOKEN, f"{discord.url}/api/v10", None, 5.0)
    denom_lookup = lookup(session, rest.url, ticks)
    assert await notifier(session, clock, denom_lookup, discord=channel).run_once() == 1
    [message] = discord.messages(DISCORD_CHANNEL)
    [embed] = message.embeds
    assert {field["name"]: field["value"] for field in embed["fields"]}["amount"] == "2.5 ION"
    assert rest.requests == ["/cosmos/bank/v1beta1/denoms_metadata/uion"]


@pytest.mark.parametrize(
    ("node", "chain_denoms", "base_metadata", "trace_request"),
    [
        # SDK 0.46 (no query-string route) and ibc-go v8; the settings name the traced base.
        (
            {"query_string": False, "ibc_go": "v8"},
            (OSMO, ATOM),
            None,
            f"/ibc/apps/transfer/v1/denom_traces/{ATOM_HASH}",
        ),
        # SDK 0.50 and ibc-go v10; the chain has metadata for the traced base.
        (
            {"query_string": True, "ibc_go": "v10"},
            (OSMO,),
            bank_metadata("uatom", "atom", 6, symbol="ATOM"),
            f"/ibc/apps/transfer/v1/denoms/{ATOM_HASH}",
        ),
    ],
    ids=["sdk-0.46-ibc-go-v8-configured-base", "sdk-0.50-ibc-go-v10-base-metadata"],
)
async def test_an_ibc_voucher_without_metadata_reads_in_the_unit_of_its_traced_base(
    db: str,
    fake: FakeTelegram,
    clock: Clock,
    ticks: Ticks,
    session: aiohttp.ClientSession,
    telegram: TelegramChannel,
    node: dict[str, Any],
    chain_denoms: tuple[Denom, ...],
    base_metadata: dict[str, Any] | None,
    trace_request: str,
) -> None:
    rest = await FakeCosmosRest.start(**node)
    rest.traces[ATOM_HASH] = ("transfer/channel-0", "uatom")
    if base_metadata is not None:
        rest.metadata["uatom"] = base_metadata
    try:
        await transfer(clock, f"2500000{IBC_ATOM}", "telegram", str(CHAT))
        denom_lookup = lookup(session, rest.url, ticks, denoms=chain_denoms)
        sent = notifier(session, clock, denom_lookup, denoms=chain_denoms, telegram=telegram)
        assert await sent.run_once() == 1
    finally:
        await rest.stop()
    assert amounts_in_chat(fake) == ["2.5 ATOM"]
    assert trace_request in rest.requests


async def test_a_denom_is_asked_for_once_whether_or_not_the_chain_describes_it(
    db: str,
    fake: FakeTelegram,
    rest: FakeCosmosRest,
    clock: Clock,
    ticks: Ticks,
    session: aiohttp.ClientSession,
    telegram: TelegramChannel,
) -> None:
    sender = notifier(session, clock, lookup(session, rest.url, ticks), telegram=telegram)
    amount = f"2500000{IBC_ATOM},7uunknown"
    await transfer(clock, amount, "telegram", str(CHAT))
    assert await sender.run_once() == 1
    asked = list(rest.requests)
    assert len(asked) == 2  # the voucher's metadata; uunknown's, which the chain has none of
    await transfer(clock, amount, "telegram", str(CHAT))
    assert await sender.run_once() == 1
    assert rest.requests == asked
    assert amounts_in_chat(fake) == ["2.5 ATOM, 7 uunknown"] * 2


@pytest.mark.parametrize("fault", ["http_503", "hang", "html_page"])
async def test_a_failing_rest_api_leaves_base_units_and_is_asked_again_after_a_minute(
    db: str,
    fake: FakeTelegram,
    rest: FakeCosmosRest,
    clock: Clock,
    ticks: Ticks,
    session: aiohttp.ClientSession,
    telegram: TelegramChannel,
    fault: str,
) -> None:
    rest.fail_with = 503 if fault == "http_503" else None
    rest.hang_s = 5.0 if fault == "hang" else 0.0
    rest.html_page = fault == "html_page"
    denom_lookup = lookup(session, rest.url, ticks, timeout_s=0.3)
    sender = notifier(session, clock, denom_lookup, telegram=telegram)
    first = await transfer(clock, f"2500000{IBC_ATOM}", "telegram", str(CHAT))
    started = time.monotonic()
    assert await sender.run_once() == 1
    assert time.monotonic() - started < 1.5
    assert (await Delivery.get(id=first.id)).status == "delivered"
    asked = len(rest.requests)

    rest.fail_with, rest.hang_s, rest.html_page = None, 0.0, False
    ticks.now += 30
    await transfer(clock, f"2500000{IBC_ATOM}", "telegram", str(CHAT))
    assert await sender.run_once() == 1
    assert len(rest.requests) == asked  # a failure is no answer, but it is not asked again yet

    ticks.now += 31
    await transfer(clock, f"2500000{IBC_ATOM}", "telegram", str(CHAT))
    assert await sender.run_once() == 1
    assert len(rest.requests) == asked + 1
    assert amounts_in_chat(fake) == [f"2,500,000 {SHORT_IBC_ATOM}"] * 2 + ["2.5 ATOM"]


async def test_an_unreachable_rest_api_leaves_base_units_at_once(
    db: str,
    fake: FakeTelegram,
    clock: Clock,
    ticks: Ticks,
    session: aiohttp.ClientSession,
    telegram: TelegramChannel,
) -> None:
    delivery = await transfer(clock, f"2500000{IBC_ATOM}", "telegram", str(CHAT))
    denom_lookup = lookup(session, unreachable_url(), ticks)
    started = time.monotonic()
    assert await notifier(session, clock, denom_lookup, telegram=telegram).run_once() == 1
    assert time.monotonic() - started < 2.0
    assert amounts_in_chat(fake) == [f"2,500,000 {SHORT_IBC_ATOM}"]
    assert (await Delivery.get(id=delivery.id)).status == "delivered"


async def test_a_chain_without_a_rest_url_asks_nothing(
    db: str,
    fake: FakeTelegram,
    rest: FakeCosmosRest,
    clock: Clock,
    ticks: Ticks,
    session: aiohttp.ClientSession,
    telegram: TelegramChannel,
) -> None:
    await transfer(clock, f"2500000{IBC_ATOM}", "telegram", str(CHAT))
    # Only another chain has a REST URL.
    others = {"cosmoshub": RestChain(rest.url, (ATOM,))}
    denom_lookup = DenomMetadataLookup(session, others, clock=ticks)
    assert await notifier(session, clock, denom_lookup, telegram=telegram).run_once() == 1
    assert amounts_in_chat(fake) == [f"2,500,000 {SHORT_IBC_ATOM}"]
    assert rest.requests == []


async def test_a_webhook_body_keeps_the_stored_amount_and_asks_nothing(
    db: str,
    receiver: WebhookReceiver,
    rest: FakeCosmosRest,
    clock: Clock,
    ticks: Ticks,
    session: aiohttp.ClientSession,
) -> None:
    amount = f"2500000{IBC_ATOM}"
    await transfer(clock, amount, "webhook", receiver.url, receiver.secret)
    assert await notifier(session, clock, lookup(session, rest.url, ticks)).run_once() == 1
    [request] = receiver.requests
    assert orjson.loads(request.body)["args"] == {"amount": amount}
    assert rest.requests == []
