"""Test-data builders: rows a test needs, made with the models, with sensible defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.models import Contract, Destination, Subscription, User
from watcher.types import ChainEvent, Match

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


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
