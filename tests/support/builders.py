"""Test-data builders: rows a test needs, made with the models, with sensible defaults."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.attempts import record_attempt
from storage.models import Contract, Delivery, Destination, Event, Subscription, User
from storage.subscriptions import create_webhook_subscription, ensure_cli_user
from watcher.types import ChainEvent, Match

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
TOKEN = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
ALICE = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
BOB = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
TX = "0x" + "bb" * 32
ERC20_ABI = [
    {
        "type": "event",
        "name": "Transfer",
        "anonymous": False,
        "inputs": [
            {"name": "from", "type": "address", "indexed": True},
            {"name": "to", "type": "address", "indexed": True},
            {"name": "value", "type": "uint256", "indexed": False},
        ],
    }
]


async def subscribe_transfers_by_webhook(
    address: str = TOKEN,
    abi: Any = None,
    *,
    chain: str = "anvil",
    url: str = "https://hooks.example/blockbell",
    secret: str = "whsec_c2VjcmV0",
) -> int:
    """A Transfer subscription made as `blockbell subscribe` makes it, which tells watchers to
    reload their index; returns its id."""
    created = await create_webhook_subscription(
        user_id=await ensure_cli_user(),
        chain=chain,
        address=address,
        abi=abi or ERC20_ABI,
        standard="erc20",
        event_name="Transfer",
        selector=TRANSFER_TOPIC,
        filter_expr="",
        url=url,
        secret=secret,
    )
    return created.subscription_id


@dataclass(frozen=True)
class Subscribed:
    user_id: int
    subscription_id: int
    destination_id: int


async def make_subscription(
    *,
    chain: str = "anvil",
    address: str = "0x" + "aa" * 20,
    abi: list[dict[str, Any]] | None = None,
    event_name: str | None = "Transfer",
    selector: str | None = TRANSFER_TOPIC,
    filter_expr: str = "",
    url: str = "http://127.0.0.1:9/hook",
    secret: str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
) -> Subscribed:
    user = await User.create()
    contract = await Contract.create(chain=chain, address=address, abi=abi or [])
    destination = await Destination.create(user=user, kind="webhook", target=url, secret=secret)
    subscription = await Subscription.create(
        user=user,
        contract=contract,
        destination=destination,
        chain=chain,
        event_name=event_name,
        selector=selector,
        filter_expr=filter_expr,
    )
    return Subscribed(user.id, subscription.id, destination.id)


def transfer_match(
    sub: Subscribed, *, block_number: int, block_hash: str, log_index: int = 0, value: int = 1
) -> Match:
    event = ChainEvent(
        chain="anvil",
        block_number=block_number,
        block_hash=block_hash,
        transaction_hash="0x" + f"{block_number:064x}",
        log_index=log_index,
        emitter="0x" + "aa" * 20,
        selector=TRANSFER_TOPIC,
        name="Transfer",
        args={"from": "0x" + "11" * 20, "to": "0x" + "22" * 20, "value": str(value)},
        topics=(TRANSFER_TOPIC,),
        data="0x",
    )
    return Match(event, ((sub.subscription_id, sub.destination_id),))


def block_hash(number: int, fork: str = "a") -> str:
    return "0x" + (fork * 2 + f"{number:062x}")[:64]


async def make_subscribed_destination(
    *,
    kind: str = "webhook",
    target: str = "https://example.com/hook",
    secret: str = "whsec_c2VjcmV0",
    abi: list[dict[str, Any]] | None = None,
) -> tuple[Subscription, Destination]:
    """A new user's destination and their subscription to TOKEN's Transfer events."""
    user = await User.create()
    contract = await Contract.create(chain="anvil", address=TOKEN, abi=abi or ERC20_ABI)
    destination = await Destination.create(user=user, kind=kind, target=target, secret=secret)
    subscription = await Subscription.create(
        user=user, contract=contract, destination=destination, chain="anvil", event_name="Transfer"
    )
    return subscription, destination


async def make_transfer_delivery(
    subscription: Subscription,
    destination: Destination,
    *,
    due_at: datetime,
    created_at: datetime | None = None,
    log_index: int = 0,
    event_name: str | None = "Transfer",
    sender: str = ALICE,
    recipient: str = BOB,
    value: int = 10**18,
    value_name: str = "value",
) -> Delivery:
    """A pending delivery of a Transfer event of TOKEN in block 7, due at `due_at`."""
    created_at = created_at or due_at
    event = await Event.create(
        id=uuid.uuid4(),
        chain="anvil",
        block_number=7,
        block_hash="0x" + "aa" * 32,
        transaction_hash=TX,
        log_index=log_index,
        contract=TOKEN,
        selector=TRANSFER_TOPIC,
        event_name=event_name,
        args={"from": sender, "to": recipient, value_name: str(value)},
        topics=[TRANSFER_TOPIC, "0x" + "00" * 12 + sender[2:], "0x" + "00" * 12 + recipient[2:]],
        data="0x" + f"{value:064x}",
        created_at=created_at,
    )
    return await Delivery.create(
        id=uuid.uuid4(),
        event=event,
        subscription=subscription,
        destination=destination,
        next_attempt_at=due_at,
        created_at=created_at,
    )


async def record_gone(delivery_id: str, at: datetime) -> None:
    """The notifier's record of a first attempt the endpoint answered 410 Gone."""
    await record_attempt(
        delivery_id,
        1,
        at,
        "http_error",
        410,
        "HTTP 410",
        3.0,
        status="dead",
        next_attempt_at=None,
        disable_destination_reason="the endpoint answered 410 Gone",
    )
