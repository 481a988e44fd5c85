"""The command line's help in the catalogue (`i18n/{en,ja}/cli.txt`), shown in the command's language.

A help text is given to argparse as a `HelpText`: a str that is its catalogue key, with the values its text
names. Nothing is looked up while the parser is built (start-up loads no catalogue); `HelpFormatter` renders
the text in its parser's `lang` when help is shown, then argparse fills `%(default)s` as usual. Japanese
lines are wrapped by terminal columns (a Japanese character takes two), at the places Japanese may break.
"""

from __future__ import annotations

import argparse


class HelpText(str):
    """A help text's catalogue key (the str itself) and the values its text names."""

    values: dict[str, object]

    def __new__(cls, key: str, /, **values: object) -> HelpText:
        self = super().__new__(cls, key)
        self.values = values
        return self

    def text(self, lang: str) -> str:
        """The help in `lang`."""
        from glviz.i18n import tr_in

        return tr_in(lang, str(self), **self.values)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, speaking `lang` (None: the locale's language, asked when help is shown)."""

    lang: str | None = None

    def rendered(self, text):
        """`text` in the formatter's language where it is a HelpText; anything else (argparse's own text, the
        version) as it is, without asking the locale (`glviz --version` reads no catalogue)."""
        if not isinstance(text, HelpText):
            return text
        if self.lang is None:
            from glviz.i18n import system_language

            self.lang = system_language()
        return text.text(self.lang)

    def _get_help_string(self, action: argparse.Action) -> str:
        return self.rendered(action.help)

    def _format_text(self, text: str) -> str:  # a description
        return super()._format_text(self.rendered(text))

    def _split_lines(self, text: str, width: int) -> list[str]:
        if not _has_wide(text):
            return super()._split_lines(text, width)
        return _wrap(" ".join(text.split()), width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if not _has_wide(text):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in _wrap(" ".join(text.split()), width - len(indent)))


def _has_wide(text: str) -> bool:
    """Whether `text` holds a double-width (CJK) character; ASCII text imports nothing (`--version`)."""
    if all(ord(ch) < 0x2E80 for ch in text):  # below the first CJK block
        return False
    from glviz.i18n.linebreak import is_cjk

    return any(is_cjk(ch) for ch in text)


def _wrap(text: str, columns: int) -> list[str]:
    """`text` in lines of at most `columns` terminal columns (at least 20: a narrow terminal gets short
    lines, not one character a line)."""
    from glviz.i18n.linebreak import is_cjk, wrap

    def width(line: str) -> float:
        return float(sum(2 if is_cjk(ch) else 1 for ch in line))

    return wrap(text, width, max(columns, 20))
