"""The chapters of the tour, in order. Each module holds one chapter's script and the numbers its text quotes;
its text lives in walkthrough/text/<lang>/<id>.md."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from glviz.walkthrough.script import Script, Stage

# The modules of the chapters, in the tour's order (each defines CHAPTER).
ORDER = (
    "overview",
    "preliminaries",
    "embedding",
    "layer_norm",
    "self_attention",
    "softmax",
    "attention_output",
    "mlp",
    "transformer",
    "output",
    "generation",
    "scale",
)


@dataclass(frozen=True)
class Chapter:
    """A chapter: its id (also its text file's name), the scene it plays on, its script, and the numbers its
    text quotes (placeholder name -> text, read from the stage's trace)."""

    id: str
    scene: str
    script: Callable[[Script], None]
    values: Callable[[Stage], dict[str, str]]


def _chapters() -> list[Chapter]:
    return [importlib.import_module(f"glviz.walkthrough.chapters.{name}").CHAPTER for name in ORDER]


CHAPTERS: list[Chapter] = _chapters()
