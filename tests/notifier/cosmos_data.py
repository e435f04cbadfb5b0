"""Cosmos deliveries as the notifier claims them, for the rendering tests: a Cosmos Hub-like
chain with ATOM, real bech32 addresses (valid checksums), and events stored as the watcher
stores them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from hypothesis import strategies as st

from storage.deliveries import ChainFacts, DueDelivery, DueDestination, DueEvent, JsonValue
from watcher.cosmos_denoms import Denom

CHAIN = "cosmoshub"
CHAIN_ID = "cosmoshub-4"
MINTSCAN = "https://www.mintscan.io/cosmos"
ATOM = Denom("uatom", "ATOM", 6)
FACTS = ChainFacts("cosmos", "cosmos", (ATOM,))
ALICE = "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"
BOB = "cosmos1v3jkvemgd94xkmrddehhqutjwd682anhgerdcs"
CONTRACT = "cosmos1eryu4j7veh8vl5x36tfaf4wk6lvdnkkmmnwaahlqu83w8e89umnsqpnajh"
VALIDATOR = "cosmosvaloper1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc56kct20"
OSMO_ACCOUNT = "osmo1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5helwsw"
IBC_DENOM = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
HEIGHT = 19_000_001
BLOCK_HASH = "A1" * 32
TX = "C0FFEE" + "AB" * 29
TRANSFER_ARGS: dict[str, JsonValue] = {
    "recipient": BOB,
    "sender": ALICE,
    "amount": "1500000uatom",
    "msg_index": "0",
}


def cosmos_delivery(
    *,
    event_name: str = "transfer",
    args: Mapping[str, JsonValue] | None = None,
    transaction_hash: str = TX,
    log_index: int = 4,
    msg_index: int | None = 0,
    contract: str = "",
    kind: str = "event",
    language: str = "en",
    destination_kind: str = "telegram",
    destination_id: int = 7,
    subscription_id: int = 11,
    provisional: bool = False,
    original_ref: str | None = None,
) -> DueDelivery:
    event = DueEvent(
        chain=CHAIN,
        block_number=HEIGHT,
        block_hash=BLOCK_HASH,
        transaction_hash=transaction_hash,
        log_index=log_index,
        contract=contract,
        event_name=event_name,
        args=dict(TRANSFER_ARGS if args is None else args),
        topics=(),
        data="",
        msg_index=msg_index,
    )
    destination = DueDestination(
        destination_id, destination_kind, str(1000 + destination_id), "whsec_c2VjcmV0"
    )
    return DueDelivery(
        id=f"0b7f3c1e-1111-4222-8333-{destination_id:04d}{log_index + 100:08d}",
        kind=kind,
        attempts=0,
        subscription_id=subscription_id,
        destination=destination,
        event=event,
        abi_inputs=(),
        language=language,
        provisional=provisional,
        original_ref=original_ref,
        chain_facts=FACTS,
    )


def any_provisional_cosmos_delivery(max_attributes: int) -> st.SearchStrategy[DueDelivery]:
    """Deliveries of any attributes (long, repeated, null, in any script), any event name, in
    each language and of each kind: what the renderers must fit into one message."""
    attributes = st.dictionaries(
        st.text(max_size=300),
        st.one_of(st.none(), st.text(max_size=3000), st.lists(st.text(max_size=500))),
        max_size=max_attributes,
    )
    return st.builds(
        lambda args, name, language, kind: replace(
            cosmos_delivery(event_name=name, args=args, kind=kind, language=language),
            provisional=True,
        ),
        attributes,
        st.text(max_size=400),
        st.sampled_from(["en", "ru", "es", "zh_Hans"]),
        st.sampled_from(["event", "event.reverted", "event.confirmed"]),
    )
