"""The first error of invalid settings as one line: the setting's name (with the file, for a
chain's key), what was expected and what was given, its secrets left out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from app.chain_settings import (
    CHAIN_MODELS,
    DENOM_EXAMPLE,
    EXPLAINED_ERRORS,
    FAMILY_EXPECTED,
    DenomConfig,
)
from app.setting_display import shown_value


def describe_error(
    exc: PydanticValidationError, config_path: Path, by_variable: Mapping[str, FieldInfo]
) -> str:
    """`by_variable` holds the environment's settings by their variable's name."""
    error = exc.errors(include_url=False)[0]
    loc = [str(part) for part in error["loc"]]
    if loc[0] == "chains":
        return _describe_chain_error(error, loc, f"in {config_path}")
    field = by_variable[loc[0]]
    return f"{loc[0]}: expected {field.description}, got {shown_value(loc[0], error['input'])}"


def _describe_chain_error(error: ErrorDetails, loc: list[str], where: str) -> str:
    """loc is ["chains", NAME] for the table itself, else ["chains", NAME, FAMILY, KEY, ...]:
    the discriminated union puts the family that picked the model before the key."""
    kind, given = error["type"], error["input"]
    if len(loc) == 3 and loc[2] == "[key]":
        return (
            f"chains.{loc[1]} {where}: expected a chain name of lower-case letters, digits,"
            " '-' and '_' (at most 64 characters)"
        )
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        family = given.get("family") if isinstance(given, dict) else given
        if kind == "union_tag_not_found":
            return f"chains.{loc[1]}.family {where}: missing; expected {FAMILY_EXPECTED}"
        return f"chains.{loc[1]}.family {where}: expected {FAMILY_EXPECTED}, got {family!r}"
    if len(loc) < 4 or loc[2] not in CHAIN_MODELS:
        return f"{'.'.join(loc[:2])} {where}: expected a table such as [chains.mainnet]"
    family, key, setting = loc[2], loc[3], f"chains.{loc[1]}.{loc[3]}"
    if key == "denoms" and len(loc) > 4:
        return _describe_denom_error(kind, loc[4:], given, f"{setting}[{loc[4]}]", where)
    if kind in EXPLAINED_ERRORS:
        return f"{setting} {where}: {error['msg']}"
    elsewhere = [name for name, model in CHAIN_MODELS.items() if key in model.model_fields]
    if kind == "extra_forbidden" and elsewhere:
        fields = ", ".join(CHAIN_MODELS[family].model_fields)
        return (
            f"{setting} {where}: not a setting of {family} chains (only {elsewhere[0]} chains"
            f" have it); expected one of {fields}"
        )
    return _describe_key_error(kind, setting, where, CHAIN_MODELS[family], key, given)


def _describe_denom_error(
    kind: str, loc: list[str], given: object, setting: str, where: str
) -> str:
    """loc is [INDEX] when the entry is not a table, else [INDEX, KEY]."""
    if len(loc) < 2:
        return (
            f"{setting} {where}: expected a table such as {DENOM_EXAMPLE},"
            f" got {shown_value('', given)}"
        )
    return _describe_key_error(kind, f"{setting}.{loc[1]}", where, DenomConfig, loc[1], given)


def _describe_key_error(
    kind: str, setting: str, where: str, model: type[BaseModel], key: str, given: object
) -> str:
    field = model.model_fields.get(key)
    if kind == "extra_forbidden" or field is None:
        return f"{setting} {where}: unknown key; expected one of {', '.join(model.model_fields)}"
    if kind == "missing":
        return f"{setting} {where}: missing; expected {field.description}"
    return f"{setting} {where}: expected {field.description}, got {shown_value(key, given)}"
