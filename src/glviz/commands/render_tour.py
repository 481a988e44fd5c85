"""`glviz render --chapter ID --at FRACTION`: one picture of the tour."""

from __future__ import annotations

import argparse
from pathlib import Path

from glviz.commands.options import language_of
from glviz.errors import GlvizError
from glviz.model.sort_task import DEFAULT_LETTERS


def chapter_index(chapter_id: str) -> int:
    """The chapter's position in the tour, or a GlvizError listing the ids."""
    from glviz.walkthrough.chapters import CHAPTERS

    ids = [c.id for c in CHAPTERS]
    if chapter_id not in ids:
        raise GlvizError("error.chapter.unknown", ids=", ".join(ids), chapter=chapter_id)
    return ids.index(chapter_id)


def render_chapter(args: argparse.Namespace, size: tuple[int, int], out: Path) -> int:
    """Draw the chapter at --at and write the PNG."""
    for option, value in (("--model", args.model), ("--weights", args.weights), ("--tokens", args.tokens),
                          ("--prompt", args.prompt)):
        if value is not None:
            raise GlvizError("error.chapter.model_option", option=option, value=value)
    if args.view != "overview":
        raise GlvizError("error.chapter.view", view=args.view)
    if not 0.0 <= args.at <= 1.0:
        raise GlvizError("error.chapter.at", at=args.at)
    from glviz.model.sort_task import parse_letters

    letters = args.input or DEFAULT_LETTERS
    parse_letters(letters)
    index = chapter_index(args.chapter)
    lang = language_of(args)
    from glviz.render.offscreen import save_png
    from glviz.render.tour_view import TourView

    view = TourView(size, letters, lang)
    t = args.at * view.duration(index)
    pixels = view.render(index, t)
    try:
        save_png(pixels, out)
    except OSError as exc:
        raise GlvizError("error.write.image", reason=exc.strerror, path=out) from None
    from glviz.i18n import tr_in

    print(tr_in(lang, "cli.render.wrote_chapter", out=out, width=size[0], height=size[1],
                chapter=args.chapter, seconds=f"{t:.1f}"))
    return 0
