"""The EVM adapter: pure parsing and range checks, then headers and logs from a real anvil."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from eth_utils import keccak

from tests.fakes.rpc_proxy import RpcProxy
from tests.support.anvil import DEV_ACCOUNT, AnvilNode
from tests.support.token import Token
from watcher.evm import EvmAdapter, RangeResult, parse_header, parse_logs, verify_range
from watcher.rpc import RpcClient
from watcher.rpc_errors import RpcRangeTooLarge, RpcTransient
from watcher.types import BlockHeader, RawLog

TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
APPROVAL = "0x" + keccak(text="Approval(address,address,uint256)").hex()


def word(value: int | str) -> str:
    number = int(value, 16) if isinstance(value, str) else value
    return "0x" + f"{number:064x}"


def recipient(offset: int) -> str:
    return "0x" + f"{0xB0B0 + offset:040x}"


@pytest.fixture
async def proxy(anvil: AnvilNode) -> AsyncIterator[RpcProxy]:
    started = await RpcProxy.start(anvil.url, seed=5)
    yield started
    await started.stop()


@pytest.fixture
async def adapter(anvil: AnvilNode) -> AsyncIterator[EvmAdapter]:
    async with RpcClient([anvil.url]) as client:
        yield EvmAdapter(client)


def block_json(number: int, **changes: Any) -> dict[str, Any]:
    block = {
        "number": hex(number),
        "hash": word(number + 1000),
        "parentHash": word(number + 999),
        "timestamp": hex(1_700_000_000 + number),
        "logsBloom": "0x" + "00" * 255 + "01",
    }
    return {**block, **changes}


def log_json(block: int, index: int, **changes: Any) -> dict[str, Any]:
    entry = {
        "address": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "topics": [TRANSFER.upper().replace("0X", "0x"), word(1), word(2)],
        "data": word(5),
        "blockNumber": hex(block),
        "blockHash": word(block + 1000),
        "transactionHash": word(77),
        "transactionIndex": "0x0",
        "logIndex": hex(index),
        "removed": False,
    }
    return {**entry, **changes}


def test_a_header_parses_with_its_bloom_as_bytes() -> None:
    header = parse_header(block_json(7))
    assert header == BlockHeader(7, word(1007), word(1006), 1_700_000_007, bytes(255) + b"\x01")


@pytest.mark.parametrize("missing", ["number", "hash", "parentHash", "timestamp"])
def test_a_header_without_a_field_is_a_transient_malformed_answer(missing: str) -> None:
    block = block_json(7)
    del block[missing]
    with pytest.raises(RpcTransient, match="malformed"):
        parse_header(block)


def test_logs_parse_to_lower_case_hex_and_integers() -> None:
    (parsed,) = parse_logs([log_json(9, 3)])
    assert parsed == RawLog(
        block_number=9,
        block_hash=word(1009),
        transaction_hash=word(77),
        transaction_index=0,
        log_index=3,
        address="0x5fbdb2315678afecb367f032d93f642f64180aa3",
        topics=(TRANSFER, word(1), word(2)),
        data=word(5),
    )


@pytest.mark.parametrize(
    "broken",
    [
        {"removed": True},
        {"blockNumber": None},
        {"logIndex": "twelve"},
        {"topics": None},
    ],
)
def test_a_removed_or_incomplete_log_is_a_transient_malformed_answer(
    broken: dict[str, Any],
) -> None:
    with pytest.raises(RpcTransient, match="malformed"):
        parse_logs([log_json(9, 0), log_json(9, 1, **broken)])


def consistent_range() -> RangeResult:
    before = parse_header(block_json(9))
    last = parse_header(block_json(12))
    logs = parse_logs([log_json(10, 0), log_json(10, 1), log_json(12, 0)])
    return RangeResult(logs, before, last)


def test_a_consistent_range_passes_the_checks() -> None:
    verify_range(consistent_range(), 10, 12)


def shifted(position: int, **changes: Any) -> RangeResult:
    result = consistent_range()
    logs = list(result.logs)
    logs[position] = logs[position]._replace(**changes)
    return replace(result, logs=logs)


@pytest.mark.parametrize(
    "broken",
    [
        shifted(0, block_number=9),
        shifted(2, block_number=13),
        shifted(2, block_hash=word(1)),
        shifted(1, block_hash=word(1)),
        shifted(1, log_index=0),
        shifted(0, log_index=5),
        replace(consistent_range(), before=parse_header(block_json(8))),
        replace(consistent_range(), last=parse_header(block_json(11))),
    ],
    ids=[
        "log-before-range",
        "log-after-range",
        "last-block-hash-differs",
        "two-hashes-in-one-block",
        "duplicate-index",
        "out-of-order",
        "wrong-before-header",
        "wrong-last-header",
    ],
)
def test_an_inconsistent_range_is_transient(broken: RangeResult) -> None:
    with pytest.raises(RpcTransient):
        verify_range(broken, 10, 12)


def test_a_one_block_range_must_link_to_the_block_before() -> None:
    before = parse_header(block_json(9))
    last = parse_header(block_json(10, parentHash=word(1)))
    with pytest.raises(RpcTransient, match="does not follow"):
        verify_range(RangeResult([], before, last), 10, 10)


async def test_headers_link_to_their_parents_across_mined_blocks(
    anvil: AnvilNode, adapter: EvmAdapter
) -> None:
    await anvil.mine(5)
    head = await anvil.block_number()
    headers = await adapter.fetch_headers(list(range(head + 1)))
    assert [header.number for header in headers] == list(range(head + 1))
    for parent, child in itertools.pairwise(headers):
        assert child.parent_hash == parent.hash
        assert child.timestamp >= parent.timestamp
    assert headers[-1].hash == await anvil.block_hash(head)
    assert await adapter.fetch_latest() == headers[-1]


async def test_a_long_header_list_is_fetched_in_batches_of_bounded_size(
    anvil: AnvilNode, proxy: RpcProxy
) -> None:
    await anvil.mine(150)
    async with RpcClient([proxy.url]) as client:
        headers = await EvmAdapter(client).fetch_headers(list(range(1, 151)))
    assert [header.number for header in headers] == list(range(1, 151))
    assert all(child.parent_hash == parent.hash for parent, child in itertools.pairwise(headers))
    assert proxy.requests == 2


async def test_fetch_range_returns_the_tokens_transfer_logs_with_their_fields(
    anvil: AnvilNode, token: Token, adapter: EvmAdapter
) -> None:
    first = await anvil.block_number() + 1
    receipts = [
        await anvil.receipt(await token.transfer(recipient(0), 5)),
        await anvil.receipt(await token.batch_transfer(recipient(1), 3, 7)),
        await anvil.receipt(await token.approve(recipient(9), 1)),
    ]
    head = await anvil.block_number()
    result = await adapter.fetch_range(first, head, [token.address], [TRANSFER])
    assert result.before.number == first - 1 and result.last.number == head
    assert result.last.hash == await anvil.block_hash(head)
    expected = [entry for receipt in receipts[:2] for entry in receipt["logs"]]
    assert [entry.transaction_hash for entry in result.logs] == [
        entry["transactionHash"] for entry in expected
    ]
    assert [entry.topics[2] for entry in result.logs] == [word(recipient(n)) for n in range(4)]
    assert [entry.data for entry in result.logs] == [word(5), word(7), word(7), word(7)]
    assert [entry.log_index for entry in result.logs] == [0, 0, 1, 2]
    for entry, raw in zip(result.logs, expected, strict=True):
        assert entry.address == token.address
        assert entry.topics[:2] == (TRANSFER, word(DEV_ACCOUNT))
        assert entry.block_number == int(raw["blockNumber"], 16)
        assert entry.block_hash == raw["blockHash"]


async def test_fetch_logs_without_topics_returns_every_event_of_the_emitter(
    anvil: AnvilNode, token: Token, adapter: EvmAdapter
) -> None:
    await anvil.receipt(await token.transfer(recipient(0), 5))
    await anvil.receipt(await token.approve(recipient(1), 9))
    head = await anvil.block_number()
    every = await adapter.fetch_logs(1, head, [token.address], None)
    transfers = await adapter.fetch_logs(1, head, [token.address], [TRANSFER])
    others = await adapter.fetch_logs(1, head, ["0x" + "11" * 20], None)
    assert [entry.topics[0] for entry in every] == [TRANSFER, TRANSFER, APPROVAL]
    assert [entry.topics[0] for entry in transfers] == [TRANSFER, TRANSFER]
    assert others == []


async def test_fetch_range_costs_three_calls_in_one_request(
    anvil: AnvilNode, token: Token, proxy: RpcProxy
) -> None:
    await anvil.mine(20)
    async with RpcClient([proxy.url]) as client:
        await EvmAdapter(client).fetch_range(1, await anvil.block_number(), [token.address], None)
    assert proxy.requests == 1
    assert sum(proxy.calls.values()) == 3


async def test_a_null_block_raises_transient_instead_of_returning_empty(
    anvil: AnvilNode, token: Token, proxy: RpcProxy
) -> None:
    await anvil.receipt(await token.transfer(recipient(0), 5))
    head = await anvil.block_number()
    proxy.faults.null_blocks.probability = 1.0
    async with RpcClient([proxy.url], attempts=2) as client:
        adapter = EvmAdapter(client)
        with pytest.raises(RpcTransient, match="null"):
            await adapter.fetch_range(1, head, [token.address], [TRANSFER])
        with pytest.raises(RpcTransient, match="null"):
            await adapter.fetch_headers([head - 1, head])
        with pytest.raises(RpcTransient, match="null"):
            await adapter.fetch_latest()


async def test_a_node_that_is_behind_is_never_taken_for_blocks_without_events(
    anvil: AnvilNode, token: Token, proxy: RpcProxy
) -> None:
    first = await anvil.block_number() + 1
    await anvil.receipt(await token.transfer(recipient(0), 5))
    await anvil.receipt(await token.transfer(recipient(1), 5))
    head = await anvil.block_number()
    proxy.faults.behind.probability = 1.0
    proxy.faults.behind_blocks = 2
    async with RpcClient([proxy.url], attempts=2) as client:
        adapter = EvmAdapter(client)
        assert (await adapter.fetch_latest()).number == head - 2
        with pytest.raises(RpcTransient):
            await adapter.fetch_range(first, head, [token.address], [TRANSFER])


async def test_a_lagging_node_fails_over_to_one_that_has_the_blocks(
    anvil: AnvilNode, token: Token, proxy: RpcProxy
) -> None:
    first = await anvil.block_number() + 1
    await anvil.receipt(await token.transfer(recipient(0), 5))
    head = await anvil.block_number()
    proxy.faults.behind.probability = 1.0
    async with RpcClient([proxy.url, anvil.url]) as client:
        result = await EvmAdapter(client).fetch_range(first, head, [token.address], [TRANSFER])
    assert [entry.topics[2] for entry in result.logs] == [word(recipient(0))]
    assert proxy.calls["eth_getLogs"] == 1


async def test_block_receipts_reveal_logs_that_a_lagging_log_index_hides(
    anvil: AnvilNode, token: Token, proxy: RpcProxy
) -> None:
    receipt = await anvil.receipt(await token.transfer(recipient(0), 5))
    head = await anvil.block_number()
    proxy.faults.empty_logs.probability = 1.0
    async with RpcClient([proxy.url]) as client:
        adapter = EvmAdapter(client)
        assert await adapter.fetch_logs(head, head, [token.address], [TRANSFER]) == []
        from_receipts = await adapter.fetch_block_logs(head, receipt["blockHash"])
    assert [entry.transaction_hash for entry in from_receipts] == [receipt["transactionHash"]]
    assert from_receipts[0].topics == (TRANSFER, word(DEV_ACCOUNT), word(recipient(0)))


async def test_receipts_of_an_unknown_block_hash_are_transient(anvil: AnvilNode) -> None:
    async with RpcClient([anvil.url], attempts=2) as client:
        with pytest.raises(RpcTransient, match="null"):
            await EvmAdapter(client).fetch_block_logs(1, word(123456))


async def test_a_node_range_limit_reaches_the_caller_as_range_too_large(
    anvil: AnvilNode, token: Token, proxy: RpcProxy
) -> None:
    await anvil.mine(10)
    proxy.faults.max_block_range = 4
    async with RpcClient([proxy.url]) as client:
        with pytest.raises(RpcRangeTooLarge) as refused:
            await EvmAdapter(client).fetch_range(2, 10, [token.address], [TRANSFER])
    assert refused.value.suggested == (2, 5)


@pytest.mark.parametrize(("first", "last"), [(0, 3), (5, 4)])
async def test_fetch_range_refuses_ranges_without_a_block_before(
    adapter: EvmAdapter, first: int, last: int
) -> None:
    with pytest.raises(ValueError):
        await adapter.fetch_range(first, last, [], None)
