"""Hostile uploads, typed text, taps, forged callback data and commands: the core never raises,
and every reply renders on Telegram and on Discord in every language (tests/support/
rendering.py says what is checked).

Uploaded files go through the wizard's ABI step itself (1,200 examples) and through the core
over a real database (50 walks of 4 uploads per backend): names with markup, NUL, RTL
overrides, emoji, hundreds of characters; contents of random bytes, other encodings, JSON
nested a thousand deep, numbers no float holds, huge strings, ABI entries of every wrong
shape, artifacts with junk `abi`, sizes over the limit announced or hidden. Hostile walks
(40 of 14 inputs per backend) mix everything a person can send, and every action that carries
an id is forged with ids at the edges of what the database holds.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.caller import Caller
from bot.core.dispatch import COMMANDS, BotCore
from bot.core.replies import Choice, Reply, text
from bot.core.wizard_state import Step, WizardState
from bot.core.wizard_steps import file_given
from bot.core.wizard_types import MAX_ABI_BYTES, FileInput, WizardFacts
from bot.telegram.render import Rendered
from tests.bot.core.conftest import NFT, PLAIN, START, USDC, WALLET, Clock, action, person
from tests.bot.test_input_fuzz import HOSTILE, PIECES
from tests.fakes.discord_limits import components_problems
from tests.fakes.telegram_objects import ApiError as TelegramError
from tests.support.builders import ERC20_ABI
from tests.support.rendering import assert_renders, check_telegram

T = TypeVar("T")
# Python's own limit, which the bot runs with. Hypothesis raises it while a test runs, which
# would hide a parser that recurses as deep as its input is nested.
PRODUCTION_RECURSION_LIMIT = 1000
FUZZ = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
# Shrinking a walk over a database takes minutes; the draws a failure prints replay it.
DB_FUZZ = settings(FUZZ, phases=[Phase.explicit, Phase.reuse, Phase.generate])


@contextmanager
def production_recursion_limit() -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(PRODUCTION_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


# What platforms send as the user's language; every reply is checked in each language anyway.
LANGUAGE_CODES = st.sampled_from(["en", "es", "ru", "zh_Hans", "zh-CN", "pt-BR", None])

# --- uploaded files -------------------------------------------------------------------------

FILE_NAMES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["abi.json", "<b>abi</b>.json", "a&amp;b.json", "*_`~|>.json", "\x00.json", "", " ",
         "abi\u202enosj.exe", "😀.json", ".json", "\ufeff.json", "@everyone.json",
         "[x](https://e.com).json", "<@1>&#0;.json"]
    ),
    st.builds(lambda piece, count: piece * count, st.sampled_from(PIECES), st.integers(1, 400)),
)  # fmt: skip
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(PIECES),
)
JSON_JUNK = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
TYPE_NAMES = st.one_of(
    st.sampled_from(
        ["uint256", "uint", "address", "bytes32", "string", "uint99999", "int7", "bytes0",
         "bytes33", "tuple", "tuple[]", "tuple[][][]", "tuple[0]", "address[0]", "uint8[" +
         "9" * 300 + "]", "string[99999999999999999999]", "fixed128x18", "ufixed8x99",
         "function", "tuple(uint256)", "uint256 indexed", "<b>", ""]
    ),
    st.text(max_size=20),
)  # fmt: skip
ARGUMENT_NAMES = st.one_of(
    st.from_regex(r"[A-Za-z_$][A-Za-z0-9_$]{0,12}", fullmatch=True),
    st.sampled_from(["", "a b", "<b>", "é", "😀", "A" * 300, "arg0", "value"]),
    JSON_JUNK,
)
LEAF_ARGUMENTS = st.fixed_dictionaries(
    {},
    optional={
        "name": ARGUMENT_NAMES,
        "type": TYPE_NAMES | JSON_JUNK,
        "indexed": st.booleans() | JSON_JUNK,
    },
)
ARGUMENTS = st.recursive(
    LEAF_ARGUMENTS,
    lambda inner: st.fixed_dictionaries(
        {
            "type": st.sampled_from(["tuple", "tuple[]", "tuple[2]", "tuple[][][]", "tuple[0]"]),
            "components": st.lists(inner, max_size=3) | JSON_JUNK,
        },
        optional={"name": ARGUMENT_NAMES, "indexed": st.booleans()},
    ),
    max_leaves=6,
)
ABI_EVENTS = st.fixed_dictionaries(
    {"type": st.just("event") | JSON_JUNK},
    optional={
        "name": ARGUMENT_NAMES,
        "inputs": st.lists(ARGUMENTS, max_size=5) | JSON_JUNK,
        "anonymous": st.booleans() | JSON_JUNK,
    },
)
WIDE_EVENTS = st.builds(
    lambda count, type_: {"type": "event", "name": "Wide", "inputs": [{"type": type_}] * count},
    st.integers(0, 1000),
    TYPE_NAMES,
)
ENTRY_LISTS = st.lists(ABI_EVENTS | WIDE_EVENTS | JSON_JUNK, max_size=5)
DOCUMENTS = st.one_of(
    ENTRY_LISTS,
    # A Hardhat artifact, then a Foundry one.
    st.builds(
        lambda abi: {"contractName": "Token", "abi": abi, "bytecode": "0x6080"},
        ENTRY_LISTS | JSON_JUNK,
    ),
    st.builds(
        lambda abi: {"abi": abi, "bytecode": {"object": "0x6080"}, "methodIdentifiers": {}},
        ENTRY_LISTS | JSON_JUNK,
    ),
    JSON_JUNK,
)
# (before, opening, innermost, closing, after): the opening and closing repeated `depth` times.
NESTINGS = {
    "lists": ("", "[", "", "]", ""),
    "unclosed lists": ("", "[", "", "", ""),
    "objects": ("", '{"a":', "1", "}", ""),
    "event name": ('[{"type":"event","name":', '{"a":', "1", "}", "}]"),
    "artifact abi": ('{"abi":', "[", "", "]", "}"),
    "inputs": ('[{"type":"event","name":"E","inputs":[', "[", "", "]", "]}]"),
    "components": (
        '[{"type":"event","name":"E","inputs":[',
        '{"type":"tuple","components":[',
        '{"type":"uint8"}',
        "]}",
        "]}]",
    ),
}


def nested(form: str, depth: int) -> str:
    before, opening, innermost, closing, after = NESTINGS[form]
    return before + opening * depth + innermost + closing * depth + after


DEEP = st.builds(
    nested,
    st.sampled_from(sorted(NESTINGS)),
    st.sampled_from([2, 100, 500, 900, 1000, 1023, 1024, 5000, 100_000]) | st.integers(1, 1100),
)
HUGE_NUMBERS = st.sampled_from(
    ["1e999", "-1e999", "1e-999", "1" + "0" * 5000, "-" + "9" * 5000, "0." + "0" * 5000 + "1",
     "18446744073709551616", "NaN", "Infinity"]
)  # fmt: skip
VALUE_PLACES = st.sampled_from(
    ["[{}]", '{{"abi":{}}}', '[{{"type":"event","name":{}}}]',
     '[{{"type":"event","name":"E","anonymous":{}}}]',
     '[{{"type":"event","name":"E","inputs":[{{"type":"uint8","indexed":{}}}]}}]',
     '[{{"type":"event","name":"E","inputs":[{{"name":{},"type":"uint8"}}]}}]',
     '[{{"type":"event","name":"E","inputs":[{{"type":{}}}]}}]']
)  # fmt: skip
HUGE = st.builds(str.format, VALUE_PLACES, HUGE_NUMBERS)
LONG_STRINGS = st.builds(
    lambda place, piece, count: place.format(json.dumps(piece * count)),
    VALUE_PLACES,
    st.sampled_from(["A", "_$", "<b>&", "😀", "é", "\\", "\u202e", "*_`"]),
    st.integers(1, 20_000) | st.just(120_000),
)
JSON_TEXTS = st.one_of(
    st.builds(json.dumps, DOCUMENTS, ensure_ascii=st.booleans()),
    DEEP,
    HUGE,
    LONG_STRINGS,
    HOSTILE,
    st.sampled_from(
        [json.dumps(ERC20_ABI), json.dumps({"abi": ERC20_ABI}), "", " ", "[]", "{}", "null",
         "Transfer(address indexed from, address indexed to, uint256 value)", "Transfer(",
         "E(uint99999 x)", "[" + json.dumps(ERC20_ABI[0]) + "] trailing"]
    ),
)  # fmt: skip
ENCODINGS = st.sampled_from(
    ["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32", "latin-1"]
)
ENCODED = st.builds(
    lambda text_, encoding: text_.encode(encoding, "replace"), JSON_TEXTS, ENCODINGS
)
PREFIXED = st.builds(
    bytes.__add__,
    st.sampled_from(
        [b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
         b"\x80", b"PK\x03\x04", b"\x1f\x8b"]
    ),
    ENCODED,
)  # fmt: skip
AT_THE_LIMIT = st.builds(
    lambda extra, fill: b"[" + fill * ((MAX_ABI_BYTES - 2 + extra) // len(fill)) + b"]",
    st.integers(-4, 4) | st.integers(5, 4096),
    st.sampled_from([b" ", b"{}, ", b"\xff", b"0,"]),
)
CONTENTS = st.one_of(ENCODED, PREFIXED, st.binary(max_size=300), AT_THE_LIMIT, DEEP.map(str.encode))


@dataclass(frozen=True)
class Upload:
    """A file as the platform hands it over: its name, announced size and bytes."""

    name: str
    size_bytes: int
    content: bytes

    @property
    def too_large(self) -> bool:
        return max(self.size_bytes, len(self.content)) > MAX_ABI_BYTES


def uploads(names: st.SearchStrategy[str]) -> st.SearchStrategy[Upload]:
    """A file as the platform announces it: its size honest, over the limit, or too small."""

    @st.composite
    def upload(draw: st.DrawFn) -> Upload:
        content = draw(CONTENTS)
        honest = len(content)
        size = draw(
            st.one_of(
                st.just(honest),
                st.just(honest),
                st.integers(MAX_ABI_BYTES + 1, 2**63),
                st.integers(-1, max(honest - 1, 0)),
            )
        )
        return Upload(draw(names), size, content)

    return upload()


def deeply_nested(form: str, depth: int) -> Upload:
    """Nesting just within the JSON parser's depth limit (1,024)."""
    content = nested(form, depth).encode()
    return Upload("abi.json", len(content), content)


AT_ABI = WizardState(Step.ABI, "run1", START, chain="mainnet", address=PLAIN)
FACTS = WizardFacts(chains=("mainnet", "base"))


@settings(FUZZ, max_examples=1200)
@given(upload=uploads(FILE_NAMES))
@example(upload=deeply_nested("lists", 1000))
@example(upload=deeply_nested("event name", 1000))
@example(upload=deeply_nested("inputs", 1000))
@example(upload=deeply_nested("artifact abi", 1023))
def test_any_file_at_the_abi_step_is_refused_or_taken_and_the_answer_renders(
    upload: Upload,
) -> None:
    given_file = FileInput(upload.name, upload.size_bytes, upload.content)
    with production_recursion_limit():
        outcome = file_given(AT_ABI, given_file, FACTS, START)
    if upload.too_large:
        assert outcome.reply.text.key == "bot.wizard.file_too_large"
    if outcome.state.step == Step.EVENTS:
        assert outcome.state.abi
    else:
        assert outcome.state == AT_ABI
    assert_renders(outcome.reply)


def _offered(reply: Reply) -> list[str]:
    return [c.action for row in reply.choices for c in row if isinstance(c, Choice)]


UPLOADERS = itertools.count(7000)
# A lone surrogate reaches the core from JSON escapes in an update; NUL from any client.
CORE_FILE_NAMES = FILE_NAMES | st.sampled_from(["\ud800abi.json", "abi\x00.json"])


@settings(DB_FUZZ, max_examples=50)
@given(data=st.data())
async def test_files_uploaded_through_the_core_get_answers_that_render(
    core: BotCore, data: st.DataObject
) -> None:
    with production_recursion_limit():
        await _upload_files(core, data)


async def _upload_files(core: BotCore, data: st.DataObject) -> None:
    me, clock = person(str(next(UPLOADERS)), data.draw(LANGUAGE_CODES)), Clock()
    reply = await core.command(me, "subscribe", "", clock.tick())
    reply = await core.action(me, action(reply, "mainnet"), clock.tick())
    reply = await core.message(me, PLAIN, clock.tick())
    assert_renders(reply)
    for _ in range(4):
        upload = data.draw(uploads(CORE_FILE_NAMES))
        reply = await core.file(me, upload.name, upload.size_bytes, upload.content, clock.tick())
        assert_renders(reply)
        other_abi = [offered for offered in _offered(reply) if offered.endswith(":abi")]
        if other_abi:  # back to the ABI step for the next file
            reply = await core.action(me, other_abi[0], clock.tick())
            assert_renders(reply)


# --- hostile walks --------------------------------------------------------------------------

# Hostile text without NUL, for the parts of the one-line form: a NUL anywhere refuses the
# whole line before any part of it is looked at.
STORABLE = HOSTILE.map(lambda typed: typed.replace("\x00", ""))
CHAINS = st.sampled_from(["mainnet", "base", "MAINNET", "cosmoshub"]) | STORABLE
ADDRESSES = st.sampled_from([USDC, NFT, PLAIN, WALLET, USDC.lower(), "0x" + "F" * 40]) | STORABLE
EVENT_NAMES = STORABLE | st.sampled_from(
    ["Transfer", "Approval", "Transfer(address indexed from, address indexed to, uint256 value)",
     "Transfer(", "E(uint99999 x)", "Transfer(address indexed <b>)"]
)  # fmt: skip
FILTERS = STORABLE | st.sampled_from(
    ["", "value > 1", "value > 1e999", "value >= " + "9" * 80, f"from == {WALLET}", "to == <b>",
     "value > 1.5 USDC", "((((((", "value > 1 and " * 300]
)  # fmt: skip
ONE_LINE_ARGUMENTS = st.builds(" ".join, st.tuples(CHAINS, ADDRESSES, EVENT_NAMES, FILTERS))
URLS = st.one_of(
    HOSTILE,
    st.builds(
        lambda scheme, host, path: scheme + host + path,
        st.sampled_from(["https://", "http://", "", "javascript:", "HTTPS://", "https:///"]),
        st.sampled_from(
            ["example.com", "127.0.0.1", "[::1]", "[::1", "user:pw@example.com", "例え.jp",
             "discord.com", "localhost", "0x7f.1", "example.com:99999", "ex\u202eample.com",
             "<b>.com", "a" * 300 + ".com", ""]
        ),
        st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    ),
    st.sampled_from(
        ["https://discord.com/api/webhooks/1/abc", "https://discordapp.com/api/webhooks/x/<b>",
         "https://discord.com/api/webhooks/" + "9" * 30 + "/" + "x" * 5000]
    ),
)  # fmt: skip
COMMAND_CALLS = st.one_of(
    st.tuples(st.just("webhook"), URLS),
    st.tuples(st.just("subscribe"), ONE_LINE_ARGUMENTS),
    st.tuples(st.sampled_from([*COMMANDS, "LIST", "/history", "nope", ""]), st.just("") | HOSTILE),
)
# Answers that move the wizard on, at one step or another.
FITTING = st.sampled_from(
    [USDC, NFT, PLAIN, "Transfer", "value > 1.5", f"from == {WALLET}", json.dumps(ERC20_ABI),
     "Transfer(address indexed from, address indexed to, uint256 value)", "value >= 1e18"]
)  # fmt: skip
TYPED = st.one_of(
    HOSTILE,
    ONE_LINE_ARGUMENTS.map("subscribe ".__add__),
    st.sampled_from([USDC, NFT, PLAIN, WALLET, "mainnet", "Transfer", "value > 1.5", "/cancel"]),
    st.just(json.dumps(ERC20_ABI)),
    DEEP,
)
FORGED = st.one_of(
    st.builds(
        str.format,
        st.sampled_from(["sub:show:{}", "sub:pause:{}", "mute:{}", "dest:rot:{}", "dest:on:{}"]),
        st.sampled_from(["2147483647", "2147483648", "999999999999"]) | st.integers(),
    ),
    st.builds(
        lambda prefix, rest: f"{prefix}:{rest}"[:100],
        st.sampled_from(["w", "sub", "hist", "lang", "dest", "menu", "mute", "type", "x", ""]),
        HOSTILE,
    ),
    st.sampled_from(
        ["lang:zh_Hans", "lang:ZH", "lang:", "hist:" + "9" * 12, "hist:" + "9" * 80, "sub:show:0",
         "sub:show:-1", "dest:on:²", "menu:subscribe", "menu:webhook", "mute:1", "w:zzzzzz:ok",
         "@dm|w:x:ok", "type:abi:run1", "pick:0", "toggle:0"]
    ),
)  # fmt: skip


@dataclass
class Walk:
    """One person's walk: the core, who they are, the time, what hypothesis draws next."""

    core: BotCore
    me: Caller
    clock: Clock
    data: st.DataObject
    reply: Reply

    def draw(self, strategy: st.SearchStrategy[T]) -> T:
        return self.data.draw(strategy)


async def head_start(walk: Walk, where: str) -> Reply:
    """The first replies of a walk: a welcome, or a subscription's details, a wizard at its
    ABI, events or filter step, a webhook among the destinations."""
    core, me, clock = walk.core, walk.me, walk.clock
    if where == "subscribed":
        for line in (f"mainnet {USDC} Transfer value > 1", f"base {NFT} Transfer"):
            assert_renders(await core.command(me, "subscribe", line, clock.tick()))
        listed = await core.command(me, "list", "", clock.tick())
        assert_renders(listed)
        shown = [offered for offered in _offered(listed) if offered.startswith("sub:show:")]
        if not shown:
            return listed
        # A test notification: its sample renders as the notifier renders a real one.
        tested = await core.action(me, shown[0].replace(":show:", ":test:"), clock.tick())
        assert_renders(tested)
        return await core.action(me, shown[0], clock.tick())
    if where == "at the ABI step":
        return await core.subscribe_with(me, "mainnet", PLAIN, clock.tick())
    if where.startswith("at the"):
        reply = await core.subscribe_with(me, "mainnet", USDC, clock.tick())
        if where == "at the filter step":
            for verb in (":e:0", ":done"):
                assert_renders(reply)
                chosen = [offered for offered in _offered(reply) if offered.endswith(verb)]
                reply = await core.action(me, chosen[0], clock.tick()) if chosen else reply
        return reply
    if where == "with a webhook":
        assert_renders(await core.command(me, "webhook", "https://example.com/h", clock.tick()))
        return await core.command(me, "destinations", "", clock.tick())
    return await core.command(me, "start", "", clock.tick())


async def advance(walk: Walk) -> Reply:
    """On towards the wizard's end: any offered choice but Cancel, or a fitting answer."""
    onward = [offered for offered in _offered(walk.reply) if not offered.endswith(":x")]
    if onward and walk.draw(st.integers(0, 3)) > 0:
        chosen = walk.draw(st.sampled_from(onward))
        return await walk.core.action(walk.me, chosen, walk.clock.tick())
    return await walk.core.message(walk.me, walk.draw(FITTING), walk.clock.tick())


async def tap(walk: Walk) -> Reply:
    offered = _offered(walk.reply)
    if not offered:
        return await walk.core.command(walk.me, "subscribe", "", walk.clock.tick())
    return await walk.core.action(walk.me, walk.draw(st.sampled_from(offered)), walk.clock.tick())


async def type_text(walk: Walk) -> Reply:
    return await walk.core.message(walk.me, walk.draw(TYPED), walk.clock.tick())


async def forge(walk: Walk) -> Reply:
    offered, from_offered = _offered(walk.reply), walk.draw(st.booleans())
    if offered and from_offered:
        # An offered action with its last part replaced: the run and prefix stay plausible.
        head = walk.draw(st.sampled_from(offered)).rpartition(":")[0]
        forged = f"{head}:{walk.draw(HOSTILE)}"[:100]
    else:
        forged = walk.draw(FORGED)
    return await walk.core.action(walk.me, forged, walk.clock.tick())


async def upload_file(walk: Walk) -> Reply:
    upload = walk.draw(uploads(CORE_FILE_NAMES))
    now = walk.clock.tick()
    return await walk.core.file(walk.me, upload.name, upload.size_bytes, upload.content, now)


async def command(walk: Walk) -> Reply:
    name, argument = walk.draw(COMMAND_CALLS)
    return await walk.core.command(walk.me, name, argument, walk.clock.tick())


async def subscribe_with_options(walk: Walk) -> Reply:
    """Discord's /subscribe with its chain, address and filter options."""
    chain, address, filter_text = walk.draw(st.tuples(CHAINS, ADDRESSES, FILTERS))
    return await walk.core.subscribe_with(walk.me, chain, address, walk.clock.tick(), filter_text)


STEPS: dict[str, Callable[[Walk], Awaitable[Reply]]] = {
    "advance": advance,
    "tap": tap,
    "type": type_text,
    "forge": forge,
    "file": upload_file,
    "command": command,
    "subscribe with options": subscribe_with_options,
}
# Moving on is drawn thrice as often as each other kind of step, else few walks get far.
STEP_KINDS = st.sampled_from(["advance", "advance", *sorted(STEPS)])
HEAD_STARTS = [
    "fresh",
    "subscribed",
    "at the ABI step",
    "at the events step",
    "at the filter step",
    "with a webhook",
]
CALLER_KINDS = ["telegram", "telegram", "discord", "group admin", "group member"]
WALKERS = itertools.count(8000)


def caller(kind: str, language: str | None) -> Caller:
    user = str(next(WALKERS))
    if kind == "discord":
        return Caller("discord", user, user, "private", False, language)
    if kind.startswith("group"):
        return Caller("telegram", user, f"-{user}", "group", kind == "group admin", language)
    return person(user, language)


@settings(DB_FUZZ, max_examples=40)
@given(data=st.data())
async def test_hostile_walks_get_answers_that_render_in_every_language(
    core: BotCore, data: st.DataObject
) -> None:
    with production_recursion_limit():
        await _walk(core, data)


async def _walk(core: BotCore, data: st.DataObject) -> None:
    me = caller(data.draw(st.sampled_from(CALLER_KINDS)), data.draw(LANGUAGE_CODES))
    walk = Walk(core, me, Clock(), data, Reply(text("bot.expired")))
    walk.reply = await head_start(walk, data.draw(st.sampled_from(HEAD_STARTS)))
    assert_renders(walk.reply)
    for _ in range(14):
        walk.reply = await STEPS[data.draw(STEP_KINDS)](walk)
        assert_renders(walk.reply)


# Ids at the edges of what parse_id reads (12 digits), of a 32-bit column, and digits that
# are not ASCII.
EDGE_IDS = ["0", "1", "2147483647", "2147483648", "999999999999", "9999999999999", "²", "-1"]
ID_ACTIONS = [
    "sub:show:{}",
    "sub:test:{}",
    "sub:pause:{}",
    "sub:mute:{}:1",
    "sub:del:{}",
    "sub:delok:{}",
    "mute:{}",
    "hist:{}",
    "dest:rot:{}",
    "dest:on:{}",
]


@pytest.mark.parametrize("template", ID_ACTIONS)
async def test_forged_ids_at_the_edges_get_answers_that_render(
    core: BotCore, template: str
) -> None:
    me, clock = person("9000"), Clock()
    await core.command(me, "subscribe", f"mainnet {USDC} Transfer", clock.tick())
    await core.command(me, "webhook", "https://example.com/h", clock.tick())
    for edge in EDGE_IDS:
        assert_renders(await core.action(me, template.format(edge), clock.tick()))


# --- the checks themselves ------------------------------------------------------------------


def _keyboard(**button: Any) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(**button)]])


@pytest.mark.parametrize(
    "rendered",
    [
        Rendered("<b>open", None),
        Rendered("<u>x</b>", None),
        Rendered("<script>x</script>", None),
        Rendered("a & b", None),
        Rendered("a &nbsp; b", None),
        Rendered("x" * 4097, None),
        Rendered("😀" * 2049, None),
        Rendered("<b> </b>", None),
        Rendered("ok", _keyboard(text="ok", callback_data="é" * 33)),
        Rendered("ok", _keyboard(text=" ", callback_data="x")),
    ],
    ids=lambda rendered: repr(rendered.html[:12]),
)
def test_the_telegram_checks_refuse_what_telegram_refuses(rendered: Rendered) -> None:
    with pytest.raises((AssertionError, TelegramError)):
        check_telegram(rendered)


ONE_OPTION = [{"label": "a", "value": "a"}]


@pytest.mark.parametrize(
    "component",
    [
        {"type": 2, "style": 2, "label": "", "custom_id": "a"},
        {"type": 2, "style": 5, "label": "x", "custom_id": "a"},
        {"type": 3, "custom_id": "s", "placeholder": "p" * 151, "options": ONE_OPTION},
        {"type": 3, "custom_id": "s", "options": []},
        {"type": 3, "custom_id": "s", "options": [{"label": "a" * 101, "value": "a"}]},
        {"type": 3, "custom_id": "s", "options": ONE_OPTION * 2},
        {"type": 3, "custom_id": "s", "max_values": 2, "options": ONE_OPTION},
        {"type": 3, "custom_id": "s" * 101, "options": ONE_OPTION},
    ],
)
def test_the_discord_checks_refuse_what_discord_refuses(component: dict[str, Any]) -> None:
    assert components_problems([{"type": 1, "components": [component]}])


def test_a_long_reply_full_of_markup_renders() -> None:
    reply = Reply(
        text("bot.plain", text="<b>&amp; *_`~|| @everyone " * 400),
        ((Choice(text("bot.plain", text="<i>" * 40), "w:run1:e:0"),),),
        (text("bot.help.text"),),
    )
    assert_renders(reply)
