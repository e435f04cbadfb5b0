"""The stored progress of subscribe wizards, one per person and chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from storage.models import WizardState


@dataclass(frozen=True, slots=True)
class StoredWizard:
    """A wizard's step and answers as JSON; what they mean is the bot core's business."""

    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


async def fetch_wizard(
    platform: str, chat_external_id: str, user_external_id: str
) -> StoredWizard | None:
    rows = await WizardState.filter(
        platform=platform, chat_external_id=chat_external_id, user_external_id=user_external_id
    ).values("step", "data", "updated_at")
    if not rows:
        return None
    return StoredWizard(str(rows[0]["step"]), dict(rows[0]["data"]), rows[0]["updated_at"])


async def save_wizard(
    platform: str, chat_external_id: str, user_external_id: str, wizard: StoredWizard
) -> None:
    """Insert or replace the wizard of this person in this chat."""
    key: dict[str, Any] = {
        "platform": platform,
        "chat_external_id": chat_external_id,
        "user_external_id": user_external_id,
    }
    values: dict[str, Any] = {
        "step": wizard.step,
        "data": wizard.data,
        "updated_at": wizard.updated_at,
    }
    if await WizardState.filter(**key).update(**values):
        return
    try:
        await WizardState.create(**key, **values)
    except IntegrityError:
        # A second message of the same person raced us to the insert: the later write wins.
        await WizardState.filter(**key).update(**values)
