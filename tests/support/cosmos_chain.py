"""Builds a Cosmos SDK chain's blocks as a CometBFT node stores and serves them.

Transactions are real SDK transactions (TxRaw protobuf made with cosmpy's types) carrying the
events the Cosmos SDK 0.50 emits for them. Headers hash exactly as CometBFT hashes them (the
tests check it against a recorded block), so parent links, forks and hashes behave as on a
real chain. A block renders as the `result` of `/block` and of `/block_results` in the layout
of CometBFT 0.38 (`finalize_block_events`, `mode` markers), 0.37 (begin/end block events) or
0.34 (the same with base64 attributes). The older layouts carry the very same events, so a
test can check that both decode alike; only an older node's encoding differs, plus the JSON
`log` that SDKs before 0.50 wrote for a successful transaction.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, TypedDict, Unpack

import bech32
from cosmpy.crypto.address import Address
from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.base.abci.v1beta1 import abci_pb2
from cosmpy.protos.cosmos.base.v1beta1 import coin_pb2
from cosmpy.protos.cosmos.crypto.secp256k1 import keys_pb2
from cosmpy.protos.cosmos.gov.v1 import gov_pb2
from cosmpy.protos.cosmos.gov.v1 import tx_pb2 as gov_tx
from cosmpy.protos.cosmos.staking.v1beta1 import tx_pb2 as staking_tx
from cosmpy.protos.cosmos.tx.v1beta1 import tx_pb2
from cosmpy.protos.cosmwasm.wasm.v1 import tx_pb2 as wasm_tx
from cosmpy.protos.tendermint.abci import types_pb2 as abci_types
from cosmpy.protos.tendermint.types import types_pb2 as cmt_types
from cosmpy.protos.tendermint.version import types_pb2 as version_types
from google.protobuf import any_pb2, timestamp_pb2, wrappers_pb2

Layout = Literal["0.34", "0.37", "0.38"]

GENESIS_TIME = datetime(2024, 5, 1, tzinfo=UTC)
DEFAULT_GAS = 200_000
FEE_AMOUNT = 5_000
EMPTY_HASH = hashlib.sha256(b"").digest()
# The hash of CometBFT's default consensus parameters, as both recorded headers carry it.
CONSENSUS_HASH = bytes.fromhex("048091BC7DDC283F77BFBF91D73C44DA58C3DF8A9CBC867405D8B7F3DAADA22F")
BLOCK_PROTOCOL = 11
HASHED_FIELDS = (
    "last_commit_hash",
    "data_hash",
    "validators_hash",
    "next_validators_hash",
    "consensus_hash",
    "app_hash",
    "last_results_hash",
    "evidence_hash",
    "proposer_address",
)


def _sha(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def _hex(data: bytes) -> str:
    return data.hex().upper()


def account(name: str, prefix: str = "cosmos") -> str:
    """A valid bech32 account address derived from a name (`account("alice")`)."""
    return str(Address(_sha(name.encode())[:20], prefix=prefix))


def validator(name: str, prefix: str = "cosmosvaloper") -> str:
    """A validator operator address (`cosmosvaloper1…`) derived from a name."""
    return str(Address(_sha(name.encode())[:20], prefix=prefix))


def module_account(module: str, prefix: str = "cosmos") -> str:
    """A module account's address, derived as the SDK does: sha256(name)[:20]."""
    return str(Address(_sha(module.encode())[:20], prefix=prefix))


def contract(name: str, prefix: str = "cosmos") -> str:
    """A CosmWasm contract address: 32 bytes, as wasmd derives them since v0.29."""
    words = bech32.convertbits(_sha(name.encode()), 8, 5)
    assert words is not None  # 32 bytes always convert
    return str(bech32.bech32_encode(prefix, words))


def _prefix_of(address: str) -> str:
    return address.rpartition("1")[0]


def rfc3339(time_ns: int) -> str:
    """Go's RFC3339Nano, as CometBFT writes times: nanoseconds, trailing zeros dropped."""
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


def merkle_root(items: Sequence[bytes]) -> bytes:
    """RFC 6962 tree hash, as CometBFT's merkle.HashFromByteSlices computes it."""
    if not items:
        return EMPTY_HASH
    if len(items) == 1:
        return _sha(b"\x00", items[0])
    split = 1 << ((len(items) - 1).bit_length() - 1)
    return _sha(b"\x01", merkle_root(items[:split]), merkle_root(items[split:]))


@dataclass(frozen=True, slots=True)
class AbciEvent:
    """An ABCI event: a type and its attributes in order (keys may repeat)."""

    type: str
    attributes: tuple[tuple[str, str], ...]

    def plus(self, *attributes: tuple[str, str]) -> AbciEvent:
        return AbciEvent(self.type, self.attributes + attributes)

    def without(self, key: str) -> AbciEvent:
        return AbciEvent(self.type, tuple(pair for pair in self.attributes if pair[0] != key))


def event(type_: str, *attributes: tuple[str, str]) -> AbciEvent:
    return AbciEvent(type_, attributes)


@dataclass(frozen=True, slots=True)
class ChainTx:
    """A transaction as the chain executed it: its bytes and its ExecTxResult."""

    raw: bytes
    events: tuple[AbciEvent, ...] = ()
    code: int = 0
    codespace: str = ""
    log: str = ""
    data: bytes = b""
    gas_wanted: int = DEFAULT_GAS
    gas_used: int = 0

    @property
    def hash(self) -> str:
        """Upper-case hex SHA-256 of the bytes, the hash explorers show."""
        return hashlib.sha256(self.raw).hexdigest().upper()

    def deterministic_result(self) -> bytes:
        # Only these fields enter LastResultsHash (CometBFT's deterministicExecTxResult).
        result = abci_types.ExecTxResult(
            code=self.code, data=self.data, gas_wanted=self.gas_wanted, gas_used=self.gas_used
        )
        return bytes(result.SerializeToString())


@dataclass(frozen=True, slots=True)
class Msg:
    """One message of a transaction with the events its handler emits (before the SDK adds
    the `message` event and the `msg_index` attributes)."""

    type_url: str
    body: Any
    response: Any
    module: str
    signer: str
    events: tuple[AbciEvent, ...]


def _coin(amount: int, denom: str) -> Any:
    return coin_pb2.Coin(amount=str(amount), denom=denom)


def msg_send(sender: str, recipient: str, amount: int, denom: str) -> Msg:
    coins = f"{amount}{denom}"
    body = bank_tx.MsgSend(from_address=sender, to_address=recipient, amount=[_coin(amount, denom)])
    events = (
        event("coin_spent", ("spender", sender), ("amount", coins)),
        event("coin_received", ("receiver", recipient), ("amount", coins)),
        event("transfer", ("recipient", recipient), ("sender", sender), ("amount", coins)),
        event("message", ("sender", sender)),
    )
    url = "/cosmos.bank.v1beta1.MsgSend"
    return Msg(url, body, bank_tx.MsgSendResponse(), "bank", sender, events)


def msg_delegate(delegator: str, validator_address: str, amount: int, denom: str) -> Msg:
    coins = f"{amount}{denom}"
    pool = module_account("bonded_tokens_pool", _prefix_of(delegator))
    body = staking_tx.MsgDelegate(
        delegator_address=delegator,
        validator_address=validator_address,
        amount=_coin(amount, denom),
    )
    events = (
        event("coin_spent", ("spender", delegator), ("amount", coins)),
        event("coin_received", ("receiver", pool), ("amount", coins)),
        event(
            "delegate",
            ("validator", validator_address),
            ("delegator", delegator),
            ("amount", coins),
            ("new_shares", f"{amount}.000000000000000000"),
        ),
    )
    url = "/cosmos.staking.v1beta1.MsgDelegate"
    return Msg(url, body, staking_tx.MsgDelegateResponse(), "staking", delegator, events)


def msg_vote(voter: str, proposal_id: int, option: str = "VOTE_OPTION_YES") -> Msg:
    body = gov_tx.MsgVote(
        proposal_id=proposal_id, voter=voter, option=gov_pb2.VoteOption.Value(option)
    )
    # SDK 0.50 writes the weighted options in protobuf text form.
    options = f'option:{option} weight:"1.000000000000000000"'
    events = (
        event(
            "proposal_vote",
            ("voter", voter),
            ("option", options),
            ("proposal_id", str(proposal_id)),
        ),
    )
    return Msg("/cosmos.gov.v1.MsgVote", body, gov_tx.MsgVoteResponse(), "gov", voter, events)


def msg_execute_contract(
    contract_address: str, sender: str, msg: dict[str, Any], *wasm_attributes: tuple[str, str]
) -> Msg:
    body = wasm_tx.MsgExecuteContract(
        sender=sender, contract=contract_address, msg=json.dumps(msg).encode()
    )
    events = (
        event("execute", ("_contract_address", contract_address)),
        event("wasm", ("_contract_address", contract_address), *wasm_attributes),
    )
    url = "/cosmwasm.wasm.v1.MsgExecuteContract"
    return Msg(url, body, wasm_tx.MsgExecuteContractResponse(), "wasm", sender, events)


def _packed(type_url: str, message: Any) -> Any:
    return any_pb2.Any(type_url=type_url, value=message.SerializeToString())


def _tx_raw(msgs: Sequence[Msg], memo: str, fee: tuple[int, str], sequence: int) -> bytes:
    signer = msgs[0].signer
    body = tx_pb2.TxBody(messages=[_packed(m.type_url, m.body) for m in msgs], memo=memo)
    key = keys_pb2.PubKey(key=b"\x02" + _sha(signer.encode()))
    signer_info = tx_pb2.SignerInfo(
        public_key=_packed("/cosmos.crypto.secp256k1.PubKey", key),
        mode_info=tx_pb2.ModeInfo(single=tx_pb2.ModeInfo.Single(mode=1)),  # SIGN_MODE_DIRECT
        sequence=sequence,
    )
    auth_info = tx_pb2.AuthInfo(
        signer_infos=[signer_info],
        fee=tx_pb2.Fee(amount=[_coin(*fee)], gas_limit=DEFAULT_GAS),
    )
    body_bytes, auth_bytes = body.SerializeToString(), auth_info.SerializeToString()
    signature = _sha(b"sig", body_bytes, auth_bytes) * 2  # 64 bytes, like secp256k1's
    raw = tx_pb2.TxRaw(body_bytes=body_bytes, auth_info_bytes=auth_bytes, signatures=[signature])
    return bytes(raw.SerializeToString())


def _ante_events(payer: str, fee: tuple[int, str], sequence: int, raw: bytes) -> list[AbciEvent]:
    """The fee deduction and `tx` events of SDK 0.50's default ante handler, in its order."""
    coins = f"{fee[0]}{fee[1]}"
    collector = module_account("fee_collector", _prefix_of(payer))
    signature = tx_pb2.TxRaw.FromString(raw).signatures[0]
    return [
        event("coin_spent", ("spender", payer), ("amount", coins)),
        event("coin_received", ("receiver", collector), ("amount", coins)),
        event("transfer", ("recipient", collector), ("sender", payer), ("amount", coins)),
        event("message", ("sender", payer)),
        event("tx", ("fee", coins), ("fee_payer", payer)),
        event("tx", ("acc_seq", f"{payer}/{sequence}")),
        event("tx", ("signature", base64.b64encode(signature).decode())),
    ]


def _message_events(index: int, msg: Msg) -> list[AbciEvent]:
    """baseapp's createEvents: a `message` event first, then `msg_index` on every event."""
    head = event("message", ("action", msg.type_url), ("sender", msg.signer))
    if not any(key == "module" for e in msg.events for key, _ in e.attributes):
        head = head.plus(("module", msg.module))
    return [e.plus(("msg_index", str(index))) for e in (head, *msg.events)]


class TxOptions(TypedDict, total=False):
    memo: str
    fee: tuple[int, str]
    """(amount, denom) paid by the first signer; default 5000uatom."""
    sequence: int


def tx(*msgs: Msg, **options: Unpack[TxOptions]) -> ChainTx:
    """A successful transaction of these messages, signed by the first message's signer."""
    fee = options.get("fee", (FEE_AMOUNT, "uatom"))
    sequence = options.get("sequence", 0)
    raw = _tx_raw(msgs, options.get("memo", ""), fee, sequence)
    events = _ante_events(msgs[0].signer, fee, sequence, raw)
    for index, msg in enumerate(msgs):
        events.extend(_message_events(index, msg))
    responses = [_packed(f"{m.type_url}Response", m.response) for m in msgs]
    data = bytes(abci_pb2.TxMsgData(msg_responses=responses).SerializeToString())
    gas_used = 40_000 + 5_000 * len(events)
    return ChainTx(raw, tuple(events), data=data, gas_used=gas_used)


def transfer(
    sender: str, recipient: str, amount: int, denom: str, **options: Unpack[TxOptions]
) -> ChainTx:
    """A bank MsgSend."""
    return tx(msg_send(sender, recipient, amount, denom), **options)


def delegate(
    delegator: str, validator_address: str, amount: int, denom: str, **options: Unpack[TxOptions]
) -> ChainTx:
    return tx(msg_delegate(delegator, validator_address, amount, denom), **options)


def vote(
    voter: str, proposal_id: int, option: str = "VOTE_OPTION_YES", **options: Unpack[TxOptions]
) -> ChainTx:
    return tx(msg_vote(voter, proposal_id, option), **options)


def wasm_execute(
    contract_address: str,
    sender: str,
    *wasm_attributes: tuple[str, str],
    **options: Unpack[TxOptions],
) -> ChainTx:
    """A CosmWasm MsgExecuteContract whose contract answered with these `wasm` attributes; the
    first is usually ("action", …), and the JSON message is built from it."""
    action = dict(wasm_attributes).get("action", "execute")
    msg = msg_execute_contract(contract_address, sender, {action: {}}, *wasm_attributes)
    return tx(msg, **options)


def failed(
    sender: str,
    *,
    code: int = 32,
    codespace: str = "sdk",
    log: str | None = None,
    sequence: int = 0,
    msg: Msg | None = None,
) -> ChainTx:
    """A transaction the ante handler rejected: a code, a log, no events (default: a stale
    account sequence, the most common failure on a busy chain)."""
    attempted = msg or msg_send(sender, sender, 1, "uatom")
    raw = _tx_raw([attempted], "", (FEE_AMOUNT, "uatom"), sequence)
    if log is None:
        log = (
            f"account sequence mismatch, expected {sequence + 1}, got {sequence}: "
            "incorrect account sequence"
        )
    return ChainTx(raw, (), code=code, codespace=codespace, log=log, gas_used=31_000)


def _attribute_json(key: str, value: str, layout: Layout) -> dict[str, Any]:
    if layout == "0.34":
        key, value = (
            base64.b64encode(key.encode()).decode(),
            base64.b64encode(value.encode()).decode(),
        )
    return {"key": key, "value": value, "index": True}


def events_json(events: Sequence[AbciEvent], layout: Layout) -> list[dict[str, Any]]:
    return [
        {"type": e.type, "attributes": [_attribute_json(k, v, layout) for k, v in e.attributes]}
        for e in events
    ]


def _legacy_log(events: Sequence[AbciEvent]) -> str:
    """The JSON `log` SDKs before 0.50 wrote: per message, its events merged by type."""
    logs: dict[int, dict[str, list[tuple[str, str]]]] = {}
    for e in events:
        msg_index = dict(e.attributes).get("msg_index")
        if msg_index is not None:
            merged = logs.setdefault(int(msg_index), {}).setdefault(e.type, [])
            merged.extend(e.without("msg_index").attributes)
    entries: list[dict[str, Any]] = []
    for index, by_type in sorted(logs.items()):
        listed = [
            {"type": name, "attributes": [{"key": k, "value": v} for k, v in pairs]}
            for name, pairs in sorted(by_type.items())
        ]
        entries.append({"msg_index": index, "events": listed} if index else {"events": listed})
    return json.dumps(entries, separators=(",", ":"))


def _tx_result_json(chain_tx: ChainTx, layout: Layout) -> dict[str, Any]:
    log = chain_tx.log
    if layout != "0.38" and chain_tx.code == 0 and not log:
        log = _legacy_log(chain_tx.events)
    return {
        "code": chain_tx.code,
        "data": base64.b64encode(chain_tx.data).decode(),
        "log": log,
        "info": "",
        "gas_wanted": str(chain_tx.gas_wanted),
        "gas_used": str(chain_tx.gas_used),
        "events": events_json(chain_tx.events, layout),
        "codespace": chain_tx.codespace,
    }


def _timestamp(time_ns: int) -> Any:
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def parse_rfc3339_ns(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 UTC time with up to 9 fraction digits."""
    whole, _, fraction = text.removesuffix("Z").partition(".")
    seconds = int(datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp())
    return seconds * 1_000_000_000 + int(fraction.ljust(9, "0") or 0)


def header_hash(header: Mapping[str, Any]) -> str:
    """A block's hash from its header as `/block` shows it, computed as CometBFT's Header.Hash
    does: the Merkle root of its fields, each protobuf-encoded."""
    parent = header["last_block_id"]
    parent_id = cmt_types.BlockID(
        hash=bytes.fromhex(parent["hash"]),
        part_set_header=cmt_types.PartSetHeader(
            total=parent["parts"]["total"], hash=bytes.fromhex(parent["parts"]["hash"])
        ),
    )
    version = header["version"]
    leaves = [
        version_types.Consensus(
            block=int(version["block"]), app=int(version.get("app", 0))
        ).SerializeToString(),
        wrappers_pb2.StringValue(value=header["chain_id"]).SerializeToString(),
        wrappers_pb2.Int64Value(value=int(header["height"])).SerializeToString(),
        _timestamp(parse_rfc3339_ns(header["time"])).SerializeToString(),
        parent_id.SerializeToString(),
        *(
            wrappers_pb2.BytesValue(value=bytes.fromhex(header[name])).SerializeToString()
            for name in HASHED_FIELDS
        ),
    ]
    return _hex(merkle_root(leaves))


@dataclass(frozen=True, slots=True)
class ChainBlock:
    """One committed block with its execution results, as a node keeps it."""

    chain_id: str
    height: int
    time_ns: int
    parent_hash: str
    """Empty for a chain's block 1, as CometBFT has it."""
    parent_parts_hash: str
    app_hash: bytes
    """The state after the parent block (what this header commits to)."""
    last_results_hash: bytes
    txs: tuple[ChainTx, ...]
    begin_block_events: tuple[AbciEvent, ...]
    end_block_events: tuple[AbciEvent, ...]
    proposer: bytes
    hash: str = ""

    @property
    def time(self) -> str:
        return rfc3339(self.time_ns)

    @property
    def data_hash(self) -> bytes:
        return merkle_root([hashlib.sha256(t.raw).digest() for t in self.txs])

    @property
    def results_hash(self) -> bytes:
        """The next header's last_results_hash."""
        return merkle_root([t.deterministic_result() for t in self.txs])

    @property
    def results_app_hash(self) -> bytes:
        """The state after this block: block_results' app_hash, the next header's app_hash."""
        return _sha(self.app_hash, self.results_hash, self.data_hash)

    @property
    def parts_hash(self) -> str:
        return _hex(_sha(b"parts", bytes.fromhex(self.hash)))

    def _commit_sigs(self) -> list[Any]:
        if not self.parent_hash:
            return []
        signature = _sha(b"precommit", bytes.fromhex(self.parent_hash)) * 2
        sig = cmt_types.CommitSig(
            block_id_flag=2,
            validator_address=self.proposer,
            timestamp=_timestamp(self.time_ns),
            signature=signature,
        )
        return [sig]

    def _hashes(self) -> dict[str, bytes]:
        validators = _sha(b"validators", self.chain_id.encode())
        return {
            "last_commit_hash": merkle_root([s.SerializeToString() for s in self._commit_sigs()]),
            "data_hash": self.data_hash,
            "validators_hash": validators,
            "next_validators_hash": validators,
            "consensus_hash": CONSENSUS_HASH,
            "app_hash": self.app_hash,
            "last_results_hash": self.last_results_hash,
            "evidence_hash": EMPTY_HASH,
            "proposer_address": self.proposer,
        }

    def _block_id(self) -> dict[str, Any]:
        total = 1 if self.parent_hash else 0
        return {"hash": self.parent_hash, "parts": {"total": total, "hash": self.parent_parts_hash}}

    def header_json(self) -> dict[str, Any]:
        return {
            "version": {"block": str(BLOCK_PROTOCOL)},
            "chain_id": self.chain_id,
            "height": str(self.height),
            "time": self.time,
            "last_block_id": self._block_id(),
            **{name: _hex(value) for name, value in self._hashes().items()},
        }

    def block_json(self) -> dict[str, Any]:
        """The `result` of `/block` for this height."""
        signatures = [
            {
                "block_id_flag": 2,
                "validator_address": _hex(sig.validator_address),
                "timestamp": self.time,
                "signature": base64.b64encode(sig.signature).decode(),
            }
            for sig in self._commit_sigs()
        ]
        last_commit = {
            "height": str(self.height - 1 if self.parent_hash else 0),
            "round": 0,
            "block_id": self._block_id(),
            "signatures": signatures,
        }
        return {
            "block_id": {"hash": self.hash, "parts": {"total": 1, "hash": self.parts_hash}},
            "block": {
                "header": self.header_json(),
                "data": {"txs": [base64.b64encode(t.raw).decode() for t in self.txs]},
                "evidence": {"evidence": []},
                "last_commit": last_commit,
            },
        }

    def block_results_json(self, layout: Layout = "0.38") -> dict[str, Any]:
        """The `result` of `/block_results` for this height, in a node version's layout."""
        results = [_tx_result_json(t, layout) for t in self.txs] or None
        if layout != "0.38":
            return {
                "height": str(self.height),
                "txs_results": results,
                "begin_block_events": events_json(self.begin_block_events, layout) or None,
                "end_block_events": events_json(self.end_block_events, layout) or None,
                "validator_updates": None,
                "consensus_param_updates": None,
            }
        # SDK 0.50 marks each block-level event with the phase that emitted it.
        finalize = [e.plus(("mode", "BeginBlock")) for e in self.begin_block_events]
        finalize += [e.plus(("mode", "EndBlock")) for e in self.end_block_events]
        return {
            "height": str(self.height),
            "txs_results": results,
            "finalize_block_events": events_json(finalize, layout),
            "validator_updates": [],
            "consensus_param_updates": None,
            "app_hash": base64.b64encode(self.results_app_hash).decode(),
        }


class CosmosChain:
    """A chain's history, block by block, with one validator that proposes every block."""

    def __init__(
        self,
        chain_id: str = "blockbell-1",
        *,
        prefix: str = "cosmos",
        denom: str = "uatom",
        start_height: int = 1,
        genesis_time: datetime = GENESIS_TIME,
        block_time_s: float = 6.0,
    ) -> None:
        self.chain_id = chain_id
        self.prefix = prefix
        self.denom = denom
        self.start_height = start_height
        self.validator = validator("validator-0", f"{prefix}valoper")
        self.blocks: list[ChainBlock] = []
        self._genesis_ns = int(genesis_time.timestamp()) * 1_000_000_000
        self._block_time_ns = int(block_time_s * 1_000_000_000)
        self._forks = 0
        self._fork_salt_ns = 0

    @property
    def height(self) -> int:
        """The newest height; start_height - 1 while nothing is mined."""
        return self.blocks[-1].height if self.blocks else self.start_height - 1

    @property
    def tip(self) -> ChainBlock:
        return self.blocks[-1]

    def block(self, height: int) -> ChainBlock:
        index = height - self.start_height
        if not 0 <= index < len(self.blocks):
            raise KeyError(f"no block at height {height}")
        return self.blocks[index]

    def account(self, name: str) -> str:
        return account(name, self.prefix)

    def mine(self, *txs: ChainTx, end_block_events: Sequence[AbciEvent] = ()) -> ChainBlock:
        """Appends one block holding these transactions."""
        height = self.height + 1
        parent = self.blocks[-1] if self.blocks else None
        time_ns = self._genesis_ns if parent is None else parent.time_ns + self._block_time_ns
        # Real block times carry nanoseconds: a deterministic jitter below one second.
        time_ns += height * 104_729 % 999_983 * 997
        block = ChainBlock(
            chain_id=self.chain_id,
            height=height,
            time_ns=time_ns + self._fork_salt_ns,
            parent_hash=parent.hash if parent else self._synthetic_parent(height),
            parent_parts_hash=parent.parts_hash if parent else self._synthetic_parent(height, b"p"),
            app_hash=parent.results_app_hash
            if parent
            else _sha(b"genesis", self.chain_id.encode()),
            last_results_hash=parent.results_hash if parent else EMPTY_HASH,
            txs=txs,
            begin_block_events=self._begin_block_events(height),
            end_block_events=tuple(end_block_events),
            proposer=_sha(b"validator-0")[:20],
        )
        self._fork_salt_ns = 0
        sealed = replace(block, hash=header_hash(block.header_json()))
        self.blocks.append(sealed)
        return sealed

    def mine_empty(self, count: int) -> list[ChainBlock]:
        return [self.mine() for _ in range(count)]

    def fork(
        self, depth: int, branch: Sequence[Sequence[ChainTx]] | None = None
    ) -> list[ChainBlock]:
        """Replaces the newest `depth` blocks by `branch` (default: as many empty blocks). The
        new blocks differ even with the same transactions, so every hash from there changes."""
        if not 1 <= depth <= len(self.blocks):
            raise ValueError(f"cannot fork {depth} blocks off a chain of {len(self.blocks)}")
        del self.blocks[-depth:]
        self._forks += 1
        self._fork_salt_ns = self._forks * 1_000_000
        return [self.mine(*txs) for txs in (branch if branch is not None else [()] * depth)]

    def _synthetic_parent(self, height: int, salt: bytes = b"") -> str:
        # Block 1 has no parent; a chain that starts later points to a block we never made.
        if height == 1:
            return ""
        return _hex(_sha(b"parent", salt, self.chain_id.encode(), str(height).encode()))

    def _begin_block_events(self, height: int) -> tuple[AbciEvent, ...]:
        """SDK 0.50's mint and distribution BeginBlock events (inflation to the fee collector,
        then rewards and commission to the validator)."""
        minted = 1_000_000 + height % 997
        coins = f"{minted}{self.denom}"
        mint = module_account("mint", self.prefix)
        collector = module_account("fee_collector", self.prefix)
        distribution = module_account("distribution", self.prefix)
        commission = f"{minted // 20}.000000000000000000{self.denom}"
        rewards = f"{minted - minted // 20}.000000000000000000{self.denom}"
        return (
            event("coin_received", ("receiver", mint), ("amount", coins)),
            event("coinbase", ("minter", mint), ("amount", coins)),
            event("coin_spent", ("spender", mint), ("amount", coins)),
            event("coin_received", ("receiver", collector), ("amount", coins)),
            event("transfer", ("recipient", collector), ("sender", mint), ("amount", coins)),
            event("message", ("sender", mint)),
            event(
                "mint",
                ("bonded_ratio", "0.670000000000000000"),
                ("inflation", "0.130000000000000000"),
                ("annual_provisions", f"{minted * 5_256_000}.000000000000000000"),
                ("amount", str(minted)),
            ),
            event("coin_spent", ("spender", collector), ("amount", coins)),
            event("coin_received", ("receiver", distribution), ("amount", coins)),
            event(
                "transfer", ("recipient", distribution), ("sender", collector), ("amount", coins)
            ),
            event("message", ("sender", collector)),
            event("commission", ("amount", commission), ("validator", self.validator)),
            event("rewards", ("amount", rewards), ("validator", self.validator)),
        )
