"""The other subscriptions head latency is measured among: users' subscriptions on the same
chain as the bot stores them (bench/matching_population.py), nearly all to other contracts,
one in a hundred to the measured token with a filter its transfers never meet."""

from __future__ import annotations

import math
import random
from dataclasses import replace

from bench.common import CHAIN
from bench.matching_population import (
    EVENTS,
    SELECTORS,
    STANDARD_ABIS,
    PopulationOptions,
    new_address,
    plan_population,
    save_population,
)
from storage.models import Destination
from storage.subscriptions import (
    NewEventSubscription,
    create_subscriptions,
    create_webhook_subscription,
    ensure_cli_user,
    fetch_active_subscriptions,
)
from watcher.filters import parse_filter

SUBSCRIPTIONS_PER_USER = 10
ON_TOKEN_SHARE = 0.01
LARGE_VALUE = 10**24
"""Beyond any measured transfer, which moves one base unit."""
# (event, filter): wallets are new random addresses, which the measured transfers never touch.
UNMET_FILTERS = (
    ("Transfer", "to == {wallet}"),
    ("Transfer", "from == {wallet}"),
    ("Transfer", f"value >= {LARGE_VALUE}"),
    ("Approval", "owner == {wallet}"),
)
SEED = 7
OTHER_CONTRACT = "0x" + "ab" * 20


async def save_crowd(count: int, token: str) -> None:
    """`count` active subscriptions of other users on the chain, ON_TOKEN_SHARE of them (at least
    one) to `token`'s events with filters its measured transfers do not meet."""
    on_token = max(1, round(count * ON_TOKEN_SHARE))
    elsewhere = count - on_token
    users = max(1, math.ceil(elsewhere / SUBSCRIPTIONS_PER_USER))
    population = plan_population(
        PopulationOptions(users=users, subscriptions_per_user=SUBSCRIPTIONS_PER_USER, seed=SEED)
    )
    await save_population(
        replace(population, subscriptions=population.subscriptions[:elsewhere]), CHAIN
    )
    await _save_on_token(on_token, token)
    stored = len(await fetch_active_subscriptions(CHAIN))
    if stored != count:
        raise AssertionError(f"{stored} active subscriptions on the chain, {count} planned")


async def _save_on_token(count: int, token: str) -> None:
    """One subscription at a time, as the bot saves each, by users of the crowd."""
    rng = random.Random(SEED)
    owners = await Destination.filter(kind="telegram").order_by("id").values_list("user_id", "id")
    for index in range(count):
        owner_id, destination_id = owners[index % len(owners)]
        event, template = UNMET_FILTERS[index % len(UNMET_FILTERS)]
        text = template.format(wallet=new_address(rng))
        await create_subscriptions(
            owner_id=int(owner_id),
            chain=CHAIN,
            address=token,
            abi=STANDARD_ABIS["erc20"],
            standard="erc20",
            events=[
                NewEventSubscription(
                    event,
                    SELECTORS[("erc20", event)],
                    parse_filter(text, EVENTS[("erc20", event)]).source,
                )
            ],
            destination_id=int(destination_id),
            symbol="BBT",
            decimals=18,
        )


async def add_unmatched_subscription(url: str, secret: str) -> None:
    """One more subscription, to another contract, saved as `blockbell subscribe` saves it: it
    changes the subscriptions' version, and every watcher of the chain reloads them all."""
    await create_webhook_subscription(
        user_id=await ensure_cli_user(),
        chain=CHAIN,
        address=OTHER_CONTRACT,
        abi=STANDARD_ABIS["erc20"],
        standard="erc20",
        event_name="Transfer",
        selector=SELECTORS[("erc20", "Transfer")],
        filter_expr="",
        url=url,
        secret=secret,
    )
