"""A chain's watcher as the service runs it: halted by a reorg deeper than its window, it stays
stopped and sends nothing until an operator's `blockbell resume`, then reads the node's chain
again from before the fork."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.chain_watching import watch_chain
from storage.models import Delivery, Event
from tests.support.anvil import AnvilNode
from tests.support.builders import make_subscription
from tests.support.service import run_cli, service_env, write_chain_config
from tests.support.token import TOKEN_ABI, Token
from tests.support.watching import anvil_spec, canonical_logs, cursor_at_least, wait_until
from watcher.status import ChainStatus

RECIPIENT = "0x" + "2b" * 20
WINDOW = 4


async def stored_active_logs() -> set[tuple[str, str, int]]:
    events = await Event.filter(status="active")
    return {(e.block_hash, e.transaction_hash, e.log_index) for e in events}


async def test_a_chain_halted_by_a_deep_reorg_waits_for_the_operator_then_reads_the_new_fork(
    db: str, anvil: AnvilNode, token: Token, tmp_path: Path
) -> None:
    await make_subscription(address=token.address, abi=TOKEN_ABI)
    status = ChainStatus("anvil")
    watching = asyncio.create_task(
        watch_chain(anvil_spec(anvil.url, max_reorg_depth=WINDOW), status, lambda: None)
    )
    try:
        for value in range(1, 10):
            await token.transfer(RECIPIENT, value)
        before = await anvil.block_number()
        await wait_until(lambda: cursor_at_least("anvil", before))
        assert await stored_active_logs() == await canonical_logs(anvil, token.address, before)

        await anvil.reorg(2 * WINDOW, [])
        await wait_until(lambda: status.halted is not None)
        assert status.as_dict()["healthy"] is False
        assert f"deeper than {WINDOW}" in (status.halted or "")

        await token.transfer(RECIPIENT, 100)
        await asyncio.sleep(1.0)
        assert "100" not in {event.args.get("value") for event in await Event.all()}
        assert await Event.filter(status="reverted").count() == 0

        config = write_chain_config(tmp_path / "blockbell.toml", anvil.url, None)
        code, out, _ = await run_cli(service_env(db, config), "resume", "anvil")
        assert code == 0 and "released" in out

        head = await anvil.block_number()
        await wait_until(lambda: status.halted is None and cursor_at_least("anvil", head))
    finally:
        watching.cancel()
        await asyncio.gather(watching, return_exceptions=True)

    assert await stored_active_logs() == await canonical_logs(anvil, token.address, head)
    reverted = await Event.filter(status="reverted")
    assert sorted(int(e.args["value"]) for e in reverted) == list(range(2, 10))
    assert await Delivery.filter(status="cancelled").count() == len(reverted)
