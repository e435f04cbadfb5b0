"""The Discord server the bot tests and the end-to-end test run in: two text channels, an
admin (Manage Server) and a plain member."""

from __future__ import annotations

from tests.fakes.discord_api import GuildSpec

GUILD_ID, ALERTS, GENERAL = (
    1_200_000_000_000_000_001,
    1_200_000_000_000_000_011,
    1_200_000_000_000_000_012,
)
ADMIN, MEMBER = 1_300_000_000_000_000_001, 1_300_000_000_000_000_002
GUILD = GuildSpec(
    GUILD_ID,
    "Chain watchers",
    {ALERTS: "alerts", GENERAL: "general"},
    {ADMIN: "admin", MEMBER: "member"},
    admins={ADMIN},
)
