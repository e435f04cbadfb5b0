"""The subscribe wizard driven as a person would, over SQLite and PostgreSQL."""

from __future__ import annotations

import orjson

from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.replies import Reply
from locales import translate
from storage.models import Destination, Subscription, WizardState
from storage.subscriptions import fetch_index_version
from tests.bot.core.conftest import (
    NFT,
    PLAIN,
    USDC,
    WALLET,
    Clock,
    FakeChainLookup,
    action,
    group_member,
    labels,
    person,
    render,
)

TRANSFER_SELECTOR = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


async def test_start_to_confirmed_erc20_transfer_takes_eight_steps(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    steps: list[Reply] = []
    steps.append(await core.command(me, "start", "", clock.tick()))
    assert "I watch blockchains" in render(steps[-1])
    steps.append(await core.action(me, action(steps[-1], "Subscribe"), clock.tick()))
    steps.append(await core.action(me, action(steps[-1], "mainnet"), clock.tick()))
    assert "Send the address of the contract on mainnet" in render(steps[-1])
    steps.append(await core.message(me, USDC, clock.tick()))
    assert "Detected: an ERC-20 token, USDC." in render(steps[-1])
    steps.append(await core.action(me, action(steps[-1], "Transfer"), clock.tick()))
    assert "✅ Transfer" in labels(steps[-1])
    steps.append(await core.action(me, action(steps[-1], "Done"), clock.tick()))
    assert "amounts in whole USDC" in render(steps[-1])
    steps.append(await core.action(me, action(steps[-1], "No filter"), clock.tick()))
    assert f"Contract: {USDC}\nEvents: Transfer" in render(steps[-1])
    assert "Destination: this chat" in render(steps[-1])
    steps.append(await core.action(me, action(steps[-1], "Subscribe"), clock.tick()))

    assert len(steps) <= 8
    assert "Subscribed: 1 subscription (#1)" in render(steps[-1])
    assert "No recent event matched yet" in render(steps[-1])
    subscription = await Subscription.get(id=1).prefetch_related("destination", "contract")
    assert (subscription.chain, subscription.event_name, subscription.selector) == (
        "mainnet",
        "Transfer",
        TRANSFER_SELECTOR,
    )
    assert subscription.contract.address == USDC.lower()
    assert (subscription.destination.kind, subscription.destination.target) == ("telegram", "100")
    assert await fetch_index_version() == 1


async def test_token_amounts_in_filters_become_exact_base_units(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    reply = await _at_filter(core, clock)
    reply = await core.message(me, "value > 1.5 and to == " + WALLET, clock.tick())
    assert "Filter: value > 1.5 and to == " in render(reply)
    await core.action(me, action(reply, "Subscribe"), clock.tick())
    subscription = await Subscription.get(id=1)
    assert subscription.filter_expr == f"value > 1500000 and to == {WALLET.lower()}"


async def test_too_many_token_decimals_are_refused_and_the_step_goes_on(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    reply = await _at_filter(core, clock)
    reply = await core.message(me, "value > 0.0000001", clock.tick())
    assert "0.0000001 cannot be an amount of USDC: use at most 6 decimal places." in render(reply)
    assert "No filter" in labels(reply)


async def _at_filter(core: BotCore, clock: Clock) -> Reply:
    """The wizard at its filter step, with USDC's Transfer chosen."""
    me = person()
    reply = await _at_events(core, clock, USDC)
    reply = await core.action(me, action(reply, "Transfer"), clock.tick())
    return await core.action(me, action(reply, "Done"), clock.tick())


async def _at_events(core: BotCore, clock: Clock, address: str) -> Reply:
    me = person()
    reply = await core.command(me, "subscribe", "", clock.tick())
    reply = await core.action(me, action(reply, "mainnet"), clock.tick())
    return await core.message(me, address, clock.tick())


async def test_every_step_answers_wrong_input_clearly_and_continues(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    reply = await core.command(me, "subscribe", "", clock.tick())
    reply = await core.message(me, "solana", clock.tick())
    assert "There is no chain solana here. Choose one of: mainnet, base." in render(reply)
    reply = await core.action(me, action(reply, "mainnet"), clock.tick())

    reply = await core.message(me, "0x1234", clock.tick())
    assert "0x1234 is not an address" in render(reply)
    reply = await core.message(me, USDC.replace("A0b8", "a0B8"), clock.tick())
    assert "has a wrong checksum" in render(reply)
    reply = await core.message(me, WALLET, clock.tick())
    assert f"There is no contract at {WALLET} on mainnet" in render(reply)
    reply = await core.message(me, PLAIN.lower(), clock.tick())
    assert f"Which events does {PLAIN} emit?" in render(reply)

    reply = await core.message(me, '[{"type": "event", "name": 7}]', clock.tick())
    assert "ABI entry 0 (7) has an invalid name" in render(reply)
    reply = await core.message(me, "[not json", clock.tick())
    assert "That is not valid JSON" in render(reply)
    reply = await core.message(me, "hello", clock.tick())
    assert "neither a JSON ABI nor an event signature" in render(reply)
    reply = await core.file(me, "big.json", 5 * 1024 * 1024, b"", clock.tick())
    assert "The file is too large: an ABI file may have at most 512 KB" in render(reply)
    reply = await core.message(me, "Transfer(address indexed from, uint257 v)", clock.tick())
    assert "is not valid at character" in render(reply)
    deposit = _event("Deposit", ("who", "address", True), ("amount", "uint256", False))
    artifact = {"abi": [deposit, _event("Sweep")]}
    reply = await core.file(me, "Vault.json", 2000, b"[" * 1000 + b"]" * 1000, clock.tick())
    assert "ABI entry 0" in render(reply)
    # Saved by an editor that writes a byte order mark first.
    with_bom = b"\xef\xbb\xbf" + orjson.dumps(artifact)
    reply = await core.file(me, "Vault.json", 300, with_bom, clock.tick())
    assert "Choose the events to watch" in render(reply)

    reply = await core.message(me, "Withdraw", clock.tick())
    assert "There is no event Withdraw here. Available: Deposit, Sweep." in render(reply)
    reply = await core.action(me, action(reply, "Done"), clock.tick())
    assert "Choose at least one event before tapping Done." in render(reply)
    reply = await core.message(me, "Deposit", clock.tick())
    assert "✅ Deposit" in labels(reply)
    reply = await core.action(me, action(reply, "Done"), clock.tick())

    reply = await core.message(me, "amount >>> 5", clock.tick())
    assert "The filter cannot be read at character" in render(reply)
    reply = await core.message(me, "colour == 5", clock.tick())
    assert "The event has no argument colour. Its arguments: who, amount." in render(reply)
    reply = await core.message(me, "amount >= 10", clock.tick())
    assert "Filter: amount >= 10" in render(reply)

    reply = await core.message(me, "yes please", clock.tick())
    assert "Please tap one of the buttons below" in render(reply)
    reply = await core.action(me, "w:zzzzzz:ok", clock.tick())
    assert "This button is no longer valid" in render(reply)
    reply = await core.action(me, action(reply, "Subscribe"), clock.tick())
    assert "Subscribed: 1 subscription" in render(reply)
    assert (await Subscription.get(id=1)).filter_expr == "amount >= 10"


def _event(name: str, *inputs: tuple[str, str, bool]) -> dict[str, object]:
    args = [{"name": n, "type": t, "indexed": i} for n, t, i in inputs]
    return {"type": "event", "name": name, "anonymous": False, "inputs": args}


async def test_a_restart_mid_wizard_continues_where_it_was(
    db: str, lookup: FakeChainLookup, clock: Clock
) -> None:
    me = person()
    first = BotCore(CoreSettings(chains=("mainnet", "base"), lookup=lookup))
    reply = await first.command(me, "subscribe", "", clock.tick())
    reply = await first.action(me, action(reply, "mainnet"), clock.tick())
    reply = await first.message(me, NFT, clock.tick())
    toggle = action(reply, "ApprovalForAll")

    restarted = BotCore(CoreSettings(chains=("mainnet", "base"), lookup=lookup))
    reply = await restarted.action(me, toggle, clock.tick())
    assert "✅ ApprovalForAll" in labels(reply)
    reply = await restarted.action(me, action(reply, "Transfer"), clock.tick())
    reply = await restarted.action(me, action(reply, "Done"), clock.tick())
    reply = await restarted.action(me, action(reply, "No filter"), clock.tick())
    reply = await restarted.action(me, action(reply, "Subscribe"), clock.tick())
    assert "Subscribed: 2 subscriptions (#1, #2)" in render(reply)
    names = await Subscription.all().order_by("id").values_list("event_name", flat=True)
    assert names == ["Transfer", "ApprovalForAll"]


async def test_cancel_leaves_and_old_buttons_then_expire(core: BotCore, clock: Clock) -> None:
    me = person()
    reply = await core.command(me, "subscribe", "", clock.tick())
    old = action(reply, "mainnet")
    reply = await core.command(me, "cancel", "", clock.tick())
    assert "Cancelled. Nothing was saved" in render(reply)
    assert (await WizardState.get()).step == "idle"
    reply = await core.action(me, old, clock.tick())
    assert "This button is no longer valid" in render(reply)
    reply = await core.message(me, USDC, clock.tick())
    assert "I did not understand that" in render(reply)


async def test_a_wizard_left_for_a_day_is_over(core: BotCore, clock: Clock) -> None:
    me = person()
    reply = await core.command(me, "subscribe", "", clock.tick())
    reply = await core.action(me, action(reply, "mainnet"), clock.tick(25 * 3600))
    assert "This button is no longer valid" in render(reply)
    assert await Subscription.all().count() == 0


async def test_webhook_destination_is_offered_and_used(core: BotCore, clock: Clock) -> None:
    me = person()
    await core.command(me, "webhook", "https://hooks.example.com/in", clock.tick())
    reply = await _at_events(core, clock, USDC)
    reply = await core.action(me, action(reply, "Approval"), clock.tick())
    reply = await core.action(me, action(reply, "Done"), clock.tick())
    reply = await core.action(me, action(reply, "No filter"), clock.tick())
    assert labels(reply)[:2] == ["This chat", "Webhook #1 (hooks.example.com)"]
    reply = await core.action(me, action(reply, "Webhook #1"), clock.tick())
    assert "Destination: webhook #1 (hooks.example.com)" in render(reply)
    reply = await core.action(me, action(reply, "Subscribe"), clock.tick())
    subscription = await Subscription.get(id=1)
    assert subscription.destination_id == 1
    assert await Destination.all().count() == 1


async def test_the_one_line_form_subscribes_this_chat(core: BotCore, clock: Clock) -> None:
    me = person()
    reply = await core.message(me, f"subscribe mainnet {USDC} Transfer value >= 2", clock.tick())
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    assert (await Subscription.get(id=1)).filter_expr == "value >= 2000000"
    signature = "Deposit(address indexed who, uint256 amount)"
    reply = await core.command(
        me, "subscribe", f"mainnet {PLAIN} {signature} amount > 5", clock.tick()
    )
    assert "Subscribed: 1 subscription (#2)" in render(reply)
    reply = await core.message(me, f"subscribe mainnet {PLAIN} Deposit", clock.tick())
    assert "give the full signature" in render(reply)
    reply = await core.message(me, "subscribe mainnet 0x12 Transfer", clock.tick())
    assert "0x12 is not an address" in render(reply)
    assert "One-line form" in render(reply)
    reply = await core.message(me, f"subscribe mainnet {USDC} Transfer colour == 1", clock.tick())
    assert "The event has no argument colour" in render(reply)
    assert await Subscription.all().count() == 2


async def test_a_wizard_started_with_chain_address_and_filter_lands_on_the_events(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    reply = await core.subscribe_with(me, "Mainnet", USDC.lower(), clock.tick(), " value > 1.5 ")
    assert "Detected: an ERC-20 token, USDC." in render(reply)
    reply = await core.action(me, action(reply, "Transfer"), clock.tick())
    reply = await core.action(me, action(reply, "Done"), clock.tick())
    assert f"Contract: {USDC}\nEvents: Transfer\nFilter: value > 1.5" in render(reply)
    reply = await core.action(me, action(reply, "Subscribe"), clock.tick())
    assert "Subscribed: 1 subscription (#1)" in render(reply)
    assert (await Subscription.get(id=1)).filter_expr == "value > 1500000"


async def test_a_given_filter_that_fits_no_chosen_event_is_asked_for_again(
    core: BotCore, clock: Clock
) -> None:
    me = person()
    reply = await core.subscribe_with(me, "mainnet", USDC, clock.tick(), "colour == 1")
    reply = await core.action(me, action(reply, "Approval"), clock.tick())
    reply = await core.action(me, action(reply, "Done"), clock.tick())
    assert "The event has no argument colour" in render(reply)
    reply = await core.action(me, action(reply, "No filter"), clock.tick())
    assert "Filter: —" in render(reply)


async def test_given_answers_are_refused_exactly_as_typed_ones(core: BotCore, clock: Clock) -> None:
    me = person()
    for chain, address in (
        ("solana", USDC),
        ("mainnet", "0x1234"),
        ("mainnet", USDC.replace("A0b8", "a0B8")),
        ("mainnet", WALLET),
        ("mainnet", PLAIN.lower()),
    ):
        given = await core.subscribe_with(me, chain, address, clock.tick())
        typed = await core.command(me, "subscribe", "", clock.tick())
        typed = await core.message(me, chain, clock.tick())
        if chain == "mainnet":
            typed = await core.message(me, address, clock.tick())
        assert render(given) == render(typed)
        assert labels(given) == labels(typed)
    assert "0x1234 is not an address" in render(
        await core.subscribe_with(me, "mainnet", "0x1234", clock.tick())
    )
    assert await Subscription.all().count() == 0


async def test_only_admins_start_a_groups_wizard_with_answers(core: BotCore, clock: Clock) -> None:
    member = group_member("7", admin=False)
    reply = await core.subscribe_with(member, "mainnet", USDC, clock.tick())
    assert render(reply) == translate("en", "bot.group.admins_only")
    assert await WizardState.all().count() == 0
