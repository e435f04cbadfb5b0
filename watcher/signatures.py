"""Parsing human-readable event signatures, such as "Transfer(address,uint256)", to ABI entries."""

from __future__ import annotations

import re
from typing import Any

from watcher.abi import MAX_TUPLE_DEPTH, canonical_elementary, canonical_type, is_valid_type, shown
from watcher.errors import InvalidInput

_SIG_TOKEN_RE = re.compile(r"\s*(?:([A-Za-z_$][A-Za-z0-9_$]*)|(\[[0-9]*\])|([(),;]))")

_Token = tuple[str, str, int]
"""(kind, text, position): kind is "name", "array", one of "(),;", or "end"."""


def _signature_tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while True:
        found = _SIG_TOKEN_RE.match(text, position)
        if found is None:
            rest = len(text) - len(text[position:].lstrip())
            if rest == len(text):
                tokens.append(("end", "", len(text)))
                return tokens
            tokens.append(("bad", text[rest], rest))
            return tokens
        name, array, punctuation = found.groups()
        kind = "name" if name else "array" if array else punctuation
        tokens.append((kind, name or array or punctuation, found.start(found.lastindex or 0)))
        position = found.end()


class _SignatureParser:
    """Recursive descent over one signature; tuple nesting is bounded, so is the recursion."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _signature_tokens(text)
        self.at = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def error(self, expected: str, token: _Token | None = None) -> InvalidInput:
        kind, text, position = token or self.peek()
        found = "the end" if kind == "end" else shown(text)
        return InvalidInput(
            "signature.invalid",
            f"event signature {shown(self.text)!r}, character {position + 1}: expected {expected},"
            f" found {found!r}",
            text=shown(self.text),
            position=position + 1,
            expected=expected,
            found=found,
        )

    def accept(self, kind: str, text: str | None = None) -> bool:
        token_kind, token_text, _ = self.peek()
        if token_kind != kind or (text is not None and token_text != text):
            return False
        self.at += 1
        return True

    def take(self, kind: str, expected: str) -> str:
        token = self.peek()
        if not self.accept(kind):
            raise self.error(expected, token)
        return token[1]

    def event(self) -> dict[str, Any]:
        if self.peek()[:2] == ("name", "event") and self.peek(1)[0] == "name":
            self.at += 1
        name = self.take("name", "an event name")
        self.take("(", "'('")
        inputs = self.arguments(0, top=True)
        anonymous = self.accept("name", "anonymous")
        self.accept(";")
        self.take("end", "the end of the signature")
        return {"type": "event", "name": name, "anonymous": anonymous, "inputs": inputs}

    def arguments(self, depth: int, top: bool) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if self.accept(")"):
            return items
        while True:
            items.append(self.argument(items, depth, top))
            if self.accept(")"):
                return items
            self.take(",", "',' or ')'")

    def argument(self, before: list[dict[str, Any]], depth: int, top: bool) -> dict[str, Any]:
        type_part = self.type_(depth)
        indexed = self.accept("name", "indexed") if top else None
        token = self.peek()
        name = self.take("name", "") if token[0] == "name" else f"arg{len(before)}"
        if any(item["name"] == name for item in before):
            raise self.error("a name not used before", token)
        item = {"name": name, "type": type_part["type"]}
        if indexed is not None:
            item["indexed"] = indexed
        if "components" in type_part:
            item["components"] = type_part["components"]
        return item

    def type_(self, depth: int) -> dict[str, Any]:
        if self.peek()[:2] == ("name", "tuple") and self.peek(1)[0] == "(":
            self.at += 1
        start = self.peek()
        if self.accept("("):
            if depth >= MAX_TUPLE_DEPTH:
                raise self.error(f"tuples nested at most {MAX_TUPLE_DEPTH} deep", start)
            components = self.arguments(depth + 1, top=False)
            if not components:
                raise self.error("a tuple with at least one component", start)
            item = {"type": "tuple" + self.arrays(), "components": components}
            if not is_valid_type(canonical_type(item)):
                raise self.error("array sizes of at least 1", start)
            return item
        type_text = self.take("name", "a type") + self.arrays()
        canonical = canonical_elementary(type_text)
        if canonical is None:
            raise self.error("a Solidity type such as uint256", ("name", type_text, start[2]))
        return {"type": canonical}

    def arrays(self) -> str:
        suffix = ""
        while self.peek()[0] == "array":
            suffix += self.take("array", "")
        return suffix


def parse_event_signature(text: str) -> dict[str, Any]:
    """An event entry from "Transfer(address indexed from, address indexed to, uint256 value)"."""
    return _SignatureParser(text if isinstance(text, str) else "").event()
