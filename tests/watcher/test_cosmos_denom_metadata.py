"""The REST lookup of display units against a fake of a chain's REST API: provider URLs with
keys, keys kept out of logs, bounded memory, denoms that cannot go into a path."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.fakes.cosmos_rest import FakeCosmosRest, bank_metadata
from watcher.cosmos_denom_metadata import DenomMetadataLookup, RestChain
from watcher.cosmos_denoms import Denom

KEY = "k3y0f4pr0v1d3r5ecr3tv4lu3"
CHAIN = "osmosis"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def rest() -> AsyncIterator[FakeCosmosRest]:
    fake = await FakeCosmosRest.start(prefix=f"/lcd/{KEY}")
    for base in ("uion", "uosmo", "uakt"):
        fake.metadata[base] = bank_metadata(base, base[1:], 6)
    yield fake
    await fake.stop()


async def test_a_provider_url_keeps_its_path_and_query_and_its_key_stays_out_of_logs(
    session: aiohttp.ClientSession, rest: FakeCosmosRest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    lookup = DenomMetadataLookup(session, {CHAIN: RestChain(f"{rest.url}/?key={KEY}")})
    assert await lookup.fetch_denoms(CHAIN, ["uion"]) == {"uion": Denom("uion", "ION", 6)}
    assert rest.requests == [f"/lcd/{KEY}/cosmos/bank/v1beta1/denoms_metadata/uion?key={KEY}"]
    rest.fail_with = 502
    assert await lookup.fetch_denoms(CHAIN, ["uakt"]) == {}
    [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "HTTP 502" in warning and rest.url.split("/lcd")[0] in warning
    assert KEY not in caplog.text


async def test_the_answers_kept_are_bounded_the_least_recently_used_going_first(
    session: aiohttp.ClientSession, rest: FakeCosmosRest
) -> None:
    lookup = DenomMetadataLookup(session, {CHAIN: RestChain(rest.url)}, max_entries=2)
    for denom in ("uion", "uosmo", "uion", "uakt"):
        await lookup.fetch_denoms(CHAIN, [denom])
    assert len(rest.requests) == 3  # uion was used again before uakt came: uosmo went
    await lookup.fetch_denoms(CHAIN, ["uion", "uakt"])
    assert len(rest.requests) == 3
    assert await lookup.fetch_denoms(CHAIN, ["uosmo"]) == {"uosmo": Denom("uosmo", "OSMO", 6)}
    assert len(rest.requests) == 4


async def test_denoms_that_cannot_go_into_a_path_and_unknown_chains_are_never_asked_for(
    session: aiohttp.ClientSession, rest: FakeCosmosRest
) -> None:
    lookup = DenomMetadataLookup(session, {CHAIN: RestChain(rest.url)})
    assert await lookup.fetch_denoms(CHAIN, ["ab/../../admin", "u ion", ""]) == {}
    assert await lookup.fetch_denoms("cosmoshub", ["uion"]) == {}
    assert rest.requests == []


async def test_a_denom_with_a_slash_is_read_from_whichever_route_the_node_has(
    session: aiohttp.ClientSession,
) -> None:
    # A node whose path route takes slashes (`{denom=**}`) and that has no query-string route.
    denom = "factory/osmo1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5helwsw/bell"
    rest = await FakeCosmosRest.start(query_string=False, slash_path=True)
    rest.metadata[denom] = bank_metadata(denom, "bell", 6, symbol="BELL")
    try:
        lookup = DenomMetadataLookup(session, {CHAIN: RestChain(rest.url)})
        assert await lookup.fetch_denoms(CHAIN, [denom]) == {denom: Denom(denom, "BELL", 6)}
    finally:
        await rest.stop()
    assert rest.requests == [
        f"/cosmos/bank/v1beta1/denoms_metadata_by_query_string?denom={denom}",
        f"/cosmos/bank/v1beta1/denoms_metadata/{denom}",
    ]
