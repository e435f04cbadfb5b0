"""The population bench.matching measures: users' subscriptions as the bot stores them, and
logs shaped like a busy chain's, a few of them sent to the subscribers' own wallets."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.models import Contract, Destination, Subscription, User
from watcher.abi import event_selector, normalize_event
from watcher.filters import parse_filter
from watcher.standards import STANDARDS
from watcher.types import RawLog

BATCH_ROWS = 5_000
LOGS_PER_BLOCK = 200
UNWATCHED_CONTRACTS = 5_000
OTHER_WALLETS = 100_000
THRESHOLD_DIGITS = (5, 6, 7)
"""`value >= d * 10**(decimals + k)` for d in 1 and 5 and these k: round amounts, as people
write them, of 100,000 units and more."""
AMOUNT_DIGITS = (-2, 6)
"""Transferred amounts are spread evenly in magnitude from 0.01 to 1,000,000 units."""
SYNC_TOPIC = "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"
STANDARD_ABIS = {name: [normalize_event(e) for e in events] for name, events in STANDARDS.items()}
EVENTS = {(standard, e["name"]): e for standard, abi in STANDARD_ABIS.items() for e in abi}
SELECTORS = {key: event_selector(event) for key, event in EVENTS.items()}
TRANSFER = SELECTORS[("erc20", "Transfer")]


@dataclass(frozen=True)
class PopulationOptions:
    users: int = 10_000
    subscriptions_per_user: int = 10
    tokens: int = 300
    collections: int = 100
    multi_tokens: int = 20
    logs: int = 200_000
    watched_share: float = 0.6
    """Of all logs, the share emitted by contracts somebody subscribed to."""
    hit_share: float = 0.01
    """Of those, the share sent from or to a wallet one of their subscribers filters on."""
    seed: int = 1


@dataclass(frozen=True)
class Kind:
    """A kind of subscription: the standard, the event and the filter people write."""

    name: str
    share: float
    standard: str
    event: str
    template: str
    """The filter with {wallet} and {threshold} to fill in; blank for every event."""


KINDS = (
    Kind("ERC-20 Transfer to my wallet", 0.45, "erc20", "Transfer", "to == {wallet}"),
    Kind("ERC-20 Transfer from my wallet", 0.12, "erc20", "Transfer", "from == {wallet}"),
    Kind(
        "ERC-20 Transfer from or to my wallet",
        0.08,
        "erc20",
        "Transfer",
        "from == {wallet} or to == {wallet}",
    ),
    Kind("ERC-20 Transfer of a large amount", 0.10, "erc20", "Transfer", "value >= {threshold}"),
    Kind("ERC-20 Transfer, every one", 0.03, "erc20", "Transfer", ""),
    Kind("ERC-20 Approval by my wallet", 0.05, "erc20", "Approval", "owner == {wallet}"),
    Kind("ERC-721 Transfer to my wallet", 0.08, "erc721", "Transfer", "to == {wallet}"),
    Kind("ERC-721 Transfer, every one", 0.02, "erc721", "Transfer", ""),
    Kind(
        "ERC-1155 TransferSingle to my wallet", 0.07, "erc1155", "TransferSingle", "to == {wallet}"
    ),
)


@dataclass(frozen=True)
class WatchedContract:
    address: str
    standard: str
    weight: float
    """How busy it is: Zipf by rank, so the first is a USDC among the tokens."""
    decimals: int | None


@dataclass(frozen=True)
class PlannedSubscription:
    user: int
    kind: Kind
    contract: WatchedContract
    selector: str
    filter_expr: str
    wallet: str


@dataclass(frozen=True)
class Population:
    options: PopulationOptions
    contracts: dict[str, list[WatchedContract]]
    """By standard."""
    subscriptions: list[PlannedSubscription]


def new_address(rng: random.Random) -> str:
    return "0x" + rng.randbytes(20).hex()


def plan_population(options: PopulationOptions) -> Population:
    """Every user gets one or two wallets and their subscriptions, each of a random kind."""
    rng = random.Random(options.seed)
    sizes = {
        "erc20": options.tokens,
        "erc721": options.collections,
        "erc1155": options.multi_tokens,
    }
    contracts = {
        standard: [
            WatchedContract(
                new_address(rng),
                standard,
                1 / (rank + 1),
                (6 if rank % 5 == 0 else 18) if standard == "erc20" else None,
            )
            for rank in range(size)
        ]
        for standard, size in sizes.items()
    }
    kinds = rng.choices(
        KINDS, [kind.share for kind in KINDS], k=options.users * options.subscriptions_per_user
    )
    subscriptions = []
    for user in range(options.users):
        wallets = [new_address(rng) for _ in range(rng.choice((1, 1, 1, 2)))]
        for i in range(options.subscriptions_per_user):
            kind = kinds[user * options.subscriptions_per_user + i]
            subscriptions.append(_plan_one(rng, user, kind, contracts[kind.standard], wallets))
    return Population(options, contracts, subscriptions)


def _plan_one(
    rng: random.Random,
    user: int,
    kind: Kind,
    contracts: list[WatchedContract],
    wallets: list[str],
) -> PlannedSubscription:
    if kind.template:
        contract = rng.choices(contracts, [c.weight for c in contracts])[0]
    else:
        # Every event: of the quieter half, as nobody asks for every transfer of a USDC.
        contract = rng.choice(contracts[len(contracts) // 2 :])
    wallet = rng.choice(wallets)
    threshold = rng.choice((1, 5)) * 10 ** ((contract.decimals or 0) + rng.choice(THRESHOLD_DIGITS))
    text = kind.template.format(wallet=wallet, threshold=threshold)
    # Stored as the bot stores it: the filter's normalized text.
    filter_expr = parse_filter(text, EVENTS[(kind.standard, kind.event)]).source
    selector = SELECTORS[(kind.standard, kind.event)]
    return PlannedSubscription(user, kind, contract, selector, filter_expr, wallet)


async def save_population(population: Population, chain: str) -> None:
    """The rows the bot makes, in bulk: a user with a Telegram chat each, and per subscription
    one contract with its standard's ABI (the bot makes one per order) and the subscription."""
    users = population.options.users
    await User.bulk_create([User() for _ in range(users)], batch_size=BATCH_ROWS)
    user_ids = [int(row["id"]) for row in await User.all().order_by("id").values("id")]
    await Destination.bulk_create(
        [
            Destination(
                user_id=user_id,
                kind="telegram",
                target=str(10**9 + user_id),
                added_by=f"telegram:{10**9 + user_id}",
            )
            for user_id in user_ids
        ],
        batch_size=BATCH_ROWS,
    )
    destinations = {
        int(row["user_id"]): int(row["id"])
        for row in await Destination.all().values("user_id", "id")
    }
    planned = population.subscriptions
    await Contract.bulk_create(
        [
            Contract(
                chain=chain,
                address=p.contract.address,
                abi=STANDARD_ABIS[p.contract.standard],
                standard=p.contract.standard,
                symbol=f"T{p.contract.address[2:6]}" if p.contract.decimals else None,
                decimals=p.contract.decimals,
            )
            for p in planned
        ],
        batch_size=BATCH_ROWS,
    )
    # Rows inserted in one statement get their ids in the order given.
    contract_ids = [int(row["id"]) for row in await Contract.all().order_by("id").values("id")]
    await Subscription.bulk_create(
        [
            Subscription(
                user_id=user_ids[p.user],
                contract_id=contract_id,
                destination_id=destinations[user_ids[p.user]],
                chain=chain,
                event_name=p.kind.event,
                selector=p.selector,
                filter_expr=p.filter_expr,
                instant=True,
            )
            for p, contract_id in zip(planned, contract_ids, strict=True)
        ],
        batch_size=BATCH_ROWS,
    )


def check_fetched(population: Population, fetched: Sequence[Any]) -> None:
    """The storage layer gave back exactly the planned subscriptions (ordered by id)."""
    got = [(s.address, s.selector, s.filter_expr) for s in fetched]
    want = [(p.contract.address, p.selector, p.filter_expr) for p in population.subscriptions]
    if got != want:
        raise AssertionError(f"fetched {len(got)} subscriptions unlike the {len(want)} planned")


# --- logs ---------------------------------------------------------------------------------


def make_logs(population: Population, watched_share: float | None = None) -> list[RawLog]:
    """The logs to match; each holds its own strings, as logs parsed from a node's answer do."""
    options = population.options
    share = options.watched_share if watched_share is None else watched_share
    rng = random.Random(options.seed + 1)
    watched = [c for group in population.contracts.values() for c in group]
    chosen = rng.choices(watched, [c.weight for c in watched], k=options.logs)
    unwatched = [new_address(rng) for _ in range(min(UNWATCHED_CONTRACTS, options.logs))]
    others = [new_address(rng) for _ in range(min(OTHER_WALLETS, options.logs))]
    filtered = _filtered_wallets(population)
    logs = []
    for number in range(options.logs):
        if rng.random() < share:
            contract = chosen[number]
            topics, data = _watched_log(rng, contract, filtered, others, options.hit_share)
            address = contract.address
        else:
            address = rng.choice(unwatched)
            topics, data = _unwatched_log(rng, others)
        logs.append(_raw_log(number, address, topics, data))
    return logs


def _filtered_wallets(population: Population) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(contract, event) -> the (argument, wallet) pairs its subscribers filter on."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for p in population.subscriptions:
        if "{wallet}" in p.kind.template:
            argument = p.kind.template.split(" ", 1)[0]
            found[(p.contract.address, p.kind.event)].append((argument, p.wallet))
    return found


def _watched_log(
    rng: random.Random,
    contract: WatchedContract,
    filtered: dict[tuple[str, str], list[tuple[str, str]]],
    others: list[str],
    hit_share: float,
) -> tuple[list[str], str]:
    event = {"erc20": "Transfer", "erc721": "Transfer", "erc1155": "TransferSingle"}
    name = event[contract.standard]
    if contract.standard == "erc20" and rng.random() < 0.1:
        name = "Approval"
    args = {"from": rng.choice(others), "to": rng.choice(others), "owner": rng.choice(others)}
    wallets = filtered.get((contract.address, name))
    if wallets and rng.random() < hit_share:
        argument, wallet = rng.choice(wallets)
        args[argument] = wallet
    spender = rng.choice(others)
    selector = SELECTORS[(contract.standard, name)]
    if contract.standard == "erc20":
        low, high = ((contract.decimals or 0) + digits for digits in AMOUNT_DIGITS)
        amount = int(10 ** rng.uniform(low, high))
        first, second = (
            (args["owner"], spender) if name == "Approval" else (args["from"], args["to"])
        )
        return [selector, _topic(first), _topic(second)], _words(amount)
    if contract.standard == "erc721":
        token_id = rng.randrange(10_000)
        return [selector, _topic(args["from"]), _topic(args["to"]), _word(token_id)], "0x"
    topics = [selector, _topic(spender), _topic(args["from"]), _topic(args["to"])]
    return topics, _words(rng.randrange(1_000), rng.randrange(1, 100))


def _unwatched_log(rng: random.Random, others: list[str]) -> tuple[list[str], str]:
    if rng.random() < 0.7:
        sender, recipient = rng.choice(others), rng.choice(others)
        return [TRANSFER, _topic(sender), _topic(recipient)], _words(rng.randrange(10**20))
    return [SYNC_TOPIC], _words(rng.randrange(10**24), rng.randrange(10**24))


def _topic(address: str) -> str:
    return "0x" + "0" * 24 + address[2:]


def _word(value: int) -> str:
    return "0x" + f"{value:064x}"


def _words(*values: int) -> str:
    return "0x" + "".join(f"{value:064x}" for value in values)


def _raw_log(number: int, address: str, topics: list[str], data: str) -> RawLog:
    block = number // LOGS_PER_BLOCK
    return RawLog(
        block_number=block,
        block_hash=_word(block),
        transaction_hash=_word(number // 2),
        transaction_index=number % LOGS_PER_BLOCK // 2,
        log_index=number % LOGS_PER_BLOCK,
        # New string objects: a shared one would let dictionary look-ups stop at identity.
        address="0x" + address[2:],
        topics=tuple("0x" + topic[2:] for topic in topics),
        data=data,
    )
