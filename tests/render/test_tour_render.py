"""The tour rendered offscreen: every chapter at its start, middle and end without a GL error, in both
languages, and scrubbing back and forth gives exactly the picture a first visit gave."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.i18n import LANGUAGES
from glviz.walkthrough.chapters import CHAPTERS


@pytest.fixture(scope="module")
def views(gl_ctx):
    from glviz import i18n
    from glviz.render.tour_view import TourView

    made = {}

    def view(lang):
        if lang not in made:
            i18n.set_language(lang)
            made[lang] = TourView((320, 180), "CBABBC", lang, ctx=gl_ctx)
        i18n.set_language(lang)
        return made[lang]

    yield view
    for v in made.values():
        v.release()
    i18n.set_language("en")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.id)
def test_every_chapter_renders_at_start_middle_and_end(views, gl_ctx, chapter, lang):
    view = views(lang)
    index = view.index(chapter.id)
    duration = view.duration(index)
    for share in (0.0, 0.5, 1.0):
        image = view.render(index, share * duration)
        assert gl_ctx.error == "GL_NO_ERROR", (chapter.id, share)
        assert image.std() > 5, (chapter.id, share, "blank")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.id)
def test_scrubbing_back_gives_the_same_pixels(views, chapter, lang):
    """t1, then t2, then t1 again: the same pixels as t1 drawn first (for the Embedding chapter t1 is
    mid-flight: ghosts, marks, a moved camera)."""
    view = views(lang)
    index = view.index(chapter.id)
    duration = view.duration(index)
    t1, t2 = 0.57 * duration, 0.2 * duration
    first = view.render(index, t1)
    other = view.render(index, t2)
    again = view.render(index, t1)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
