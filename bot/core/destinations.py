"""Destinations: this chat (the default), webhooks with a signing secret shown once, pasted
Discord channel webhooks, and turning back on those the notifier stopped."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.core.caller import Caller
from bot.core.context import CoreSettings, account_of, admins_only, not_found, parse_id
from bot.core.replies import ChoiceRow, Reply, Text, choice, text
from notifier.webhook_targets import (
    MAX_URL_CHARS,
    TargetRules,
    UrlProblem,
    check_webhook_url,
    new_webhook_secret,
    parse_discord_webhook_url,
    webhook_host,
)
from storage.users import (
    DISCORD_WEBHOOK,
    WEBHOOK,
    Account,
    DestinationRow,
    count_webhook_destinations,
    count_webhooks_added_by,
    create_discord_webhook_destination,
    create_webhook_destination,
    list_webhook_destinations,
    reactivate_webhook_destination,
    rotate_webhook_secret,
)

# Discord's own hosts (discord.com, ptb.discord.com, discordapp.com, …): a URL on them is
# meant as a Discord webhook, and any other form of it is a mistake worth explaining.
DISCORD_DOMAINS = ("discord.com", "discordapp.com")
MAX_REASON_CHARS = 200


async def show_destinations(caller: Caller) -> Reply:
    """Where notifications can go, and why those the notifier stopped were stopped; webhook
    secrets and Discord webhooks' URLs (their tokens) are never shown again.

    This chat is listed without a state: `account_of` has just turned its destination back
    on if the notifier had stopped it, since the chat is evidently reachable again.
    """
    account = await account_of(caller)
    hooks = await list_webhook_destinations(account.owner_id)
    lines = (text("bot.dest.this_chat"), *(_line(hook) for hook in hooks))
    choices = tuple(row for hook in hooks for row in _choices(hook)) if caller.may_change else ()
    how_to_add = (text("bot.dest.how_to_add"), text("bot.dest.how_to_add_discord"))
    return Reply(text("bot.dest.title"), choices, (*lines, *how_to_add), account.language)


def _line(hook: DestinationRow) -> Text:
    stopped = hook.status != "active"
    if hook.kind == DISCORD_WEBHOOK:
        if stopped:
            return text("bot.dest.discord_webhook_stopped", id=hook.id, reason=_reason(hook))
        return text("bot.dest.discord_webhook_line", id=hook.id)
    host = _host(hook.target)
    if stopped:
        return text("bot.dest.webhook_stopped", id=hook.id, host=host, reason=_reason(hook))
    return text("bot.dest.webhook_line", id=hook.id, host=host)


def _reason(hook: DestinationRow) -> str:
    """The notifier's reason on one line, cut to MAX_REASON_CHARS."""
    reason = " ".join((hook.disabled_reason or "").split())
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[: MAX_REASON_CHARS - 1] + "…"
    return reason or "—"


def _choices(hook: DestinationRow) -> tuple[ChoiceRow, ...]:
    """A new secret for a signed webhook (Discord webhooks have none), and turning a stopped
    one back on."""
    rows: list[ChoiceRow] = []
    if hook.kind == WEBHOOK:
        rows.append((choice("bot.choice.rotate", f"dest:rot:{hook.id}", id=hook.id),))
    if hook.status != "active":
        key = "bot.choice.turn_on_discord" if hook.kind == DISCORD_WEBHOOK else "bot.choice.turn_on"
        rows.append((choice(key, f"dest:on:{hook.id}", id=hook.id),))
    return tuple(rows)


def _host(url: str) -> str:
    return webhook_host(url) or "?"


def problem_with_url(url: str, targets: TargetRules) -> Text | None:
    """Why the notifier would refuse this webhook URL, or None when it is acceptable."""
    problem = check_webhook_url(url, targets)
    if problem is UrlProblem.MALFORMED:
        return text("bot.dest.bad_url", url=url[:200])
    if problem is UrlProblem.INSECURE:
        return text("bot.dest.insecure_url", host=_host(url))
    if problem is UrlProblem.CREDENTIALS:
        return text("bot.dest.credentials_url")
    if problem is UrlProblem.PRIVATE:
        return text("bot.dest.private_url", host=_host(url))
    return None


def is_discord_url(url: str, api_url: str) -> bool:
    """Whether a URL is on Discord or on the configured Discord API's host (a test's fake
    Discord, a proxy): pasted, it is meant as a Discord channel webhook. One pasted without
    its scheme counts too, so that its token is never echoed as a malformed URL."""
    try:
        parts = urlsplit(url if "//" in url else "//" + url)
        host = (parts.hostname or "").rstrip(".")
        on_api_host = bool(parts.netloc) and parts.netloc == urlsplit(api_url).netloc
    except ValueError:
        return False
    on_discord = any(host == domain or host.endswith("." + domain) for domain in DISCORD_DOMAINS)
    return on_api_host or on_discord


async def add_webhook(settings: CoreSettings, caller: Caller, url: str) -> Reply:
    """`/webhook <url>`: a Discord channel webhook, or a generic webhook with a new secret."""
    account = await account_of(caller)
    if not caller.may_change:
        return admins_only(account)
    url = url.strip()
    limits = settings.quotas
    if await count_webhook_destinations(account.owner_id) >= limits.webhooks_per_chat:
        over = text("bot.quota.webhooks", limit=limits.webhooks_per_chat)
        return Reply(over, language=account.language)
    if await count_webhooks_added_by(caller.person) >= limits.webhooks_per_person:
        over = text("bot.quota.person_webhooks", limit=limits.webhooks_per_person)
        return Reply(over, language=account.language)
    if is_discord_url(url, settings.discord_api_url):
        return await _add_discord_webhook(settings, caller, account, url)
    problem = problem_with_url(url, settings.webhook_targets)
    if problem is not None:
        return Reply(problem, extra=(text("bot.dest.how_to_add"),), language=account.language)
    secret = new_webhook_secret()
    destination_id = await create_webhook_destination(account.owner_id, url, secret, caller.person)
    added = text("bot.dest.webhook_added", id=destination_id, url=url, secret=secret)
    return Reply(added, extra=(text("bot.dest.secret_once"),), language=account.language)


async def _add_discord_webhook(
    settings: CoreSettings, caller: Caller, account: Account, url: str
) -> Reply:
    """A Discord webhook posts embeds into its channel with no bot in the server. Its URL
    holds its token, so no answer repeats it, not even a malformed one."""
    if len(url) > MAX_URL_CHARS or parse_discord_webhook_url(url, settings.discord_api_url) is None:
        return Reply(text("bot.dest.bad_discord_url"), language=account.language)
    destination_id = await create_discord_webhook_destination(account.owner_id, url, caller.person)
    added = text("bot.dest.discord_webhook_added", id=destination_id)
    return Reply(added, language=account.language)


async def rotate_secret(
    settings: CoreSettings, caller: Caller, action: str, now: datetime
) -> Reply:
    """`dest:rot:<id>`: a new secret for one of the chat's webhooks, shown this once; the old
    one signs beside it for the configured overlap, so the receiver can switch in time."""
    account = await account_of(caller)
    destination_id = parse_id(action.rsplit(":", 1)[-1])
    if not caller.may_change:
        return admins_only(account)
    secret = new_webhook_secret()
    overlap_until = now + timedelta(seconds=settings.secret_overlap_s)
    if destination_id is None or not await rotate_webhook_secret(
        account.owner_id, destination_id, secret, overlap_until=overlap_until
    ):
        return not_found(account)
    hours = f"{settings.secret_overlap_s / 3600:g}"
    rotated = text("bot.dest.rotated", id=destination_id, secret=secret, hours=hours)
    return Reply(rotated, extra=(text("bot.dest.secret_once"),), language=account.language)


async def turn_on(caller: Caller, action: str) -> Reply:
    """`dest:on:<id>`: one of the chat's webhooks or Discord webhooks on again after the
    notifier stopped it (the receiver fixed, the Discord webhook made again)."""
    account = await account_of(caller)
    destination_id = parse_id(action.rsplit(":", 1)[-1])
    if not caller.may_change:
        return admins_only(account)
    if destination_id is None:
        return not_found(account)
    kind = await reactivate_webhook_destination(account.owner_id, destination_id)
    if kind is None:
        return not_found(account)
    key = "bot.dest.discord_webhook_on" if kind == DISCORD_WEBHOOK else "bot.dest.webhook_on"
    return Reply(text(key, id=destination_id), language=account.language)
