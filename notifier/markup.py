"""The parts of a notification both chat channels show alike — where the event came from, its
block and transaction, addresses linked to the explorer, whether it may still be undone —
written in either channel's markup: Telegram's HTML or Discord's markdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from locales import translate
from notifier.cosmos_text import Part, contract_part, explorer_path, is_cosmos, message_type
from notifier.event_text import CONFIRMED_KIND, REVERTED_KIND, checksummed, short
from storage.deliveries import DueDelivery


@dataclass(frozen=True, slots=True)
class Markup:
    """A channel's markup. `escape` makes any text show as it is; the others take text that
    is already marked up, except `code`, which takes plain text."""

    escape: Callable[[str], str]
    code: Callable[[str], str]
    bold: Callable[[str], str]
    italic: Callable[[str], str]
    link: Callable[[str, str], str]
    """(url, marked-up text) → the linked text."""

    def explorer_link(self, explorer_url: str | None, path: str, text: str) -> str:
        """`text` linked to the explorer's page at `path`, or as it is without an explorer."""
        url = explorer_page(explorer_url, path)
        return text if url is None else self.link(url, text)

    def address(self, explorer_url: str | None, address: str) -> str:
        """A short EVM address linked to the explorer, or the whole address without one."""
        full = checksummed(address)
        if explorer_url is None:
            return self.code(full)
        return self.explorer_link(explorer_url, f"/address/{full}", self.escape(short(full)))

    def part(self, explorer_url: str | None, part: Part) -> str:
        """A stretch of a Cosmos value: text, or an address shown as EVM addresses are (short
        and linked, or whole where the explorer has no page for it)."""
        if part.address is None:
            return self.escape(part.text)
        if part.linked and explorer_url is not None:
            path = f"/address/{part.address}"
            return self.explorer_link(explorer_url, path, self.escape(part.text))
        return self.code(part.address)

    def origin(self, d: DueDelivery, explorer_url: str | None) -> list[tuple[str, str]]:
        """(label key, value) of who emitted the event: its contract; on a Cosmos chain, the
        contract if one did, and the message type of a message match."""
        if not is_cosmos(d):
            return [("notify.label_contract", self.address(explorer_url, d.event.contract))]
        contract, message = contract_part(d), message_type(d.event)
        origin = [("notify.label_contract", self.part(explorer_url, contract))] if contract else []
        if message is not None:
            origin.append(("notify.label_message", self.code(message)))
        return origin

    def places(self, d: DueDelivery, explorer_url: str | None) -> list[tuple[str, str]]:
        """(label key, value) of its block and transaction, linked to the explorer; a Cosmos
        block-level event has no transaction, and says so."""
        event = d.event
        number = f"{event.block_number:,}"
        block = self.explorer_link(explorer_url, f"/block/{event.block_number}", number)
        if not event.transaction_hash:
            transaction = self.escape(translate(d.language, "notify.block_level"))
        elif explorer_url is None:
            transaction = self.code(event.transaction_hash)
        else:
            shown = self.escape(short(event.transaction_hash))
            transaction = self.explorer_link(explorer_url, explorer_path(event), shown)
        return [("notify.label_block", block), ("notify.label_transaction", transaction)]

    def reverted_notice(self, language: str) -> list[str]:
        title = self.bold(self.escape(translate(language, "notify.reverted_title")))
        explanation = self.escape(translate(language, "notify.reverted_explanation"))
        return [f"⚠️ {title}", explanation, ""]

    def finality_notice(self, d: DueDelivery) -> list[str]:
        """Whether the event can still be undone: provisional, or confirmed after being so."""
        if d.kind == CONFIRMED_KIND:
            return ["", "✅ " + self.escape(translate(d.language, "notify.confirmed"))]
        if d.kind != REVERTED_KIND and d.provisional:
            notice = self.escape(translate(d.language, "notify.provisional"))
            return ["", "⏳ " + self.italic(notice)]
        return []


def explorer_page(explorer_url: str | None, path: str) -> str | None:
    """The explorer's page; the path's values are quoted so that they cannot end the link."""
    if explorer_url is None:
        return None
    return explorer_url.rstrip("/") + quote(path, safe="/")
