"""The Japanese chapter texts against the English ones, read straight from the files: every chapter written
in English has a Japanese file with the same paragraph keys in the same order, and each paragraph keeps the
English one's placeholders, link targets, widgets, list items and emphasis; the Japanese is Japanese, and
every character of it has a glyph in the panel's fonts."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from glviz import fonts
from glviz.walkthrough import text as text_module
from glviz.walkthrough.text import parse_chapter

TEXT = Path(text_module.__file__).resolve().parent / "text"
ENGLISH = sorted(p.stem for p in (TEXT / "en").glob("*.md"))

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")
WIDGET = re.compile(r"^@widget\s+(\S+)\s*$", re.MULTILINE)
ITEM = re.compile(r"^\s*[-*] ", re.MULTILINE)
STAR_ITEM = re.compile(r"^\s*\* ", re.MULTILINE)
HIRAGANA_OR_KATAKANA = re.compile(r"[\u3040-\u30ff]")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def chapter(lang: str, chapter_id: str):
    path = TEXT / lang / f"{chapter_id}.md"
    return parse_chapter(path.read_text(encoding="utf-8"), path.name)


def shape(paragraph: str) -> dict[str, object]:
    """What a translation keeps of a paragraph: its placeholders, link targets, widgets (in order), list
    items and emphasis markers."""
    return {
        "placeholders": set(PLACEHOLDER.findall(paragraph)),
        "links": Counter(LINK.findall(paragraph)),
        "widgets": WIDGET.findall(paragraph),
        "list items": len(ITEM.findall(paragraph)),
        "bold": paragraph.count("**"),
        "italic": STAR_ITEM.sub("", paragraph.replace("**", "")).count("*"),
    }


def prose_lines(paragraph: str) -> list[str]:
    """The lines a reader reads: not widget lines, not blank."""
    return [line for line in paragraph.splitlines() if line.strip() and not line.startswith("@widget ")]


def test_the_english_chapters_are_found():
    assert {"overview", "preliminaries", "embedding"} <= set(ENGLISH)


@pytest.mark.parametrize("chapter_id", ENGLISH)
def test_japanese_has_every_english_paragraph_in_order(chapter_id):
    assert (TEXT / "ja" / f"{chapter_id}.md").is_file(), f"text/ja/{chapter_id}.md is missing"
    en, ja = chapter("en", chapter_id), chapter("ja", chapter_id)
    assert list(ja.paragraphs) == list(en.paragraphs)


@pytest.mark.parametrize("chapter_id", ENGLISH)
def test_each_paragraph_keeps_placeholders_links_widgets_and_markup(chapter_id):
    en, ja = chapter("en", chapter_id), chapter("ja", chapter_id)
    for key, english in en.paragraphs.items():
        assert shape(ja.paragraphs[key]) == shape(english), key
        stripped = PLACEHOLDER.sub("", ja.paragraphs[key])
        assert "{" not in stripped and "}" not in stripped, (key, "a stray or misspelt placeholder")


@pytest.mark.parametrize("chapter_id", ENGLISH)
def test_the_japanese_text_is_japanese(chapter_id):
    ja = chapter("ja", chapter_id)
    assert JAPANESE.search(ja.title), ja.title
    for key, paragraph in ja.paragraphs.items():
        for line in prose_lines(paragraph):
            assert HIRAGANA_OR_KATAKANA.search(line), (key, line)


@pytest.mark.parametrize("chapter_id", ENGLISH)
def test_every_japanese_character_has_a_glyph(chapter_id):
    ja = chapter("ja", chapter_id)
    roboto, noto = fonts.roboto(), fonts.japanese()
    text = ja.title + "".join(ja.paragraphs.values())
    missing = {ch for ch in text
               if ch != "\n" and not fonts.has_glyph(roboto, ch) and not fonts.has_glyph(noto, ch)}
    assert not missing
