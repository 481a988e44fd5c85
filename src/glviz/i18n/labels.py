"""The names the layout gives blocks and sections ("Q Weights", "Transformer 2", "Layer norm 1") in the
current language. The layout stays in English (names are its data); what a user reads goes through here.

A label's key is its words in lower case joined by underscores: "Q Weights" -> `label.q_weights`; a
trailing number becomes `{n}`: "Transformer 2" -> `label.transformer_n` with n = 2. A label without a key
is shown as it is (a model name, a symbol).
"""

from __future__ import annotations

import re

from glviz.i18n import has, tr, tr_in

_NUMBERED = re.compile(r"^(.*\D)\s+(\d+)$")


def label_key(text: str) -> tuple[str, dict[str, str]]:
    """The catalogue key of a label and the values it needs."""
    match = _NUMBERED.match(text)
    values: dict[str, str] = {}
    if match:
        text, values = match.group(1) + " n", {"n": match.group(2)}
    slug = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    return f"label.{slug}", values


def label(text: str, lang: str | None = None) -> str:
    """`text` (a block or section label of the layout) in `lang` (default: the current language)."""
    if not text:
        return text
    key, values = label_key(text)
    if not has(key, "en"):
        return text
    return tr(key, **values) if lang is None else tr_in(lang, key, **values)


def path(section: str) -> str:
    """A section path "Transformer 0 / Self-attention / Head 1" in the current language."""
    return " / ".join(label(part) for part in section.split(" / ")) if section else section
