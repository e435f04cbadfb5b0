"""Decoding a Cosmos SDK transaction's bytes: real transactions from recorded RPC answers, and
transactions built with cosmpy's own protobuf types for the messages the fixtures lack."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cosmpy.protos.cosmos.authz.v1beta1.tx_pb2 import MsgExec
from cosmpy.protos.cosmos.bank.v1beta1.bank_pb2 import Input, Output
from cosmpy.protos.cosmos.bank.v1beta1.tx_pb2 import MsgMultiSend, MsgUpdateParams
from cosmpy.protos.cosmos.base.v1beta1.coin_pb2 import Coin as ProtoCoin
from cosmpy.protos.cosmos.gov.v1 import tx_pb2 as gov_v1
from cosmpy.protos.cosmos.gov.v1beta1 import tx_pb2 as gov_v1beta1
from cosmpy.protos.cosmos.staking.v1beta1.tx_pb2 import (
    MsgBeginRedelegate,
    MsgDelegate,
    MsgUndelegate,
)
from cosmpy.protos.cosmos.tx.v1beta1.tx_pb2 import AuthInfo, Fee, Tx, TxBody
from cosmpy.protos.cosmwasm.wasm.v1.tx_pb2 import MsgExecuteContract
from cosmpy.protos.ibc.applications.transfer.v1.tx_pb2 import MsgTransfer
from cosmpy.protos.ibc.core.client.v1.tx_pb2 import MsgCreateClient, MsgUpdateClient
from google.protobuf.any_pb2 import Any as ProtoAny
from hypothesis import given
from hypothesis import strategies as st

from watcher.cosmos_txs import LOG_MAX_CHARS, decode_tx
from watcher.cosmos_types import Coin
from watcher.rpc_errors import RpcTransient

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cosmos"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())["result"]


# Loaded once for the module: the tests only read them.
MSGSEND_BLOCK = load("cometbft-0.34/block_croeseid_377673_msgsend.json")
MSGSEND_RESULTS = load("cometbft-0.34/block_results_croeseid_377673_msgsend.json")
TWO_MSGSEND_BLOCK = load("cometbft-0.34/block_croeseid_343358_1tx_2msgsend.json")
TWO_MSGSEND_RESULTS = load("cometbft-0.34/block_results_croeseid_343358_1tx_2msgsend.json")
SIMD_SEARCH = load("cometbft-0.37/tx_search_simd_ibc_create_client.json")
KVSTORE_SEARCHES = [
    load("cometbft-0.34/tx_search_kvstore_v0.34.21.json"),
    load("cometbft-0.38/tx_search_kvstore_v0.38.0-alpha.1.json"),
]
SEI_RESULTS = load("cometbft-0.38/block_results_sei_54810790_failed_txs.json")

ALICE = "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"
BOB = "cosmos1zg69v7ys40x77y352eufp27daufrg4nclcs7lm"
VALOPER = "cosmosvaloper1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5qx6u6p"


def packed(*messages: Any, memo: str = "", fee: tuple[tuple[str, str], ...] = ()) -> str:
    """A signed-transaction shape around messages, as a node's `/block` carries it (base64)."""
    body = TxBody(memo=memo)
    for message in messages:
        body.messages.append(
            ProtoAny(type_url=f"/{message.DESCRIPTOR.full_name}", value=message.SerializeToString())
        )
    amounts = [ProtoCoin(amount=amount, denom=denom) for amount, denom in fee]
    tx = Tx(body=body, auth_info=AuthInfo(fee=Fee(amount=amounts, gas_limit=200_000)))
    return base64.b64encode(tx.SerializeToString()).decode()


def test_msgsend_names_its_sender_recipient_amount_and_fee() -> None:
    raw = MSGSEND_BLOCK["block"]["data"]["txs"][0]

    tx = decode_tx(0, raw, MSGSEND_RESULTS["txs_results"][0])

    assert tx.decoded
    assert tx.hash == hashlib.sha256(base64.b64decode(raw)).hexdigest().upper()
    assert (tx.code, tx.codespace, tx.memo) == (0, "", "")
    assert tx.fee == (Coin("8000000", "basetcro"),)
    [message] = tx.messages
    assert message.type_url == "/cosmos.bank.v1beta1.MsgSend"
    assert message.signer == "tcro1feqh6ad9ytjkr79kjk5nhnl4un3wez0ynurrwv"
    assert message.body == {
        "from_address": "tcro1feqh6ad9ytjkr79kjk5nhnl4un3wez0ynurrwv",
        "to_address": "tcro1feqh6ad9ytjkr79kjk5nhnl4un3wez0ynurrwv",
        "amount": [{"denom": "basetcro", "amount": "1000000000"}],
    }


def test_two_msgsends_in_one_tx_each_name_their_own_signer() -> None:
    raw = TWO_MSGSEND_BLOCK["block"]["data"]["txs"][0]

    tx = decode_tx(0, raw, TWO_MSGSEND_RESULTS["txs_results"][0])

    assert [(m.index, m.signer) for m in tx.messages] == [
        (0, "tcro165tzcrh2yl83g8qeqxueg2g5gzgu57y3fe3kc3"),
        (1, "tcro184lta2lsyu47vwyp2e8zmtca3k5yq85p6c4vp3"),
    ]
    assert [m.body["amount"] for m in tx.messages] == [
        [{"denom": "basetcro", "amount": "1000"}],
        [{"denom": "basetcro", "amount": "2000"}],
    ]


@pytest.mark.parametrize(
    "found",
    [SIMD_SEARCH["txs"][0], *(tx for search in KVSTORE_SEARCHES for tx in search["txs"])],
    ids=lambda found: f"h{found['height']}",
)
def test_hash_is_the_one_the_node_indexes_the_tx_under(found: Any) -> None:
    tx = decode_tx(found["index"], found["tx"], found["tx_result"])

    assert tx.hash == found["hash"]


def test_ibc_create_client_expands_the_client_state_it_embeds() -> None:
    found = SIMD_SEARCH["txs"][0]

    tx = decode_tx(0, found["tx"], found["tx_result"])

    assert tx.memo.startswith("hermes 1.2.0")
    assert tx.fee == (Coin("881", "stake"),)
    [message] = tx.messages
    assert message.type_url == "/ibc.core.client.v1.MsgCreateClient"
    assert message.signer == "cosmos175gsvrtdqe5j77566dfyf8f2pgle5v5u9xsda9"
    client_state = message.body["client_state"]
    assert isinstance(client_state, dict)
    assert client_state["@type"] == "/ibc.lightclients.tendermint.v1.ClientState"
    assert client_state["chain_id"] == "ibc-1"


@pytest.mark.parametrize("search", KVSTORE_SEARCHES, ids=["v0.34", "v0.38"])
def test_kvstore_key_value_bytes_are_kept_undecoded(search: Any) -> None:
    for found in search["txs"]:
        tx = decode_tx(found["index"], found["tx"], found["tx_result"])

        assert (tx.decoded, tx.messages, tx.memo, tx.fee) == (False, (), "", ())
        assert (tx.hash, tx.code) == (found["hash"], 0)


@pytest.mark.parametrize(
    ("message", "signer"),
    [
        (MsgDelegate(delegator_address=ALICE, validator_address=VALOPER), ALICE),
        (MsgUndelegate(delegator_address=ALICE, validator_address=VALOPER), ALICE),
        (
            MsgBeginRedelegate(
                delegator_address=ALICE,
                validator_src_address=VALOPER,
                validator_dst_address=VALOPER,
            ),
            ALICE,
        ),
        (gov_v1beta1.MsgVote(proposal_id=7, voter=ALICE, option=1), ALICE),
        (gov_v1.MsgVote(proposal_id=7, voter=ALICE, option=1), ALICE),
        (MsgExecuteContract(sender=ALICE, contract=BOB, msg=b'{"claim":{}}'), ALICE),
        (MsgTransfer(source_port="transfer", sender=ALICE, receiver="osmo1x"), ALICE),
        (MsgUpdateClient(client_id="07-tendermint-0", signer=BOB), BOB),
        (MsgUpdateParams(authority=BOB), BOB),
        (MsgMultiSend(inputs=[Input(address=BOB)], outputs=[Output(address=ALICE)]), BOB),
    ],
    ids=lambda value: getattr(value, "DESCRIPTOR", None) and value.DESCRIPTOR.full_name,
)
def test_each_common_message_names_its_signer(message: Any, signer: str) -> None:
    tx = decode_tx(0, packed(message), {})

    [decoded] = tx.messages
    assert decoded.type_url == f"/{message.DESCRIPTOR.full_name}"
    assert decoded.signer == signer


def test_execute_contract_body_is_protobuf_json_with_proto_field_names() -> None:
    message = MsgExecuteContract(
        sender=ALICE,
        contract=BOB,
        msg=b'{"claim":{}}',
        funds=[ProtoCoin(amount="5", denom="uosmo")],
    )

    tx = decode_tx(3, packed(message, memo="claim", fee=(("500", "uosmo"),)), {})

    assert (tx.index, tx.memo, tx.fee) == (3, "claim", (Coin("500", "uosmo"),))
    assert tx.messages[0].body == {
        "sender": ALICE,
        "contract": BOB,
        "msg": base64.b64encode(b'{"claim":{}}').decode(),
        "funds": [{"denom": "uosmo", "amount": "5"}],
    }


def test_unknown_message_type_keeps_its_type_url_with_an_empty_body() -> None:
    body = TxBody(
        messages=[
            ProtoAny(type_url="/osmosis.gamm.v1beta1.MsgSwapExactAmountIn", value=b"\n\x04osmo"),
            ProtoAny(
                type_url="/cosmos.bank.v1beta1.MsgSend",
                value=gov_v1beta1.MsgVote(voter=ALICE).SerializeToString()[:3],
            ),
        ]
    )
    raw = base64.b64encode(Tx(body=body).SerializeToString()).decode()

    tx = decode_tx(0, raw, {})

    assert tx.decoded
    assert [(m.type_url, m.signer, m.body) for m in tx.messages] == [
        ("/osmosis.gamm.v1beta1.MsgSwapExactAmountIn", None, {}),
        ("/cosmos.bank.v1beta1.MsgSend", None, {}),
    ]


def test_message_embedding_an_unknown_type_keeps_its_signer() -> None:
    inner = ProtoAny(type_url="/osmosis.gamm.v1beta1.MsgSwapExactAmountIn", value=b"\n\x01a")

    tx = decode_tx(0, packed(MsgExec(grantee=BOB, msgs=[inner])), {})

    [message] = tx.messages
    assert (message.type_url, message.signer, message.body) == (
        "/cosmos.authz.v1beta1.MsgExec",
        BOB,
        {},
    )


def test_message_embedding_corrupt_bytes_keeps_its_signer() -> None:
    state = ProtoAny(type_url="/ibc.lightclients.tendermint.v1.ClientState", value=b"\xff\xff")

    tx = decode_tx(0, packed(MsgCreateClient(client_state=state, signer=BOB)), {})

    [message] = tx.messages
    assert (message.signer, message.body) == (BOB, {})


def test_failed_tx_keeps_code_codespace_and_log() -> None:
    raw = packed(MsgDelegate(delegator_address=ALICE, validator_address=VALOPER))

    tx = decode_tx(0, raw, SEI_RESULTS["txs_results"][0])

    assert (tx.code, tx.codespace) == (32, "sdk")
    assert tx.log == (
        "account sequence mismatch, expected 25569347, got 25569339: incorrect account sequence"
    )
    assert tx.messages[0].signer == ALICE


def test_long_log_is_capped() -> None:
    tx = decode_tx(0, packed(), {"code": "11", "codespace": "sdk", "log": "out of gas " * 500})

    assert tx.code == 11
    assert len(tx.log) == LOG_MAX_CHARS
    assert tx.log.startswith("out of gas out of gas")


def test_omitted_result_fields_take_their_zero_values() -> None:
    tx = decode_tx(0, packed(MsgDelegate(delegator_address=ALICE)), {"log": None})

    assert (tx.code, tx.codespace, tx.log) == (0, "", "")


def test_tx_without_messages_is_not_decoded() -> None:
    tx = decode_tx(0, packed(memo="nothing to run"), {})

    assert (tx.decoded, tx.memo, tx.messages) == (False, "", ())


@pytest.mark.parametrize("raw", ["not base64!", "YWJ", "===="])
def test_bytes_that_are_not_base64_are_a_transient_node_error(raw: str) -> None:
    with pytest.raises(RpcTransient, match="malformed transaction"):
        decode_tx(0, raw, {})


@pytest.mark.parametrize("code", ["-1", "eleven", 1.5, True, [0]])
def test_a_code_that_is_not_a_number_is_a_transient_node_error(code: object) -> None:
    with pytest.raises(RpcTransient, match="result code"):
        decode_tx(0, packed(), {"code": code})


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    tx = decode_tx(0, base64.b64encode(raw).decode(), {})

    assert tx.hash == hashlib.sha256(raw).hexdigest().upper()
    assert tx.decoded == bool(tx.messages)


SIMD_TX = base64.b64decode(SIMD_SEARCH["txs"][0]["tx"])


@given(st.integers(0, len(SIMD_TX) - 1), st.binary(min_size=1, max_size=4))
def test_corrupted_real_tx_never_raises(position: int, junk: bytes) -> None:
    raw = SIMD_TX[:position] + junk + SIMD_TX[position + len(junk) :]

    tx = decode_tx(0, base64.b64encode(raw).decode(), {})

    assert tx.hash == hashlib.sha256(raw).hexdigest().upper()
    assert all(message.type_url for message in tx.messages)
