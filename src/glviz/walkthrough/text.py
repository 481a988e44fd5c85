"""The chapters' text: one Markdown file per chapter and language, paragraphs under stable keys.

`text/<lang>/<chapter id>.md` starts with `# Title`; each paragraph follows a `## key` line. The script
of a chapter names the keys (Script.para), so a translation only adds files, and the chapter code does not
change. `{name}` in the text is a number the chapter reads from the trace (its `values`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent / "text"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ChapterText:
    """A chapter's title and its paragraphs (raw Markdown with placeholders) in file order."""

    title: str
    paragraphs: dict[str, str]


def parse_chapter(source: str, name: str = "") -> ChapterText:
    """A chapter file's text to its title and keyed paragraphs; ValueError says what is wrong."""
    title = ""
    paragraphs: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(source.splitlines(), 1):
        if line.startswith("## "):
            key = line[3:].strip()
            if not re.fullmatch(r"[a-z0-9_]+", key) or key in paragraphs:
                raise ValueError(f"{name}:{number}: bad or repeated paragraph key {key!r}")
            current = paragraphs[key] = []
        elif line.startswith("# ") and not title:
            title = line[2:].strip()
        elif current is not None:
            current.append(line)
        elif line.strip():
            raise ValueError(f"{name}:{number}: text before the first '## key' line")
    if not title:
        raise ValueError(f"{name}: no '# Title' line")
    return ChapterText(title, {k: "\n".join(v).strip() for k, v in paragraphs.items()})


@cache
def load_text(chapter_id: str, lang: str) -> ChapterText:
    """The text of a chapter in a language (read once); English where the language has no file."""
    path = _HERE / lang / f"{chapter_id}.md"
    if not path.is_file():
        path = _HERE / "en" / f"{chapter_id}.md"
    return parse_chapter(path.read_text(encoding="utf-8"), path.name)


def languages_of(chapter_id: str) -> list[str]:
    """The languages that have a file for the chapter."""
    return sorted(p.name for p in _HERE.iterdir() if (p / f"{chapter_id}.md").is_file())


def fill(text: str, values: dict[str, str]) -> str:
    """`{name}` replaced by values[name]; an unknown name stays as it is (a test holds that none do)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def placeholders(text: str) -> set[str]:
    """The names of the `{name}` placeholders in a text."""
    return set(PLACEHOLDER.findall(text))
