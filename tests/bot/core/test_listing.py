"""Listing and changing subscriptions, ownership, groups, history and webhooks."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from bot.core.caller import Caller
from bot.core.dispatch import BotCore
from storage.deliveries import AbiParam
from storage.models import Delivery, Destination, Event, Subscription, SubscriptionMute
from storage.secret_box import secret_box
from storage.subscriptions import NewEventSubscription, create_subscriptions, fetch_index_version
from tests.bot.core.conftest import (
    PLAIN,
    USDC,
    Clock,
    action,
    group_member,
    labels,
    person,
    render,
)
from watcher.abi import event_selector

NOT_FOUND = "There is no such subscription or destination here. /list shows what this chat has."


async def _subscribe(core: BotCore, clock: Clock, caller: Caller | None = None) -> None:
    line = f"subscribe mainnet {USDC} Transfer"
    reply = await core.message(caller or person(), line, clock.tick())
    assert "Subscribed" in render(reply)


async def test_list_pause_resume_mute_and_delete(core: BotCore, clock: Clock) -> None:
    me = person()
    await _subscribe(core, clock)
    reply = await core.command(me, "list", "", clock.tick())
    assert "1 subscription in this chat:" in render(reply)
    assert f"#1 Transfer · mainnet · {USDC.lower()} — active" in render(reply)
    detail = await core.action(me, action(reply, "#1 Transfer"), clock.tick())
    assert "Subscription #1\nChain: mainnet" in render(detail)

    reply = await core.action(me, action(detail, "Pause"), clock.tick())
    assert render(reply) == "Subscription #1 is paused."
    assert (await Subscription.get(id=1)).status == "paused"
    reply = await core.action(me, "sub:resume:1", clock.tick())
    assert render(reply) == "Subscription #1 is active again."
    reply = await core.action(me, action(detail, "Mute 8 h"), clock.tick())
    assert render(reply) == "Subscription #1 is muted for 8 hours."
    assert (await SubscriptionMute.get(subscription_id=1)).until == clock.now + timedelta(hours=8)
    reply = await core.command(me, "list", "", clock.tick())
    assert "— muted until 2026-03-01 20:00 UTC" in render(reply)

    reply = await core.action(me, action(detail, "Test"), clock.tick())
    assert reply.sample is not None and reply.sample.event_name == "Transfer"
    assert set(reply.sample.args) == {"from", "to", "value"}

    reply = await core.action(me, action(detail, "Delete"), clock.tick())
    assert render(reply) == "Delete subscription #1? This cannot be undone."
    reply = await core.action(me, action(reply, "Yes, delete"), clock.tick())
    assert render(reply) == "Subscription #1 is deleted."
    reply = await core.command(me, "list", "", clock.tick())
    assert render(reply) == "This chat has no subscriptions yet."
    assert await fetch_index_version() == 4


async def test_the_mute_button_of_a_notification_offers_the_mute_durations(
    core: BotCore, clock: Clock
) -> None:
    await _subscribe(core, clock)
    reply = await core.action(person(), "mute:1", clock.tick())
    assert "Subscription #1" in render(reply)
    assert {"Mute 1 h", "Mute 8 h", "Mute 24 h"} <= set(labels(reply))
    stranger = await core.action(person("200"), "mute:1", clock.tick())
    assert render(stranger) == NOT_FOUND


async def test_a_file_sent_outside_the_wizard_says_when_files_are_read(
    core: BotCore, clock: Clock
) -> None:
    reply = await core.file(person(), "Token.json", 20, b"[]", clock.tick())
    assert render(reply) == (
        "Files are read only while /subscribe asks for a contract's ABI. Start with /subscribe."
    )


async def test_someone_elses_subscription_answers_like_a_missing_one(
    core: BotCore, clock: Clock
) -> None:
    await _subscribe(core, clock)
    stranger = person("200")
    for forged in ("sub:show:1", "sub:pause:1", "sub:delok:1", "sub:mute:1:24", "sub:show:99"):
        reply = await core.action(stranger, forged, clock.tick())
        assert render(reply) == NOT_FOUND
    reply = await core.command(stranger, "list", "", clock.tick())
    assert render(reply) == "This chat has no subscriptions yet."
    assert (await Subscription.get(id=1)).status == "active"
    assert not await SubscriptionMute.exists()


async def test_in_a_group_everyone_lists_and_only_admins_change(
    core: BotCore, clock: Clock
) -> None:
    admin, member = group_member("1", admin=True), group_member("2", admin=False)
    reply = await core.message(member, f"subscribe mainnet {USDC} Transfer", clock.tick())
    assert "Only the admins of this chat can change" in render(reply)
    await _subscribe(core, clock, admin)
    reply = await core.command(member, "list", "", clock.tick())
    assert "#1 Transfer" in render(reply)
    detail = await core.action(member, "sub:show:1", clock.tick())
    assert labels(detail) == ["My subscriptions"]
    reply = await core.action(member, "sub:pause:1", clock.tick())
    assert "Only the admins of this chat can change" in render(reply)
    reply = await core.command(member, "subscribe", "", clock.tick())
    assert "Only the admins of this chat can change" in render(reply)
    assert (await Subscription.get(id=1)).status == "active"
    other_admin = group_member("3", admin=True)
    reply = await core.action(other_admin, "sub:pause:1", clock.tick())
    assert render(reply) == "Subscription #1 is paused."
    destination = await Destination.get(id=1)
    assert (destination.kind, destination.target) == ("telegram", "-500")


async def test_history_pages_newest_first(core: BotCore, clock: Clock) -> None:
    me = person()
    await _subscribe(core, clock)
    for number in range(12):
        event = await Event.create(
            id=uuid.uuid4(),
            chain="mainnet",
            block_number=100 + number,
            block_hash="0x" + "1" * 64,
            transaction_hash=f"0x{number:064x}",
            log_index=0,
            contract=USDC.lower(),
            event_name="Transfer",
            created_at=clock.tick(),
        )
        await Delivery.create(
            id=uuid.uuid4(),
            event=event,
            subscription_id=1,
            destination_id=1,
            status="dead" if number == 11 else "delivered",
            next_attempt_at=clock.now,
            created_at=clock.now,
        )
    reply = await core.command(me, "history", "", clock.tick())
    text = render(reply)
    assert text.startswith("12 notifications, page 1 of 2, newest first:")
    assert "#1 Transfer · mainnet block 111 — failed, all retries used" in text.splitlines()[2]
    assert [label.split()[0] for label in labels(reply)] == ["Older"]
    reply = await core.action(me, action(reply, "Older"), clock.tick())
    assert render(reply).startswith("12 notifications, page 2 of 2")
    assert "block 100 — delivered" in render(reply).splitlines()[-1]
    assert [label.split()[-1] for label in labels(reply)] == ["Newer"]
    reply = await core.command(person("300"), "history", "", clock.tick())
    assert render(reply) == "No notifications yet."


async def test_webhook_secret_is_shown_once_and_rotated(core: BotCore, clock: Clock) -> None:
    me = person()
    reply = await core.command(me, "webhook", "https://127.0.0.1:9/hook", clock.tick())
    assert "127.0.0.1 is a private, loopback or internal address" in render(reply)
    reply = await core.command(me, "webhook", "ftp://example.com", clock.tick())
    assert "is not a webhook URL" in render(reply)
    reply = await core.command(me, "webhook", "https://hooks.example.com/in?key=1", clock.tick())
    secret = str(reply.text.params["secret"])
    assert secret.startswith("whsec_")
    assert f"Signing secret: {secret}" in render(reply)
    assert "it is shown only this once" in render(reply)

    listing = await core.command(me, "destinations", "", clock.tick())
    assert "Webhook #1: hooks.example.com" in render(listing)
    assert secret not in render(listing) and "key=1" not in render(listing)
    reply = await core.action(me, action(listing, "New secret for webhook #1"), clock.tick())
    rotated = str(reply.text.params["secret"])
    assert rotated != secret and rotated in render(reply)
    assert "The old one keeps signing beside it for 24 h" in render(reply)
    assert await signing_secrets(1) == (rotated, secret)
    reply = await core.action(person("200"), "dest:rot:1", clock.tick())
    assert render(reply).startswith("There is no such subscription or destination here.")
    assert await signing_secrets(1) == (rotated, secret)


async def signing_secrets(destination_id: int) -> tuple[str | None, str | None]:
    """The destination's secret and the one it replaced, opened; neither is stored plain."""
    stored = await Destination.get(id=destination_id)
    box = secret_box()
    assert stored.secret is None and stored.sealed_secret and stored.previous_sealed_secret
    return box.open(stored.sealed_secret), box.open(stored.previous_sealed_secret)


async def test_registration_language_and_help(core: BotCore, clock: Clock) -> None:
    ru = person("400", "ru-RU")
    reply = await core.command(ru, "start", "", clock.tick())
    assert reply.language == "ru"
    assert render(reply).startswith("Я слежу за блокчейнами")
    assert len(render(reply).splitlines()) == 3
    assert labels(reply)[0].endswith(" Подписаться")
    reply = await core.action(ru, action(reply, "Язык"), clock.tick())
    assert labels(reply) == ["English", "Русский", "Español", "简体中文"]
    reply = await core.action(ru, action(reply, "简体中文"), clock.tick())
    assert render(reply) == "语言已设置为简体中文。"
    reply = await core.command(ru, "help", "", clock.tick())
    assert "/subscribe — 分步订阅" in render(reply)
    reply = await core.action(ru, "lang:klingon", clock.tick())
    assert render(reply).startswith("此按钮已失效")


async def test_a_sample_carries_what_a_real_delivery_carries(core: BotCore, clock: Clock) -> None:
    me = person()
    await _subscribe(core, clock)
    reply = await core.action(me, "sub:test:1", clock.tick())
    assert render(reply) == "A test notification of subscription #1, as a real match would look:"
    sample = reply.sample
    assert sample is not None
    assert sample.abi_inputs == (
        AbiParam("from", "address", indexed=True),
        AbiParam("to", "address", indexed=True),
        AbiParam("value", "uint256"),
    )
    assert (sample.token_symbol, sample.token_decimals) == ("USDC", 6)
    # 1.5 whole tokens, from and to recognizably made up.
    assert dict(sample.args) == {"from": "0x" + "1" * 40, "to": "0x" + "2" * 40, "value": "1500000"}


async def test_a_sample_has_a_plausible_value_of_every_abi_type(
    core: BotCore, clock: Clock
) -> None:
    await _subscribe(core, clock)
    event: dict[str, Any] = {
        "type": "event",
        "name": "Voted",
        "anonymous": False,
        "inputs": [
            {"name": "topic", "type": "string", "indexed": True},
            {"name": "voter", "type": "address", "indexed": False},
            {"name": "support", "type": "bool", "indexed": False},
            {"name": "weight", "type": "uint96", "indexed": False},
            {"name": "proposal", "type": "bytes32", "indexed": False},
            {"name": "reason", "type": "string", "indexed": False},
            {"name": "ids", "type": "uint8[2]", "indexed": False},
            {
                "name": "ballot",
                "type": "tuple",
                "indexed": False,
                "components": [
                    {"name": "choice", "type": "int8"},
                    {"name": "note", "type": "bytes"},
                ],
            },
        ],
    }
    [sid] = await create_subscriptions(
        owner_id=1,
        chain="mainnet",
        address=PLAIN,
        abi=[event],
        standard=None,
        events=[NewEventSubscription("Voted", event_selector(event), "")],
        destination_id=1,
    )
    reply = await core.action(person(), f"sub:test:{sid}", clock.tick())
    sample = reply.sample
    assert sample is not None and sample.token_symbol is None
    assert [param.name for param in sample.abi_inputs] == [i["name"] for i in event["inputs"]]
    assert dict(sample.args) == {
        "topic": "0x" + "ab" * 32,  # an indexed string is only its hash in the log
        "voter": "0x" + "2" * 40,
        "support": True,
        "weight": "42",
        "proposal": "0x" + "ab" * 32,
        "reason": "sample",
        "ids": ["42", "42"],
        "ballot": {"choice": "42", "note": "0xabababab"},
    }
