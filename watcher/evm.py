"""The EVM chain-family adapter: JSON-RPC answers turned into checked headers and logs."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from watcher.rpc import RpcClient
from watcher.rpc_errors import RpcTransient
from watcher.types import BlockHeader, RawLog

# Providers cap JSON-RPC batches (some at 100 calls); longer header lists go in several batches.
MAX_BATCH_CALLS = 100


@dataclass(frozen=True, slots=True)
class RangeResult:
    """The logs of blocks [before.number + 1 .. last.number] with the headers that frame them."""

    logs: list[RawLog]
    before: BlockHeader
    last: BlockHeader


def _malformed(what: str, exc: BaseException | None = None) -> RpcTransient:
    detail = f" ({type(exc).__name__}: {exc})" if exc else ""
    return RpcTransient(f"malformed {what} in a node's answer{detail}", kind="malformed")


def parse_header(block: dict[str, Any]) -> BlockHeader:
    """A block (as eth_getBlockByNumber or newHeads sends it) as a BlockHeader."""
    try:
        bloom = block.get("logsBloom") or "0x"
        return BlockHeader(
            number=int(block["number"], 16),
            hash=block["hash"].lower(),
            parent_hash=block["parentHash"].lower(),
            timestamp=int(block["timestamp"], 16),
            logs_bloom=bytes.fromhex(bloom[2:]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _malformed("block", exc) from exc


def parse_logs(raw: list[dict[str, Any]]) -> list[RawLog]:
    """Logs as eth_getLogs returns them; a removed or incomplete log makes the answer malformed."""
    try:
        logs = [
            RawLog(
                int(item["blockNumber"], 16),
                item["blockHash"].lower(),
                item["transactionHash"].lower(),
                int(item["transactionIndex"], 16),
                int(item["logIndex"], 16),
                item["address"].lower(),
                tuple(map(str.lower, item["topics"])),
                item["data"].lower(),
            )
            for item in raw
            if item.get("removed") is not True
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _malformed("log", exc) from exc
    if len(logs) != len(raw):
        # A log the node itself marks as removed belongs to an orphaned block: the node's view
        # moved while answering, so the whole answer is stale.
        raise _malformed("log list (a log marked removed)")
    return logs


def _inconsistent(message: str) -> RpcTransient:
    return RpcTransient(message, kind="inconsistent")


def verify_logs(logs: Sequence[RawLog], from_block: int, to_block: int) -> None:
    """Raises RpcTransient unless every log lies in the range, in (block, index) order."""
    previous: RawLog | None = None
    for entry in logs:
        if not from_block <= entry.block_number <= to_block:
            raise _inconsistent(
                f"log of block {entry.block_number} outside {from_block}..{to_block}"
            )
        _check_order(previous, entry)
        previous = entry


def verify_range(result: RangeResult, from_block: int, to_block: int) -> None:
    """Raises RpcTransient unless the logs and headers describe one consistent view of a range."""
    before, last = result.before, result.last
    if before.number != from_block - 1 or last.number != to_block:
        raise _inconsistent(f"headers {before.number}, {last.number} do not frame the range")
    if from_block == to_block and last.parent_hash != before.hash:
        raise _inconsistent(f"block {to_block} does not follow block {before.number}")
    verify_logs(result.logs, from_block, to_block)
    for entry in reversed(result.logs):
        if entry.block_number != to_block:
            break
        if entry.block_hash != last.hash:
            raise _inconsistent(f"logs of block {to_block} name another hash than its header")


def _check_order(previous: RawLog | None, entry: RawLog) -> None:
    if previous is None:
        return
    if previous.block_number == entry.block_number and previous.block_hash != entry.block_hash:
        raise _inconsistent(f"logs of block {entry.block_number} name two hashes")
    if (previous.block_number, previous.log_index) >= (entry.block_number, entry.log_index):
        raise _inconsistent(f"logs out of order at block {entry.block_number}")


def _header_call(number: int | str) -> tuple[str, list[Any]]:
    return "eth_getBlockByNumber", [hex(number) if isinstance(number, int) else number, False]


def _logs_call(
    from_block: int, to_block: int, addresses: Sequence[str], topic0s: Sequence[str] | None
) -> tuple[str, list[Any]]:
    query: dict[str, Any] = {
        "fromBlock": hex(from_block),
        "toBlock": hex(to_block),
        "address": list(addresses),
    }
    if topic0s is not None:
        query["topics"] = [list(topic0s)]
    return "eth_getLogs", [query]


def _log_list(result: Any) -> list[RawLog]:
    if not isinstance(result, list):
        raise _malformed("eth_getLogs result")
    return parse_logs(result)


def _header_of(result: Any, number: int | None) -> BlockHeader:
    if not isinstance(result, dict):
        raise _malformed(f"block {number}")
    header = parse_header(result)
    if number is not None and header.number != number:
        raise _inconsistent(f"asked for block {number}, got {header.number}")
    return header


def _receipt_logs(receipts: Any, number: int, block_hash: str) -> list[RawLog]:
    if not isinstance(receipts, list) or not all(isinstance(r, dict) for r in receipts):
        raise _malformed(f"receipts of block {number}")
    logs = parse_logs([entry for receipt in receipts for entry in receipt.get("logs", ())])
    verify_logs(logs, number, number)
    if any(entry.block_hash != block_hash for entry in logs):
        raise _inconsistent(f"receipts of block {number} belong to another fork")
    return logs


def _headers_of(numbers: Sequence[int], results: list[Any]) -> list[BlockHeader]:
    return [_header_of(result, number) for result, number in zip(results, numbers, strict=True)]


class EvmAdapter:
    """Reads headers and logs of one EVM chain; anything doubtful raises RpcTransient.

    Answers are parsed and checked inside the client's retry loop, so a malformed or
    inconsistent answer fails over to the next endpoint like a failed request does.
    """

    def __init__(self, rpc: RpcClient) -> None:
        self._rpc = rpc

    async def fetch_latest(self) -> BlockHeader:
        """The node's newest block."""
        return await self._rpc.batch_parsed(
            [_header_call("latest")], lambda results: _header_of(results[0], None), required=True
        )

    async def fetch_headers(self, numbers: Sequence[int]) -> list[BlockHeader]:
        """Headers of the given blocks in one batch; a block the node lacks is RpcTransient."""

        headers: list[BlockHeader] = []
        for start in range(0, len(numbers), MAX_BATCH_CALLS):
            chunk = numbers[start : start + MAX_BATCH_CALLS]
            calls = [_header_call(number) for number in chunk]
            headers += await self._rpc.batch_parsed(
                calls, functools.partial(_headers_of, chunk), required=True
            )
        return headers

    async def fetch_logs(
        self,
        from_block: int,
        to_block: int,
        addresses: Sequence[str],
        topic0s: Sequence[str] | None,
    ) -> list[RawLog]:
        """Logs of [from_block..to_block] emitted by `addresses` with one of `topic0s` (None: any).

        This trusts the node to have the blocks; fetch_range also proves that it has them.
        """

        def parse(results: list[Any]) -> list[RawLog]:
            logs = _log_list(results[0])
            verify_logs(logs, from_block, to_block)
            return logs

        return await self._rpc.batch_parsed(
            [_logs_call(from_block, to_block, addresses, topic0s)], parse, required=True
        )

    async def fetch_block_logs(self, number: int, block_hash: str) -> list[RawLog]:
        """Every log of one block, read from its receipts: a check on a lagging log index."""

        def parse(results: list[Any]) -> list[RawLog]:
            return _receipt_logs(results[0], number, block_hash.lower())

        return await self._rpc.batch_parsed(
            [("eth_getBlockReceipts", [block_hash])], parse, required=True
        )

    async def fetch_range(
        self,
        from_block: int,
        to_block: int,
        addresses: Sequence[str],
        topic0s: Sequence[str] | None,
    ) -> RangeResult:
        """Logs of [from_block..to_block] and the headers around them, in one checked batch.

        The header of `to_block` in the same batch proves the node has the whole range, so a
        lagging node cannot pass its missing blocks off as blocks without events.
        """
        if not 1 <= from_block <= to_block:
            raise ValueError(f"invalid block range {from_block}..{to_block}")

        def parse(results: list[Any]) -> RangeResult:
            before_raw, logs_raw, last_raw = results
            result = RangeResult(
                logs=_log_list(logs_raw),
                before=_header_of(before_raw, from_block - 1),
                last=_header_of(last_raw, to_block),
            )
            verify_range(result, from_block, to_block)
            return result

        calls = [
            _header_call(from_block - 1),
            _logs_call(from_block, to_block, addresses, topic0s),
            _header_call(to_block),
        ]
        return await self._rpc.batch_parsed(calls, parse, required=True)
