"""The shared fixtures work: a migrated database on both backends and a token on anvil."""

from storage.models import User
from tests.support.anvil import AnvilNode
from tests.support.token import Token


async def test_database_is_migrated_and_writable(db: str) -> None:
    await User.create(language="en")
    assert await User.all().count() == 1


async def test_token_transfer_emits_a_log(anvil: AnvilNode, token: Token) -> None:
    receipt = await anvil.receipt(await token.transfer("0x" + "11" * 20, 5))
    assert len(receipt["logs"]) == 1
    assert receipt["logs"][0]["address"].lower() == token.address
