"""Destinations the notifier stopped, whose owners are owed a notice, and where to tell them.

Each notice is claimed with one conditional UPDATE, so that of several notifier processes only
one tells the owner; one that dies between its claim and its send leaves that notice unsent
rather than sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Chat, Destination

CLAIM_BATCH = 50
CHAT_KINDS = ("telegram", "discord")


@dataclass(frozen=True, slots=True)
class Place:
    """A chat a notice may be sent to: a platform and its id there (for a Discord person,
    `dm:<user id>`: the channel opens their DMs)."""

    platform: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class OwedNotice:
    """A stopped destination, its owner's language, and where to tell them, best first."""

    destination_id: int
    kind: str
    target: str
    reason: str
    language: str
    is_direct_messages: bool
    places: tuple[Place, ...]


async def claim_owed_notices(limit: int = CLAIM_BATCH) -> list[OwedNotice]:
    """The notices this caller won, each with the places its owner may be told."""
    rows = (
        await Destination.filter(status="disabled", notice_owed=True)
        .order_by("id")
        .limit(limit)
        .values("id", "kind", "target", "disabled_reason", "added_by", "user_id", "user__language")
    )
    notices = []
    for row in rows:
        claimed = await Destination.filter(id=row["id"], notice_owed=True).update(notice_owed=False)
        if claimed:
            notices.append(await _notice(row))
    return notices


async def _notice(row: dict[str, object]) -> OwedNotice:
    kind, target = str(row["kind"]), str(row["target"])
    chats = await Chat.filter(owner_id=row["user_id"], platform__in=CHAT_KINDS).order_by("id")
    stopped_chat = next(
        (chat for chat in chats if kind == chat.platform and target == chat.external_id), None
    )
    is_direct_messages = stopped_chat is not None and stopped_chat.kind == "private"
    places = [Place(chat.platform, chat.external_id) for chat in chats if chat is not stopped_chat]
    adder = _adder_place(row["added_by"])
    # The person who added it hears in their DMs when no chat of the owner's is left to tell,
    # unless those DMs are what stopped.
    if adder is not None and not is_direct_messages and adder not in places:
        places.append(adder)
    return OwedNotice(
        destination_id=int(str(row["id"])),
        kind=kind,
        target=target,
        reason=str(row["disabled_reason"] or ""),
        language=str(row["user__language"]),
        is_direct_messages=is_direct_messages,
        places=tuple(places),
    )


def _adder_place(added_by: object) -> Place | None:
    """The DMs of `platform:user id`: a Telegram user's private chat has the user's id."""
    platform, _, user_id = str(added_by or "").partition(":")
    if platform not in CHAT_KINDS or not user_id.isdecimal():
        return None
    return Place(platform, user_id if platform == "telegram" else f"dm:{user_id}")
