"""The JSON-RPC client against a real anvil node, directly and behind the fault-injecting proxy."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY

from tests.fakes.rpc_proxy import RpcProxy
from tests.support.anvil import AnvilNode, free_port
from tests.support.secret_watch import secret
from tests.support.token import Token
from watcher.rpc import RpcClient
from watcher.rpc_errors import (
    RpcFatal,
    RpcRangeTooLarge,
    RpcTransient,
    classify_error,
    redact_url,
)

ANVIL_CHAIN_ID = "0x7a69"


@pytest.fixture
async def proxy(anvil: AnvilNode) -> AsyncIterator[RpcProxy]:
    started = await RpcProxy.start(anvil.url, seed=11)
    yield started
    await started.stop()


def dead_url(secret: str = "no-secret") -> str:
    return f"http://127.0.0.1:{free_port()}/v3/{secret}"


def fast_client(*urls: str, attempts: int = 4, chain: str = "test") -> RpcClient:
    return RpcClient(urls, timeout_s=0.3, attempts=attempts, chain=chain)


async def test_call_returns_the_nodes_result(anvil: AnvilNode) -> None:
    async with RpcClient([anvil.url]) as client:
        assert await client.call("eth_chainId", []) == ANVIL_CHAIN_ID
        assert client.calls_made == 1


async def test_batch_returns_results_in_call_order_when_the_node_answers_out_of_order(
    anvil: AnvilNode, proxy: RpcProxy
) -> None:
    proxy.faults.reverse_batch = True
    genesis = await anvil.rpc("eth_getBlockByNumber", "0x0", False)
    async with RpcClient([proxy.url]) as client:
        results = await client.batch(
            [("eth_chainId", []), ("eth_getBlockByNumber", ["0x0", False]), ("eth_blockNumber", [])]
        )
        assert results == [ANVIL_CHAIN_ID, genesis, hex(await anvil.block_number())]
        assert client.calls_made == 3
    assert proxy.requests == 1
    assert proxy.calls["eth_chainId"] == 1 and proxy.calls["eth_blockNumber"] == 1


async def test_an_empty_batch_sends_nothing(proxy: RpcProxy) -> None:
    async with RpcClient([proxy.url]) as client:
        assert await client.batch([]) == []
    assert proxy.requests == 0


async def test_a_dead_url_fails_over_to_the_next_one_and_stays_there(anvil: AnvilNode) -> None:
    async with fast_client(dead_url(), anvil.url) as client:
        assert await client.call("eth_chainId", []) == ANVIL_CHAIN_ID
        assert await client.call("eth_chainId", []) == ANVIL_CHAIN_ID
        assert client.calls_made == 3


async def test_a_node_that_goes_down_fails_the_call_and_serves_again_when_back(
    proxy: RpcProxy,
) -> None:
    async with fast_client(proxy.url, attempts=2) as client:
        assert await client.call("eth_chainId", []) == ANVIL_CHAIN_ID
        await proxy.go_down()
        with pytest.raises(RpcTransient, match=r"ClientConnectorError|Disconnected"):
            await client.call("eth_chainId", [])
        await proxy.come_up()
        assert await client.call("eth_chainId", []) == ANVIL_CHAIN_ID


TRANSIENT_FAULTS = ["dead", "http_500", "http_429", "delay", "truncated", "rpc_error"]


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
async def test_each_transient_fault_is_retried_until_the_right_answer_comes(
    anvil: AnvilNode, proxy: RpcProxy, fault: str
) -> None:
    proxy.faults.retry_after = "0"
    proxy.faults.delay_s = 1.0
    getattr(proxy.faults, fault).count = 2
    expected = await anvil.rpc("eth_getBlockByNumber", "0x0", False)
    async with fast_client(proxy.url) as client:
        assert await client.call("eth_getBlockByNumber", ["0x0", False]) == expected
    assert proxy.calls["eth_getBlockByNumber"] == 3


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
async def test_a_fault_that_never_stops_ends_in_rpc_transient_after_all_attempts(
    proxy: RpcProxy, fault: str
) -> None:
    proxy.faults.retry_after = "0"
    proxy.faults.delay_s = 1.0
    getattr(proxy.faults, fault).probability = 1.0
    async with fast_client(proxy.url, attempts=3) as client:
        with pytest.raises(RpcTransient):
            await client.call("eth_blockNumber", [])
    assert proxy.calls["eth_blockNumber"] == 3


async def test_a_null_result_is_retried_only_when_a_result_is_required(
    anvil: AnvilNode, proxy: RpcProxy
) -> None:
    proxy.faults.null_blocks.count = 2
    async with fast_client(proxy.url) as client:
        assert await client.call("eth_getBlockByNumber", ["latest", False]) is None
        latest = await client.call("eth_getBlockByNumber", ["latest", False], required=True)
    assert int(latest["number"], 16) == await anvil.block_number()
    assert proxy.calls["eth_getBlockByNumber"] == 3


async def test_a_required_null_in_a_batch_is_retried(anvil: AnvilNode, proxy: RpcProxy) -> None:
    await anvil.mine(3)
    proxy.faults.null_blocks.count = 1
    calls = [("eth_getBlockByNumber", [hex(n), False]) for n in (1, 2, 3)]
    async with fast_client(proxy.url) as client:
        blocks = await client.batch(calls, required=True)
    assert [int(block["number"], 16) for block in blocks] == [1, 2, 3]
    assert proxy.requests == 2


async def test_retry_after_is_honoured_before_asking_the_same_node_again(proxy: RpcProxy) -> None:
    proxy.faults.http_429.count = 1
    proxy.faults.retry_after = "1"
    started = time.monotonic()
    async with fast_client(proxy.url) as client:
        assert await client.call("eth_chainId", []) == ANVIL_CHAIN_ID
    assert time.monotonic() - started >= 1.0


async def test_failover_does_not_wait_for_another_nodes_retry_after(
    anvil: AnvilNode, proxy: RpcProxy
) -> None:
    proxy.faults.http_429.count = 1
    proxy.faults.retry_after = "30"
    started = time.monotonic()
    async with fast_client(proxy.url, anvil.url) as client:
        assert await client.call("eth_chainId", []) == ANVIL_CHAIN_ID
    assert time.monotonic() - started < 1.0


async def test_an_unknown_method_is_fatal_and_not_retried(proxy: RpcProxy) -> None:
    async with fast_client(proxy.url) as client:
        with pytest.raises(RpcFatal, match="-32601"):
            await client.call("eth_noSuchMethod", [])
    assert proxy.requests == 1


async def test_invalid_params_are_fatal(proxy: RpcProxy) -> None:
    async with fast_client(proxy.url) as client:
        with pytest.raises(RpcFatal):
            await client.call("eth_getBalance", ["not-an-address", "latest"])


async def test_asking_for_logs_beyond_the_nodes_head_is_transient(anvil: AnvilNode) -> None:
    query = {"fromBlock": hex(await anvil.block_number() + 50), "toBlock": "latest"}
    async with fast_client(anvil.url, attempts=2) as client:
        with pytest.raises(RpcTransient, match="block height"):
            await client.call("eth_getLogs", [query])


REQUESTED = [{"fromBlock": "0x64", "toBlock": "0x4e20"}]
INFURA = "query returned more than 10000 results."
PROVIDER_REFUSALS = [
    (
        -32602,
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block "
        "range and no limit on the response size, or you can request any block range with a "
        "cap of 10K logs in the response. Based on your parameters, this block range should "
        "work: [0x1, 0x1f3]",
        (1, 499),
    ),
    (
        -32005,
        "query returned more than 10000 results. Try with this block range [0x1, 0x1f3].",
        (1, 499),
    ),
    (
        -32005,
        "QUERY RETURNED MORE THAN 10000 RESULTS. TRY WITH THIS BLOCK RANGE [0X64, 0XC8].",
        (100, 200),
    ),
    (
        -32000,
        "query returned more than 10000 results. Try with this block range [100, 150].",
        (100, 150),
    ),
    (-32602, "eth_getLogs is limited to a 10,000 range", (100, 10_099)),
    (-32000, "block range is too wide", None),
    (-32000, "exceed maximum block range: 500", (100, 599)),
    (-32000, "query exceeds max block range 500", (100, 599)),
    (-32002, "Query timeout exceeded. Consider reducing your block range", None),
    (-32000, "response size exceeded", None),
    (-32000, "limit exceeded", None),
    (-32005, "request failed", None),
    (-32000, "logs matched by query exceeds limit of 10000", None),
    (-32600, "eth_getLogs and eth_newFilter are limited to a 10,000 blocks range", (100, 10_099)),
]


@pytest.mark.parametrize(("code", "message", "suggested"), PROVIDER_REFUSALS)
def test_provider_range_refusals_become_range_too_large_with_the_suggested_range(
    code: int, message: str, suggested: tuple[int, int] | None
) -> None:
    error = classify_error("eth_getLogs", REQUESTED, {"code": code, "message": message})
    assert isinstance(error, RpcRangeTooLarge)
    assert error.suggested == suggested


def test_a_rate_limit_under_the_limit_exceeded_code_is_transient() -> None:
    error = {"code": -32005, "message": "daily request count exceeded, request rate limited"}
    assert isinstance(classify_error("eth_getLogs", REQUESTED, error), RpcTransient)


def test_a_limit_message_for_another_method_is_not_a_range_problem() -> None:
    error = {"code": -32005, "message": "limit exceeded"}
    assert isinstance(classify_error("eth_getBlockByNumber", ["0x1", False], error), RpcTransient)


def test_header_not_found_is_transient_even_under_an_invalid_params_code() -> None:
    error = {"code": -32602, "message": "header not found"}
    assert isinstance(classify_error("eth_getBlockByNumber", ["0x1", False], error), RpcTransient)


async def test_a_node_block_range_limit_raises_range_too_large_at_once(
    anvil: AnvilNode, proxy: RpcProxy
) -> None:
    await anvil.mine(10)
    proxy.faults.max_block_range = 5
    async with fast_client(proxy.url) as client:
        with pytest.raises(RpcRangeTooLarge) as refused:
            await client.call("eth_getLogs", [{"fromBlock": "0x1", "toBlock": "0xa"}])
    assert refused.value.suggested == (1, 5)
    assert proxy.calls["eth_getLogs"] == 1


async def transfers_in_separate_blocks(token: Token, count: int) -> None:
    for offset in range(count):
        await token.node.receipt(await token.transfer("0x" + f"{offset + 1:040x}", 1))


async def test_a_node_result_limit_suggests_a_smaller_range(
    anvil: AnvilNode, token: Token, proxy: RpcProxy
) -> None:
    await transfers_in_separate_blocks(token, 4)
    head = await anvil.block_number()
    proxy.faults.max_logs = 2
    query = {"fromBlock": "0x1", "toBlock": hex(head), "address": token.address}
    async with fast_client(proxy.url) as client:
        with pytest.raises(RpcRangeTooLarge) as refused:
            await client.call("eth_getLogs", [query])
        assert refused.value.suggested is not None
        first, last = refused.value.suggested
        assert first == 1 and last < head
        smaller = await client.call("eth_getLogs", [{**query, "toBlock": hex(last)}])
        assert 0 < len(smaller) <= 2


async def test_a_node_may_suggest_the_same_range_again(
    anvil: AnvilNode, token: Token, proxy: RpcProxy
) -> None:
    await transfers_in_separate_blocks(token, 3)
    head = await anvil.block_number()
    proxy.faults.max_logs = 1
    proxy.faults.suggest_same_range = True
    async with fast_client(proxy.url) as client:
        with pytest.raises(RpcRangeTooLarge) as refused:
            await client.call("eth_getLogs", [{"fromBlock": "0x1", "toBlock": hex(head)}])
    assert refused.value.suggested == (1, head)


SECRETS = tuple(map(secret, ("SECRET-PATH-KEY", "SECRET-QUERY-KEY", "SECRET-PASSWORD")))


def with_secrets(base_url: str) -> str:
    host = base_url.removeprefix("http://").split("/")[0]
    return f"http://user:{SECRETS[2]}@{host}/v3/{SECRETS[0]}?apikey={SECRETS[1]}"


async def failure_text(client: RpcClient, method: str) -> str:
    with pytest.raises(Exception) as raised:
        await client.call(method, [])
    return "".join(traceback.format_exception(raised.value))


async def test_secrets_in_rpc_urls_never_appear_in_errors_or_logs(
    proxy: RpcProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts = []
    async with fast_client(with_secrets(dead_url()), attempts=2) as client:
        texts.append(await failure_text(client, "eth_chainId"))
    async with fast_client(with_secrets(proxy.url), attempts=2) as client:
        texts.append(await failure_text(client, "eth_noSuchMethod"))
        for fault in ("http_500", "delay", "truncated", "dead"):
            getattr(proxy.faults, fault).count = 2
            texts.append(await failure_text(client, "eth_chainId"))
    assert all("http://127.0.0.1:" in text for text in texts)
    for text in [*texts, caplog.text]:
        assert not any(secret in text for secret in SECRETS)


def test_redacted_urls_keep_scheme_host_and_port_only() -> None:
    assert redact_url(f"https://user:pw@eth.example.org:8443/v3/{SECRETS[0]}?k=1") == (
        "https://eth.example.org:8443"
    )
    assert redact_url("wss://eth.example.org/ws/abc") == "wss://eth.example.org"


def test_a_url_that_is_not_http_is_refused_without_being_echoed() -> None:
    with pytest.raises(ValueError) as refused:
        RpcClient([f"wss://eth.example.org/{SECRETS[0]}"])
    assert SECRETS[0] not in str(refused.value)


async def test_metrics_count_calls_and_errors_per_chain(proxy: RpcProxy) -> None:
    chain = f"metrics-{free_port()}"
    proxy.faults.http_500.count = 1
    async with fast_client(proxy.url, chain=chain) as client:
        await client.batch([("eth_chainId", []), ("eth_blockNumber", [])])
    sample = REGISTRY.get_sample_value
    assert sample("blockbell_rpc_calls_total", {"chain": chain, "method": "eth_chainId"}) == 2
    assert sample("blockbell_rpc_errors_total", {"chain": chain, "kind": "http_5xx"}) == 1
    labels = {"chain": chain, "method": "batch"}
    assert sample("blockbell_rpc_request_seconds_count", labels) == 2
