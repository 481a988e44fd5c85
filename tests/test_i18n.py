"""The string catalogue: English and Japanese have the same files, keys and placeholders; the language
follows the locale; a key missing in Japanese falls back to English; every key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from glviz import fonts, i18n
from glviz.i18n import catalogue, parse_catalogue, system_language, tr, tr_in

ROOT = Path(i18n.__file__).parent
SOURCES = Path(i18n.__file__).parents[1]  # src/glviz


def files(lang: str) -> dict[str, dict[str, str]]:
    """file name -> its key-value pairs."""
    paths = sorted((ROOT / lang).glob("*.txt"))
    return {p.name: parse_catalogue(p.read_text(encoding="utf-8")) for p in paths}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_both_languages_have_the_same_files_and_keys():
    en, ja = files("en"), files("ja")
    assert "app.txt" in en and "hover.txt" in en
    assert en.keys() == ja.keys()
    for name in en:
        assert sorted(en[name].keys() - ja[name].keys()) == [], f"missing in ja/{name}"
        assert sorted(ja[name].keys() - en[name].keys()) == [], f"missing in en/{name}"


def test_translations_keep_the_placeholders():
    en, ja = catalogue("en"), catalogue("ja")
    for key, text in en.items():
        assert placeholders(ja[key]) == placeholders(text), key
        ja[key].format(**{name: "x" for name in placeholders(text)})  # no stray braces


def test_japanese_is_translated_and_every_character_has_a_glyph():
    """A value the same in both languages is a key name or a symbol; every character of the Japanese text
    is in Roboto or Noto Sans JP (the panel's fonts), so nothing shows as a fallback box."""
    en, ja = catalogue("en"), catalogue("ja")
    same = {key for key in en if en[key] == ja[key]}
    # Names kept as they are in Japanese material too: keys, symbols, the blocks' short names, "Transformer".
    kept = {"label.wte", "label.wpe", "label.q", "label.k", "label.v", "label.q_k_v", "label.gelu",
            "label.mlp", "label.transformer_n", "card.sizes", "tour.chapter",
            "checkpoint.failed",  # the CLI's own line, in English as the CLI says it
            "error.config.in_source"}  # a message and its file: "{error} ({source})"
    assert all(key.endswith(".keys") or key in kept for key in same), sorted(same - kept)
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    assert sum(bool(japanese.search(text)) for text in ja.values()) > 0.9 * (len(ja) - len(same))
    roboto, noto = fonts.roboto(), fonts.japanese()
    missing = {ch for text in ja.values() for ch in text
               if ch != "\n" and not fonts.has_glyph(roboto, ch) and not fonts.has_glyph(noto, ch)}
    assert not missing


def test_the_catalogue_parses_and_refuses_malformed_lines():
    assert len(catalogue("en")) == len(catalogue("ja")) > 80
    assert parse_catalogue("# comment\n\na = b {x}\\nc\nempty =\n") == {"a": "b {x}\nc", "empty": ""}
    with pytest.raises(ValueError, match="line 2"):
        parse_catalogue("a = 1\nno separator\n")
    with pytest.raises(ValueError, match="twice"):
        parse_catalogue("a = 1\na = 2\n")


@pytest.mark.parametrize("environ, lang", [
    ({"LANG": "ja_JP.UTF-8"}, "ja"),
    ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
    ({"LC_ALL": "C.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),  # LC_ALL decides
    ({"LC_MESSAGES": "ja_JP.eucJP"}, "ja"),
    ({"LANG": "en_GB.UTF-8"}, "en"),
    ({"LANG": "C"}, "en"),
    ({}, "en"),
])
def test_the_system_language_follows_the_locale(environ, lang):
    assert system_language(environ) == lang


def test_tr_speaks_the_current_language_and_falls_back_to_english(monkeypatch):
    assert tr_in("en", "screenshot.saved", path="/tmp/a.png") == "Screenshot saved: /tmp/a.png"
    saved = "スクリーンショットを保存しました：/tmp/a.png"
    assert tr_in("ja", "screenshot.saved", path="/tmp/a.png") == saved
    try:
        i18n.set_language("ja")
        assert tr("legend.weights") == "重み" and i18n.language() == "ja"
        monkeypatch.delitem(catalogue("ja"), "legend.weights")  # a key not translated yet
        assert tr("legend.weights") == "weights"
    finally:
        i18n.set_language("en")
    assert tr("no.such.key") == "no.such.key"
    with pytest.raises(ValueError):
        i18n.set_language("fr")


def keys_used() -> tuple[set[str], set[str]]:
    """Keys the code passes to tr/tr_in as literals, and the prefixes of keys it builds (f"help.{row}")."""
    call = re.compile(r"""\btr(?:_count)?(?:_in)?\((?:[^,()]+,\s*)?(f?)(["'])([^"']+)\2""")
    literal, prefixes = set(), set()
    for path in SOURCES.rglob("*.py"):
        for is_f, _, key in call.findall(path.read_text(encoding="utf-8")):
            if is_f and "{" in key:
                prefixes.add(key.split("{")[0])
            elif "." in key and not key.endswith("."):  # "kind." + kind is a prefix
                literal.add(key)
    concatenated = re.compile(r"""\btr\(f?["']([a-z_.]+\.)["']\s*\+""")  # tr("kind." + kind): a prefix too
    for path in SOURCES.rglob("*.py"):
        prefixes.update(concatenated.findall(path.read_text(encoding="utf-8")))
    return literal, prefixes


def test_every_key_the_code_asks_for_exists():
    literal, prefixes = keys_used()
    en = catalogue("en")
    assert len(literal) > 40 and {"help.", "kind.", "hover.residual."} <= prefixes
    assert sorted(literal - en.keys()) == []
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in en), prefix


def test_a_count_of_one_reads_in_the_singular():
    """A one-token prompt read "1 tokens (0 generated)"; lines that count take their `.one` form for one,
    in both languages, and the plural otherwise."""
    import numpy as np

    from glviz.i18n import tr_count_in
    from glviz.ui.block_stats import block_stats

    assert tr_count_in("en", "prompt.tokens", 1, T=1, generated=0) == "1 token (0 generated)"
    assert tr_count_in("en", "prompt.tokens", 2, T=2, generated=0) == "2 tokens (0 generated)"
    assert tr_count_in("ja", "prompt.tokens", 1, T=1, generated=0).startswith("1 トークン")
    assert tr_count_in("en", "cli.trace.wrote", 1, arrays=3, tokens=1, dtype="float32", out="t.npz") == (
        "wrote 3 arrays for 1 token (float32) to t.npz")
    one = block_stats(np.array([[0.5]], np.float32))  # a one-token prompt's 1 x 1 attention block
    assert one.count_text == "1 value" and block_stats(np.ones((2, 2), np.float32)).count_text == "4 values"
