"""The chapters of the tour, in order. Each module holds one chapter's script and the numbers its text quotes;
its text lives in walkthrough/text/<lang>/<id>.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from glviz.walkthrough.script import Script, Stage


@dataclass(frozen=True)
class Chapter:
    """A chapter: its id (also its text file's name), the scene it plays on, its script, and the numbers its
    text quotes (placeholder name -> text, read from the stage's trace)."""

    id: str
    scene: str
    script: Callable[[Script], None]
    values: Callable[[Stage], dict[str, str]]


def _chapters() -> list[Chapter]:
    from glviz.walkthrough.chapters import embedding, overview, preliminaries

    return [overview.CHAPTER, preliminaries.CHAPTER, embedding.CHAPTER]


CHAPTERS: list[Chapter] = _chapters()
