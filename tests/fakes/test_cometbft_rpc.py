"""The fake CometBFT node answers over HTTP as a real one does, and the chain builder makes real
Cosmos SDK transactions and headers that hash as CometBFT's."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from cosmpy.crypto.address import Address
from cosmpy.protos.cosmos.bank.v1beta1 import tx_pb2 as bank_tx
from cosmpy.protos.cosmos.tx.v1beta1 import tx_pb2

from tests.fakes.cometbft_rpc import FakeCometBft
from tests.support.cosmos_chain import (
    AbciEvent,
    CosmosChain,
    contract,
    delegate,
    failed,
    header_hash,
    transfer,
    vote,
    wasm_execute,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cosmos"
CROESEID_BLOCK = FIXTURES / "cometbft-0.34" / "block_croeseid_377673_msgsend.json"
CROESEID_RESULTS = FIXTURES / "cometbft-0.34" / "block_results_croeseid_377673_msgsend.json"
KVSTORE_BLOCK = FIXTURES / "cometbft-0.38" / "block_kvstore_v0.38_h10.json"
DYDX_RESULTS = FIXTURES / "cometbft-0.38" / "block_results_dydx_12791634.json"
REAL_STATUS = FIXTURES / "cometbft-0.38" / "rpc_status_kvstore_v0.38.0-alpha.1.json"


def recorded(path: Path) -> Any:
    return orjson.loads(path.read_bytes())["result"]


def build_chain() -> CosmosChain:
    """Ten blocks; block 4 holds a transfer and a failed tx, block 6 three other kinds."""
    chain = CosmosChain("blockbell-1")
    alice, bob = chain.account("alice"), chain.account("bob")
    chain.mine_empty(3)
    chain.mine(transfer(alice, bob, 1_500_000, "uatom", memo="rent"), failed(alice, sequence=3))
    chain.mine()
    chain.mine(
        delegate(alice, chain.validator, 2_000_000, "uatom", sequence=1),
        vote(bob, 7),
        wasm_execute(contract("pool"), alice, ("action", "swap"), ("amount", "5"), sequence=2),
    )
    chain.mine_empty(4)
    return chain


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as opened:
        yield opened


@pytest.fixture
async def node() -> AsyncIterator[FakeCometBft]:
    started = await FakeCometBft.start(build_chain(), seed=3)
    yield started
    await started.stop()


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as response:
        return response.status, orjson.loads(await response.read())


async def post(session: aiohttp.ClientSession, url: str, payload: Any) -> tuple[int, Any]:
    async with session.post(url, data=orjson.dumps(payload)) as response:
        body = await response.read()
        return response.status, orjson.loads(body) if body else None


def call(method: str, params: Any = None, call_id: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call_id, "method": method, "params": params or {}}


def shape(value: Any) -> Any:
    """The keys of a JSON value, recursively (a list by its first member)."""
    if isinstance(value, dict):
        return {key: shape(member) for key, member in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def decoded(events: list[dict[str, Any]]) -> list[AbciEvent]:
    def text(value: str) -> str:
        return base64.b64decode(value).decode()

    return [
        AbciEvent(e["type"], tuple((text(a["key"]), text(a["value"])) for a in e["attributes"]))
        for e in events
    ]


def plain(events: list[dict[str, Any]]) -> list[AbciEvent]:
    return [
        AbciEvent(e["type"], tuple((a["key"], a["value"]) for a in e["attributes"])) for e in events
    ]


async def test_status_has_the_shape_of_a_real_0_38_nodes_and_the_chains_facts(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    status, body = await get(session, f"{node.url}/status")
    assert status == 200 and body["id"] == -1 and body["jsonrpc"] == "2.0"
    result = body["result"]
    assert shape(result) == shape(recorded(REAL_STATUS))
    sync = result["sync_info"]
    assert result["node_info"]["network"] == "blockbell-1"
    assert result["node_info"]["version"].startswith("0.38.")
    assert (sync["latest_block_height"], sync["earliest_block_height"]) == ("10", "1")
    assert sync["latest_block_hash"] == node.chain.tip.hash
    assert sync["latest_block_time"] == node.chain.tip.time
    assert sync["catching_up"] is False


async def test_block_is_the_same_through_uri_get_and_json_rpc_post(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    _, by_get = await get(session, f"{node.url}/block?height=4")
    _, by_post = await post(session, node.url, call("block", {"height": "4"}, call_id="abc"))
    _, by_array = await post(session, node.url, call("block", ["4"], call_id=9))
    assert (by_get["id"], by_post["id"], by_array["id"]) == (-1, "abc", 9)
    assert by_get["result"] == by_post["result"] == by_array["result"]
    _, quoted = await get(session, f'{node.url}/block?height="4"')
    assert quoted["result"] == by_get["result"]


async def test_block_has_a_real_blocks_shape_and_links_to_its_parent(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    _, body = await get(session, f"{node.url}/block?height=4")
    block = body["result"]
    real = recorded(KVSTORE_BLOCK)
    header = block["block"]["header"]
    assert shape(block["block_id"]) == shape(real["block_id"])
    assert shape(block["block"]["last_commit"]) == shape(real["block"]["last_commit"])
    assert set(header) == set(real["block"]["header"])
    assert header["height"] == "4" and header["chain_id"] == "blockbell-1"
    assert block["block_id"]["hash"] == header_hash(header)
    assert header["last_block_id"]["hash"] == node.chain.block(3).hash
    assert header["app_hash"] == node.chain.block(3).results_app_hash.hex().upper()


def test_header_hash_is_the_hash_real_nodes_gave_their_blocks() -> None:
    for path in (KVSTORE_BLOCK, CROESEID_BLOCK):
        block = recorded(path)
        assert header_hash(block["block"]["header"]) == block["block_id"]["hash"]


async def test_txs_are_real_sdk_transactions_in_base64(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    _, body = await get(session, f"{node.url}/block?height=4")
    raw = [base64.b64decode(text) for text in body["result"]["block"]["data"]["txs"]]
    assert [hashlib.sha256(r).hexdigest().upper() for r in raw] == [
        t.hash for t in node.chain.block(4).txs
    ]
    tx_raw = tx_pb2.TxRaw.FromString(raw[0])
    tx_body = tx_pb2.TxBody.FromString(tx_raw.body_bytes)
    [message] = tx_body.messages
    assert (message.type_url, tx_body.memo) == ("/cosmos.bank.v1beta1.MsgSend", "rent")
    send = bank_tx.MsgSend.FromString(message.value)
    alice, bob = node.chain.account("alice"), node.chain.account("bob")
    assert (send.from_address, send.to_address) == (alice, bob)
    assert [(c.amount, c.denom) for c in send.amount] == [("1500000", "uatom")]
    fee = tx_pb2.AuthInfo.FromString(tx_raw.auth_info_bytes).fee
    assert [(c.amount, c.denom) for c in fee.amount] == [("5000", "uatom")]
    assert str(Address(alice)) == alice and alice.startswith("cosmos1")


async def test_block_results_0_38_carry_sdk_0_50_events_and_mode_markers(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    _, body = await get(session, f"{node.url}/block_results?height=4")
    results = body["result"]
    assert set(results) == set(recorded(DYDX_RESULTS))
    sent, rejected = results["txs_results"]
    events = plain(sent["events"])
    by_message = [e.type for e in events if ("msg_index", "0") in e.attributes]
    assert by_message == ["message", "coin_spent", "coin_received", "transfer", "message"]
    assert ("action", "/cosmos.bank.v1beta1.MsgSend") in events[7].attributes
    assert [e.type for e in events[:7]] == [
        "coin_spent", "coin_received", "transfer", "message", "tx", "tx", "tx"
    ]  # fmt: skip
    assert (rejected["code"], rejected["codespace"], rejected["events"]) == (32, "sdk", [])
    assert rejected["log"].startswith("account sequence mismatch, expected 4, got 3")
    modes = {dict(e.attributes)["mode"] for e in plain(results["finalize_block_events"])}
    assert modes == {"BeginBlock"}
    next_app_hash = node.chain.block(5).block_json()["block"]["header"]["app_hash"]
    assert base64.b64decode(results["app_hash"]).hex().upper() == next_app_hash


async def test_the_0_34_layout_carries_the_same_events_base64_encoded() -> None:
    chain = build_chain()
    newer = chain.block(6).block_results_json("0.38")
    node = await FakeCometBft.start(chain, layout="0.34")
    try:
        async with aiohttp.ClientSession() as session:
            _, body = await get(session, f"{node.url}/block_results?height=6")
            _, status = await get(session, f"{node.url}/status")
    finally:
        await node.stop()
    older = body["result"]
    assert set(older) == set(recorded(CROESEID_RESULTS))
    assert status["result"]["node_info"]["version"].startswith("0.34.")
    for old, new in zip(older["txs_results"], newer["txs_results"], strict=True):
        assert decoded(old["events"]) == plain(new["events"])
        assert orjson.loads(old["log"])[0]["events"]  # the pre-0.50 JSON log
    begin = [e.plus(("mode", "BeginBlock")) for e in decoded(older["begin_block_events"])]
    assert begin == plain(newer["finalize_block_events"])
    assert older["end_block_events"] is None


async def test_delegate_vote_and_wasm_events_name_their_actors(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    _, body = await get(session, f"{node.url}/block_results?height=6")
    kinds = [
        {e.type: dict(e.attributes) for e in plain(result["events"]) if e.type != "message"}
        for result in body["result"]["txs_results"]
    ]
    delegated, voted, executed = kinds
    assert delegated["delegate"]["validator"] == node.chain.validator
    assert delegated["delegate"]["amount"] == "2000000uatom"
    assert (voted["proposal_vote"]["proposal_id"], voted["proposal_vote"]["msg_index"]) == (
        "7",
        "0",
    )
    assert executed["wasm"]["_contract_address"] == contract("pool")
    assert (executed["wasm"]["action"], executed["wasm"]["amount"]) == ("swap", "5")


async def test_a_height_above_the_tip_gets_cometbfts_error_in_both_forms(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    expected = {
        "code": -32603,
        "message": "Internal error",
        "data": "height 20 must be less than or equal to the current blockchain height 10",
    }
    assert await get(session, f"{node.url}/block?height=20") == (
        500,
        {"jsonrpc": "2.0", "id": -1, "error": expected},
    )
    assert await post(session, node.url, call("block_results", {"height": "20"}, 5)) == (
        200,
        {"jsonrpc": "2.0", "id": 5, "error": expected},
    )


async def test_a_pruned_height_gets_cometbfts_error_and_status_shows_the_floor(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    node.prune(below=6)
    _, body = await post(session, node.url, call("block", {"height": "5"}))
    assert body["error"] == {
        "code": -32603,
        "message": "Internal error",
        "data": "height 5 is not available, lowest height is 6",
    }
    _, status = await get(session, f"{node.url}/status")
    assert status["result"]["sync_info"]["earliest_block_height"] == "6"
    assert status["result"]["sync_info"]["earliest_block_hash"] == node.chain.block(6).hash
    _, kept = await get(session, f"{node.url}/block?height=6")
    assert kept["result"]["block"]["header"]["height"] == "6"


async def test_malformed_calls_are_refused_with_cometbfts_codes_and_texts(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    _, number = await post(session, node.url, call("block", {"height": 5}))
    assert number["error"] == {
        "code": -32602,
        "message": "Invalid params",
        "data": 'error converting json params to arguments: invalid 64-bit integer encoding "5", '
        "expected string",
    }
    status, hexed = await get(session, f"{node.url}/block?height=0x5")
    assert (status, hexed["error"]["code"]) == (500, -32602)
    assert hexed["error"]["data"].endswith("got a hex string arg, but expected 'int64'")
    _, zero = await get(session, f"{node.url}/block?height=0")
    assert zero["error"]["data"] == "height must be greater than 0, but got 0"
    _, unknown = await post(session, node.url, call("eth_blockNumber"))
    assert unknown["error"] == {"code": -32601, "message": "Method not found"}
    async with session.get(f"{node.url}/eth_blockNumber") as response:
        assert (response.status, await response.text()) == (404, "404 page not found\n")
    notification = {"jsonrpc": "2.0", "method": "status", "params": {}}
    assert await post(session, node.url, notification) == (200, None)


async def test_a_batch_is_answered_member_by_member_in_order(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    batch = [call("block", {"height": "2"}, 1), call("block", {"height": "99"}, 2), call("health")]
    _, answers = await post(session, node.url, [*batch[:2], {**batch[2], "id": 3}])
    assert [a["id"] for a in answers] == [1, 2, 3]
    assert answers[0]["result"]["block"]["header"]["height"] == "2"
    assert answers[1]["error"]["code"] == -32603
    assert answers[2]["result"] == {}


async def test_a_fork_replaces_the_newest_blocks_and_every_hash_from_there(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    before = [node.chain.block(h).hash for h in (8, 9, 10)]
    node.fork(2)
    node.mine()
    after = [(await get(session, f"{node.url}/block?height={h}"))[1]["result"] for h in (8, 9, 10)]
    hashes = [block["block_id"]["hash"] for block in after]
    assert hashes[0] == before[0] and hashes[1] != before[1] and hashes[2] != before[2]
    assert after[1]["block"]["header"]["last_block_id"]["hash"] == before[0]
    assert after[2]["block"]["header"]["last_block_id"]["hash"] == hashes[1]
    _, status = await get(session, f"{node.url}/status")
    assert status["result"]["sync_info"]["latest_block_height"] == "11"


async def test_dropped_tx_results_list_fewer_results_than_the_block_has_txs(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    node.drop_tx_results(6)
    _, block = await get(session, f"{node.url}/block?height=6")
    _, results = await get(session, f"{node.url}/block_results?height=6")
    assert len(block["result"]["block"]["data"]["txs"]) == 3
    assert len(results["result"]["txs_results"]) == 2


async def test_a_node_that_discards_results_says_so_as_cometbft_does(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    node.discard_results = True
    _, body = await get(session, f"{node.url}/block_results?height=4")
    assert body["error"]["data"] == "node is not persisting finalize block responses"


async def test_recorded_responses_are_served_verbatim_at_their_height(
    session: aiohttp.ClientSession,
) -> None:
    chain = CosmosChain("testnet-croeseid-1", prefix="tcro", start_height=377_670)
    chain.mine_empty(10)
    node = await FakeCometBft.start(chain, layout="0.34")
    try:
        node.serve_recorded(377_673, block=CROESEID_BLOCK, block_results=CROESEID_RESULTS)
        _, block = await get(session, f"{node.url}/block?height=377673")
        _, results = await post(session, node.url, call("block_results", {"height": "377673"}))
        _, other = await get(session, f"{node.url}/block?height=377674")
    finally:
        await node.stop()
    assert block["result"] == recorded(CROESEID_BLOCK)
    assert results["result"] == recorded(CROESEID_RESULTS)
    assert other["result"]["block"]["header"]["chain_id"] == "testnet-croeseid-1"


async def test_a_halted_chain_stops_moving_while_the_node_still_answers(
    session: aiohttp.ClientSession,
) -> None:
    node = await FakeCometBft.start(block_interval_s=0.02)
    try:

        async def latest() -> int:
            _, status = await get(session, f"{node.url}/status")
            return int(status["result"]["sync_info"]["latest_block_height"])

        first = await latest()
        await asyncio.sleep(0.15)
        assert await latest() > first
        node.halt()
        halted_at = await latest()
        await asyncio.sleep(0.15)
        assert await latest() == halted_at
        with pytest.raises(RuntimeError, match="halted"):
            node.mine()
        node.resume()
        await asyncio.sleep(0.15)
        assert await latest() > halted_at
    finally:
        await node.stop()


async def test_faults_hit_the_chosen_fraction_of_requests_the_same_way_for_a_seed(
    session: aiohttp.ClientSession,
) -> None:
    outcomes = []
    for _ in range(2):
        node = await FakeCometBft.start(seed=42)
        node.faults.http_500.probability = 0.5
        try:
            statuses = [(await session.get(f"{node.url}/health")).status for _ in range(40)]
        finally:
            await node.stop()
        outcomes.append(statuses)
    assert outcomes[0] == outcomes[1]
    assert 10 <= outcomes[0].count(500) <= 30 and set(outcomes[0]) == {200, 500}


async def test_a_reset_drops_the_connection_and_a_hang_outlasts_the_clients_timeout(
    session: aiohttp.ClientSession, node: FakeCometBft
) -> None:
    node.faults.reset.count = 1
    # POST: aiohttp silently repeats an idempotent GET whose connection was dropped.
    with pytest.raises(aiohttp.ClientError):
        await post(session, node.url, call("status"))
    node.faults.hang.count = 1
    node.faults.hang_s = 5.0
    with pytest.raises(TimeoutError):
        await session.get(f"{node.url}/status", timeout=aiohttp.ClientTimeout(total=0.2))
    assert (await get(session, f"{node.url}/health"))[0] == 200


async def test_a_gateway_path_prefix_serves_both_forms(session: aiohttp.ClientSession) -> None:
    node = await FakeCometBft.start(path="/cosmos/KEY123")
    try:
        assert node.url.endswith("/cosmos/KEY123")
        assert (await get(session, f"{node.url}/health"))[1]["result"] == {}
        assert (await post(session, node.url, call("health")))[1]["result"] == {}
    finally:
        await node.stop()
