"""What every chat channel says about an event, before any markup: its name, its arguments as
plain text (token amounts in whole tokens, integers grouped, long values shortened), and which
deliveries a channel plans at all. Cosmos events read as notifier/cosmos_text.py says."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import orjson
from eth_utils.address import is_hex_address, to_checksum_address

from locales import translate
from notifier.cosmos_text import attribute_summary, cosmos_title, is_cosmos
from notifier.render import render_args
from storage.deliveries import AbiParam, DueDelivery, DueDestination, JsonValue

REVERTED_KIND = "event.reverted"
CONFIRMED_KIND = "event.confirmed"
# More deliveries than this for one destination in one round are sent as digests.
DIGEST_THRESHOLD = 3
MAX_VALUE_CHARS = 300
MAX_DIGEST_LINE_CHARS = 600
# The ERC-20 events whose `value` is an amount of the token, shown in whole tokens.
TOKEN_AMOUNT_EVENTS = ("Transfer", "Approval")
TOKEN_AMOUNT_ARGUMENT = "value"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """How a token's amounts read: `value` in base units is shown as value / 10**decimals."""

    symbol: str
    decimals: int


Send = TypeVar("Send")
Send_co = TypeVar("Send_co", covariant=True)
Message = TypeVar("Message")
Message_contra = TypeVar("Message_contra", contravariant=True)
Explorers = Mapping[str, str | None]


class SendOf(Protocol[Message_contra, Send_co]):
    """A channel's send: the message for a destination, the deliveries it carries and, for an
    edit, the message to edit and whether a gone message is replaced by a new one."""

    def __call__(
        self,
        destination: DueDestination,
        message: Message_contra,
        deliveries: tuple[DueDelivery, ...],
        /,
        edit_ref: str | None = None,
        new_if_gone: bool = True,
    ) -> Send_co: ...


def plan_by_destination(
    due: Sequence[DueDelivery],
    explorers: Explorers,
    *,
    render: Callable[[DueDelivery, str | None], Message],
    send: SendOf[Message, Send],
    digests: Callable[[Sequence[DueDelivery], Explorers], list[Send]],
) -> list[Send]:
    """Edits of earlier notifications one by one; then one message per delivery, or digests
    for a destination with more than DIGEST_THRESHOLD.

    Confirmations without a message of their own to edit (their notification went out in a
    digest) are not planned: see `nothing_to_edit`. A reverted event whose notification is
    gone is told in a new message; a confirmation of a gone one is not.
    """
    sends = [
        send(
            d.destination,
            render(d, explorers.get(d.event.chain)),
            (d,),
            edit_ref=d.original_ref,
            new_if_gone=d.kind == REVERTED_KIND,
        )
        for d in due
        if d.original_ref is not None
    ]
    by_destination: dict[int, list[DueDelivery]] = {}
    for delivery in due:
        if delivery.original_ref is None and delivery.kind != CONFIRMED_KIND:
            by_destination.setdefault(delivery.destination.id, []).append(delivery)
    for group in by_destination.values():
        if len(group) > DIGEST_THRESHOLD:
            sends += digests(group, explorers)
        else:
            sends += [
                send(d.destination, render(d, explorers.get(d.event.chain)), (d,)) for d in group
            ]
    return sends


def nothing_to_edit(due: Sequence[DueDelivery]) -> list[DueDelivery]:
    """Confirmations whose provisional notification has no message of its own to edit (it
    went out in a digest): channels do not send them."""
    return [d for d in due if d.kind == CONFIRMED_KIND and d.original_ref is None]


def token_of(d: DueDelivery) -> TokenInfo | None:
    """How the amounts of this delivery's ERC-20 event read, when its token is known."""
    if d.event.event_name not in TOKEN_AMOUNT_EVENTS:
        return None
    if d.token_symbol is None or d.token_decimals is None:
        return None
    return TokenInfo(d.token_symbol, d.token_decimals)


def event_name(d: DueDelivery) -> str:
    """The title of the notification: the event's name, or a Cosmos event's title."""
    if is_cosmos(d):
        return cosmos_title(d)
    return d.event.event_name or translate(d.language, "notify.unknown_event")


def arguments(d: DueDelivery) -> list[tuple[str, JsonValue, AbiParam | None]]:
    """Arguments in ABI order (addresses checksummed) with the ABI input each belongs to."""
    params = {param.name: param for param in d.abi_inputs}
    rendered = render_args(d.event.args, d.abi_inputs)
    return [(name, value, params.get(name)) for name, value in rendered.items()]


def argument_summary(d: DueDelivery, token: TokenInfo | None) -> str:
    """`from 0xf39F…2266, to 0x7099…79C8, value 1.5 TKN`: a digest line's arguments (a Cosmos
    event's attributes), shortened to MAX_DIGEST_LINE_CHARS."""
    if is_cosmos(d):
        pairs = attribute_summary(d)
    else:
        pairs = [(name, plain_value(value, param, token)) for name, value, param in arguments(d)]
    summary = ", ".join(f"{name} {value}" for name, value in pairs)
    if len(summary) > MAX_DIGEST_LINE_CHARS:
        summary = summary[: MAX_DIGEST_LINE_CHARS - 1] + "…"
    return summary


def is_address(value: str, param: AbiParam | None) -> bool:
    return param.type == "address" if param is not None else is_hex_address(value)


def checksummed(address: str) -> str:
    """EIP-55 form of a hex address; other address formats are kept as they are."""
    return to_checksum_address(address) if is_hex_address(address) else address


def plain_value(value: JsonValue, param: AbiParam | None, token: TokenInfo | None) -> str:
    """An argument as text: amounts and integers readable, long values shortened."""
    abi_type = param.type if param is not None else ""
    number = _as_int(value) if abi_type.startswith(("uint", "int")) else None
    if number is not None and token is not None and _is_token_amount(param):
        return format_token_amount(number, token)
    if number is not None:
        return f"{number:,}"
    if isinstance(value, str) and abi_type == "address":
        return short(value)
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _is_token_amount(param: AbiParam | None) -> bool:
    """The amount is ERC-20's unindexed `value`; indexed integers are ids, never amounts."""
    return (
        param is not None
        and param.name == TOKEN_AMOUNT_ARGUMENT
        and param.type.startswith("uint")
        and not param.indexed
    )


def _as_int(value: JsonValue) -> int | None:
    """Integers are stored as decimal strings (JSON numbers cannot hold uint256)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdecimal():
        return int(value)
    return None


def format_token_amount(value: int, token: TokenInfo) -> str:
    """`1234500000000000000000` with 18 decimals and symbol TKN reads `1,234.5 TKN`."""
    whole, fraction = divmod(abs(value), 10**token.decimals)
    digits = f"{fraction:0{token.decimals}d}".rstrip("0") if token.decimals else ""
    sign = "-" if value < 0 else ""
    return f"{sign}{whole:,}{'.' + digits if digits else ''} {token.symbol}"


def short(value: str) -> str:
    """0x1234…abcd: enough to recognize an address or hash at a glance."""
    return value if len(value) <= 13 else f"{value[:6]}…{value[-4:]}"
