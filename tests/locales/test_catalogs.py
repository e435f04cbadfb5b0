"""Every language has every English message, with the same placeholders and all plural forms."""

from __future__ import annotations

import pytest

from locales import (
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    load_catalog,
    messages,
    pick_language,
    placeholders,
    translate,
)

ENGLISH = messages(DEFAULT_LANGUAGE)
OTHERS = [language for language in SUPPORTED_LANGUAGES if language != DEFAULT_LANGUAGE]


@pytest.mark.parametrize("language", OTHERS)
def test_every_english_key_is_translated(language: str) -> None:
    missing = sorted(set(ENGLISH) - set(messages(language)))
    assert missing == [], f"{language} lacks {missing}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_no_language_has_keys_english_lacks(language: str) -> None:
    extra = sorted(set(messages(language)) - set(ENGLISH))
    assert extra == [], f"{language} has keys English lacks: {extra}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_texts_are_not_empty_and_use_the_english_placeholders(language: str) -> None:
    for key, texts in messages(language).items():
        english = set().union(*(placeholders(text) for text in ENGLISH.get(key, ())))
        for text in texts:
            assert text.strip(), f"{language}: {key} is empty"
            used = placeholders(text)
            # A plural form may leave out {count} (Chinese has one form for all numbers),
            # but never use a name English does not define.
            assert used <= english, f"{language}: {key} uses {sorted(used - english)}"
            assert english - {"count"} <= used, f"{language}: {key} drops {english - used}"


# The number of plural forms GNU gettext's tables give each language. Babel's CLDR data is
# not used: newer CLDR releases add forms (Spanish "many", for millions) that a catalog
# declaring the gettext rule in its header does not need.
GETTEXT_PLURAL_FORMS = {"en": 2, "ru": 3, "es": 2, "zh_Hans": 1}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_plural_messages_have_every_form_of_the_language(language: str) -> None:
    forms = GETTEXT_PLURAL_FORMS[language]
    assert load_catalog(language).num_plurals == forms
    for key, texts in messages(language).items():
        if len(ENGLISH[key]) > 1:
            assert len(texts) == forms, f"{language}: {key} has {len(texts)} of {forms} forms"


def test_plural_forms_follow_each_language_rule() -> None:
    assert translate("ru", "events.count", count=1) == "1 событие"
    assert translate("ru", "events.count", count=3) == "3 события"
    assert translate("ru", "events.count", count=11) == "11 событий"
    assert translate("en", "events.count", count=1) == "1 event"
    assert translate("es", "events.count", count=2) == "2 eventos"


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("en-US", "en"),
        ("ru", "ru"),
        ("es-419", "es"),
        ("zh-hans", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-TW", "en"),
        ("pt-br", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_platform_language_codes_map_to_a_supported_language(
    code: str | None, language: str
) -> None:
    assert pick_language(code) == language


def test_an_unsupported_language_reads_english() -> None:
    assert translate("de", "language.name") == "English"


def test_an_unknown_key_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        translate("en", "no.such.message")
