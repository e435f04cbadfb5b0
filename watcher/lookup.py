"""Chain reads a bot makes while a user subscribes: what a contract is, and its newest events."""

from __future__ import annotations

import codecs
import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as eth_abi_decode
from eth_abi.abi import encode as eth_abi_encode
from eth_hash.auto import keccak

from watcher.abi import parse_address
from watcher.evm import EvmAdapter
from watcher.matching import MatchIndex, SubscriptionSource
from watcher.planning import RangePlanner, RangeUnsplittable
from watcher.rpc import RpcClient
from watcher.rpc_errors import RpcRangeTooLarge, RpcTransient
from watcher.types import ChainEvent

MAX_TEXT_CHARS = 64
RETURN_CAP_BYTES = 1024
"""Bytes of a call's answer the node sends back: enough for a 64-character name, little enough
that a hostile token answering a megabyte costs nothing."""
DEFAULT_MAX_BLOCK_RANGE = 2000

ERC165_INTERFACE = "01ffc9a7"
ERC721_INTERFACE = "80ac58cd"
ERC1155_INTERFACE = "d9b67a26"
# EIP-165: a contract that implements ERC-165 must answer false for 0xffffffff.
INVALID_INTERFACE = "ffffffff"
# Any address does for balanceOf; the zero address makes some contracts revert.
BALANCE_PROBE_OWNER = "0x000000000000000000000000000000000000dead"

# Init code run by an eth_call without `to` (executed as a contract creation, which every node
# supports): it STATICCALLs the target with the calldata appended to it and returns
# [success word][size of the answer word][the answer, cut to RETURN_CAP_BYTES]. A revert thus
# arrives as an answer rather than a JSON-RPC error, which would fail the whole batch.
_PROBE_TEMPLATE = (
    "61{size}61{offset}600039"  # CODECOPY(0, offset, size): the calldata into memory
    "6000600061{size}600073{target}5afa"  # STATICCALL(gas, target, 0, size, 0, 0)
    "600052"  # MSTORE(0, success)
    "3d80602052"  # MSTORE(32, RETURNDATASIZE)
    "61{cap}811115603e57"  # if RETURNDATASIZE <= cap: jump to 0x3e with it
    "5061{cap}"  # else: the cap instead
    "5b80600060403e"  # 0x3e: RETURNDATACOPY(64, 0, n)
    "6040016000f3"  # RETURN(0, 64 + n)
)


def _selector(signature: str) -> bytes:
    return bytes(keccak(signature.encode("ascii"))[:4])


def _supports(interface: str) -> bytes:
    return _selector("supportsInterface(bytes4)") + eth_abi_encode(
        ["bytes4"], [bytes.fromhex(interface)]
    )


QUESTIONS: dict[str, bytes] = {
    "erc165": _supports(ERC165_INTERFACE),
    "invalid": _supports(INVALID_INTERFACE),
    "erc721": _supports(ERC721_INTERFACE),
    "erc1155": _supports(ERC1155_INTERFACE),
    "decimals": _selector("decimals()"),
    "total_supply": _selector("totalSupply()"),
    "balance": _selector("balanceOf(address)") + eth_abi_encode(["address"], [BALANCE_PROBE_OWNER]),
    "name": _selector("name()"),
    "symbol": _selector("symbol()"),
    # A contract that answers a word even to this made-up function answers everything: a
    # catch-all fallback, whose other answers prove nothing.
    "control": _selector("blockbellNoSuchFunction()"),
}


@dataclass(frozen=True, slots=True)
class ContractInfo:
    """What an address is: a wallet or a contract, which token standard, its token details."""

    address: str
    has_code: bool
    standard: str | None
    name: str | None
    symbol: str | None
    decimals: int | None


@dataclass(frozen=True, slots=True)
class Answer:
    """One probed call: whether it succeeded, how long its answer was, its first bytes."""

    ok: bool
    size: int
    data: bytes

    def uint(self) -> int | None:
        """The first word as an unsigned integer, or None after a revert or a short answer."""
        if not self.ok or self.size < 32:
            return None
        value: int = eth_abi_decode(["uint256"], self.data[:32])[0]
        return value

    def flag(self) -> bool:
        """Whether the call answered exactly true."""
        return self.uint() == 1


def probe_call(target: str, calldata: bytes) -> tuple[str, list[Any]]:
    """The eth_call that runs `calldata` against `target` and never reverts."""
    fill = {"size": f"{len(calldata):04x}", "target": target[2:], "cap": f"{RETURN_CAP_BYTES:04x}"}
    offset = len(bytes.fromhex(_PROBE_TEMPLATE.format(offset="0000", **fill)))
    code = _PROBE_TEMPLATE.format(offset=f"{offset:04x}", **fill) + calldata.hex()
    return "eth_call", [{"data": "0x" + code}, "latest"]


def _malformed(what: str) -> RpcTransient:
    return RpcTransient(f"malformed {what} in a node's answer", kind="malformed")


def _hex_bytes(result: Any, what: str) -> bytes:
    if not isinstance(result, str) or result[:2] != "0x":
        raise _malformed(what)
    try:
        raw = bytes.fromhex(result[2:])
    except ValueError:
        raise _malformed(what) from None
    if 2 * len(raw) + 2 != len(result):  # fromhex skips whitespace
        raise _malformed(what)
    return raw


def parse_answer(result: Any) -> Answer:
    """A probe's eth_call result as an Answer; anything else is a malformed answer."""
    raw = _hex_bytes(result, "eth_call result")
    if len(raw) < 64:
        raise _malformed("eth_call result")
    ok, size = int.from_bytes(raw[:32]), int.from_bytes(raw[32:64])
    if ok > 1 or len(raw) - 64 != min(size, RETURN_CAP_BYTES):
        raise _malformed("eth_call result")
    return Answer(ok == 1, size, raw[64:])


def clean_text(text: str) -> str | None:
    """`text` without control or format characters, trimmed and cut; None when nothing is left."""
    kept = "".join(c for c in text if not unicodedata.category(c).startswith("C")).strip()
    return kept[:MAX_TEXT_CHARS].rstrip() or None


def _utf8(raw: bytes, complete: bool) -> str | None:
    # An answer cut at the cap may end inside a character: only a complete one must end well.
    try:
        text: str = codecs.getincrementaldecoder("utf-8")().decode(raw, final=complete)
    except UnicodeDecodeError:
        return None
    return text


def _decode_bytes32(word: bytes) -> str | None:
    body = word.rstrip(b"\0")
    if b"\0" in body:  # a number or garbage, not text padded on the right
        return None
    text = _utf8(body, complete=True)
    return clean_text(text) if text is not None else None


def decode_text(answer: Answer) -> str | None:
    """name() or symbol() as a string, or as the bytes32 that old tokens (MKR) return."""
    if not answer.ok or answer.size < 32:
        return None
    if answer.size == 32:
        return _decode_bytes32(answer.data)
    data = answer.data
    if len(data) < 64:
        return None
    offset = int.from_bytes(data[:32])
    if offset % 32 or offset + 32 > len(data):
        return None
    start = offset + 32
    end = start + int.from_bytes(data[offset:start])
    if end > answer.size:  # the declared length runs past what the contract returned
        return None
    text = _utf8(data[start:end], complete=end <= len(data))
    return clean_text(text) if text is not None else None


def _looks_like_erc20(answers: dict[str, Answer]) -> bool:
    decimals = answers["decimals"].uint()
    supply = answers["total_supply"].uint()
    balance = answers["balance"].uint()
    if decimals is None or supply is None or balance is None:
        return False
    return decimals < 256 and balance <= supply


def detect_standard(answers: dict[str, Answer]) -> str | None:
    """erc721, erc1155 (by ERC-165) or erc20 (by its views answering sensibly), else None."""
    control = answers["control"]
    if control.ok and control.size >= 32:
        return None
    if answers["erc165"].flag() and not answers["invalid"].flag():
        if answers["erc721"].flag():
            return "erc721"
        if answers["erc1155"].flag():
            return "erc1155"
    return "erc20" if _looks_like_erc20(answers) else None


def parse_contract_info(address: str, results: list[Any]) -> ContractInfo:
    """The batch of fetch_contract_info (eth_getCode, then one probe per question) as data."""
    has_code = bool(_hex_bytes(results[0], "eth_getCode result"))
    answers = {
        name: parse_answer(result) for name, result in zip(QUESTIONS, results[1:], strict=True)
    }
    if not has_code:
        return ContractInfo(address, False, None, None, None, None)
    standard = detect_standard(answers)
    decimals = answers["decimals"].uint() if standard == "erc20" else None
    name, symbol = decode_text(answers["name"]), decode_text(answers["symbol"])
    return ContractInfo(address, True, standard, name, symbol, decimals)


class ContractLookup:
    """Answers a subscribing user's questions about a contract from one chain's nodes."""

    def __init__(self, rpc: RpcClient, *, max_block_range: int = DEFAULT_MAX_BLOCK_RANGE) -> None:
        self._rpc = rpc
        self._adapter = EvmAdapter(rpc)
        self._max_block_range = max_block_range

    async def fetch_contract_info(self, address: str) -> ContractInfo:
        """Code, token standard and token details of `address`, in one JSON-RPC batch.

        Raises InvalidInput for a malformed address and RpcError when the nodes fail.
        """
        checked = parse_address(address)
        calls = [("eth_getCode", [checked, "latest"])]
        calls += [probe_call(checked, calldata) for calldata in QUESTIONS.values()]
        parse = functools.partial(parse_contract_info, checked)
        return await self._rpc.batch_parsed(calls, parse, required=True)

    async def fetch_recent_matches(
        self,
        chain: str,
        sources: Sequence[SubscriptionSource],
        *,
        blocks: int = 5_000,
        limit: int = 3,
    ) -> list[ChainEvent]:
        """The newest `limit` events of the last `blocks` blocks that `sources` match, newest
        first; ranges are read from the head down and reading stops once enough are found."""
        index = MatchIndex(chain, sources)
        if index.empty or blocks < 1 or limit < 1:
            return []
        head = (await self._adapter.fetch_latest()).number
        lowest = max(0, head - blocks + 1)
        planner = RangePlanner.start(self._max_block_range)
        found: list[ChainEvent] = []
        last = head
        while last >= lowest and len(found) < limit:
            first = max(lowest, last - planner.width + 1)
            try:
                logs = await self._adapter.fetch_logs(first, last, index.addresses, index.topic0s)
            except RpcRangeTooLarge as exc:
                planner = _narrowed(planner, (first, last), exc)
                continue
            planner = planner.after_success()
            found += [match.event for match in reversed(index.match(logs))]
            last = first - 1
        return found[:limit]


def _narrowed(
    planner: RangePlanner, requested: tuple[int, int], refusal: RpcRangeTooLarge
) -> RangePlanner:
    try:
        return planner.after_refusal(requested, refusal.suggested)
    except RangeUnsplittable:
        raise refusal from None
