"""The bot core over a real database, with an in-memory fake of its chain port."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.caller import Caller, ChatKind
from bot.core.context import CoreSettings
from bot.core.dispatch import BotCore
from bot.core.ports import ContractInfo
from bot.core.replies import Choice, Reply, Text
from locales import translate
from storage.subscriptions import ActiveSubscription
from tests.support.secret_watch import WATCH
from watcher.types import ChainEvent

USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
NFT = "0xBC4CA0EdA7647A8aB7C2061c2E118A18a936f13D"
PLAIN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
WALLET = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeChainLookup:
    """Answers from a table; records what recent-match queries asked for."""

    contracts: dict[tuple[str, str], ContractInfo] = field(default_factory=dict)
    recent: list[ChainEvent] = field(default_factory=list)
    asked: list[tuple[str, tuple[ActiveSubscription, ...]]] = field(default_factory=list)

    async def fetch_contract_info(self, chain: str, address: str) -> ContractInfo | None:
        return self.contracts.get((chain, address.lower()))

    async def fetch_recent_matches(
        self, chain: str, sources: Sequence[ActiveSubscription], limit: int = 3
    ) -> list[ChainEvent]:
        self.asked.append((chain, tuple(sources)))
        return self.recent[:limit]


def lookup_with_tokens() -> FakeChainLookup:
    return FakeChainLookup(
        contracts={
            ("mainnet", USDC.lower()): ContractInfo(True, "erc20", "USD Coin", "USDC", 6),
            ("mainnet", NFT.lower()): ContractInfo(True, "erc721", "Apes", "BAYC", None),
            ("mainnet", PLAIN.lower()): ContractInfo(True),
            ("mainnet", WALLET.lower()): ContractInfo(False),
        }
    )


def person(user: str = "100", language: str | None = "en") -> Caller:
    return Caller("telegram", user, user, "private", False, language)


def group_member(user: str, admin: bool, chat: str = "-500") -> Caller:
    kind: ChatKind = "group"
    return Caller("telegram", user, chat, kind, admin, "en")


def render(reply: Reply) -> str:
    """The message as the user reads it: the text, then each extra paragraph."""
    shown = "\n\n".join(_rendered(reply.language, item) for item in (reply.text, *reply.extra))
    WATCH.look(shown, "a reply of the bot", kind="bot replies", shapes=False)
    return shown


def _rendered(language: str, item: Text) -> str:
    return translate(language, item.key, **item.params)


def labels(reply: Reply) -> list[str]:
    return [_rendered(reply.language, c.label) for row in reply.choices for c in row]


def action(reply: Reply, label: str) -> str:
    """The action of the choice whose rendered label contains `label`."""
    for row in reply.choices:
        for offered in row:
            if isinstance(offered, Choice) and label in _rendered(reply.language, offered.label):
                return offered.action
    raise AssertionError(f"no choice {label!r} among {labels(reply)}")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def tick(self, seconds: float = 5) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def lookup() -> FakeChainLookup:
    return lookup_with_tokens()


@pytest.fixture
def core(db: str, lookup: FakeChainLookup) -> BotCore:
    return BotCore(CoreSettings(chains=("mainnet", "base"), lookup=lookup))


@pytest.fixture
def clock() -> Clock:
    return Clock()
