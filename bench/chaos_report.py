"""What a chaos run found: the checks of the database and the receiver against the node, the
service's log lines, and the Markdown tables bench.chaos prints."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.common import met, render_table
from notifier.loop import webhook_message_id
from storage.models import Delivery, DeliveryAttempt, Event
from tests.fakes.webhook_receiver import ReceivedRequest
from tests.support.anvil import AnvilNode

LogKey = tuple[str, str, int]
PROBLEM_LEVELS = ("ERROR", "CRITICAL")
# Ids, hashes and numbers vary from line to line; without them the lines group by message.
VARYING = re.compile(r"0x[0-9a-fA-F]+|[0-9a-f]{8}-[0-9a-f-]{27}|\d+(\.\d+)?")
MESSAGE_CHARS = 110
CAUSE_WINDOW_S = 5.0


@dataclass(frozen=True)
class ChaosOptions:
    duration_s: float = 300.0
    """How long the events stream, and the processes are killed."""
    events: int = 5_000
    watchers: int = 2
    notifiers: int = 2
    lease_ttl_s: float = 2.0
    claim_lease_s: float = 60.0
    """How long a killed notifier's claims wait before another sends them (the product's
    default)."""
    kill_gap_s: tuple[float, float] = (2.0, 6.0)
    """A process is killed after a random pause within these bounds, then another, ..."""
    restart_command: tuple[str, ...] | None = None
    """Restarts the database server once, halfway through; None: no restart."""
    poll_interval_s: float = 0.1
    drain_timeout_s: float = 240.0
    seed: int = 0


@dataclass(frozen=True)
class UnexpectedExit:
    """A process that stopped although nobody killed it."""

    roles: str
    code: int
    log_tail: str


@dataclass(frozen=True)
class Restart:
    at: datetime
    took_s: float
    code: int
    output: str
    webhooks_again_s: float | None
    """From the end of the restart to the first webhook of a block mined after it."""


@dataclass
class ChaosTally:
    """What the chaos did, as it happened."""

    kills: Counter[str] = field(default_factory=Counter)
    """By the roles of the process killed."""
    leader_kills: int = 0
    """Watchers killed while they held the chain's lease."""
    exits: list[UnexpectedExit] = field(default_factory=list)
    restart: Restart | None = None
    interruptions: list[tuple[datetime, str]] = field(default_factory=list)
    """When a notifier was killed or the database went down, and which of the two."""


@dataclass(frozen=True)
class Outcome:
    """The database and the receiver, checked against the node's logs."""

    node_logs: int
    stored_events: int
    distinct_events: int
    stored_equal_node: bool
    deliveries: int
    events_with_one_delivery: int
    delivered: int
    attempts: int
    repeated_attempts: int
    """Deliveries with more than one attempt recorded."""
    webhooks: int
    webhook_ids: int
    ids_missing: int
    """Deliveries whose webhook-id never reached the receiver."""
    ids_unknown: int
    bad_signatures: int
    duplicated_ids: int
    """Webhook-ids received more than once: sends repeated after a kill or the restart."""

    @property
    def correct(self) -> bool:
        return (
            self.stored_equal_node
            and self.stored_events == self.distinct_events
            and self.events_with_one_delivery == self.stored_events == self.deliveries
            and self.delivered == self.deliveries
            and self.ids_missing == self.ids_unknown == self.bad_signatures == 0
        )

    @property
    def extra_sends(self) -> int:
        return self.webhooks - self.webhook_ids


@dataclass(frozen=True)
class ChaosReport:
    options: ChaosOptions
    tally: ChaosTally
    drain_s: float | None
    """Streaming ended -> every event delivered; None: not within the drain timeout."""
    stop_codes: dict[str, list[int]]
    """The exit codes of the survivors' clean stop, by roles."""
    outcome: Outcome
    duplicate_causes: Counter[str]
    problem_lines: Counter[str]

    @property
    def ok(self) -> bool:
        clean = all(code == 0 for codes in self.stop_codes.values() for code in codes)
        return self.outcome.correct and clean and not self.tally.exits and self.drain_s is not None


def webhook_id(request: ReceivedRequest) -> str:
    return {key.lower(): value for key, value in request.headers.items()}["webhook-id"]


async def check_outcome(
    node: AnvilNode, address: str, first_block: int, requests: Sequence[ReceivedRequest]
) -> Outcome:
    logs = await node.rpc(
        "eth_getLogs", {"fromBlock": hex(first_block), "toBlock": "latest", "address": address}
    )
    on_node = {(g["blockHash"], g["transactionHash"], int(g["logIndex"], 16)) for g in logs}
    rows = await Event.all().values_list("block_hash", "transaction_hash", "log_index")
    stored: list[LogKey] = [(str(b), str(t), int(i)) for b, t, i in rows]
    deliveries = await Delivery.all().values_list("id", "event_id", "status")
    per_event = Counter(str(event_id) for _, event_id, _ in deliveries)
    per_delivery = Counter(
        str(d) for d in await DeliveryAttempt.all().values_list("delivery_id", flat=True)
    )
    received = Counter(webhook_id(r) for r in requests)
    expected = {webhook_message_id(str(delivery_id)) for delivery_id, _, _ in deliveries}
    return Outcome(
        node_logs=len(on_node),
        stored_events=len(stored),
        distinct_events=len(set(stored)),
        stored_equal_node=set(stored) == on_node,
        deliveries=len(deliveries),
        events_with_one_delivery=sum(1 for count in per_event.values() if count == 1),
        delivered=sum(1 for _, _, status in deliveries if status == "delivered"),
        attempts=sum(per_delivery.values()),
        repeated_attempts=sum(1 for count in per_delivery.values() if count > 1),
        webhooks=len(requests),
        webhook_ids=len(received),
        ids_missing=len(expected - set(received)),
        ids_unknown=len(set(received) - expected),
        bad_signatures=sum(not r.signature_valid for r in requests),
        duplicated_ids=sum(1 for count in received.values() if count > 1),
    )


def duplicate_causes(
    requests: Sequence[ReceivedRequest], interruptions: Sequence[tuple[datetime, str]]
) -> Counter[str]:
    """Each webhook-id received more than once, by the first interruption within CAUSE_WINDOW_S
    after its first arrival: what most likely came between its send and its record."""
    first: dict[str, datetime] = {}
    received: Counter[str] = Counter()
    for request in requests:
        first.setdefault(webhook_id(request), request.received_at)
        received[webhook_id(request)] += 1
    causes: Counter[str] = Counter()
    for message_id in (m for m, count in received.items() if count > 1):
        after = sorted(
            (at, what)
            for at, what in interruptions
            if 0 <= (at - first[message_id]).total_seconds() <= CAUSE_WINDOW_S
        )
        causes[after[0][1] if after else "no interruption"] += 1
    return causes


def problem_lines(folder: Path) -> Counter[str]:
    """The service's ERROR and CRITICAL log lines, grouped by level, logger and message."""
    found: Counter[str] = Counter()
    for path in folder.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split(" ", 3)
            if len(parts) == 4 and parts[1] in PROBLEM_LEVELS:
                message = VARYING.sub("N", parts[3].split(" exc=", 1)[0]).replace("|", "/")
                found[f"{parts[1]} {parts[2]} {message[:MESSAGE_CHARS]}"] += 1
    return found


def _count(value: int) -> str:
    return f"{value:,}"


def _equal(left: int, right: int) -> str:
    return f"{_count(left)} = {_count(right)}: {met(left == right)}"


def _run_rows(report: ChaosReport) -> list[list[str]]:
    options, tally = report.options, report.tally
    restart = tally.restart
    return [
        ["events streamed", f"{_count(options.events)} over {options.duration_s:g} s"],
        ["processes", f"{options.watchers} watchers, {options.notifiers} notifiers"],
        ["lease TTL", f"{options.lease_ttl_s:g} s"],
        ["kill every", f"{options.kill_gap_s[0]:g}-{options.kill_gap_s[1]:g} s (SIGKILL)"],
        [
            "kills",
            f"{sum(tally.kills.values())}: {tally.kills['watcher']} watchers"
            f" ({tally.leader_kills} holding the lease), {tally.kills['notifier']} notifiers",
        ],
        ["PostgreSQL restart", "none" if restart is None else _restart_text(restart)],
        ["stopped on their own", str(len(tally.exits))],
        ["drain", "NOT in time" if report.drain_s is None else f"{report.drain_s:.1f} s"],
        ["seed", str(options.seed)],
    ]


def _restart_text(restart: Restart) -> str:
    again = restart.webhooks_again_s
    after = "never" if again is None else f"{again:.1f} s after it"
    failed = "" if restart.code == 0 else f", FAILED with {restart.code}"
    return (
        f"at {restart.at:%H:%M:%S} UTC, took {restart.took_s:.1f} s{failed};"
        f" first webhook of a new block {after}"
    )


def _check_rows(report: ChaosReport) -> list[list[str]]:
    o = report.outcome
    codes = [code for codes in report.stop_codes.values() for code in codes]
    return [
        ["Transfer logs on the node = events stored", _equal(o.node_logs, o.stored_events)],
        ["the same logs", met(o.stored_equal_node)],
        ["no event stored twice", _equal(o.stored_events, o.distinct_events)],
        ["events with exactly one delivery", _equal(o.events_with_one_delivery, o.stored_events)],
        ["deliveries delivered", _equal(o.delivered, o.deliveries)],
        ["webhook-ids received / missing / unknown", f"{o.webhook_ids} / {o.ids_missing} / "
         f"{o.ids_unknown}: {met(o.ids_missing == o.ids_unknown == 0)}"],
        ["valid signatures", _equal(o.webhooks - o.bad_signatures, o.webhooks)],
        ["duplicate sends received", f"{o.duplicated_ids} webhook-ids more than once"
         f" ({o.extra_sends} extra requests of {_count(o.webhooks)})"],
        [f"duplicates by what came within {CAUSE_WINDOW_S:g} s after the first send",
         ", ".join(f"{n} {what}" for what, n in report.duplicate_causes.most_common())
         or "none"],
        ["attempts recorded", f"{_count(o.attempts)}; {o.repeated_attempts} deliveries with"
         " more than one"],
        ["survivors stopped cleanly (exit 0)", f"{len(codes)}: {met(not any(codes))}"],
        ["processes stopped on their own", f"{len(report.tally.exits)}:"
         f" {met(not report.tally.exits)}"],
    ]  # fmt: skip


def render_report(report: ChaosReport) -> str:
    options = report.options
    parts = [
        f"Chaos run: {options.watchers} watcher and {options.notifiers} notifier processes over"
        f" one PostgreSQL, a random one SIGKILLed and replaced every"
        f" {options.kill_gap_s[0]:g}-{options.kill_gap_s[1]:g} s while"
        f" {_count(options.events)} matching Transfer events stream on anvil",
        "",
        render_table(["run", "figure"], _run_rows(report)),
        "",
        render_table(["check", "result"], _check_rows(report)),
    ]
    if report.problem_lines:
        rows = [[str(n), line] for line, n in report.problem_lines.most_common()]
        parts += ["", render_table(["lines", "service log at ERROR, grouped"], rows)]
    restart = report.tally.restart
    if restart is not None and restart.code != 0:
        parts += ["", f"The restart command failed with {restart.code}:", restart.output]
    for exit_ in report.tally.exits:
        parts += ["", f"{exit_.roles} process exited with {exit_.code}:", exit_.log_tail]
    parts += ["", f"Overall: {'PASSED' if report.ok else 'FAILED'}"]
    return "\n".join(parts)
