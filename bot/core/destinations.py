"""Destinations: this chat (the default) and webhooks with a signing secret shown once."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.core.caller import Caller
from bot.core.context import CoreSettings, account_of, admins_only, not_found, parse_id
from bot.core.replies import Reply, Text, choice, text
from notifier.webhook_targets import (
    UrlProblem,
    check_webhook_url,
    new_webhook_secret,
    webhook_host,
)
from storage.users import (
    create_webhook_destination,
    list_webhook_destinations,
    rotate_webhook_secret,
)


async def show_destinations(caller: Caller) -> Reply:
    """Where notifications can go; webhook secrets are never shown again."""
    account = await account_of(caller)
    hooks = await list_webhook_destinations(account.owner_id)
    lines = [text("bot.dest.this_chat")]
    for hook in hooks:
        key = "bot.dest.webhook_line" if hook.status == "active" else "bot.dest.webhook_disabled"
        lines.append(text(key, id=hook.id, host=urlsplit(hook.target).hostname or "?"))
    rotations = (
        tuple((choice("bot.choice.rotate", f"dest:rot:{hook.id}", id=hook.id),) for hook in hooks)
        if caller.may_change
        else ()
    )
    return Reply(
        text("bot.dest.title"), rotations, (*lines, text("bot.dest.how_to_add")), account.language
    )


def problem_with_url(url: str, allow_private: bool) -> Text | None:
    """Why the notifier would refuse this webhook URL, or None when it is acceptable."""
    problem = check_webhook_url(url, allow_private)
    if problem is UrlProblem.MALFORMED:
        return text("bot.dest.bad_url", url=url[:200])
    if problem is UrlProblem.PRIVATE:
        return text("bot.dest.private_url", host=webhook_host(url) or "?")
    return None


async def add_webhook(settings: CoreSettings, caller: Caller, url: str) -> Reply:
    account = await account_of(caller)
    if not caller.may_change:
        return admins_only(account)
    url = url.strip()
    problem = problem_with_url(url, settings.allow_private_webhooks)
    if problem is not None:
        return Reply(problem, extra=(text("bot.dest.how_to_add"),), language=account.language)
    secret = new_webhook_secret()
    destination_id = await create_webhook_destination(account.owner_id, url, secret)
    added = text("bot.dest.webhook_added", id=destination_id, url=url, secret=secret)
    return Reply(added, extra=(text("bot.dest.secret_once"),), language=account.language)


async def rotate_secret(caller: Caller, action: str) -> Reply:
    """`dest:rot:<id>`: a new secret for one of the chat's webhooks, shown this once."""
    account = await account_of(caller)
    destination_id = parse_id(action.rsplit(":", 1)[-1])
    if not caller.may_change:
        return admins_only(account)
    secret = new_webhook_secret()
    if destination_id is None or not await rotate_webhook_secret(
        account.owner_id, destination_id, secret
    ):
        return not_found(account)
    rotated = text("bot.dest.rotated", id=destination_id, secret=secret)
    return Reply(rotated, extra=(text("bot.dest.secret_once"),), language=account.language)
