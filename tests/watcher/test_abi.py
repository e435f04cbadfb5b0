"""Event ABIs: addresses, ABI JSON, signatures, selectors and log decoding (real anvil logs too)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import eth_abi
import orjson
import pytest
from eth_hash.auto import keccak
from eth_utils import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.anvil import DEV_ACCOUNT, AnvilNode
from tests.support.token import ARTIFACT, INITIAL_SUPPLY, TOKEN_ABI, Token
from watcher.abi import (
    checksum_address,
    event_selector,
    event_signature,
    find_event,
    parse_abi_json,
    parse_address,
)
from watcher.decoding import AbiDecoder, storable_args
from watcher.errors import InvalidInput
from watcher.signatures import parse_event_signature
from watcher.standards import STANDARDS

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
ALICE = "0x" + "a1" * 20
BOB = "0x" + "b0" * 20
HOSTILE_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(st.characters(exclude_categories=()), max_size=100),  # lone surrogates too
    st.text(alphabet="()[],; \x00eventindexedanonymoustupleuint256addressstring0123", max_size=300),
    st.sampled_from(
        ["(" * 5000, "Foo(" + "(" * 2000 + "uint" + ")" * 2000, "\x00" * 10, "é" * 5000]
    ),
)


def word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big", signed=value < 0).hex()


def topic_of(address: str) -> str:
    return "0x" + "0" * 24 + address[2:]


def event(name: str, *inputs: tuple[str, str, bool], anonymous: bool = False) -> dict[str, Any]:
    items = [{"name": n, "type": t, "indexed": i} for n, t, i in inputs]
    return {"type": "event", "name": name, "anonymous": anonymous, "inputs": items}


# --- addresses -----------------------------------------------------------------------------


def test_parse_address_accepts_lower_upper_and_checksummed_forms_and_returns_lower_case() -> None:
    expected = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
    for text in (
        expected,
        expected.upper().replace("0X", "0x"),
        "  0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n",
    ):
        assert parse_address(text) == expected


@pytest.mark.parametrize(
    "text",
    ["0x12", "", "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0x" + "g" * 40, "0x" + "1" * 41],
)
def test_parse_address_rejects_what_is_not_40_hex_digits(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_address(text)
    assert caught.value.key == "address.invalid"
    assert caught.value.params["value"] == text
    assert "40 hex digits" in str(caught.value)


def test_parse_address_rejects_a_mixed_case_address_with_a_wrong_checksum() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
    assert caught.value.key == "address.bad_checksum"


@pytest.mark.parametrize(
    "address",
    [  # the test vectors of EIP-55
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ],
)
def test_checksum_address_matches_the_eip55_vectors(address: str) -> None:
    assert checksum_address(address.lower()) == address
    assert checksum_address(address) == address


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=20, max_size=20))
def test_checksum_address_agrees_with_eth_utils(raw: bytes) -> None:
    address = "0x" + raw.hex()
    assert checksum_address(address) == to_checksum_address(address)
    assert parse_address(checksum_address(address)) == address


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE_TEXT)
def test_parse_address_raises_only_invalid_input_for_any_text(text: str) -> None:
    try:
        assert parse_address(text).startswith("0x")
    except InvalidInput as exc:
        assert exc.key in ("address.invalid", "address.bad_checksum")


# --- ABI JSON ------------------------------------------------------------------------------


def test_parse_abi_json_reads_the_test_token_abi_list_and_artifact() -> None:
    from_list = parse_abi_json(json.dumps(TOKEN_ABI))
    from_artifact = parse_abi_json(json.dumps(ARTIFACT).encode())
    assert from_list == from_artifact
    assert sorted(event_signature(e) for e in from_list) == [
        "Approval(address,address,uint256)",
        "Transfer(address,address,uint256)",
    ]
    transfer = find_event(from_list, "Transfer")
    assert transfer["inputs"][0] == {"name": "from", "type": "address", "indexed": True}


def test_parse_abi_json_normalizes_types_names_and_tuples() -> None:
    entry = {
        "type": "event",
        "name": "Swap",
        "inputs": [
            {"name": "", "type": "uint", "indexed": True},
            {
                "name": "legs",
                "type": "tuple[]",
                "components": [{"name": "x", "type": "int"}, {"type": "address"}],
            },
        ],
    }
    [swap] = parse_abi_json(json.dumps([entry, {"type": "function", "name": "f"}]))
    assert swap == {
        "type": "event",
        "name": "Swap",
        "anonymous": False,
        "inputs": [
            {"name": "arg0", "type": "uint256", "indexed": True},
            {
                "name": "legs",
                "type": "tuple[]",
                "indexed": False,
                "components": [
                    {"name": "x", "type": "int256"},
                    {"name": "arg1", "type": "address"},
                ],
            },
        ],
    }
    assert event_signature(swap) == "Swap(uint256,(int256,address)[])"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("not json", "abi.invalid_json"),
        (b"\xff\xfe", "abi.invalid_json"),
        ('{"contractName": "X"}', "abi.not_a_list"),
        ('"abi"', "abi.not_a_list"),
        ('[{"type": "function", "name": "f"}]', "abi.no_events"),
        ("[]", "abi.no_events"),
        ("[1]", "abi.bad_entry"),
    ],
)
def test_parse_abi_json_rejects_documents_that_are_not_abis(text: str | bytes, key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_abi_json(text)
    assert caught.value.key == key


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ([{"name": "a", "type": "uint7"}], "type"),
        ([{"name": "a", "type": "bytes33"}], "type"),
        ([{"name": "a", "type": "uint256[0]"}], "type"),
        ([{"name": "a", "type": "strin"}], "type"),
        ([{"name": "a"}], "type"),
        ([{"name": "a", "type": "uint256", "indexed": "yes"}], "indexed"),
        ([{"name": "a", "type": "tuple"}], "components"),
        ([{"name": "a", "type": "tuple", "components": []}], "components"),
        ([{"name": "a", "type": "uint256"}, {"name": "a", "type": "bool"}], "name"),
        ([{"name": "a b", "type": "uint256"}], "name"),
        ([{"name": "a" * 65, "type": "uint256"}], "name"),
        ([{"name": n, "type": "uint256", "indexed": True} for n in "abcd"], "inputs"),
        ("uint256", "inputs"),
    ],
)
def test_parse_abi_json_rejects_bad_event_entries_saying_which_field(
    inputs: Any, field: str
) -> None:
    text = json.dumps(
        [{"type": "function", "name": "f"}, {"type": "event", "name": "E", "inputs": inputs}]
    )
    with pytest.raises(InvalidInput) as caught:
        parse_abi_json(text)
    assert caught.value.key == "abi.bad_entry"
    assert caught.value.params["index"] == 1
    assert caught.value.params["event"] == "E"
    assert caught.value.params["field"] == field
    assert caught.value.params["expected"]


def test_parse_abi_json_rejects_tuples_nested_too_deep_without_recursion_error() -> None:
    inner: dict[str, Any] = {"name": "leaf", "type": "uint8"}
    for _ in range(40):
        inner = {"name": "t", "type": "tuple", "components": [inner]}
    with pytest.raises(InvalidInput) as caught:
        parse_abi_json(json.dumps([{"type": "event", "name": "Deep", "inputs": [inner]}]))
    assert caught.value.key == "abi.bad_entry"
    with pytest.raises(InvalidInput):
        parse_abi_json("[" * 5000 + "]" * 5000)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["type", "name", "inputs", "indexed", "components", "anonymous", "abi"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)
EVENT_SHAPED = st.fixed_dictionaries(
    {
        "type": st.just("event"),
        "name": st.sampled_from(["E", "", "1x", None]),
        "inputs": JSON_VALUES,
    },
    optional={"anonymous": JSON_VALUES},
)


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        HOSTILE_TEXT,
        JSON_VALUES.map(orjson.dumps),
        st.lists(EVENT_SHAPED, max_size=3).map(orjson.dumps),
    )
)
def test_parse_abi_json_raises_only_invalid_input_for_any_input(text: str | bytes) -> None:
    try:
        events = parse_abi_json(text)
    except InvalidInput as exc:
        assert exc.key.startswith("abi.")
    else:
        assert all(e["type"] == "event" for e in events)


# --- signatures, selectors, lookup ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Transfer(address indexed from, address indexed to, uint256 value)",
        "event Transfer(address indexed from, address indexed to, uint value);",
        "  Transfer(address,address,uint256)  ",
        "Transfer(address indexed,address indexed,uint)",
    ],
)
def test_signature_forms_give_the_transfer_selector(text: str) -> None:
    parsed = parse_event_signature(text)
    assert event_signature(parsed) == "Transfer(address,address,uint256)"
    assert event_selector(parsed) == TRANSFER_TOPIC


def test_parse_event_signature_returns_an_abi_entry_with_names_indexed_and_anonymous() -> None:
    assert parse_event_signature(
        "event Foo(uint indexed, (int8 x, bytes)[2] pairs, string) anonymous"
    ) == {
        "type": "event",
        "name": "Foo",
        "anonymous": True,
        "inputs": [
            {"name": "arg0", "type": "uint256", "indexed": True},
            {
                "name": "pairs",
                "type": "tuple[2]",
                "indexed": False,
                "components": [{"name": "x", "type": "int8"}, {"name": "arg1", "type": "bytes"}],
            },
            {"name": "arg2", "type": "string", "indexed": False},
        ],
    }


def test_signature_tuples_may_be_written_with_the_tuple_keyword_and_nested() -> None:
    parsed = parse_event_signature(
        "Order(tuple(address maker, (uint256,uint8)[] fills) order, bytes32 id)"
    )
    assert event_signature(parsed) == "Order((address,(uint256,uint8)[]),bytes32)"
    assert (
        event_selector(parsed) == "0x" + keccak(b"Order((address,(uint256,uint8)[]),bytes32)").hex()
    )


@pytest.mark.parametrize(
    ("text", "position", "expected"),
    [
        ("Transfer(address,address,uint7)", 26, "a Solidity type such as uint256"),
        ("Transfer(address", 17, "',' or ')'"),
        ("(address)", 1, "an event name"),
        ("Transfer address", 10, "'('"),
        ("Foo(uint a, uint a)", 18, "a name not used before"),
        ("Foo(())", 5, "a tuple with at least one component"),
        ("Foo(uint) extra", 11, "the end of the signature"),
        ("Foo(uint #)", 10, "',' or ')'"),
        ("Foo(uint[0])", 5, "a Solidity type such as uint256"),
    ],
)
def test_parse_event_signature_reports_the_position_and_what_was_expected(
    text: str, position: int, expected: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_event_signature(text)
    assert caught.value.key == "signature.invalid"
    assert caught.value.params["position"] == position
    assert caught.value.params["expected"] == expected


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE_TEXT)
def test_parse_event_signature_raises_only_invalid_input_for_any_text(text: str) -> None:
    try:
        parsed = parse_event_signature(text)
    except InvalidInput as exc:
        assert exc.key == "signature.invalid"
    else:
        assert event_signature(parse_event_signature(event_signature(parsed))) == event_signature(
            parsed
        )


def test_find_event_by_name_or_signature_and_its_errors() -> None:
    abi = [
        *TOKEN_ABI,
        event("Ping", ("a", "uint256", False)),
        event("Ping", ("a", "address", False)),
    ]
    assert find_event(abi, "Transfer")["name"] == "Transfer"
    assert find_event(abi, "Transfer(address,address,uint256)")["name"] == "Transfer"
    assert find_event(abi, "Ping(address a)")["inputs"][0]["type"] == "address"
    with pytest.raises(InvalidInput) as unknown:
        find_event(abi, "Mint")
    assert unknown.value.key == "abi.unknown_event"
    assert unknown.value.params == {"name": "Mint", "available": ["Approval", "Ping", "Transfer"]}
    with pytest.raises(InvalidInput) as ambiguous:
        find_event(abi, "Ping")
    assert ambiguous.value.key == "abi.ambiguous_event"
    assert ambiguous.value.params["candidates"] == ["Ping(uint256)", "Ping(address)"]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE_TEXT)
def test_find_event_raises_only_invalid_input_for_any_text(text: str) -> None:
    try:
        assert find_event(TOKEN_ABI, text)["name"] in ("Transfer", "Approval")
    except InvalidInput as exc:
        assert exc.key in ("abi.unknown_event", "signature.invalid")


def test_standards_hold_the_usual_token_events() -> None:
    signatures = {name: [event_signature(e) for e in abi] for name, abi in STANDARDS.items()}
    assert signatures["erc20"] == [
        "Transfer(address,address,uint256)",
        "Approval(address,address,uint256)",
    ]
    assert "TransferBatch(address,address,address,uint256[],uint256[])" in signatures["erc1155"]
    assert "ApprovalForAll(address,address,bool)" in signatures["erc721"]
    assert sum(i["indexed"] for i in find_event(STANDARDS["erc721"], "Transfer")["inputs"]) == 3
    assert parse_abi_json(json.dumps(STANDARDS["erc1155"])) == STANDARDS["erc1155"]


# --- decoding real logs --------------------------------------------------------------------


async def test_decodes_real_transfer_and_approval_logs_from_anvil(
    anvil: AnvilNode, token: Token
) -> None:
    decoder = AbiDecoder(TOKEN_ABI)
    transfer = (await anvil.receipt(await token.transfer(ALICE, 12_345)))["logs"]
    approval = (await anvil.receipt(await token.approve(BOB, 2**255)))["logs"]
    minted = await anvil.rpc(
        "eth_getLogs", {"fromBlock": "0x0", "toBlock": "0x1", "address": token.address}
    )
    decoded = [
        decoder.decode(tuple(log["topics"]), log["data"]) for log in [*minted, *transfer, *approval]
    ]
    assert decoded == [
        ("Transfer", {"from": "0x" + "0" * 40, "to": DEV_ACCOUNT, "value": INITIAL_SUPPLY}),
        ("Transfer", {"from": DEV_ACCOUNT, "to": ALICE, "value": 12_345}),
        ("Approval", {"owner": DEV_ACCOUNT, "spender": BOB, "value": 2**255}),
    ]


async def test_decodes_every_log_of_a_batch_with_the_standard_erc20_abi(
    anvil: AnvilNode, token: Token
) -> None:
    receipt = await anvil.receipt(await token.batch_transfer("0x" + "00" * 19 + "10", 20, 7))
    decoder = AbiDecoder(STANDARDS["erc20"] + STANDARDS["erc721"])
    decoded = [decoder.decode(tuple(log["topics"]), log["data"]) for log in receipt["logs"]]
    assert decoded == [
        ("Transfer", {"from": DEV_ACCOUNT, "to": "0x" + f"{16 + i:040x}", "value": 7})
        for i in range(20)
    ]


# --- decoding synthetic logs ---------------------------------------------------------------


def test_erc20_and_erc721_transfers_are_told_apart_by_topic_count() -> None:
    decoder = AbiDecoder(STANDARDS["erc721"] + STANDARDS["erc20"])
    erc20 = decoder.decode((TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB)), word(5))
    erc721 = decoder.decode((TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB), word(5)), "0x")
    assert erc20 == ("Transfer", {"from": ALICE, "to": BOB, "value": 5})
    assert erc721 == ("Transfer", {"from": ALICE, "to": BOB, "tokenId": 5})


@pytest.mark.parametrize(
    ("topics", "data"),
    [
        (("0x" + "12" * 32, topic_of(ALICE), topic_of(BOB)), word(5)),  # unknown topic0
        ((TRANSFER_TOPIC, topic_of(ALICE)), word(5)),  # too few topics
        ((), word(5)),  # no topics at all
        ((TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB)), "0x"),  # data too short
        ((TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB)), word(5) + "00"),  # data too long
        ((TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB)), word(5)[:-1]),  # odd hex length
        ((TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB)), word(5)[2:] + "00"),  # no 0x
        ((TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB)), "0x" + "zz" * 32),  # not hex
        ((TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB)), "0x" + "00 " * 31 + "0005"),  # spaces
        ((TRANSFER_TOPIC, "0x" + "ff" * 32, topic_of(BOB)), word(5)),  # address padding
        ((TRANSFER_TOPIC, topic_of(ALICE)[:-2], topic_of(BOB)), word(5)),  # short topic
        ((TRANSFER_TOPIC, "0x" + "zz" * 32, topic_of(BOB)), word(5)),  # topic not hex
    ],
)
def test_logs_that_fit_no_event_decode_to_nothing(topics: tuple[str, ...], data: str) -> None:
    assert AbiDecoder(TOKEN_ABI).decode(topics, data) == (None, {})


def test_anonymous_events_are_tried_by_topic_count_and_data_length() -> None:
    marker = event("Marker", ("who", "address", True), ("amount", "int64", False), anonymous=True)
    pair = event("Pair", ("a", "uint8", False), ("b", "uint8", False), anonymous=True)
    decoder = AbiDecoder([*TOKEN_ABI, marker, pair])
    assert decoder.decode((topic_of(ALICE),), word(-3)) == ("Marker", {"who": ALICE, "amount": -3})
    assert decoder.decode((), word(1) + word(2)[2:]) == ("Pair", {"a": 1, "b": 2})
    assert decoder.decode((), word(1)) == (None, {})
    unknown_selector = ("0x" + "12" * 32, topic_of(ALICE), topic_of(BOB))
    assert decoder.decode(unknown_selector, word(5)) == (None, {})
    transfer = decoder.decode((TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB)), word(5))
    assert transfer[0] == "Transfer"


def test_decodes_tuples_arrays_strings_bytes_and_negative_integers() -> None:
    entry = parse_event_signature(
        "Trade(string indexed tag, address indexed trader, int24 tick,"
        " (uint8 kind, address to, string memo)[] legs, bytes payload, bytes4 selector, bool done,"
        " string note, int256[2] deltas)"
    )
    legs = [(1, ALICE, "first"), (2, BOB, "zwei ✓")]
    # The note is encoded as bytes (the same encoding as string) to hold invalid UTF-8.
    types = ["int24", "(uint8,address,string)[]", "bytes", "bytes4", "bool", "bytes", "int256[2]"]
    values = [
        -887272,
        legs,
        b"\x00\x01",
        b"\xde\xad\xbe\xef",
        True,
        b"bad \xff utf-8",
        [-1, 2**200],
    ]
    data = eth_abi.encode(types, values)
    tag_hash = "0x" + keccak(b"spot").hex()
    topics = (event_selector(entry), tag_hash, topic_of(ALICE))
    name, args = AbiDecoder([entry]).decode(topics, "0x" + data.hex())
    assert name == "Trade"
    assert args == {
        "tag": tag_hash,
        "trader": ALICE,
        "tick": -887272,
        "legs": [
            {"kind": 1, "to": ALICE, "memo": "first"},
            {"kind": 2, "to": BOB, "memo": "zwei ✓"},
        ],
        "payload": "0x0001",
        "selector": "0xdeadbeef",
        "done": True,
        "note": "bad \ufffd utf-8",
        "deltas": [-1, 2**200],
    }
    assert list(args) == [i["name"] for i in entry["inputs"]]


def test_vyper_decimals_decode_to_exact_decimals_and_store_as_text() -> None:
    entry = parse_event_signature("Rate(fixed168x10 rate)")
    data = "0x" + eth_abi.encode(["fixed168x10"], [Decimal("-12.5")]).hex()
    name, args = AbiDecoder([entry]).decode((event_selector(entry),), data)
    assert (name, args) == ("Rate", {"rate": Decimal("-12.5")})
    assert storable_args(args) == {"rate": "-12.5"}


def test_a_decoder_skips_broken_entries_and_decodes_the_rest() -> None:
    decoder = AbiDecoder(
        [{"type": "event", "name": "Bad", "inputs": [{"name": "x", "type": "uint7"}]}, *TOKEN_ABI]
    )
    assert (
        decoder.decode((TRANSFER_TOPIC, topic_of(ALICE), topic_of(BOB)), word(1))[0] == "Transfer"
    )


# --- round trips with eth_abi --------------------------------------------------------------

ELEMENTARY: dict[str, st.SearchStrategy[Any]] = {
    "uint8": st.integers(0, 2**8 - 1),
    "uint40": st.integers(0, 2**40 - 1),
    "uint256": st.integers(0, 2**256 - 1),
    "int8": st.integers(-(2**7), 2**7 - 1),
    "int72": st.integers(-(2**71), 2**71 - 1),
    "int256": st.integers(-(2**255), 2**255 - 1),
    "address": st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex()),
    "bool": st.booleans(),
    "bytes1": st.binary(min_size=1, max_size=1),
    "bytes20": st.binary(min_size=20, max_size=20),
    "bytes32": st.binary(min_size=32, max_size=32),
    "bytes": st.binary(max_size=70),
    "string": st.text(max_size=20),
}
TYPE_TREES = st.recursive(
    st.sampled_from(sorted(ELEMENTARY)),
    lambda children: st.one_of(
        st.tuples(st.just("array"), children, st.sampled_from([None, 1, 2])),
        st.tuples(st.just("tuple"), st.lists(children, min_size=1, max_size=3).map(tuple)),
    ),
    max_leaves=5,
)


def canonical(tree: Any) -> str:
    if isinstance(tree, str):
        return tree
    if tree[0] == "array":
        return canonical(tree[1]) + (f"[{tree[2]}]" if tree[2] else "[]")
    return "(" + ",".join(canonical(child) for child in tree[1]) + ")"


def abi_item(tree: Any, name: str) -> dict[str, Any]:
    text = canonical(tree)
    if text.startswith("("):
        base = tree
        while base[0] == "array":
            base = base[1]
        suffix = text[len(canonical(base)) :]
        components = [abi_item(child, f"c{i}") for i, child in enumerate(base[1])]
        return {"name": name, "type": "tuple" + suffix, "components": components}
    return {"name": name, "type": text}


@st.composite
def value_for(draw: st.DrawFn, tree: Any) -> tuple[Any, Any]:
    """(value for eth_abi.encode, what AbiDecoder must give back)."""
    if isinstance(tree, str):
        value = draw(ELEMENTARY[tree])
        return value, "0x" + value.hex() if isinstance(value, bytes) else value
    if tree[0] == "array":
        size = tree[2] if tree[2] else draw(st.integers(0, 3))
        pairs = [draw(value_for(tree[1])) for _ in range(size)]
    else:
        pairs = [draw(value_for(child)) for child in tree[1]]
        return tuple(p[0] for p in pairs), {f"c{i}": p[1] for i, p in enumerate(pairs)}
    return [p[0] for p in pairs], [p[1] for p in pairs]


@st.composite
def logs(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[str, ...], str, dict[str, Any]]:
    """A random event, a log of it encoded by eth_abi, and the arguments it holds."""
    trees = draw(st.lists(TYPE_TREES, min_size=0, max_size=5))
    indexed = [draw(st.booleans()) for _ in trees]
    while sum(indexed) > 3:
        indexed[indexed.index(True)] = False
    anonymous = draw(st.booleans())
    items, expected, topics, data_types, data_values = [], {}, [], [], []
    for position, (tree, is_indexed) in enumerate(zip(trees, indexed, strict=True)):
        item = {**abi_item(tree, f"a{position}"), "indexed": is_indexed}
        items.append(item)
        value, expected[item["name"]] = draw(value_for(tree))
        if is_indexed and isinstance(tree, str) and tree not in ("bytes", "string"):
            topics.append("0x" + eth_abi.encode([tree], [value]).hex())
        elif is_indexed:
            expected[item["name"]] = "0x" + draw(st.binary(min_size=32, max_size=32)).hex()
            topics.append(expected[item["name"]])
        else:
            data_types.append(canonical(tree))
            data_values.append(value)
    entry = {"type": "event", "name": "Random", "anonymous": anonymous, "inputs": items}
    if not anonymous:
        topics.insert(0, event_selector(entry))
    return entry, tuple(topics), "0x" + eth_abi.encode(data_types, data_values).hex(), expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs())
def test_decoding_eth_abi_encoded_logs_gives_the_values_back(
    case: tuple[dict[str, Any], tuple[str, ...], str, dict[str, Any]],
) -> None:
    entry, topics, data, expected = case
    assert AbiDecoder([entry]).decode(topics, data) == ("Random", expected)


STATIC_TYPES = [t for t in ELEMENTARY if t not in ("bytes", "string")]
BOUNDARIES = [-2, -1, 0, 1, 2] + [
    edge + delta
    for bits in (7, 8, 39, 40, 71, 72, 159, 160, 255)
    for edge in (2**bits, -(2**bits))
    for delta in (-1, 0, 1)
    if -(2**255) <= edge + delta < 2**256
]
WORDS = st.one_of(
    st.binary(min_size=32, max_size=32),
    st.integers(0, 2**160).map(lambda v: v.to_bytes(32, "big")),
    st.integers(-(2**80), 2**80).map(lambda v: v.to_bytes(32, "big", signed=True)),
    st.binary(min_size=1, max_size=31).map(lambda raw: raw.ljust(32, b"\x00")),
)


def assert_agrees_with_eth_abi(type_: str, raw: bytes, indexed: bool) -> None:
    entry = event("One", ("v", type_, indexed))
    topics = (event_selector(entry), "0x" + raw.hex()) if indexed else (event_selector(entry),)
    name, args = AbiDecoder([entry]).decode(topics, "0x" if indexed else "0x" + raw.hex())
    try:
        [value] = eth_abi.decode([type_], raw)
    except eth_abi.exceptions.DecodingError:
        assert (name, args) == (None, {})
    else:
        expected = "0x" + value.hex() if isinstance(value, bytes) else value
        assert (name, args) == ("One", {"v": expected.lower() if type_ == "address" else expected})


@settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(STATIC_TYPES), WORDS, st.booleans())
def test_the_fast_path_accepts_exactly_the_words_eth_abi_accepts(
    type_: str, raw: bytes, indexed: bool
) -> None:
    assert_agrees_with_eth_abi(type_, raw, indexed)


def test_the_fast_path_agrees_with_eth_abi_at_every_integer_boundary() -> None:
    for type_ in STATIC_TYPES:
        for boundary in BOUNDARIES:
            raw = boundary.to_bytes(32, "big", signed=boundary < 0)
            assert_agrees_with_eth_abi(type_, raw, indexed=False)
            assert_agrees_with_eth_abi(type_, raw, indexed=True)


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.text(alphabet="0123456789abcdefx ", max_size=70), max_size=5), st.text(max_size=200)
)
def test_decode_never_raises_for_any_topics_and_data(topics: list[str], data: str) -> None:
    decoder = AbiDecoder(
        [*TOKEN_ABI, *STANDARDS["erc1155"], event("Anon", ("s", "string", False), anonymous=True)]
    )
    name, args = decoder.decode(tuple(topics), data)
    assert (name is None) == (args == {})


# --- storage form --------------------------------------------------------------------------


def test_storable_args_turns_integers_into_decimal_strings_recursively() -> None:
    args = {
        "value": 2**255,
        "ok": True,
        "who": ALICE,
        "legs": [{"n": -5, "memo": "x"}],
        "raw": "0x00",
    }
    stored = storable_args(args)
    assert stored == {
        "value": str(2**255),
        "ok": True,
        "who": ALICE,
        "legs": [{"n": "-5", "memo": "x"}],
        "raw": "0x00",
    }
    assert orjson.loads(orjson.dumps(stored)) == stored
    assert args["value"] == 2**255


@pytest.mark.parametrize(
    "text",
    [
        "[" * 1000 + "]" * 1000,
        '[{"type":"event","name":' + '{"a":' * 1000 + "1" + "}" * 1001 + "]",
        '{"abi":' + "[" * 1020 + "]" * 1020 + "}",
    ],
)
def test_json_nested_as_deep_as_the_parser_allows_is_refused_not_a_crash(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_abi_json(text)
    assert len(caught.value.params.get("value", "")) <= 80


def test_an_event_with_thirty_thousand_arguments_is_read_whole() -> None:
    inputs = [{"name": f"a{n}", "type": "uint8"} for n in range(30_000)]
    (event,) = parse_abi_json(json.dumps([{"type": "event", "name": "Wide", "inputs": inputs}]))
    assert len(event["inputs"]) == 30_000


def test_a_name_longer_than_a_button_can_show_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_abi_json(json.dumps([{"type": "event", "name": "E" * 65, "inputs": []}]))
    assert caught.value.params["field"] == "name"
    assert parse_abi_json(json.dumps([{"type": "event", "name": "E" * 64, "inputs": []}]))
