"""The `[chains.NAME]` tables of the chains TOML file, one model per chain family, and the
ChainSpec the watcher and the bots are given for each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.setting_display import redacted_repr_args
from app.setting_values import HttpUrl, WsUrl
from watcher.cosmos_denoms import DENOM_PATTERN, Denom
from watcher.types import ChainSpec, validator_prefix_of

CHAIN_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
FAMILY_EXPECTED = '"evm" or "cosmos"'
# CometBFT's network id (genesis chain_id): at most 50 characters; Cosmos ids are word-number.
COSMOS_CHAIN_ID_PATTERN = r"^[A-Za-z0-9._-]{1,50}$"
BECH32_PREFIX_PATTERN = r"^[a-z0-9]{1,20}$"
# Display names are written after amounts in filters (`1.5ATOM`), so they read like a denom.
DISPLAY_PATTERN = r"^[A-Za-z][A-Za-z0-9._-]{0,19}$"
DENOM_EXAMPLE = '{ base = "uatom", display = "ATOM", exponent = 6 }'
# Errors of these kinds say in full what was wrong and what is expected.
EXPLAINED_ERRORS = frozenset({"duplicate_denom", "foreign_validator_prefix"})

ChainName = Annotated[str, Field(pattern=CHAIN_NAME_PATTERN)]
# Unset by default: a chain that makes blocks only on demand would be reported all day.
QUIET_AFTER = Field(default=None, gt=0, description="seconds greater than 0, such as 600")


class _ChainTable(BaseModel):
    """Shared by every `[chains.NAME]` table: strict types, no unknown keys, no URL key in repr."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        return redacted_repr_args(super().__repr_args__())


class EvmChainConfig(_ChainTable):
    """One `[chains.NAME]` table of an EVM chain; the descriptions are what errors expect."""

    family: Literal["evm"] = Field(description=FAMILY_EXPECTED)
    chain_id: int = Field(gt=0, description="an integer greater than 0 (1 for Ethereum mainnet)")
    rpc_urls: list[HttpUrl] = Field(
        min_length=1, description='a non-empty list of http(s) URLs such as ["https://host"]'
    )
    ws_url: WsUrl | None = Field(default=None, description="a ws:// or wss:// URL")
    confirmations: int = Field(default=0, ge=0, description="an integer >= 0")
    poll_interval: float = Field(
        default=2.0, gt=0, description="seconds greater than 0, such as 2 or 0.5"
    )
    max_block_range: int = Field(
        default=2000, ge=1, le=100_000, description="an integer from 1 to 100000"
    )
    start_block: Literal["latest"] | Annotated[int, Field(ge=0)] = Field(
        default="latest", description='"latest" or a block number >= 0'
    )
    explorer_url: HttpUrl | None = Field(
        default=None, description="an http(s) URL such as https://host"
    )
    max_reorg_depth: int = Field(default=128, ge=1, description="an integer >= 1")
    quiet_after: float | None = QUIET_AFTER

    def secret_urls(self) -> list[str]:
        return [*self.rpc_urls, *([self.ws_url] if self.ws_url else [])]

    def to_spec(self, name: str) -> ChainSpec:
        return _spec(self, name, ws_url=self.ws_url)


class DenomConfig(BaseModel):
    """One entry of a Cosmos chain's `denoms`: the unit events count in and the one people use."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    base: str = Field(
        pattern=f"^{DENOM_PATTERN}$",
        description='an SDK denom such as "uatom" or "ibc/27394FB…": a letter, then 2 to 127'
        ' letters, digits, "/", ":", ".", "_" or "-"',
    )
    display: str = Field(
        pattern=DISPLAY_PATTERN,
        description='a name such as "ATOM": a letter, then up to 19 letters, digits, ".", "_"'
        ' or "-"',
    )
    exponent: int = Field(
        ge=0,
        le=30,
        description="an integer from 0 to 30: the decimal places from base to display units"
        " (6 for uatom and ATOM)",
    )


def _check_distinct_denoms(denoms: list[DenomConfig]) -> list[DenomConfig]:
    """No base twice (the SDK compares them case-sensitively) and no display name twice in any
    case (filters read `atom` and `ATOM` alike): either would make an amount ambiguous."""
    _check_distinct("base", [denom.base for denom in denoms], str)
    _check_distinct("display", [denom.display for denom in denoms], str.lower)
    return denoms


def _check_distinct(part: str, values: list[str], key: Callable[[str], str]) -> None:
    first: dict[str, str] = {}
    for value in values:
        if key(value) not in first:
            first[key(value)] = value
            continue
        earlier = first[key(value)]
        also = "" if earlier == value else f" (as {earlier!r} and as {value!r})"
        text = (
            f"{part} {earlier!r} is given twice{also}; expected each base denom once and each"
            " display name once, in any case"
        )
        raise PydanticCustomError("duplicate_denom", "{text}", {"text": text})


class CosmosChainConfig(_ChainTable):
    """One `[chains.NAME]` table of a Cosmos SDK chain, read over CometBFT's RPC."""

    family: Literal["cosmos"] = Field(description=FAMILY_EXPECTED)
    chain_id: str = Field(
        pattern=COSMOS_CHAIN_ID_PATTERN,
        description='the network id such as "cosmoshub-4": 1 to 50 letters, digits, ".", "_"'
        ' or "-"',
    )
    rpc_urls: list[HttpUrl] = Field(
        min_length=1,
        description='a non-empty list of CometBFT RPC http(s) URLs such as ["https://host:443"]',
    )
    rest_url: HttpUrl | None = Field(
        default=None, description="an http(s) URL of the SDK's REST (LCD) API such as https://host"
    )
    bech32_prefix: str = Field(
        pattern=BECH32_PREFIX_PATTERN,
        description='the account address prefix such as "cosmos" or "osmo": 1 to 20 lower-case'
        " letters or digits",
    )
    denoms: Annotated[list[DenomConfig], AfterValidator(_check_distinct_denoms)] = Field(
        min_length=1,
        description='a non-empty list of tables such as [{ base = "uatom", display = "ATOM",'
        " exponent = 6 }]",
    )
    validator_prefix: str | None = Field(
        default=None,
        pattern=BECH32_PREFIX_PATTERN,
        description="the validator operator address prefix where it is not the account prefix"
        ' and "valoper", such as "crocncl" for "cro": 1 to 20 lower-case letters or digits',
    )
    confirmations: int = Field(
        default=0, ge=0, description="an integer >= 0 (0 suits CometBFT's instant finality)"
    )
    poll_interval: float = Field(
        default=1.0, gt=0, description="seconds greater than 0, such as 1 or 0.5"
    )
    start_block: Literal["latest"] | Annotated[int, Field(ge=1)] = Field(
        default="latest", description='"latest" or a height >= 1'
    )
    explorer_url: HttpUrl | None = Field(
        default=None, description="an http(s) URL such as https://www.mintscan.io/cosmos"
    )
    max_reorg_depth: int = Field(default=16, ge=1, description="an integer >= 1")
    quiet_after: float | None = QUIET_AFTER
    fetch_concurrency: int = Field(
        default=8, ge=1, le=64, description="an integer from 1 to 64 (heights fetched at once)"
    )
    max_block_range: int = Field(
        default=50, ge=1, le=1000, description="an integer from 1 to 1000 (heights per commit)"
    )

    @field_validator("validator_prefix")
    @classmethod
    def _extends_the_account_prefix(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Filters (watcher/cosmos_filters.py) know a chain's addresses, validators' included,
        by a prefix that starts with the account prefix; one equal to it would make accounts
        and validators alike."""
        accounts = info.data.get("bech32_prefix")
        if value is None or not isinstance(accounts, str):
            return value
        if value.startswith(accounts) and value != accounts:
            return value
        text = (
            f"expected the account prefix {accounts!r} followed by more lower-case letters or"
            f" digits, such as {validator_prefix_of(accounts)!r}, got {value!r}: filters know"
            " a chain's addresses by the account prefix they start with"
        )
        raise PydanticCustomError("foreign_validator_prefix", "{text}", {"text": text})

    def secret_urls(self) -> list[str]:
        return [*self.rpc_urls, *([self.rest_url] if self.rest_url else [])]

    def to_spec(self, name: str) -> ChainSpec:
        return _spec(
            self,
            name,
            bech32_prefix=self.bech32_prefix,
            validator_prefix=self.validator_prefix,
            denoms=tuple(Denom(d.base, d.display, d.exponent) for d in self.denoms),
            rest_url=self.rest_url,
            fetch_concurrency=self.fetch_concurrency,
        )


def _spec(table: EvmChainConfig | CosmosChainConfig, name: str, **family_fields: Any) -> ChainSpec:
    """The ChainSpec of a table: the keys every family has, then the family's own."""
    return ChainSpec(
        name=name,
        family=table.family,
        chain_id=table.chain_id,
        rpc_urls=tuple(table.rpc_urls),
        confirmations=table.confirmations,
        poll_interval_s=table.poll_interval,
        max_block_range=table.max_block_range,
        start_block=None if table.start_block == "latest" else table.start_block,
        explorer_url=table.explorer_url,
        max_reorg_depth=table.max_reorg_depth,
        quiet_after_s=table.quiet_after,
        **family_fields,
    )


# The table's `family` picks its model, so each family's keys are checked and listed alone.
ChainConfig = Annotated[EvmChainConfig | CosmosChainConfig, Field(discriminator="family")]
CHAIN_MODELS: dict[str, type[EvmChainConfig] | type[CosmosChainConfig]] = {
    "evm": EvmChainConfig,
    "cosmos": CosmosChainConfig,
}
