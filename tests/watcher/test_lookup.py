"""Contract lookups for subscribing users, against a real anvil node and hand-made contracts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from storage.subscriptions import ActiveSubscription
from tests.fakes.rpc_proxy import RpcProxy
from tests.support.anvil import DEV_ACCOUNT, AnvilNode
from tests.support.token import TOKEN_ABI, Token
from watcher.errors import InvalidInput
from watcher.lookup import ContractInfo, ContractLookup
from watcher.rpc import RpcClient
from watcher.rpc_errors import RpcError

TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
Script = Mapping[bytes, tuple[bytes, int]]
"""Exact calldata -> (answer, answer size); bytes past the answer are zeros."""

# Runtime code that stops for every call, reverts for every call, answers the word 1 to all.
STOPS = bytes.fromhex("00")
REVERTS = bytes.fromhex("60006000fd")
ANSWERS_ONE = bytes.fromhex("600160005260206000f3")


def recipient(number: int) -> str:
    return "0x" + f"{0xB0B0 + number:040x}"


def call(signature: str, types: Sequence[str] = (), values: Sequence[object] = ()) -> bytes:
    return function_signature_to_4byte_selector(signature) + encode(list(types), list(values))


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def answer(data: bytes) -> tuple[bytes, int]:
    return data, len(data)


def abi_string(text: bytes) -> bytes:
    return word(32) + word(len(text)) + text + bytes(-len(text) % 32)


def scripted_runtime(script: Script) -> bytes:
    """Runtime code that answers each scripted calldata and reverts for any other."""
    head = bytes.fromhex("36600060003736600020")  # keccak256 of the whole calldata
    revert = bytes.fromhex("600080fd")
    bodies_at = len(head) + 39 * len(script) + len(revert)
    data_at = bodies_at + 20 * len(script)
    table, bodies, data = b"", b"", b""
    for index, (calldata, (reply, size)) in enumerate(script.items()):
        body = (bodies_at + 20 * index).to_bytes(2, "big")
        table += b"\x80\x7f" + keccak(calldata) + b"\x14\x61" + body + b"\x57"
        offset, size_word = (data_at + len(data)).to_bytes(2, "big"), size.to_bytes(4, "big")
        bodies += b"\x5b\x63" + size_word + b"\x61" + offset + b"\x60\x00\x39"
        bodies += b"\x63" + size_word + b"\x60\x00\xf3"
        data += reply
    return head + table + revert + bodies + data


async def deploy(node: AnvilNode, runtime: bytes) -> str:
    init = bytes.fromhex(f"61{len(runtime):04x}80600c6000396000f3") + runtime
    receipt = await node.receipt(await node.send(None, "0x" + init.hex()))
    return str(receipt["contractAddress"]).lower()


def erc20_views(decimals: int = 18) -> Script:
    owner = "0x000000000000000000000000000000000000dead"
    return {
        call("decimals()"): answer(word(decimals)),
        call("totalSupply()"): answer(word(10**27)),
        call("balanceOf(address)", ["address"], [owner]): answer(word(5)),
    }


def erc165_views(interface: str) -> Script:
    def supports(interface_id: str) -> bytes:
        return call("supportsInterface(bytes4)", ["bytes4"], [bytes.fromhex(interface_id)])

    return {
        supports("01ffc9a7"): answer(word(1)),
        supports("ffffffff"): answer(word(0)),
        supports(interface): answer(word(1)),
    }


def names(name: bytes, symbol: bytes) -> Script:
    return {call("name()"): answer(name), call("symbol()"): answer(symbol)}


def transfers(token: Token, filter_expr: str = "") -> list[ActiveSubscription]:
    return [ActiveSubscription(1, 1, token.address, TRANSFER, "Transfer", filter_expr, TOKEN_ABI)]


@pytest.fixture
async def rpc(anvil: AnvilNode) -> AsyncIterator[RpcClient]:
    async with RpcClient([anvil.url], chain="anvil") as client:
        yield client


@pytest.fixture
def lookup(rpc: RpcClient) -> ContractLookup:
    return ContractLookup(rpc)


# --- contract info -------------------------------------------------------------------------


async def test_the_test_token_is_an_erc20_with_its_name_symbol_and_decimals(
    lookup: ContractLookup, token: Token
) -> None:
    info = await lookup.fetch_contract_info(to_checksum_address(token.address))

    assert info == ContractInfo(token.address, True, "erc20", "Blockbell Test Token", "BBT", 18)


async def test_a_plain_account_has_no_code_and_no_standard(lookup: ContractLookup) -> None:
    info = await lookup.fetch_contract_info(DEV_ACCOUNT)

    assert info == ContractInfo(DEV_ACCOUNT, False, None, None, None, None)


@pytest.mark.parametrize("runtime", [STOPS, REVERTS, ANSWERS_ONE, scripted_runtime({})])
async def test_a_contract_that_is_no_token_has_code_and_no_standard(
    anvil: AnvilNode, lookup: ContractLookup, runtime: bytes
) -> None:
    address = await deploy(anvil, runtime)

    assert await lookup.fetch_contract_info(address) == ContractInfo(
        address, True, None, None, None, None
    )


async def test_an_old_token_with_bytes32_name_and_symbol_is_read(
    anvil: AnvilNode, lookup: ContractLookup
) -> None:
    maker, mkr = b"Maker".ljust(32, b"\0"), b"MKR".ljust(32, b"\0")
    address = await deploy(anvil, scripted_runtime({**erc20_views(), **names(maker, mkr)}))

    info = await lookup.fetch_contract_info(address)

    assert (info.standard, info.name, info.symbol, info.decimals) == ("erc20", "Maker", "MKR", 18)


async def test_nft_standards_are_detected_through_erc165(
    anvil: AnvilNode, lookup: ContractLookup
) -> None:
    nft_names = names(abi_string(b"Kitties"), abi_string(b"KIT"))
    erc721 = await deploy(anvil, scripted_runtime({**erc165_views("80ac58cd"), **nft_names}))
    erc1155 = await deploy(anvil, scripted_runtime(erc165_views("d9b67a26")))

    first, second = [await lookup.fetch_contract_info(a) for a in (erc721, erc1155)]

    assert first == ContractInfo(erc721, True, "erc721", "Kitties", "KIT", None)
    assert second == ContractInfo(erc1155, True, "erc1155", None, None, None)


async def test_a_hostile_megabyte_name_is_cut_to_64_printable_characters(
    anvil: AnvilNode, lookup: ContractLookup
) -> None:
    text = "\x1b[1m\u202eHostile\nToken ".encode() + "é".encode() * 200
    megabyte = 1 << 20
    head = word(32) + word(megabyte) + text
    script = {**erc20_views(), call("name()"): (head, 64 + megabyte)}
    address = await deploy(anvil, scripted_runtime(script))

    info = await lookup.fetch_contract_info(address)

    assert info.name == ("[1mHostileToken " + "é" * 200)[:64]
    assert (info.standard, info.symbol) == ("erc20", None)


@pytest.mark.parametrize(
    "reply",
    [
        word(7),  # a number where text was expected
        word(32) + word(10**6) + b"short".ljust(32, b"\0"),  # length beyond the answer
        word(64) + word(3),  # offset past the answer
        abi_string(b"\xff\xfe\x00bad"),  # not UTF-8
        abi_string(b"\n\t\x00 "),  # nothing printable
        b"\x01\x02\x03",  # less than a word
    ],
)
async def test_garbage_names_give_none(
    anvil: AnvilNode, lookup: ContractLookup, reply: bytes
) -> None:
    address = await deploy(anvil, scripted_runtime({**erc20_views(), **names(reply, reply)}))

    info = await lookup.fetch_contract_info(address)

    assert (info.standard, info.name, info.symbol) == ("erc20", None, None)


async def test_implausible_decimals_are_not_an_erc20(
    anvil: AnvilNode, lookup: ContractLookup
) -> None:
    address = await deploy(anvil, scripted_runtime(erc20_views(decimals=1000)))

    info = await lookup.fetch_contract_info(address)

    assert (info.standard, info.decimals) == (None, None)


@pytest.mark.parametrize("text", ["", "0x123", "not an address", "0x" + "g" * 40])
async def test_an_invalid_address_is_rejected_with_a_message_key(
    lookup: ContractLookup, text: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        await lookup.fetch_contract_info(text)

    assert raised.value.key == "address.invalid"


async def test_an_unreachable_node_surfaces_as_an_rpc_error() -> None:
    async with RpcClient(["http://127.0.0.1:9"], attempts=1) as client:
        with pytest.raises(RpcError):
            await ContractLookup(client).fetch_contract_info(DEV_ACCOUNT)


# --- recent matches ------------------------------------------------------------------------


async def test_recent_matches_are_the_last_three_transfers_newest_first(
    lookup: ContractLookup, token: Token
) -> None:
    for number in range(5):
        await token.transfer(recipient(number), 100 + number)

    events = await lookup.fetch_recent_matches("anvil", transfers(token))

    assert [(e.name, e.args["to"], e.args["value"]) for e in events] == [
        ("Transfer", recipient(4), "104"),
        ("Transfer", recipient(3), "103"),
        ("Transfer", recipient(2), "102"),
    ]
    assert all(e.chain == "anvil" and e.emitter == token.address for e in events)
    assert [e.block_number for e in events] == sorted(
        (e.block_number for e in events), reverse=True
    )


async def test_recent_matches_honour_the_filter(lookup: ContractLookup, token: Token) -> None:
    for number in (1, 2, 1, 3, 2):
        await token.transfer(recipient(number), 10 * number)

    events = await lookup.fetch_recent_matches("anvil", transfers(token, f"to == {recipient(2)}"))

    assert [(e.args["to"], e.args["value"]) for e in events] == [(recipient(2), "20")] * 2
    assert events[0].block_number > events[1].block_number


async def test_recent_matches_are_empty_when_nothing_matched(
    lookup: ContractLookup, anvil: AnvilNode, token: Token
) -> None:
    await token.transfer(recipient(1), 5)
    await anvil.mine(30)
    unmatched = transfers(token, f"to == {recipient(9)}")

    assert await lookup.fetch_recent_matches("anvil", unmatched) == []
    assert await lookup.fetch_recent_matches("anvil", transfers(token), blocks=10) == []
    assert await lookup.fetch_recent_matches("anvil", []) == []


async def test_recent_matches_arrive_from_a_node_that_refuses_wide_ranges(
    anvil: AnvilNode, token: Token
) -> None:
    for number in range(4):
        await token.transfer(recipient(number), number + 1)
        await anvil.mine(40)
    proxy = await RpcProxy.start(anvil.url, seed=3)
    proxy.faults.max_block_range = 16
    try:
        async with RpcClient([proxy.url], chain="anvil") as client:
            events = await ContractLookup(client).fetch_recent_matches("anvil", transfers(token))
    finally:
        await proxy.stop()

    assert [e.args["to"] for e in events] == [recipient(3), recipient(2), recipient(1)]
