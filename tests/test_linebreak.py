"""Line breaking of English, Japanese and mixed text (glviz.i18n.linebreak), measured in a monospace font."""

from __future__ import annotations

import pytest

from glviz.i18n.linebreak import NO_END, NO_START, SPACES, break_points, is_cjk, wrap


def mono(text: str) -> float:
    """Monospace: one unit a character."""
    return float(len(text))


def wide(text: str) -> float:
    """A terminal's monospace: CJK characters two units, the others one."""
    return float(sum(2 if is_cjk(ch) else 1 for ch in text))


def pieces(text: str) -> list[str]:
    cuts = [0, *break_points(text), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]


def test_english_breaks_only_after_spaces():
    assert break_points("hello world  foo") == [6, 13]
    assert break_points("x[i]·W[i,j] (48 terms)") == [12, 16]
    assert break_points("word") == [] and break_points("") == []


def test_japanese_breaks_between_characters_except_the_forbidden_places():
    assert pieces("自己注意") == ["自", "己", "注", "意"]
    assert pieces("トークン。次") == ["トー", "ク", "ン。", "次"]  # not before ー nor 。
    assert pieces("「重み」を") == ["「重", "み」", "を"]  # not after 「, not before 」
    assert pieces("ちょっと") == ["ちょっ", "と"]  # small kana stay with the syllable before
    assert pieces("値（ソフトマックス）、") == ["値", "（ソ", "フ", "ト", "マッ", "ク", "ス）、"]
    assert pieces("これは！？") == ["こ", "れ", "は！？"]
    assert pieces("層・重み") == ["層・", "重", "み"]


def test_mixed_text_breaks_around_japanese_and_at_spaces():
    assert pieces("GPTは文章") == ["GPT", "は", "文", "章"]  # never inside the English word
    assert pieces("Attention は重要") == ["Attention ", "は", "重", "要"]
    assert pieces("値は 0.25 です") == ["値", "は ", "0.25 ", "で", "す"]
    assert pieces("「softmax」の値") == ["「softmax」", "の", "値"]


def test_no_break_point_puts_a_forbidden_character_at_a_line_edge():
    text = "「残差接続」は、層の出力（attention output）を入力に足します。ちょっと待って…ー。"
    for i in break_points(text):
        assert text[i] not in NO_START and text[i - 1] not in NO_END and text[i] not in SPACES


def test_english_wraps_at_spaces_and_drops_them():
    assert wrap("the quick brown fox jumps", mono, 10) == ["the quick", "brown fox", "jumps"]
    assert wrap("one  two", mono, 3) == ["one", "two"]
    assert wrap("fits on one line", mono, 80) == ["fits on one line"]


def test_a_run_too_wide_for_a_line_gets_its_own_lines_cut_between_characters():
    assert wrap("abcdefghij", mono, 4) == ["abcd", "efgh", "ij"]
    assert wrap("x abcdefghij y", mono, 4) == ["x", "abcd", "efgh", "ij", "y"]
    assert wrap("abc", mono, 0) == ["a", "b", "c"]  # at least one character a line


def test_japanese_wraps_greedily_within_the_width():
    text = "自己注意機構は、トークンどうしの関係を「重み」で表します。"
    lines = wrap(text, mono, 6)
    assert lines == ["自己注意機構", "は、トークン", "どうしの関係", "を「重み」で", "表します。"]
    assert "".join(lines) == text
    for width in (4, 5, 7, 10, 13):
        lines = wrap(text, wide, 2 * width)
        assert "".join(lines) == text
        assert all(wide(line) <= 2 * width for line in lines), lines
        assert all(line[0] not in NO_START and line[-1] not in NO_END for line in lines), lines
        # Greedy: the next line's first piece would not have fitted on the line before.
        for line, after in zip(lines, lines[1:], strict=False):
            assert wide(line + pieces(after)[0].rstrip()) > 2 * width


def test_mixed_japanese_and_english_wrap():
    text = "Attention（注意）は、query と key の内積から softmax で重みを作ります。"
    lines = wrap(text, wide, 20)
    assert all(wide(line) <= 20 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line.startswith(" ") or line.endswith(" ") for line in lines)
    words = {w for line in lines for w in line.split()}
    for word in ("query", "key", "softmax"):  # English words are never cut
        assert any(word in w for w in words), (word, lines)


def test_line_breaks_in_the_text_are_kept():
    assert wrap("a\n\nb c", mono, 80) == ["a", "", "b c"]
    assert wrap("", mono, 10) == [""]
    assert wrap("注意\n重み", mono, 1) == ["注", "意", "重", "み"]


@pytest.mark.parametrize("ch, cjk", [("あ", True), ("ア", True), ("漢", True), ("。", True), ("Ａ", True),
                                     ("A", False), ("σ", False), ("—", False)])
def test_cjk_characters(ch, cjk):
    assert is_cjk(ch) == cjk
