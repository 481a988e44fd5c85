"""Where the tour stops for reading, no mark is cut by the view's edge: each floating text (numbers, letters,
captions) is wholly in the view or wholly out of it, in both languages, at the app's aspect and at 16:9.
(The generation chapter's last stop cut the first letters of the token row in the app's view; the
transformer chapter's "layer 2: 0.013 →" ran off the left edge.)"""

from __future__ import annotations

import numpy as np
import pytest

from glviz.i18n import LANGUAGES
from glviz.render.camera import OrbitCamera
from glviz.render.label_sets import label_atlas
from glviz.walkthrough.chapters import CHAPTERS
from glviz.walkthrough.stages import nano_stage, stages_from
from glviz.walkthrough.tour import Tour

ASPECTS = {"app": 880 / 800, "16:9": 16 / 9}


def _cut_marks(frame, aspect: float) -> list[str]:
    """The marks of a frame (at least half opaque) partly inside and partly outside the view. A mark faces
    the camera; its ink reaches 0.2 em below the baseline and 0.84 em above it, across its advances."""
    pose = frame.camera
    view_projection = OrbitCamera(pose).view_projection(aspect).astype(np.float64)
    az, el = np.radians(pose.azimuth), np.radians(pose.elevation)
    right = np.array([np.cos(az), 0.0, -np.sin(az)])
    up = np.array([-np.sin(el) * np.sin(az), np.cos(el), -np.sin(el) * np.cos(az)])
    atlas, cut = label_atlas(), []
    marks = frame.marks
    for text, position, size, colour in zip(marks.texts, marks.positions, marks.sizes, marks.colours,
                                            strict=True):
        if colour[3] < 0.5:
            continue
        width = atlas.text_width(text) * size
        corners = np.array([np.asarray(position) + right * dx + up * dy
                            for dx in (0.0, width) for dy in (-0.2 * size, 0.84 * size)])
        clip = np.hstack([corners, np.ones((4, 1))]) @ view_projection
        if (clip[:, 3] <= 0).any():
            continue  # (partly) behind the camera: not on screen
        ndc = clip[:, :2] / clip[:, 3:4]
        lo, hi = ndc.min(axis=0), ndc.max(axis=0)
        on_screen = (hi > -1.0).all() and (lo < 1.0).all()
        if on_screen and not (np.abs(ndc) <= 1.0).all():
            cut.append(f"{text!r} spans x {lo[0]:.2f}..{hi[0]:.2f}, y {lo[1]:.2f}..{hi[1]:.2f}")
    return cut


@pytest.mark.parametrize("aspect", list(ASPECTS), ids=list(ASPECTS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_mark_is_cut_where_the_tour_stops(lang, aspect):
    tour = Tour(stages_from(nano_stage("CBABBC", aspect=ASPECTS[aspect], lang=lang)))
    found = []
    for index, chapter in enumerate(CHAPTERS):
        for pause in tour.state(index, lang).events.pauses:
            for cut in _cut_marks(tour.frame(index, pause.start, lang), ASPECTS[aspect]):
                found.append(f"{chapter.id} at {pause.start:.1f} s: {cut}")
    assert not found, "\n".join(found)
