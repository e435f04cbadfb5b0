"""Block-range planning for catch-up: how wide the next eth_getLogs range may be."""

from __future__ import annotations

from dataclasses import dataclass, replace

GROW_AFTER_SUCCESSES = 8


class RangeUnsplittable(Exception):
    """The node refused a single-block range: it cannot be made smaller."""


@dataclass(frozen=True, slots=True)
class RangePlanner:
    """Width of the next range, shrunk when a node refuses one and grown back after successes.

    Providers cap eth_getLogs by block count and by result count; the caps differ per provider
    and per contract activity, so the width adapts instead of being configured per node.
    """

    max_width: int
    width: int
    successes: int = 0

    @classmethod
    def start(cls, max_width: int) -> RangePlanner:
        return cls(max_width=max_width, width=max_width)

    def next_range(self, first: int, target: int) -> tuple[int, int]:
        return first, min(target, first + self.width - 1)

    def after_success(self) -> RangePlanner:
        # Growing only after a run of successes keeps refusals to about one request in nine
        # against a node whose limit sits just below the grown width.
        if self.successes + 1 < GROW_AFTER_SUCCESSES:
            return replace(self, successes=self.successes + 1)
        return replace(self, width=min(self.max_width, self.width * 2), successes=0)

    def after_refusal(
        self, requested: tuple[int, int], suggested: tuple[int, int] | None
    ) -> RangePlanner:
        requested_width = requested[1] - requested[0] + 1
        if requested_width <= 1:
            raise RangeUnsplittable(f"the node refused the single block {requested[0]}")
        width = requested_width // 2
        if suggested is not None:
            suggested_width = suggested[1] - suggested[0] + 1
            # Some providers suggest the very range they refused; only a narrower one helps.
            if 0 < suggested_width < requested_width:
                width = suggested_width
        return replace(self, width=max(1, width), successes=0)
