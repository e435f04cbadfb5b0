"""Logs-bloom checks against the blooms of real anvil blocks."""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from tests.support.anvil import AnvilNode
from tests.support.token import Token
from watcher.bloom import BloomQuery, bloom_positions

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
APPROVAL_TOPIC = "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"
ALICE = "0x" + "a1" * 20
OTHER = "0x" + "99" * 20


async def block_of(anvil: AnvilNode, number: str) -> dict[str, Any]:
    return dict(await anvil.rpc("eth_getBlockByNumber", number, False))


def bloom_of(block: dict[str, Any]) -> bytes:
    return bytes.fromhex(block["logsBloom"][2:])


async def test_a_block_with_a_transfer_may_match_its_token_and_topic_only(
    anvil: AnvilNode, token: Token
) -> None:
    receipt = await anvil.receipt(await token.transfer(ALICE, 5))
    bloom = bloom_of(await block_of(anvil, receipt["blockNumber"]))
    assert BloomQuery.build([token.address], [TRANSFER_TOPIC]).may_match(bloom)
    assert BloomQuery.build([to_checksum_address(token.address)], None).may_match(bloom)
    assert BloomQuery.build([OTHER, token.address], [APPROVAL_TOPIC, TRANSFER_TOPIC]).may_match(
        bloom
    )
    assert not BloomQuery.build([OTHER], [TRANSFER_TOPIC]).may_match(bloom)
    assert not BloomQuery.build([OTHER], None).may_match(bloom)
    assert not BloomQuery.build([token.address], [APPROVAL_TOPIC]).may_match(bloom)
    assert not BloomQuery.build([token.address], []).may_match(bloom)


async def test_a_block_bloom_is_the_union_of_the_positions_of_its_addresses_and_topics(
    anvil: AnvilNode, token: Token
) -> None:
    receipt = await anvil.receipt(await token.batch_transfer("0x" + "00" * 19 + "10", 6, 1))
    expected = 0
    for log in receipt["logs"]:
        for item in [log["address"], *log["topics"]]:
            for bit in bloom_positions(bytes.fromhex(item[2:])):
                expected |= 1 << bit
    assert (
        int.from_bytes(bloom_of(await block_of(anvil, receipt["blockNumber"])), "big") == expected
    )


async def test_an_empty_block_matches_nothing(anvil: AnvilNode, token: Token) -> None:
    await anvil.mine(1)
    bloom = bloom_of(await block_of(anvil, "latest"))
    assert bloom == bytes(256)
    assert not BloomQuery.build([token.address], None).may_match(bloom)


def test_empty_blooms_match_nothing_and_unreadable_ones_may_match() -> None:
    query = BloomQuery.build([ALICE], [TRANSFER_TOPIC])
    assert not query.may_match(b"")
    assert not query.may_match(bytes(256))
    assert query.may_match(b"\xff" * 256)
    assert query.may_match(b"\xff" * 100)
    assert not BloomQuery.build([], None).may_match(b"\xff" * 256)


def test_bloom_positions_are_eleven_bit_numbers() -> None:
    for item in (b"", bytes(20), bytes.fromhex(TRANSFER_TOPIC[2:])):
        assert all(0 <= bit < 2048 for bit in bloom_positions(item))
