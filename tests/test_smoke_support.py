"""The shared fixtures work: a migrated database on both backends and a token on anvil."""

from pathlib import Path

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


async def test_anvil_leaves_no_block_states_on_disk() -> None:
    # anvil writes the states past its in-memory history (500 blocks) under
    # ~/.foundry/anvil/tmp and never removes them; a benchmark's chain left 2 GB each run.
    states = Path.home() / ".foundry" / "anvil" / "tmp"
    before = _files_under(states)
    node = await AnvilNode().start()
    try:
        await node.mine(1_000)
        assert await node.block_number() == 1_000
    finally:
        await node.stop()
    assert _files_under(states) <= before


def _files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()} if folder.exists() else set()
