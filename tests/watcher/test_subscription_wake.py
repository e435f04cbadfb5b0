"""A new subscription reaches a watcher that is waiting for its next poll at once, not a poll
interval later."""

from __future__ import annotations

from storage.models import Event
from storage.subscription_changes import SubscriptionChanges
from tests.support.anvil import AnvilNode
from tests.support.builders import subscribe_transfers_by_webhook
from tests.support.token import TOKEN_ABI, Token
from tests.support.watching import anvil_spec, cursor_at_least, running_watcher, wait_until

RECIPIENT = "0x" + "2b" * 20
LONG_POLL_S = 60.0


async def test_a_subscription_made_while_the_watcher_waits_matches_the_newest_block(
    db: str, anvil: AnvilNode, token: Token
) -> None:
    spec = anvil_spec(anvil.url, poll_interval_s=LONG_POLL_S)
    async with SubscriptionChanges(db) as changes, running_watcher(spec, changes=changes):
        head = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", head))
        await token.transfer(RECIPIENT, 7)

        await subscribe_transfers_by_webhook(token.address, TOKEN_ABI)

        # Well within the minute the watcher would otherwise wait before its next poll.
        await wait_until(lambda: Event.exists(), timeout_s=5)
    event = await Event.get()
    assert event.args["value"] == "7"
