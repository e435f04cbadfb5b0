"""Printing the `blockbell subscriptions` and `blockbell deliveries` listings, as tables or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import orjson

from app.setting_display import describe_url
from storage.deliveries import DeliveryRow
from storage.subscriptions import SubscriptionRow


def print_subscriptions(rows: Sequence[SubscriptionRow], *, as_json: bool) -> None:
    """The subscriptions, webhook URLs cut to scheme and host. ADDRESS is the contract (the
    account, for a Cosmos `tx.failed` subscription), or "any" for a Cosmos subscription to any
    emitter; EVENT an event name, an ABCI event type, or a message type URL."""
    shown = _without_webhook_secrets(rows)
    if as_json:
        print(orjson.dumps(shown, option=orjson.OPT_INDENT_2).decode())
    elif not shown:
        print("No subscriptions yet: create one with `blockbell subscribe`.")
    else:
        _print_table(
            ("ID", "STATUS", "CHAIN", "ADDRESS", "EVENT", "FILTER", "DESTINATION"),
            [
                (
                    r.id,
                    r.status,
                    r.chain,
                    r.address or "any",
                    r.event_name or "*",
                    r.filter_expr or "-",
                    f"{r.destination_kind} {r.destination_target}",
                )
                for r in shown
            ],
        )


def _without_webhook_secrets(rows: Sequence[SubscriptionRow]) -> list[SubscriptionRow]:
    # Webhook URLs can hold tokens (Discord's, Slack's): only scheme and host are shown.
    return [
        replace(row, destination_target=describe_url(row.destination_target))
        if row.destination_kind == "webhook"
        else row
        for row in rows
    ]


def print_deliveries(
    counts: dict[str, int], rows: Sequence[DeliveryRow], *, status: str | None, as_json: bool
) -> None:
    """The count of deliveries per status, then the `rows` listed (those with `status`)."""
    if as_json:
        listing = {"counts": counts, "deliveries": rows}
        print(orjson.dumps(listing, option=orjson.OPT_INDENT_2).decode())
        return
    print("  ".join(f"{name}: {count}" for name, count in counts.items()))
    if not rows:
        print("No deliveries" + (f" with status {status}." if status else " yet."))
        return
    _print_table(
        ("ID", "STATUS", "CHAIN", "BLOCK", "EVENT", "DEST", "TRIES", "CODE", "LAST ERROR"),
        [
            (
                r.id[:8],
                r.status,
                r.chain,
                r.block_number,
                r.event_name or "?",
                r.destination_id,
                r.attempts,
                r.response_code or "-",
                (r.last_error or "-")[:60],
            )
            for r in rows
        ],
    )


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(value) for value in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
