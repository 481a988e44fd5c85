"""The catalogue of every string a user reads, in English and Japanese, with stable keys.

Strings live in `en/*.txt` and `ja/*.txt` beside this module (one file per part of the app, the same files
and keys in both languages), one `key = value` per line (`#` starts a comment, `\\n` is a line
break, `\\s` a space (lines are stripped), `{name}` a value filled in by `tr`). The language follows the
locale (LANG=ja_JP.UTF-8 gives Japanese) and can be changed at any moment with `set_language`;
nothing caches translated text.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "ja")
DEFAULT_LANGUAGE = "en"
_HERE = Path(__file__).resolve().parent
_current = DEFAULT_LANGUAGE


def parse_catalogue(text: str) -> dict[str, str]:
    """`key = value` lines to a dict; ValueError names the first malformed line."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition(" = ")
        if not sep and stripped.endswith(" ="):
            key, sep, value = stripped[:-2], " =", ""
        if not sep or not key or " " in key:
            raise ValueError(f"line {number}: expected 'key = value' ({line!r})")
        if key in out:
            raise ValueError(f"line {number}: key {key!r} given twice")
        out[key] = value.replace("\\n", "\n").replace("\\s", " ")
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every string of one language by key (read once), from all the files of its folder."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    out: dict[str, str] = {}
    for path in sorted((_HERE / lang).glob("*.txt")):
        try:
            part = parse_catalogue(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{path.name}: {exc}") from None
        twice = out.keys() & part.keys()
        if twice:
            raise ValueError(f"{path.name}: keys given in another file too: {sorted(twice)}")
        out.update(part)
    return out


def system_language(environ=None) -> str:
    """The language the locale asks for: Japanese for ja_* locales, English otherwise."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def set_language(lang: str) -> None:
    """Switch every later `tr` to `lang` ("en" or "ja")."""
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    _current = lang


def language() -> str:
    """The language `tr` speaks now."""
    return _current


def tr(key: str, /, **values) -> str:
    """The string `key` in the current language, with `{name}` filled from `values`."""
    return tr_in(_current, key, **values)


def tr_in(lang: str, key: str, /, **values) -> str:
    """The string `key` in `lang`, with `{name}` filled from `values`.

    A key missing in Japanese falls back to English; a key missing everywhere is returned as it is, so that
    a typo shows up on screen instead of crashing a frame (a test holds every key used to exist)."""
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**values) if values else text


def tr_count(key: str, count: int, /, **values) -> str:
    """`tr` of a line that counts something: its `.one` form for a count of one where the catalogue has
    one ("1 token", not "1 tokens")."""
    return tr_count_in(_current, key, count, **values)


def tr_count_in(lang: str, key: str, count: int, /, **values) -> str:
    """`tr_in` of a line that counts something (see tr_count)."""
    if count == 1 and key + ".one" in catalogue(DEFAULT_LANGUAGE):
        key += ".one"
    return tr_in(lang, key, **values)


def has(key: str, lang: str | None = None) -> bool:
    """Whether `key` exists in the catalogue of `lang` (default: the current language)."""
    return key in catalogue(lang or _current)
