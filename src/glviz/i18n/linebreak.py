"""Where a line of English, Japanese or mixed text may break, and greedy wrapping to a width. Pure Python.

English breaks after spaces only. Japanese has no spaces: a line may break between any two characters
when one of them is Japanese (kanji, kana, full-width signs), except before the characters that must not
start a line (closing brackets, 、。, ー, small kana: 行頭禁則) and after those that must not end one
(opening brackets: 行末禁則), the simple rules of Japanese typesetting (JIS X 4051) that imgui's own word
wrap does not know (it breaks only at spaces and punctuation, and runs a Japanese sentence off the panel).
"""

from __future__ import annotations

from collections.abc import Callable

SPACES = frozenset(" \t\u3000")  # \u3000: the ideographic space
_SPACE_CHARS = "".join(sorted(SPACES))
# Characters a line must not start with: closing brackets and punctuation, the long vowel mark, the middle
# dot, iteration marks, and small kana (they belong to the syllable before them).
NO_START = frozenset(
    "、。，．,.:;!?！？）)］]｝}〕〉》」』】〙〗〟’”｠»"
    "ー・…‥ゝゞ々ヽヾ〻"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
)
NO_END = frozenset("「『（(［[｛{〔〈《【〘〖〝‘“｟«")  # opening brackets: never the last on a line

_WIDE_RANGES = (
    (0x2E80, 0x303F),  # CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3100, 0x31FF),  # bopomofo … katakana phonetic extensions
    (0x3200, 0x4DBF),  # enclosed CJK, compatibility, extension A
    (0x4E00, 0x9FFF),  # unified ideographs
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width and half-width forms
    (0x20000, 0x3FFFF),  # ideograph extensions B and later
)


def is_cjk(ch: str) -> bool:
    """Whether `ch` is a Chinese-Japanese-Korean character: text that may break around any of them."""
    c = ord(ch)
    if c < 0x2E80:  # (Latin text: one comparison; the first frame's panel asks for ~1,600 characters)
        return False
    return any(lo <= c <= hi for lo, hi in _WIDE_RANGES)


def break_points(text: str) -> list[int]:
    """Indices i (0 < i < len(text)) where a line may end after text[:i] and the next start at text[i]:
    after a run of spaces, and between two characters of which one is CJK; never before a NO_START
    character nor after a NO_END one."""
    out = []
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        if after in SPACES or after in NO_START or before in NO_END:
            continue
        if before in SPACES or is_cjk(before) or is_cjk(after):
            out.append(i)
    return out


def wrap(text: str, width_of: Callable[[str], float], max_width: float) -> list[str]:
    """`text` in lines no wider than `max_width` as `width_of` measures them, breaking greedily at
    break_points; "\\n" always breaks. A run with no break point that is wider than a line goes on a line
    of its own and is cut between characters. Spaces at a break are dropped; the text is otherwise kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, width_of, max_width))
    return lines


def _wrap_paragraph(text: str, width_of: Callable[[str], float], max_width: float) -> list[str]:
    """wrap() of text without line breaks: at least one line (empty for empty text)."""
    cuts = [0, *break_points(text), len(text)]
    pieces = [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]  # each ends with its spaces
    lines: list[str] = []
    line = ""
    for piece in pieces:
        if not line or width_of(_strip_end(line + piece)) <= max_width:
            line += piece
            continue
        lines.append(_strip_end(line))
        line = piece
    lines.append(_strip_end(line))
    # A line still too wide holds one run with no break point: cut it between characters.
    out: list[str] = []
    for line in lines:
        out.extend(_cut_run(line, width_of, max_width) if width_of(line) > max_width else [line])
    return out


def _cut_run(run: str, width_of: Callable[[str], float], max_width: float) -> list[str]:
    """`run` in pieces of as many characters as fit (at least one each)."""
    out = []
    while run:
        n = 1
        while n < len(run) and width_of(run[:n + 1]) <= max_width:
            n += 1
        out.append(run[:n])
        run = run[n:]
    return out


def _strip_end(line: str) -> str:
    """`line` without the spaces it ends with (dropped at a break)."""
    return line.rstrip(_SPACE_CHARS)
