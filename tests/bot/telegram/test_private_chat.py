"""A person talks to the bot in a private chat through the real library and a fake Bot API."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import orjson
import pytest

from bot.core.dispatch import COMMANDS
from bot.core.ports import ContractInfo
from locales import translate
from notifier.telegram_render import render_message
from storage.deliveries import DueDelivery, claim_due
from storage.models import Delivery, Event, Subscription
from tests.bot.core.conftest import PLAIN, USDC, FakeChainLookup
from tests.bot.telegram.conftest import BROKEN, EXPLORER, TOKEN
from tests.fakes.telegram_chat import ChatTelegram, Person

TRANSFER_SELECTOR = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
ZERO_HASH = "0x" + "0" * 64


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_start_to_a_confirmed_erc20_transfer_in_eight_messages_and_taps(
    telegram: ChatTelegram, language: str
) -> None:
    me = Person(telegram, 100, 100, language)

    def label(key: str) -> str:
        return translate(language, key)

    welcome = await me.say("/start")
    assert welcome.text == translate(language, "bot.start.welcome")
    assert len(welcome.text.splitlines()) == 3
    assert [text for text, _ in welcome.buttons()] == [
        label("bot.choice.subscribe"),
        label("bot.choice.help"),
        label("bot.choice.language"),
    ]
    steps = [welcome]
    steps.append(await me.tap(label("bot.choice.subscribe")))
    steps.append(await me.tap("mainnet"))
    steps.append(await me.say(USDC))
    assert "USDC" in steps[-1].text
    steps.append(await me.tap("Transfer"))
    assert translate(language, "bot.choice.event_on", name="Transfer") in dict(steps[-1].buttons())
    steps.append(await me.tap(label("bot.choice.done")))
    steps.append(await me.tap(label("bot.choice.no_filter")))
    assert f"{USDC}\n" in steps[-1].text
    steps.append(await me.tap(label("bot.choice.confirm")))

    assert len(steps) <= 8
    subscribed = translate(language, "bot.wizard.created", count=1, ids="#1")
    assert subscribed in telegram.last(100).text
    subscription = await Subscription.get(id=1).prefetch_related("destination")
    assert (subscription.event_name, subscription.selector) == ("Transfer", TRANSFER_SELECTOR)
    assert (subscription.destination.kind, subscription.destination.target) == ("telegram", "100")


async def test_the_command_menu_is_published_in_every_language(telegram: ChatTelegram) -> None:
    assert set(telegram.commands) == {"", "ru", "es", "zh"}
    menu = {entry["command"]: entry["description"] for entry in telegram.commands["ru"]}
    assert menu["subscribe"] == "Следить за событиями контракта"
    assert len(menu) == len(COMMANDS) == 10
    assert telegram.commands["zh"][0]["description"] == "关注合约的事件"


async def test_help_shows_angle_brackets_of_the_catalog_as_text(telegram: ChatTelegram) -> None:
    me = Person(telegram, 100, 100)
    reply = await me.say("/help")
    assert "/subscribe <chain> <address> <event> [filter]" in reply.text
    assert reply.html is not None and "&lt;chain&gt;" in reply.html


async def test_wrong_input_gets_a_clear_answer_and_the_wizard_goes_on(
    telegram: ChatTelegram,
) -> None:
    me = Person(telegram, 100, 100)
    await me.say("/subscribe")
    await me.tap("mainnet")
    reply = await me.say(USDC)
    reply = await me.say("yes please")
    assert "There is no event yes please here. Available: Approval, Transfer." in reply.text
    await me.tap("Transfer")
    await me.tap("Done")
    await me.tap("No filter")
    reply = await me.say("yes please")
    assert "Please tap one of the buttons below" in reply.text
    reply = await me.press("w:zzzzzz:ok")
    assert "This button is no longer valid" in reply.text
    reply = await me.tap("Subscribe")
    assert "Subscribed: 1 subscription (#1)" in reply.text
    reply = await me.press("no such button")
    assert "This button is no longer valid" in reply.text

    reply = await me.say("/subscribe")
    await me.tap("mainnet")
    reply = await me.say(PLAIN)
    assert "Which events does" in reply.text
    five_megabytes = telegram.document("build.json", b"", size=5 * 1024 * 1024)
    reply = await me.send_file(five_megabytes)
    assert "The file is too large: an ABI file may have at most 512 KB" in reply.text
    assert "getFile" not in telegram.calls
    abi = [{"type": "event", "name": "Deposit", "anonymous": False, "inputs": []}]
    reply = await me.send_file(telegram.document("Vault.json", orjson.dumps(abi)))
    assert "Choose the events to watch" in reply.text


async def test_a_failure_inside_is_logged_without_the_token_and_answered(
    telegram: ChatTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    me = Person(telegram, 100, 100, "es")
    await me.say("/subscribe")
    await me.tap("mainnet")
    with caplog.at_level(logging.ERROR, logger="bot.telegram"):
        reply = await me.say(BROKEN)
    assert reply.text == translate("es", "tg.error.generic")
    assert "exploded" in caplog.text
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    reply = await me.say("/help")
    assert "/list" in reply.text


async def _claim_real_delivery(args: dict[str, str], topics: list[str]) -> DueDelivery:
    """A real match of subscription #1 with `args`, as the notifier claims it; it happened
    where the sample says it did (block 0, the all-zero transaction)."""
    event = await Event.create(
        id=uuid.uuid4(),
        chain="mainnet",
        block_number=0,
        block_hash=ZERO_HASH,
        transaction_hash=ZERO_HASH,
        log_index=0,
        contract=USDC.lower(),
        selector=TRANSFER_SELECTOR,
        event_name="Transfer",
        args=args,
        topics=topics,
        data=f"0x{int(args['value']):064x}",
        created_at=datetime.now(UTC),
    )
    now = datetime.now(UTC)
    await Delivery.create(
        id=uuid.uuid4(),
        event=event,
        subscription_id=1,
        destination_id=1,
        next_attempt_at=now,
        created_at=now,
        # Instant subscriptions are notified before confirmations, as provisional.
        provisional=(await Subscription.get(id=1)).instant,
    )
    [due] = await claim_due(now, 10, 60.0, destination_kinds=("telegram",))
    return due


async def test_a_test_notification_is_exactly_what_a_real_match_sends(
    telegram: ChatTelegram,
) -> None:
    me = Person(telegram, 100, 100)
    await me.say(f"/subscribe mainnet {USDC} Transfer")
    await me.say("/list")
    await me.tap("#1 Transfer")
    count = len(telegram.messages(100))
    await me.tap("Test")
    [intro, sample] = telegram.messages(100)[count:]
    assert "A test notification of subscription #1" in intro.text

    sender, receiver = "0x" + "1" * 40, "0x" + "2" * 40
    args = {"from": sender, "to": receiver, "value": "1500000"}
    topics = [TRANSFER_SELECTOR, *("0x" + "0" * 24 + a[2:] for a in (sender, receiver))]
    real = render_message(await _claim_real_delivery(args, topics), EXPLORER)
    assert sample.html == real.html
    assert sample.buttons() == [(b.text, b.callback_data or b.url or "") for b in real.buttons]
    assert sample.text.startswith("Transfer · mainnet\nContract: ")
    assert "value: 1.5 USDC" in sample.text
    assert sample.html is not None and f'<a href="{EXPLORER}/address/{sender}">' in sample.html
    assert sample.buttons() == [
        ("Mute this subscription", "mute:1"),
        ("Open in explorer", f"{EXPLORER}/tx/{ZERO_HASH}"),
    ]
    reply = await me.tap("Mute this subscription", on=sample)
    assert "Mute 8 h" in [text for text, _ in reply.buttons()]
    assert sample.text == telegram.messages(100)[count + 1].text


async def test_a_test_notification_on_a_chain_without_explorer_has_no_links(
    telegram: ChatTelegram, lookup: FakeChainLookup
) -> None:
    lookup.contracts[("base", USDC.lower())] = ContractInfo(True, "erc20")  # no symbol known
    me = Person(telegram, 100, 100)
    await me.say(f"/subscribe base {USDC} Transfer")
    await me.say("/list")
    await me.tap("#1 Transfer")
    sample = await me.tap("Test")
    assert sample.html is not None and "<a " not in sample.html
    assert "value: 42" in sample.text  # without decimals, an amount is a plain number
    assert sample.buttons() == [("Mute this subscription", "mute:1")]


async def test_somebody_elses_subscription_is_not_found(telegram: ChatTelegram) -> None:
    owner, stranger = Person(telegram, 100, 100), Person(telegram, 200, 200)
    await owner.say(f"/subscribe mainnet {USDC} Transfer")
    await stranger.say("/list")
    for forged in ("sub:pause:1", "sub:delok:1", "mute:1"):
        reply = await stranger.press(forged)
        assert "There is no such subscription or destination here" in reply.text
    assert (await Subscription.get(id=1)).status == "active"
