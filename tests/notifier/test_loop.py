"""The notifier end to end: outbox rows in a real database, webhooks to a real HTTP receiver."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import orjson
import pytest
from prometheus_client import REGISTRY

from notifier.channels.webhook import REFUSALS, WebhookChannel
from notifier.loop import Notifier, claim_limit
from notifier.webhook_targets import LOCAL_TARGETS, TargetRules, UrlProblem
from storage.models import Delivery, DeliveryAttempt, Destination, Subscription
from tests.fakes.webhook_receiver import Reply, WebhookReceiver
from tests.notifier.conftest import CHAINS, SCHEDULE_S, Clock
from tests.support.builders import TX, make_subscribed_destination, make_transfer_delivery


@pytest.fixture
def make_notifier(session: aiohttp.ClientSession, clock: Clock) -> Callable[..., Notifier]:
    def make(*, targets: TargetRules = LOCAL_TARGETS, **options: Any) -> Notifier:
        channel = WebhookChannel(session, targets=targets, timeout_s=0.3)
        settings: dict[str, Any] = {"schedule_s": SCHEDULE_S, "clock": clock, "jitter": lambda: 0.0}
        return Notifier(CHAINS, channel, **{**settings, **options})

    return make


async def new_destination(receiver: WebhookReceiver) -> tuple[Subscription, Destination]:
    return await make_subscribed_destination(target=receiver.url, secret=receiver.secret)


async def new_delivery(
    subscription: Subscription, destination: Destination, due_at: datetime, log_index: int = 0
) -> Delivery:
    return await make_transfer_delivery(
        subscription, destination, due_at=due_at, log_index=log_index
    )


async def one_delivery(receiver: WebhookReceiver, clock: Clock) -> Delivery:
    subscription, destination = await new_destination(receiver)
    return await new_delivery(subscription, destination, clock.now)


async def attempts_of(delivery: Delivery) -> list[tuple[int, str, int | None]]:
    rows = await DeliveryAttempt.filter(delivery_id=delivery.id).order_by("number")
    return [(row.number, row.outcome, row.response_code) for row in rows]


async def test_delivery_is_sent_once_signed_with_the_documented_body_and_recorded(
    db: str, receiver: WebhookReceiver, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    delivery = await one_delivery(receiver, clock)
    subscription_id = (await Subscription.first()).id  # type: ignore[union-attr]
    notifier = make_notifier()
    assert await notifier.run_once() == 1
    assert await notifier.run_once() == 0
    [request] = receiver.requests
    assert request.signature_valid
    assert request.headers["webhook-id"] == f"msg_{delivery.id}"
    assert orjson.loads(request.body) == {
        "type": "event",
        "subscription_id": subscription_id,
        "chain": "anvil",
        "chain_id": 31337,
        "block_number": 7,
        "block_hash": "0x" + "aa" * 32,
        "transaction_hash": TX,
        "log_index": 0,
        "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "event": "Transfer",
        "args": {
            "from": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "value": "1000000000000000000",
        },
        "explorer_url": "https://explorer.example/tx/" + TX,
        "provisional": False,
    }
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.attempts, stored.response_code) == ("delivered", 1, 200)
    assert stored.sent_at == clock.now
    assert stored.latency_ms is not None
    assert stored.latency_ms > 0
    assert await attempts_of(delivery) == [(1, "success", 200)]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"channel": "webhook", **labels}) or 0.0


async def test_attempts_are_counted_by_result_and_send_latency_is_observed(
    db: str, receiver: WebhookReceiver, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, destination = await new_destination(receiver)
    for i in range(3):
        await new_delivery(subscription, destination, clock.now, log_index=i)
    receiver.script([200, 500, 400])
    before = [
        sample("blockbell_delivery_attempts_total", result=result)
        for result in ("delivered", "retry", "dead")
    ]
    latencies_before = sample("blockbell_send_latency_seconds_count")
    await make_notifier(concurrency=1).run_once()
    after = [
        sample("blockbell_delivery_attempts_total", result=result)
        for result in ("delivered", "retry", "dead")
    ]
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
    assert sample("blockbell_send_latency_seconds_count") == latencies_before + 3


async def test_a_batch_is_sent_concurrently_each_with_its_own_webhook_id(
    db: str, receiver: WebhookReceiver, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, destination = await new_destination(receiver)
    for i in range(6):
        await new_delivery(subscription, destination, clock.now, log_index=i)
    receiver.script([Reply.slow(0.2)] * 6)
    started = asyncio.get_running_loop().time()
    assert await make_notifier(concurrency=6).run_once() == 6
    assert asyncio.get_running_loop().time() - started < 1.0
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 6
    assert await Delivery.filter(status="delivered").count() == 6


async def test_server_errors_are_retried_on_schedule_with_the_same_webhook_id(
    db: str, receiver: WebhookReceiver, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    delivery = await one_delivery(receiver, clock)
    receiver.script([500, 503, 200])
    notifier = make_notifier()
    first_at = clock.now
    await notifier.run_once()
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.next_attempt_at) == ("pending", first_at + timedelta(seconds=10))
    assert stored.last_error == "HTTP 500: ok"
    clock.advance(9.999)
    assert await notifier.run_once() == 0
    clock.advance(0.001)
    assert await notifier.run_once() == 1
    second_at = clock.now
    stored = await Delivery.get(id=delivery.id)
    assert stored.next_attempt_at == second_at + timedelta(seconds=20)
    clock.advance(20)
    assert await notifier.run_once() == 1
    assert (await Delivery.get(id=delivery.id)).status == "delivered"
    assert {r.headers["webhook-id"] for r in receiver.requests} == {f"msg_{delivery.id}"}
    assert all(r.signature_valid for r in receiver.requests)
    assert await attempts_of(delivery) == [
        (1, "http_error", 500),
        (2, "http_error", 503),
        (3, "success", 200),
    ]


async def test_a_timeout_is_retried_on_schedule(
    db: str, receiver: WebhookReceiver, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    delivery = await one_delivery(receiver, clock)
    receiver.script([Reply.slow(3.0)])
    await make_notifier().run_once()
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.next_attempt_at) == ("pending", clock.now + timedelta(seconds=10))
    assert stored.last_error == "no response within 0.3 s"
    assert await attempts_of(delivery) == [(1, "network_error", None)]


@pytest.mark.parametrize(("retry_after_s", "expected_delay_s"), [(15, 15), (1, 10)])
async def test_429_waits_for_retry_after_or_the_schedule_whichever_is_later(
    db: str,
    receiver: WebhookReceiver,
    clock: Clock,
    make_notifier: Callable[..., Notifier],
    retry_after_s: int,
    expected_delay_s: int,
) -> None:
    delivery = await one_delivery(receiver, clock)
    receiver.script([Reply.retry_after(retry_after_s)])
    await make_notifier().run_once()
    stored = await Delivery.get(id=delivery.id)
    assert stored.status == "pending"
    assert stored.next_attempt_at == clock.now + timedelta(seconds=expected_delay_s)


async def test_jitter_spreads_retries_within_a_fifth_of_the_scheduled_delay(
    db: str, receiver: WebhookReceiver, clock: Clock, session: aiohttp.ClientSession
) -> None:
    subscription, destination = await new_destination(receiver)
    for i in range(5):
        await new_delivery(subscription, destination, clock.now, log_index=i)
    receiver.script([500] * 5)
    channel = WebhookChannel(session, targets=LOCAL_TARGETS)
    await Notifier(CHAINS, channel, schedule_s=SCHEDULE_S, clock=clock).run_once()
    for stored in await Delivery.all():
        delay_s = (stored.next_attempt_at - clock.now).total_seconds()
        assert 8 <= delay_s <= 12


async def test_a_round_claims_no_more_than_it_can_send_before_the_lease_ends(
    db: str, receiver: WebhookReceiver, clock: Clock, session: aiohttp.ClientSession
) -> None:
    subscription, destination = await new_destination(receiver)
    for i in range(10):
        await new_delivery(subscription, destination, clock.now, log_index=i)
    channel = WebhookChannel(session, targets=LOCAL_TARGETS, timeout_s=0.25)
    # (6 s lease - 5 s margin) / 0.25 s timeout = 4 waves of 2 concurrent sends.
    notifier = Notifier(CHAINS, channel, concurrency=2, lease_s=6.0, clock=clock)
    assert await notifier.run_once() == 8
    assert await notifier.run_once() == 2


def test_claim_limit_keeps_the_default_batch_within_the_default_lease() -> None:
    assert claim_limit(100, 32, 60.0, 15.0) == 96
    assert claim_limit(10, 32, 60.0, 15.0) == 10
    with pytest.raises(ValueError, match="must exceed the send timeout"):
        claim_limit(100, 32, 15.0, 15.0)


@pytest.mark.parametrize("status", [400, 404])
async def test_client_errors_are_dead_after_one_attempt(
    db: str,
    receiver: WebhookReceiver,
    clock: Clock,
    make_notifier: Callable[..., Notifier],
    status: int,
) -> None:
    delivery = await one_delivery(receiver, clock)
    receiver.script([Reply(status, body=b"unknown hook")])
    notifier = make_notifier()
    await notifier.run_once()
    clock.advance(3600)
    assert await notifier.run_once() == 0
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.attempts) == ("dead", 1)
    assert stored.last_error == f"HTTP {status}: unknown hook"
    assert len(receiver.requests) == 1
    # A missing endpoint stops its destination; a request it found bad may be this one's fault.
    destination = await Destination.get(id=(await stored.destination).id)
    assert destination.status == ("disabled" if status == 404 else "active")


async def test_redirect_is_not_followed_and_the_delivery_is_dead(
    db: str, receiver: WebhookReceiver, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    delivery = await one_delivery(receiver, clock)
    receiver.script([Reply.redirect(receiver.url + "/elsewhere")])
    await make_notifier().run_once()
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.response_code) == ("dead", 302)
    assert stored.last_error is not None
    assert "not followed" in stored.last_error
    assert [r.path for r in receiver.requests] == ["/hook"]


async def test_410_disables_the_destination_and_cancels_its_other_deliveries(
    db: str, receiver: WebhookReceiver, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    subscription, destination = await new_destination(receiver)
    gone = await new_delivery(subscription, destination, clock.now - timedelta(seconds=1))
    sibling = await new_delivery(subscription, destination, clock.now, log_index=1)
    other_subscription, other_destination = await new_destination(receiver)
    unrelated = await new_delivery(other_subscription, other_destination, clock.now, log_index=2)
    receiver.script([410])
    await make_notifier(batch_size=1).run_once()
    stored = await Destination.get(id=destination.id)
    assert stored.status == "disabled"
    assert stored.disabled_reason == "the endpoint answered 410 Gone"
    assert (await Delivery.get(id=gone.id)).status == "dead"
    assert (await Delivery.get(id=sibling.id)).status == "cancelled"
    assert (await Delivery.get(id=unrelated.id)).status == "pending"
    assert await make_notifier().run_once() == 1
    assert (await Delivery.get(id=unrelated.id)).status == "delivered"
    assert len(receiver.requests) == 2


async def test_after_the_last_scheduled_attempt_the_delivery_is_dead_with_every_attempt(
    db: str, receiver: WebhookReceiver, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    delivery = await one_delivery(receiver, clock)
    receiver.script([502] * 10)
    notifier = make_notifier()
    for delay_s in (0, 10, 20):
        clock.advance(delay_s)
        assert await notifier.run_once() == 1
    clock.advance(36_000)
    assert await notifier.run_once() == 0
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.attempts, stored.response_code) == ("dead", 3, 502)
    assert await attempts_of(delivery) == [(n, "http_error", 502) for n in (1, 2, 3)]
    assert len(receiver.requests) == 3


async def test_webhook_to_loopback_is_refused_unless_private_addresses_are_allowed(
    db: str, receiver: WebhookReceiver, clock: Clock, make_notifier: Callable[..., Notifier]
) -> None:
    delivery = await one_delivery(receiver, clock)
    await make_notifier(targets=TargetRules(allow_http=True)).run_once()
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.last_error) == ("dead", REFUSALS[UrlProblem.PRIVATE])
    # A URL the rules refuse stops its destination at once, and its owner is told why.
    destination = await Destination.get(id=(await stored.destination).id)
    assert (destination.status, destination.disabled_reason) == (
        "disabled",
        REFUSALS[UrlProblem.PRIVATE],
    )
    assert receiver.requests == []
    assert await attempts_of(delivery) == [(1, "network_error", None)]


async def test_delivery_of_an_unconfigured_chain_is_retried_not_sent(
    db: str, receiver: WebhookReceiver, clock: Clock, session: aiohttp.ClientSession
) -> None:
    delivery = await one_delivery(receiver, clock)
    channel = WebhookChannel(session, targets=LOCAL_TARGETS)
    await Notifier({}, channel, schedule_s=SCHEDULE_S, clock=clock).run_once()
    stored = await Delivery.get(id=delivery.id)
    assert (stored.status, stored.last_error) == ("pending", "chain 'anvil' is not configured")
    assert receiver.requests == []


async def test_run_sends_as_soon_as_it_is_woken(
    db: str, receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    notifier = Notifier(CHAINS, WebhookChannel(session, targets=LOCAL_TARGETS), idle_poll_s=60)
    running = asyncio.create_task(notifier.run())
    try:
        await asyncio.sleep(0.1)
        delivery = await one_delivery(receiver, Clock())
        notifier.wake()
        await receiver.wait_for_requests(1, timeout_s=5)
        async with asyncio.timeout(5):
            while (await Delivery.get(id=delivery.id)).status != "delivered":
                await asyncio.sleep(0.01)
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert receiver.requests[0].signature_valid
