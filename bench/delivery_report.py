"""What a delivery throughput run measured, and its Markdown tables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bench.common import median, met, render_table

TARGET_PER_S = 1_000.0
TARGET_PROCESSES = 2
CORES = os.cpu_count() or 1


@dataclass(frozen=True)
class DeliveryOptions:
    deliveries: int = 20_000
    processes: tuple[int, ...] = (1, 2, 4)
    runs: int = 3
    profile: bool = False


@dataclass(frozen=True)
class DeliveryRun:
    seconds: float
    """From the first webhook received until the database shows every delivery delivered."""
    delivered: int
    attempts: int
    duplicates: int
    invalid_signatures: int
    notifier_cpu_s: float
    postgres_cpu_s: float
    receiver_cpu_s: float
    """The benchmark's own process: the receiver and the polling of the database."""
    machine_cpu_s: float

    @property
    def per_s(self) -> float:
        return self.delivered / self.seconds

    @property
    def other_cpu_s(self) -> float:
        """Busy CPU of every other process on the machine meanwhile."""
        measured = self.notifier_cpu_s + self.postgres_cpu_s + self.receiver_cpu_s
        return max(0.0, self.machine_cpu_s - measured)


@dataclass(frozen=True)
class DeliveryReport:
    options: DeliveryOptions
    runs: dict[int, list[DeliveryRun]] = field(default_factory=dict)

    def per_s(self, processes: int) -> float:
        return median([run.per_s for run in self.runs[processes]])


def render_report(report: DeliveryReport) -> str:
    options = report.options
    title = (
        f"Delivery of {options.deliveries:,} due webhook deliveries to a loopback receiver,"
        f" every attempt recorded in PostgreSQL, median of {options.runs} runs; timed from the"
        " first webhook received (the notifiers were started before the deliveries were"
        " committed) until the database shows every delivery delivered"
    )
    headers = [
        "notifier processes", "deliveries/s (median)", "each run", "wall s",
        "attempts recorded = delivered", "duplicates received", "bad signatures",
    ]  # fmt: skip
    lines = [title, "", render_table(headers, [_row(report, n) for n in report.runs])]
    if TARGET_PROCESSES in report.runs:
        speed = report.per_s(TARGET_PROCESSES)
        target = f">= {TARGET_PER_S:,.0f} deliveries/s with {TARGET_PROCESSES} processes"
        verdict = f"{speed:,.0f}: {met(speed >= TARGET_PER_S)}"
        lines += ["", render_table(["target", "result"], [[target, verdict]])]
    lines += [
        "",
        f"CPU seconds per run (medians; {CORES} cores; the receiver runs in the benchmark's"
        " process; other: the rest of the machine's busy CPU meanwhile):",
        "",
        render_table(
            ["notifier processes", "notifier CPU s", "PostgreSQL CPU s", "receiver CPU s",
             "other CPU s", "machine busy CPU s", "busy / cores s", "notifier µs/delivery",
             "PostgreSQL µs/delivery"],
            [_cpu_row(report, n) for n in report.runs],
        ),
    ]  # fmt: skip
    duplicates = sum(run.duplicates for runs in report.runs.values() for run in runs)
    lines += ["", "no duplicates" if duplicates == 0 else f"{duplicates} DUPLICATES received"]
    return "\n".join(lines)


def _row(report: DeliveryReport, processes: int) -> list[str]:
    runs = report.runs[processes]
    recorded = (
        f"{runs[0].attempts:,} = {runs[0].delivered:,}"
        if all(run.attempts == run.delivered for run in runs)
        else " ".join(f"{run.attempts:,} vs {run.delivered:,}" for run in runs)
    )
    return [
        str(processes),
        f"{report.per_s(processes):,.0f}",
        " ".join(f"{run.per_s:,.0f}" for run in runs),
        f"{median([run.seconds for run in runs]):.2f}",
        recorded,
        str(sum(run.duplicates for run in runs)),
        str(sum(run.invalid_signatures for run in runs)),
    ]


def _cpu_row(report: DeliveryReport, processes: int) -> list[str]:
    runs = report.runs[processes]
    machine = median([run.machine_cpu_s for run in runs])
    notifier = median([run.notifier_cpu_s for run in runs])
    postgres = median([run.postgres_cpu_s for run in runs])
    delivered = runs[0].delivered
    return [
        str(processes),
        f"{notifier:.2f}",
        f"{postgres:.2f}",
        f"{median([run.receiver_cpu_s for run in runs]):.2f}",
        f"{median([run.other_cpu_s for run in runs]):.2f}",
        f"{machine:.2f}",
        f"{machine / CORES:.2f}",
        f"{notifier / delivered * 1e6:,.0f}",
        f"{postgres / delivered * 1e6:,.0f}",
    ]
