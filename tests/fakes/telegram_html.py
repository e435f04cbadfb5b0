"""Telegram's HTML subset as the fake checks it: allowed tags, balance, the text users see."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.fakes.telegram_objects import ApiError

HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
    | {"span", "tg-spoiler", "tg-emoji", "blockquote"}
)


class _VisibleText(HTMLParser):
    """Checks Telegram's HTML subset and collects the text the user will see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"')

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


# Telegram knows the numeric entities and these four named ones; any other <, > or & must be
# written as one of them.
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")
_TAG = re.compile(r"</?[a-z][a-z-]*(?:\s[^<>]*)?>")


def visible_text(text: str, parse_mode: str | None) -> str:
    if (parse_mode or "").upper() != "HTML":
        return text
    bare = _ENTITY.sub("", _TAG.sub("", text))
    if at := next((c for c in bare if c in "<>&"), None):
        raise ApiError(400, f"Bad Request: can't parse entities: unescaped {at!r}")
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise ApiError(400, "Bad Request: can't parse entities: Can't find end tag")
    return "".join(parser.parts)
