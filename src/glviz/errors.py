"""The one exception type that user mistakes raise; the CLI prints it as one line and exits 2.

Its text lives in the catalogue (`glviz/i18n/*/errors.txt`): `GlvizError("error.weights.missing", path=p)`
keeps the key and the values and renders them only when shown, in the language of the place that shows it:
`str(exc)` speaks the current language (`glviz.i18n.language()`), `exc.text("ja")` a given one. Nothing here
loads a catalogue: importing this module stays cheap, and so does raising.
"""

from __future__ import annotations


class Text:
    """A catalogue key and its values, rendered when shown. A value that is a Text itself (a nested
    message, a phrase such as "the weights file's config") is rendered in the same language."""

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values

    def text(self, lang: str | None = None) -> str:
        """The message in `lang` (default: the current language)."""
        from glviz import i18n

        lang = lang or i18n.language()
        values = {name: value.text(lang) if isinstance(value, Text) else value
                  for name, value in self.values.items()}
        return i18n.tr_in(lang, self.key, **values)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, **{self.values!r})"


def one_of(items) -> str | Text:
    """`.mp4 or .gif` in the language where it is shown (an item alone as it is)."""
    items = [str(item) for item in items]
    if len(items) == 1:
        return items[0]
    return Text("error.words.or", first=", ".join(items[:-1]), last=items[-1])


class GlvizError(Text, ValueError):
    """A user mistake (bad file, bad input, bad option), phrased as `<what> (<file or value>)`.

    Raised with a catalogue key and the values its text names: `GlvizError("error.weights.missing",
    path=path)`. A text that is no key is shown as it is (third-party callers, tests)."""

    def __init__(self, key: str, /, **values: object) -> None:
        ValueError.__init__(self, key)
        Text.__init__(self, key, **values)

    def with_values(self, **changes: object) -> GlvizError:
        """The same message with some values replaced."""
        return GlvizError(self.key, **{**self.values, **changes})

    def __reduce__(self):  # pickling keeps the values, not only the key in args
        return _rebuild, (type(self), self.key, self.values)

    __str__ = Text.__str__


def _rebuild(cls, key: str, values: dict) -> GlvizError:
    return cls(key, **values)
