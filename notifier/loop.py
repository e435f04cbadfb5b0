"""The delivery loop: claim due deliveries, send them, record each attempt and reschedule."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from notifier.attempt_recorder import AttemptRecorder
from notifier.channels.discord import DiscordChannel, decide_discord
from notifier.channels.telegram import TelegramChannel, decide_telegram
from notifier.channels.webhook import WebhookChannel
from notifier.cosmos_denom_metadata import DenomLookup, lookup_budget_s, with_metadata_denoms
from notifier.metrics import observe_attempt
from notifier.policy import (
    DEFAULT_SCHEDULE_S,
    MAX_JITTER,
    Decision,
    Outcome,
    classify_attempt,
    decide_webhook,
)
from notifier.render import render_webhook_body
from notifier.telegram_render import nothing_to_edit
from storage.attempts import AttemptRecord
from storage.deliveries import ChainFacts, DueDelivery, claim_round, settle_unsent
from watcher.cosmos_denoms import Denom

logger = logging.getLogger(__name__)

# Deliveries to destinations without a configured channel (Telegram or Discord channels without
# a bot token) are left pending in the outbox, untouched.
CLAIMED_DESTINATION_KINDS = ("webhook",)
UNREADABLE_SECRET = (
    "the webhook's signing secret cannot be opened with BLOCKBELL_SECRET_KEY: was the key"
    " changed? Put the old key after the new one"
)
TELEGRAM = "telegram"

Decide = Callable[[Outcome, int, datetime, Sequence[float], float], Decision]
# One send of a round: the deliveries it carries and the coroutine that sends and records them.
Job = tuple[tuple[DueDelivery, ...], Awaitable[list[str]]]


class ChatSend(Protocol):
    """One message of a chat channel (Telegram, Discord) and the deliveries it carries."""

    @property
    def deliveries(self) -> tuple[DueDelivery, ...]: ...


Send = TypeVar("Send", bound=ChatSend)

# Room left in a lease for recording attempts after the last send of a round.
LEASE_MARGIN_S = 5.0
# A round claims up to this many deliveries (fewer when they could not all be sent before the
# lease ends, see claim_limit): each claim reads the due rows once, so bigger rounds cost the
# database less per delivery. The concurrent sends stay well below the 100 connections of an
# aiohttp session's default pool, which the Discord channel shares.
DEFAULT_BATCH_SIZE = 200
DEFAULT_CONCURRENCY = 64


@dataclass(frozen=True, slots=True)
class ChainInfo:
    """What rendering needs to know about a configured chain: its family ("evm", "cosmos")
    and, on a Cosmos chain, its account address prefix and denominations."""

    chain_id: int | str  # EVM: the EIP-155 integer; Cosmos: the network id, e.g. "cosmoshub-4"
    explorer_url: str | None
    family: str = "evm"
    denoms: tuple[Denom, ...] = ()
    bech32_prefix: str | None = None

    @property
    def facts(self) -> ChainFacts:
        return ChainFacts(self.family, self.bech32_prefix, self.denoms)


def with_chain_facts(
    due: Sequence[DueDelivery], chains: Mapping[str, ChainInfo]
) -> list[DueDelivery]:
    """The deliveries with what the settings say of their chains, which the renderers of every
    channel read from the delivery itself (a claim knows nothing of the settings)."""
    facts = {name: chain.facts for name, chain in chains.items()}
    return [
        replace(d, chain_facts=facts[d.event.chain])
        if d.event.chain in facts and facts[d.event.chain] != d.chain_facts
        else d
        for d in due
    ]


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
        batch_size: int = DEFAULT_BATCH_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        lease_s: float = 60.0,
        idle_poll_s: float = 0.5,
        clock: Callable[[], datetime] = _utc_now,
        jitter: Callable[[], float] = _draw_jitter,
        telegram: TelegramChannel | None = None,
        discord: DiscordChannel | None = None,
        denom_lookup: DenomLookup | None = None,
    ) -> None:
        self._chains = dict(chains)
        self._denom_lookup = denom_lookup
        self._explorers = {name: chain.explorer_url for name, chain in self._chains.items()}
        self._channel = channel
        self._telegram = telegram
        self._discord = discord
        self._kinds = CLAIMED_DESTINATION_KINDS + ((TELEGRAM,) if telegram is not None else ())
        self._kinds += discord.kinds if discord is not None else ()
        self._schedule_s = tuple(schedule_s)
        timeout_s = max(
            channel.timeout_s,
            telegram.timeout_s if telegram else 0.0,
            discord.timeout_s if discord else 0.0,
        )
        self._claim_limit = claim_limit(
            batch_size, concurrency, lease_s, timeout_s, lookup_budget_s(denom_lookup)
        )
        self._slots = asyncio.Semaphore(concurrency)
        self._lease_s = lease_s
        self._idle_poll_s = idle_poll_s
        self._clock = clock
        self._jitter = jitter
        self._woken = asyncio.Event()
        self._recorder = AttemptRecorder()

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
        """One round: claim what is due, send it concurrently, record it; returns the count.

        Deliveries the claim settled as muted count too: a round full of them is a full batch,
        and the next round starts at once for whatever waits behind them.
        """
        claim = await claim_round(
            self._clock(),
            self._claim_limit,
            self._lease_s,
            destination_kinds=self._kinds,
        )
        if not claim.due:
            if claim.muted:
                logger.info("notifier round: %d muted", claim.muted)
            return claim.muted
        due = with_chain_facts(claim.due, self._chains)
        if self._denom_lookup is not None:
            due = await with_metadata_denoms(due, self._denom_lookup, _is_chat)
        jobs = self._jobs(due)
        results = await asyncio.gather(*(job for _, job in jobs), return_exceptions=True)
        _log_round([batch for batch, _ in jobs], results, claim.muted)
        return len(claim.due) + claim.muted

    def _jobs(self, due: Sequence[DueDelivery]) -> list[Job]:
        """The sends of a round, each with the deliveries it carries."""
        jobs: list[Job] = [
            ((d,), self._deliver(d)) for d in due if d.destination.kind in CLAIMED_DESTINATION_KINDS
        ]
        if self._telegram is not None:
            chats = [d for d in due if d.destination.kind == TELEGRAM]
            sends = self._telegram.plan(chats, self._explorers)
            jobs += self._chat_jobs(chats, sends, self._telegram.send, decide_telegram)
        if self._discord is not None:
            kinds = self._discord.kinds
            chats = [d for d in due if d.destination.kind in kinds]
            plan = self._discord.plan(chats, self._explorers)
            jobs += self._chat_jobs(chats, plan, self._discord.send, decide_discord)
        return jobs

    def _chat_jobs(
        self,
        chats: Sequence[DueDelivery],
        sends: Sequence[Send],
        send_message: Callable[[Send], Awaitable[Outcome]],
        policy: Decide,
    ) -> list[Job]:
        """The sends of one chat channel, and the settling of what it has nothing to send for."""
        jobs: list[Job] = [
            (s.deliveries, self._deliver_chat(send_message, s, policy)) for s in sends
        ]
        unsent = tuple(nothing_to_edit(chats))
        if unsent:
            jobs.append((unsent, _settle(unsent)))
        return jobs

    async def _deliver(self, due: DueDelivery) -> list[str]:
        """Send one webhook delivery and record the attempt; returns its new status.

        A delivery can be sent more than once: if the process dies between the send and the
        record, the lease expires and another round sends it again. Receivers deduplicate with
        the webhook-id header, which stays the same for every attempt of one delivery.
        """
        async with self._slots:
            started_at = self._clock()
            outcome = await self._send(due, started_at)
        return await self._record([due], started_at, outcome, decide_webhook)

    async def _deliver_chat(
        self, send_message: Callable[[Send], Awaitable[Outcome]], send: Send, policy: Decide
    ) -> list[str]:
        """Send one chat message and record its outcome for every delivery it carries.

        The channel's limiter, not the slots, bounds these sends: they wait for their turn
        there. A process that dies between the send and the record sends the message again
        once the lease expires. Telegram has no idempotency key, so its users may rarely see a
        notification twice; Discord's nonce (see discord_render) returns the message already
        posted instead, and a channel webhook, which takes no nonce, may post it twice.
        """
        started_at = self._clock()
        outcome = await send_message(send)
        # A digest is one message for many events: none of them can be edited on its own.
        message_ref = outcome.message_ref if len(send.deliveries) == 1 else None
        return await self._record(send.deliveries, started_at, outcome, policy, message_ref)

    async def _record(
        self,
        deliveries: Sequence[DueDelivery],
        started_at: datetime,
        outcome: Outcome,
        policy: Decide,
        message_ref: str | None = None,
    ) -> list[str]:
        """Store the attempt of each delivery (with other sends' attempts that finish
        meanwhile, see AttemptRecorder); returns their new statuses."""
        now = self._clock()
        decisions = [
            policy(outcome, d.attempts + 1, now, self._schedule_s, self._jitter())
            for d in deliveries
        ]
        attempt_outcome = classify_attempt(outcome)
        await self._recorder.record(
            [
                AttemptRecord(
                    d.id,
                    d.attempts + 1,
                    started_at,
                    attempt_outcome,
                    outcome.status,
                    outcome.error,
                    outcome.latency_ms,
                    decision.status,
                    decision.next_attempt_at,
                    decision.disable_destination,
                    message_ref,
                )
                for d, decision in zip(deliveries, decisions, strict=True)
            ]
        )
        for d, decision in zip(deliveries, decisions, strict=True):
            observe_attempt(d.destination.kind, decision.status, outcome.latency_ms)
        return [decision.status for decision in decisions]

    async def _send(self, due: DueDelivery, started_at: datetime) -> Outcome:
        chain = self._chains.get(due.event.chain)
        if chain is None:
            return Outcome(None, f"chain {due.event.chain!r} is not configured", None, 0.0)
        destination = due.destination
        if destination.secret_unreadable:
            return Outcome(None, UNREADABLE_SECRET, None, 0.0)
        if not destination.secret:
            return Outcome(None, "the webhook destination has no signing secret", None, 0.0)
        body = render_webhook_body(due, chain.chain_id, chain.explorer_url)
        return await self._channel.send(
            destination.target,
            destination.secret,
            webhook_message_id(due.id),
            body,
            started_at,
            also_signing=destination.previous_secret,
        )


def _is_chat(d: DueDelivery) -> bool:
    """Whether the delivery is sent as a chat message, which shows amounts in display units
    (a webhook's body keeps the attributes as stored)."""
    return d.destination.kind not in CLAIMED_DESTINATION_KINDS


async def _settle(deliveries: Sequence[DueDelivery]) -> list[str]:
    """Confirmations of notifications sent within a digest: there is no message to edit."""
    reason = "its notification went out in a digest, which is not edited"
    await settle_unsent([d.id for d in deliveries], reason)
    return ["cancelled"] * len(deliveries)


def claim_limit(
    batch_size: int,
    concurrency: int,
    lease_s: float,
    send_timeout_s: float,
    lookup_s: float = 0.0,
) -> int:
    """How many deliveries one round may claim: no more than it can send before the lease ends,
    once it has waited up to `lookup_s` for display units.

    Deliveries claimed beyond that would wait for a free slot while their lease runs out, and
    another notifier would reclaim and send them a second time.
    """
    waves = int((lease_s - lookup_s - LEASE_MARGIN_S) // send_timeout_s)
    if waves < 1:
        raise ValueError(
            f"lease_s ({lease_s:g}) must exceed the send timeout ({send_timeout_s:g} s)"
            f" by at least {LEASE_MARGIN_S + lookup_s:g} s"
        )
    return min(batch_size, concurrency * waves)


def _log_round(
    batches: Sequence[Sequence[DueDelivery]],
    results: Sequence[list[str] | BaseException],
    muted: int,
) -> None:
    tally: Counter[str] = Counter()
    for batch, result in zip(batches, results, strict=True):
        if not isinstance(result, BaseException):
            tally.update(result)
            continue
        tally["failed"] += len(batch)
        for delivery in batch:
            # Left claimed: the lease expires and a later round tries it again.
            logger.error(
                "delivery %s failed before its attempt was recorded",
                delivery.id,
                exc_info=result,
                extra={"delivery": delivery.id},
            )
    logger.info(
        "notifier round: %d claimed, %d delivered, %d to retry, %d dead, %d failed, %d muted",
        sum(len(batch) for batch in batches),
        tally["delivered"],
        tally["pending"],
        tally["dead"],
        tally["failed"],
        muted,
    )
