"""Telegram's HTML subset as the fake checks it: allowed tags, balance, the text users see."""

from __future__ import annotations

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


def visible_text(text: str, parse_mode: str | None) -> str:
    if (parse_mode or "").upper() != "HTML":
        return text
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise ApiError(400, "Bad Request: can't parse entities: Can't find end tag")
    return "".join(parser.parts)
