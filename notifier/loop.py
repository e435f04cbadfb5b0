"""The delivery loop: claim due deliveries, send them, record each attempt and reschedule."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from notifier.channels.webhook import WebhookChannel
from notifier.metrics import observe_attempt
from notifier.policy import (
    DEFAULT_SCHEDULE_S,
    MAX_JITTER,
    Outcome,
    classify_attempt,
    decide,
)
from notifier.render import render_webhook_body
from storage.deliveries import DueDelivery, claim_due, record_attempt

logger = logging.getLogger(__name__)

# Telegram and Discord destinations get their own channels later; until then their deliveries
# are left pending in the outbox, untouched.
CLAIMED_DESTINATION_KINDS = ("webhook",)

# Room left in a lease for recording attempts after the last send of a round.
LEASE_MARGIN_S = 5.0


@dataclass(frozen=True, slots=True)
class ChainInfo:
    """What rendering needs to know about a configured chain."""

    chain_id: int
    explorer_url: str | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _draw_jitter() -> float:
    return random.uniform(-MAX_JITTER, MAX_JITTER)


def webhook_message_id(delivery_id: str) -> str:
    """The webhook-id header: one per delivery, identical on every retry of it."""
    return "msg_" + delivery_id


class Notifier:
    """Sends due deliveries with bounded concurrency until cancelled."""

    def __init__(
        self,
        chains: Mapping[str, ChainInfo],
        channel: WebhookChannel,
        *,
        schedule_s: Sequence[float] = DEFAULT_SCHEDULE_S,
        batch_size: int = 100,
        concurrency: int = 32,
        lease_s: float = 60.0,
        idle_poll_s: float = 0.5,
        clock: Callable[[], datetime] = _utc_now,
        jitter: Callable[[], float] = _draw_jitter,
    ) -> None:
        self._chains = dict(chains)
        self._channel = channel
        self._schedule_s = tuple(schedule_s)
        self._claim_limit = claim_limit(batch_size, concurrency, lease_s, channel.timeout_s)
        self._slots = asyncio.Semaphore(concurrency)
        self._lease_s = lease_s
        self._idle_poll_s = idle_poll_s
        self._clock = clock
        self._jitter = jitter
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Start the next round now: the watcher has just committed new deliveries."""
        self._woken.set()

    async def run(self) -> None:
        """Run rounds until cancelled, resting between them unless a full batch was found."""
        while True:
            self._woken.clear()
            try:
                handled = await self.run_once()
            except Exception:
                logger.exception("notifier round failed; retrying after %g s", self._idle_poll_s)
                handled = 0
            if handled < self._claim_limit:
                await self._rest()

    async def _rest(self) -> None:
        try:
            async with asyncio.timeout(self._idle_poll_s):
                await self._woken.wait()
        except TimeoutError:
            pass

    async def run_once(self) -> int:
        """One round: claim what is due, send it concurrently, record it; returns the count."""
        due = await claim_due(
            self._clock(),
            self._claim_limit,
            self._lease_s,
            destination_kinds=CLAIMED_DESTINATION_KINDS,
        )
        if not due:
            return 0
        results = await asyncio.gather(*(self._deliver(d) for d in due), return_exceptions=True)
        _log_round(due, results)
        return len(due)

    async def _deliver(self, due: DueDelivery) -> str:
        """Send one delivery and record the attempt; returns the delivery's new status.

        A delivery can be sent more than once: if the process dies between the send and the
        record, the lease expires and another round sends it again. Receivers deduplicate with
        the webhook-id header, which stays the same for every attempt of one delivery.
        """
        async with self._slots:
            started_at = self._clock()
            outcome = await self._send(due, started_at)
        number = due.attempts + 1
        decision = decide(outcome, number, self._clock(), self._schedule_s, self._jitter())
        await record_attempt(
            due.id,
            number,
            started_at,
            classify_attempt(outcome),
            outcome.status,
            outcome.error,
            outcome.latency_ms,
            status=decision.status,
            next_attempt_at=decision.next_attempt_at,
            disable_destination_reason=decision.disable_destination,
        )
        observe_attempt(due.destination.kind, decision.status, outcome.latency_ms)
        return decision.status

    async def _send(self, due: DueDelivery, started_at: datetime) -> Outcome:
        chain = self._chains.get(due.event.chain)
        if chain is None:
            return Outcome(None, f"chain {due.event.chain!r} is not configured", None, 0.0)
        secret = due.destination.secret
        if not secret:
            return Outcome(None, "the webhook destination has no signing secret", None, 0.0)
        body = render_webhook_body(due, chain.chain_id, chain.explorer_url)
        return await self._channel.send(
            due.destination.target, secret, webhook_message_id(due.id), body, started_at
        )


def claim_limit(batch_size: int, concurrency: int, lease_s: float, send_timeout_s: float) -> int:
    """How many deliveries one round may claim: no more than it can send before the lease ends.

    Deliveries claimed beyond that would wait for a free slot while their lease runs out, and
    another notifier would reclaim and send them a second time.
    """
    waves = int((lease_s - LEASE_MARGIN_S) // send_timeout_s)
    if waves < 1:
        raise ValueError(
            f"lease_s ({lease_s:g}) must exceed the send timeout ({send_timeout_s:g} s)"
            f" by at least {LEASE_MARGIN_S:g} s"
        )
    return min(batch_size, concurrency * waves)


def _log_round(due: Sequence[DueDelivery], results: Sequence[str | BaseException]) -> None:
    for delivery, result in zip(due, results, strict=True):
        if isinstance(result, BaseException):
            # Left claimed: the lease expires and a later round tries it again.
            logger.error(
                "delivery %s failed before its attempt was recorded",
                delivery.id,
                exc_info=result,
                extra={"delivery": delivery.id},
            )
    tally = Counter(r if isinstance(r, str) else "failed" for r in results)
    logger.info(
        "notifier round: %d claimed, %d delivered, %d to retry, %d dead, %d failed",
        len(due),
        tally["delivered"],
        tally["pending"],
        tally["dead"],
        tally["failed"],
    )
