"""Logs-bloom checks that let the watcher skip blocks which cannot hold a subscribed log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eth_hash.auto import keccak

BLOOM_BYTES = 256


def bloom_positions(item: bytes) -> tuple[int, int, int]:
    """The three bloom bits of `item` (Yellow Paper, section 4.3.1), counted from the least
    significant bit of the 2048-bit big-endian bloom."""
    digest = keccak(item)
    return (
        int.from_bytes(digest[0:2], "big") & 2047,
        int.from_bytes(digest[2:4], "big") & 2047,
        int.from_bytes(digest[4:6], "big") & 2047,
    )


def _mask(hex_item: str) -> int:
    mask = 0
    for bit in bloom_positions(bytes.fromhex(hex_item.removeprefix("0x"))):
        mask |= 1 << bit
    return mask


@dataclass(frozen=True, slots=True)
class BloomQuery:
    """Bit masks of the subscribed emitters and topic0s, built once per subscription index."""

    address_masks: tuple[int, ...]
    topic0_masks: tuple[int, ...] | None
    """None: any topic0 (some subscription takes every event of its emitter)."""

    @classmethod
    def build(cls, addresses: Iterable[str], topic0s: Iterable[str] | None) -> BloomQuery:
        """From lower- or mixed-case 0x hex addresses and topic0s."""
        address_masks = tuple(sorted({_mask(address) for address in addresses}))
        topic0_masks = None if topic0s is None else tuple(sorted({_mask(t) for t in topic0s}))
        return cls(address_masks, topic0_masks)

    def may_match(self, bloom: bytes) -> bool:
        """False only when the block surely has no log of a subscribed emitter and topic0.

        A bloom of an unexpected length cannot be read, so it may match: skipping a block
        wrongly would lose events, reading it needlessly only costs a request.
        """
        if len(bloom) != BLOOM_BYTES:
            return len(bloom) != 0
        bits = int.from_bytes(bloom, "big")
        if not any(bits & mask == mask for mask in self.address_masks):
            return False
        if self.topic0_masks is None:
            return True
        return any(bits & mask == mask for mask in self.topic0_masks)
