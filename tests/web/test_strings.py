"""The page's string tables: one per language, the same keys and placeholders, and no English
left in the Chinese one but names that are not translated (products, packages, formats)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.strings import LATIN_WORD, NAMES

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"


def table(lang: str) -> dict:
    return json.loads((STATIC / f"lang-{lang}.json").read_text())


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)[,}]", text))


def test_every_language_has_the_same_keys_and_placeholders():
    en, zh = table("en"), table("zh-CN")
    assert set(en) == set(zh), f"keys only in one table: {sorted(set(en) ^ set(zh))}"
    for key in en:
        if key != "error.image_unreadable":  # the browser's own (English) reason is left out in Chinese
            assert placeholders(zh[key]) == placeholders(en[key]), key


def test_the_chinese_table_holds_no_english_words_but_names():
    for key, text in table("zh-CN").items():
        words = {w.rstrip(".") for w in LATIN_WORD.findall(re.sub(r"\{[^}]*\}|@vladmandic/[\w-]+ [\d.]+", "", text))}
        assert words <= NAMES, f"{key}: {sorted(words - NAMES)} in {text!r}"


def test_every_key_the_page_uses_is_in_the_tables():
    en = table("en")
    used = set()
    for source in (*sorted(STATIC.glob("*.js")), STATIC / "index.html"):  # every module of the page
        text = source.read_text()
        used |= set(re.findall(r"""(?:t\(|data-i18n=)['"]([a-zA-Z]+\.[\w.]+)['"]""", text))
    assert used and used <= set(en), f"keys used but missing: {sorted(used - set(en))}"
