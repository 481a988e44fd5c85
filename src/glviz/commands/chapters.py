"""`glviz chapters [--lang L]`: the tour's chapters, one a line: id, title, duration in seconds."""

from __future__ import annotations

import argparse

from glviz.commands.options import add_lang_argument, language_of
from glviz.model.sort_task import DEFAULT_LETTERS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lang_argument(parser)


def run(args: argparse.Namespace) -> int:
    from glviz.walkthrough.stages import nano_stage, stages_from
    from glviz.walkthrough.tour import Tour

    lang = language_of(args)
    tour = Tour(stages_from(nano_stage(DEFAULT_LETTERS, lang=lang)))
    rows = []
    for i, chapter in enumerate(tour.chapters):
        state = tour.state(i, lang)
        rows.append((chapter.id, state.title, f"{state.events.duration:.1f}"))
    width_id = max(len(r[0]) for r in rows)
    width_title = max(_columns(r[1]) for r in rows)
    for chapter_id, title, duration in rows:
        print(f"{chapter_id:<{width_id}}  {title}{' ' * (width_title - _columns(title))}  {duration}")
    return 0


def _columns(text: str) -> int:
    """Terminal columns `text` takes: Japanese characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
