"""A learner goes from chapter 1 to the end of chapter 12 with Space alone, in English and in Japanese, and
every chapter moves on the way: the headless app, its real panel and renderer, time stepped as playback
steps it."""

from __future__ import annotations

import hashlib

import pytest

from glviz.i18n import LANGUAGES

W, H = 1280, 800
STEP_S = 2.5  # seconds of tour time a frame (playback stops at every pause whatever the step)


def picture(app, fbo) -> str:
    """A digest of the 3D view's pixels (the panel left out: its text changes without the scene moving)."""
    from glviz.render.frame import read_pixels

    return hashlib.sha1(read_pixels(fbo, (0, 0, int(app.viewport[2]), H)).tobytes()).hexdigest()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_space_alone_plays_every_chapter_to_the_end_of_the_tour(make_app, fbo, lang):
    from glviz.i18n import tr
    from glviz.ui.controls import KEY_SPACE

    app = make_app(lang=lang)
    app.frame(fbo, dt=0.016)
    player = app.tour.player
    assert player.chapter == 0 and player.t == 0.0 and not player.playing
    pictures: dict[int, set[str]] = {}
    presses = 0
    while not (player.chapter == player.chapters - 1 and player.at_end):
        if not player.playing:  # at a pause or a chapter's end: the one key a learner presses
            app.key(KEY_SPACE, True)
            presses += 1
            assert presses < 500, "Space stopped moving the tour on"
        app.frame(fbo, dt=STEP_S)
        assert app.tour.touring, "the tour was left"
        pictures.setdefault(player.chapter, set()).add(picture(app, fbo))
    assert sorted(pictures) == list(range(12))
    for chapter, seen in pictures.items():  # pictures 2.5 s apart: every chapter animates (6 – 24 seen)
        assert len(seen) >= 4, (app.tour.tour.chapters[chapter].id, len(seen))
    app.frame(fbo, dt=0.016)
    assert app.panel.tour.note == tr("panel.tour_end")
