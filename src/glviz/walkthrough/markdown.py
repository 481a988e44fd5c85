"""The chapters' Markdown, parsed into blocks of styled runs (no imgui: the panel draws them).

The subset the tour's text uses: paragraphs (blank lines between them), lists (`- item`), **bold**, *italic*,
`code`, links `[text](target)`, and widget lines `@widget name` (a plot or table the panel draws there).
Link targets: `block:NAME[,NAME…]` (a term lit with its blocks; NAME may be a shell pattern such as
`layers.0.attn.h*.q`), `chapter:ID`, or an http(s) address.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_INLINE = re.compile(r"\*\*(?P<bold>.+?)\*\*|\*(?P<italic>[^*\s][^*]*?)\*|`(?P<code>[^`]+)`"
                     r"|\[(?P<link>[^\]]+)\]\((?P<target>[^)\s]+)\)")


@dataclass(frozen=True)
class Run:
    """A piece of text in one style."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    link: str = ""  # the target of a link, "" for plain text


@dataclass
class MdBlock:
    """A paragraph, a list item or a widget."""

    kind: str  # "p", "li" or "widget"
    runs: list[Run] = field(default_factory=list)
    widget: str = ""


def is_wide(ch: str) -> bool:
    """Whether `ch` is a CJK (wide) character: lines of such text join without a space."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _join(lines: list[str]) -> str:
    out = ""
    for line in (ln.strip() for ln in lines):
        if out and line and not (is_wide(out[-1]) and is_wide(line[0])):
            out += " "
        out += line
    return out


def parse_inline(text: str, bold: bool = False, italic: bool = False) -> list[Run]:
    """Runs of `text` (bold and italic may nest; a link's text may be bold or italic)."""
    runs: list[Run] = []
    pos = 0
    for match in _INLINE.finditer(text):
        if match.start() > pos:
            runs.append(Run(text[pos:match.start()], bold, italic))
        if match.group("bold") is not None:
            runs.extend(parse_inline(match.group("bold"), True, italic))
        elif match.group("italic") is not None:
            runs.extend(parse_inline(match.group("italic"), bold, True))
        elif match.group("code") is not None:
            runs.append(Run(match.group("code"), bold, italic, code=True))
        else:
            target = match.group("target")
            runs.extend(Run(r.text, r.bold, r.italic, r.code, target)
                        for r in parse_inline(match.group("link"), bold, italic))
        pos = match.end()
    if pos < len(text):
        runs.append(Run(text[pos:], bold, italic))
    return runs


def parse(text: str) -> list[MdBlock]:
    """Blocks of a paragraph's Markdown."""
    blocks: list[MdBlock] = []
    lines: list[str] = []
    kind = "p"

    def flush() -> None:
        nonlocal lines
        if lines:
            blocks.append(MdBlock(kind, parse_inline(_join(lines))))
        lines = []

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            kind = "p"
        elif line.startswith("@widget "):
            flush()
            blocks.append(MdBlock("widget", widget=line.split(None, 1)[1].strip()))
            kind = "p"
        elif line.startswith(("- ", "* ")):
            flush()
            kind = "li"
            lines = [line[2:]]
        else:
            lines.append(line)
    flush()
    return blocks


def plain(text: str) -> str:
    """The words a reader reads (markup and widgets left out): for reading times."""
    return " ".join("".join(r.text for r in b.runs) for b in parse(text) if b.kind != "widget")


def block_targets(link: str) -> list[str]:
    """The block names or patterns of a `block:` link ([] for other links)."""
    if not link.startswith("block:"):
        return []
    return [name.strip() for name in link[len("block:"):].split(",") if name.strip()]
