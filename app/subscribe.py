"""Checking the options of `blockbell subscribe`, and CommandError, which ends any command.

On an EVM chain a subscription names a contract (`--address`) and one of its events. On a
Cosmos chain it names one of three things, stored as the Cosmos index reads them
(watcher/cosmos_subscriptions.py): an ABCI event type (`--event`, `address` the `--contract`
or "" for any emitter), a message type URL (`--message`, `address` the `--contract` of an
x/wasm message such as MsgExecuteContract, or ""), or an account's failed transactions
(`--failed-by`, `address` the account).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cosmpy.crypto.address import Address
from cosmpy.protos.cosmwasm.wasm.v1 import tx_pb2 as wasm_tx

from app.settings import Settings
from notifier.webhook_targets import TargetRules, UrlProblem, check_webhook_url, webhook_host
from watcher.abi import event_selector, find_event, parse_abi_json, parse_address, shown
from watcher.cosmos_filters import parse_cosmos_filter
from watcher.cosmos_subscriptions import (
    FAILED_TX,
    MESSAGE_MARK,
    WILDCARD,
    parse_event_type,
    parse_message_type,
    subscription_kind,
)
from watcher.errors import InvalidInput
from watcher.filters import parse_filter
from watcher.signatures import parse_event_signature
from watcher.standards import STANDARDS
from watcher.types import ChainSpec

EXIT_BAD_INPUT = 2
T = TypeVar("T")

EVENT_TYPE_EXAMPLES = "transfer, wasm or wasm-*"
EXECUTE_CONTRACT = "/cosmwasm.wasm.v1.MsgExecuteContract"
# The x/wasm messages acting on one contract, whose `contract` field the Cosmos index matches
# --contract against: MsgExecuteContract, MsgMigrateContract, MsgUpdateAdmin, ...
CONTRACT_MESSAGES = frozenset(
    MESSAGE_MARK + message.full_name
    for message in wasm_tx.DESCRIPTOR.message_types_by_name.values()
    if "contract" in message.fields_by_name
)
# A protobuf message's full name after a slash, as the SDK writes type URLs.
_TYPE_URL_RE = re.compile(r"/[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
# Accounts and contracts (pre-wasmd 0.29 contracts too) hold 20 bytes; interchain accounts
# and contracts 32.
_ADDRESS_BYTES = (20, 32)

_EVM_REQUIRED = {
    "--address": "the contract address (0x...)",
    "--event": "an event name, full signature, or '*' for every event",
}
# Options of the other family, each with what to give instead.
_EVM_ONLY = {
    "address": "name a CosmWasm contract with --contract",
    "abi": f"Cosmos events need no ABI: give --event TYPE, such as {EVENT_TYPE_EXAMPLES}",
    "standard": f"Cosmos events need no standard: give --event TYPE, such as {EVENT_TYPE_EXAMPLES}",
}
_COSMOS_ONLY = {
    "message": "give --address and --event for a contract's events",
    "contract": "name the contract with --address",
    "failed_by": "failed transactions are watched on Cosmos chains only",
}


class CommandError(Exception):
    """What went wrong, in one line that also says what to do; ends the command."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """A validated `blockbell subscribe` request (on a Cosmos chain: no ABI, no selector)."""

    chain: str
    address: str
    abi: list[dict[str, Any]]
    standard: str | None
    event_name: str | None
    selector: str | None
    filter_expr: str
    url: str
    instant: bool = False


def validate_subscription(args: argparse.Namespace, settings: Settings) -> NewSubscription:
    """Every option of `blockbell subscribe` checked, or a CommandError naming the bad one."""
    if args.chain not in settings.chains:
        known = ", ".join(settings.chains) or "none"
        raise CommandError(
            f"--chain: no chain {args.chain!r} in {settings.config_path} (configured: {known});"
            f" add a [chains.{args.chain}] table or pick a configured chain"
        )
    spec = settings.chains[args.chain].to_spec(args.chain)
    if spec.family == "cosmos":
        return validate_cosmos_subscription(args, spec, settings.webhook_targets)
    _refuse_options(args, _COSMOS_ONLY, f"{args.chain!r} is an EVM chain")
    address = _checked("--address", parse_address, _required(args.address, "--address"))
    _required(args.event, "--event")
    abi = _chosen_abi(args)
    event = None if args.event.strip() == "*" else _checked("--event", find_event, abi, args.event)
    return NewSubscription(
        chain=args.chain,
        address=address,
        abi=abi,
        standard=args.standard,
        event_name=None if event is None else str(event["name"]),
        selector=None if event is None or event.get("anonymous") else event_selector(event),
        filter_expr=_filter_expression(args.filter, event),
        url=_webhook_url(args.webhook, settings.webhook_targets),
        instant=bool(getattr(args, "instant", False)),
    )


def validate_cosmos_subscription(
    args: argparse.Namespace, spec: ChainSpec, targets: TargetRules
) -> NewSubscription:
    """The options of a subscription on a Cosmos chain: exactly one of --event, --message
    and --failed-by, with --contract where it narrows what matches."""
    _refuse_options(args, _EVM_ONLY, f"{spec.name!r} is a Cosmos chain")
    address, event_name = _cosmos_target(args, spec)
    return NewSubscription(
        chain=spec.name,
        address=address,
        abi=[],
        standard=None,
        event_name=event_name,
        selector=None,
        filter_expr=_cosmos_filter_expression(args.filter, spec),
        url=_webhook_url(args.webhook, targets),
        instant=bool(getattr(args, "instant", False)),
    )


def _cosmos_target(args: argparse.Namespace, spec: ChainSpec) -> tuple[str, str | None]:
    """The subscription's `address` and `event_name`, as the Cosmos index reads them."""
    contract = "" if args.contract is None else _bech32_address("--contract", args.contract, spec)
    if args.failed_by is not None:
        if contract:
            raise _contract_misplaced("--failed-by")
        return _bech32_address("--failed-by", args.failed_by, spec), FAILED_TX
    if args.message is not None:
        return contract, _message_type(args.message, contract)
    if args.event is not None:
        return contract, _cosmos_event_type(args.event, contract)
    raise CommandError(
        f"say what to notify on {spec.name!r}: --event TYPE (such as {EVENT_TYPE_EXAMPLES}),"
        " --message TYPE_URL (such as /cosmos.gov.v1.MsgVote) or --failed-by ADDRESS (an"
        " account's failed transactions)"
    )


def _required(value: str | None, option: str) -> str:
    if value is None:
        raise CommandError(f"{option} is required on EVM chains: {_EVM_REQUIRED[option]}")
    return value


def _refuse_options(args: argparse.Namespace, options: Mapping[str, str], why: str) -> None:
    """A CommandError for the first of `options` (attribute -> what to do instead) given."""
    for name, advice in options.items():
        if getattr(args, name, None) is not None:
            option = "--" + name.replace("_", "-")
            raise CommandError(f"{option} does not apply: {why}; {advice}")


def _contract_misplaced(option: str) -> CommandError:
    return CommandError(
        f"--contract goes with --event, or with --message for an x/wasm message naming a"
        f" contract (such as {EXECUTE_CONTRACT}), not with {option}"
    )


def _bech32_address(option: str, text: str, spec: ChainSpec) -> str:
    """The lower-case form of an account or contract address of the chain."""
    text = text.strip()
    expected = f"{spec.bech32_prefix}1…"
    try:
        size = len(bytes(Address(text)))
    except (RuntimeError, TypeError, ValueError):
        raise CommandError(
            f"{option}: {shown(text)!r} is not a bech32 address: expected one such as"
            f" {expected} with a valid checksum; check it for a typo"
        ) from None
    prefix = text.rpartition("1")[0].lower()
    if prefix != spec.bech32_prefix:
        raise CommandError(
            f"{option}: {shown(text)!r} has the prefix {prefix!r}, but {spec.name!r} uses"
            f" {spec.bech32_prefix!r}: its accounts and contracts start with {expected}"
        )
    if size not in _ADDRESS_BYTES:
        raise CommandError(
            f"{option}: {text!r} holds {size} bytes: an account or contract address holds 20 or 32"
        )
    return text.lower()


def _cosmos_event_type(text: str, contract: str) -> str | None:
    """The ABCI event type (None: every type, only for one contract's events)."""
    text = text.strip()
    kind = subscription_kind(text)
    if kind == "message":
        raise CommandError(
            f"--event: {shown(text)!r} is a message type URL: give it as --message {shown(text)}"
        )
    if kind == "failed_tx":
        raise CommandError(
            f"--event: {FAILED_TX} is not an event type: give --failed-by ADDRESS for an"
            " account's failed transactions"
        )
    if "(" in text:
        raise CommandError(
            f"--event: {shown(text)!r} is an EVM event signature; on a Cosmos chain give an"
            f" ABCI event type such as {EVENT_TYPE_EXAMPLES}"
        )
    pattern = _checked("--event", parse_event_type, text)
    if pattern.prefix and not pattern.text:
        if not contract:
            raise CommandError(
                f"--event {WILDCARD!r} without --contract is every event of the chain: name a"
                f" type such as {EVENT_TYPE_EXAMPLES}, or add --contract for one contract's events"
            )
        return None
    return text


def _message_type(text: str, contract: str) -> str:
    text = _checked("--message", parse_message_type, text.strip())
    if _TYPE_URL_RE.fullmatch(text) is None:
        advice = (
            f"write it with a leading slash: {MESSAGE_MARK}{text}"
            if _TYPE_URL_RE.fullmatch(MESSAGE_MARK + text)
            else "expected one such as /cosmos.bank.v1beta1.MsgSend"
        )
        raise CommandError(f"--message: {shown(text)!r} is not a message type URL; {advice}")
    if contract and text not in CONTRACT_MESSAGES:
        raise _contract_misplaced(f"--message {text}")
    return text


def _cosmos_filter_expression(filters: list[str], spec: ChainSpec) -> str:
    if not filters:
        return ""
    denoms = {denom.base: denom for denom in spec.denoms}
    try:
        compiled = parse_cosmos_filter(
            _join_filters(filters), denoms=denoms, bech32_prefix=spec.bech32_prefix
        )
    except InvalidInput as exc:
        raise CommandError(f"--filter: {exc}") from exc
    return compiled.source


def _join_filters(filters: Sequence[str]) -> str:
    """Several --filter options as one expression: each keeps its own meaning when joined,
    "a or b" and "c" is (a or b) and (c)."""
    return filters[0] if len(filters) == 1 else " and ".join(f"({text})" for text in filters)


def _checked(option: str, parse: Callable[..., T], *values: Any) -> T:
    try:
        return parse(*values)
    except InvalidInput as exc:
        raise CommandError(f"{option}: {exc}") from exc


def _chosen_abi(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.standard:
        return list(STANDARDS[args.standard])
    if args.abi:
        try:
            text = Path(args.abi).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not a text file"
            raise CommandError(f"--abi: cannot read {args.abi}: {reason}") from exc
        return _checked("--abi", parse_abi_json, text)
    if args.event.strip() == "*":
        raise CommandError("--event '*' needs the contract's events: add --abi FILE or --standard")
    if "(" not in args.event:
        raise CommandError(
            f"--event: without --abi or --standard give the full signature, such as"
            f" 'Transfer(address indexed from, address indexed to, uint256 value)',"
            f" not just {args.event.strip()!r}"
        )
    return [_checked("--event", parse_event_signature, args.event)]


def _filter_expression(filters: list[str], event: dict[str, Any] | None) -> str:
    if not filters:
        return ""
    if event is None:
        raise CommandError("--filter needs one event: give --event NAME instead of '*'")
    return _checked("--filter", parse_filter, _join_filters(filters), event).source


def _webhook_url(url: str, targets: TargetRules) -> str:
    url = url.strip()
    problem = check_webhook_url(url, targets)
    if problem is UrlProblem.MALFORMED:
        raise CommandError(
            "--webhook: expected an https URL with a host, such as https://example.com/hooks"
        )
    if problem is UrlProblem.INSECURE:
        raise CommandError(
            "--webhook: plain http:// is refused (signed bodies would travel unencrypted); use"
            " https:// or set BLOCKBELL_WEBHOOK_ALLOW_HTTP=true"
        )
    if problem is UrlProblem.CREDENTIALS:
        raise CommandError(
            "--webhook: remove the user name or password before the host; the signature"
            " authenticates each request"
        )
    if problem is UrlProblem.PRIVATE:
        raise CommandError(
            f"--webhook: {webhook_host(url)} is a private, loopback or internal host, which the"
            " notifier refuses; use a public URL, name the host in"
            " BLOCKBELL_WEBHOOK_PRIVATE_HOSTS or set BLOCKBELL_WEBHOOK_ALLOW_PRIVATE=true"
        )
    return url
