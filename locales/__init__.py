"""Translation catalogs (gettext, one `blockbell.po` per language) and the lookup of messages.

Messages are keys (`wizard.ask_address`) with named `{placeholders}`; English is a catalog like
the others. A key with plural forms is looked up with `count=`, and the language's own plural
rule picks the form. Catalogs are compiled in memory with Babel when first used.
"""

from __future__ import annotations

import functools
import io
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

CATALOG_FOLDER = Path(__file__).parent
DOMAIN = "blockbell"
DEFAULT_LANGUAGE = "en"
SUPPORTED_LANGUAGES = ("en", "ru", "es", "zh_Hans")
"""Catalog folder names; `pick_language` maps what platforms send onto them."""

_ALIASES = {"zh": "zh_Hans", "zh_cn": "zh_Hans", "zh_sg": "zh_Hans", "zh_hans": "zh_Hans"}


def pick_language(code: str | None) -> str:
    """The supported language for a platform's code (Telegram `en-US`, Discord `zh-CN`, `ru`),
    English when there is none."""
    if not code:
        return DEFAULT_LANGUAGE
    normalized = code.strip().replace("-", "_").lower()
    if normalized in _ALIASES:
        return _ALIASES[normalized]
    base = normalized.split("_", 1)[0]
    if base == "zh":
        # Traditional Chinese (zh-TW, zh-HK, zh-Hant) is not offered: English reads better
        # to those users than the simplified script.
        return DEFAULT_LANGUAGE
    return base if base in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def translate(language: str, key: str, /, **params: Any) -> str:
    """The message `key` in `language` (English if the language lacks it) with `params` filled.

    A `count` parameter selects the plural form. A key that no catalog has is a programming
    error and raises KeyError; the catalog test keeps that from shipping.
    """
    count = params.get("count")
    for candidate in (language, DEFAULT_LANGUAGE):
        text = _lookup(candidate, key, count)
        if text is not None:
            return text.format_map(params) if params else text
    raise KeyError(f"message {key!r} is in no catalog")


def _lookup(language: str, key: str, count: int | None) -> str | None:
    translations = _translations(language if language in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE)
    if count is None:
        text = translations.gettext(key)
        return None if text == key else text
    text = translations.ngettext(key, key, count)
    return None if text == key else text


@functools.cache
def _translations(language: str) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, load_catalog(language))
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def catalog_path(language: str) -> Path:
    return CATALOG_FOLDER / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def load_catalog(language: str) -> Catalog:
    with catalog_path(language).open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def placeholders(text: str) -> frozenset[str]:
    """The `{names}` a message text uses."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def messages(language: str) -> Mapping[str, tuple[str, ...]]:
    """Every key of a language's catalog with its text (several texts for plural forms)."""
    result: dict[str, tuple[str, ...]] = {}
    for message in load_catalog(language):
        if not message.id:
            continue  # the header
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        result[str(key)] = tuple(str(text or "") for text in strings)
    return result
