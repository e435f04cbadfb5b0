"""Normalized, chain-family-neutral records that flow from the adapters to the watcher core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from watcher.cosmos_denoms import Denom


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """The part of a block the watcher core needs: identity, link to its parent, time, bloom."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int
    logs_bloom: bytes = b""


# The records made once per log are NamedTuples: a frozen dataclass's __init__ costs about five
# times as much, which a catch-up of 100,000 logs feels.


class RawLog(NamedTuple):
    """One EVM log as the node returned it; hex strings are lower-case and 0x-prefixed."""

    block_number: int
    block_hash: str
    transaction_hash: str
    transaction_index: int
    log_index: int
    address: str
    topics: tuple[str, ...]
    data: str


class ChainEvent(NamedTuple):
    """A decoded (or, when no ABI fits, raw) event that matched, ready to be stored.

    `args` is JSON-safe (integers as decimal strings, addresses lower-case, bytes 0x-hex).
    `name` is None and `args` empty when the log could not be decoded; the raw topics and
    data are always kept so nothing is dropped silently.
    """

    chain: str
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int
    emitter: str
    selector: str | None
    name: str | None
    args: dict[str, Any]
    topics: tuple[str, ...]
    data: str
    msg_index: int | None = None
    """Cosmos chains: the message of the transaction that emitted it, when known."""


class Match(NamedTuple):
    """An event paired with the subscriptions (and their destinations) it matched."""

    event: ChainEvent
    targets: tuple[tuple[int, int], ...] = ()
    """(subscription_id, destination_id) pairs."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Persisted progress of one chain: the last block fully processed and its hash."""

    chain: str
    block_number: int
    block_hash: str


@dataclass(frozen=True, slots=True)
class ChainSpec:
    """How to watch one configured chain (built by the app from the settings).

    `chain_id` is an integer on EVM chains (EIP-155) and CometBFT's network id, a string such
    as "cosmoshub-4", on Cosmos chains. The Cosmos fields keep neutral defaults elsewhere."""

    name: str
    family: str
    chain_id: int | str
    rpc_urls: tuple[str, ...] = field(repr=False)  # may carry provider keys
    ws_url: str | None = field(default=None, repr=False)
    confirmations: int = 0
    poll_interval_s: float = 2.0
    max_block_range: int = 2000
    start_block: int | None = None
    """None means: start at the head when the chain has no cursor yet."""
    explorer_url: str | None = None
    max_reorg_depth: int = 128
    quiet_after_s: float | None = None
    """A chain whose newest block is this old has stopped making blocks, and its subscribers
    are told; None: never (a chain that makes blocks only on demand is often silent)."""
    bech32_prefix: str | None = None
    """Cosmos: the account address prefix (`cosmos`, `osmo`)."""
    validator_prefix: str | None = None
    """Cosmos: validator operators' address prefix as configured; None for the SDK's default
    (validator_prefix_of)."""
    denoms: tuple[Denom, ...] = ()
    """Cosmos: the denominations amounts may be written in."""
    rest_url: str | None = field(default=None, repr=False)  # may carry provider keys
    """Cosmos: the SDK's REST (LCD) API."""
    fetch_concurrency: int = 8
    """Heights fetched at once while catching up (Cosmos reads a block per request)."""


def validator_prefix_of(bech32_prefix: str, configured: str | None = None) -> str:
    """A Cosmos chain's validator operator address prefix: the configured one, else the SDK's
    default, the account prefix and `valoper` (`cosmos` -> `cosmosvaloper`)."""
    return configured or f"{bech32_prefix}valoper"
