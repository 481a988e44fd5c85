"""Where the tour stops for reading, the top of the view cuts no label of a block it shows whole, in both
languages, at the app's aspect and at 16:9 (a block's label stands above its top edge: "Q Weights", "wte"
and "Attention Scores" lost their tops, and the run through the model ended with "Layer Norm" cut)."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.i18n import LANGUAGES, set_language
from glviz.render.camera import OrbitCamera
from glviz.render.label_sets import block_labels, label_atlas
from glviz.render.text import MAX_LABEL_PX, MIN_LABEL_PX
from glviz.walkthrough.chapters import CHAPTERS
from glviz.walkthrough.stages import nano_stage, stages_from
from glviz.walkthrough.tour import Tour

SIZES = {"app": (880, 800), "16:9": (1280, 720)}
TOLERANCE = 0.005  # of the view's half height


def _cut(labels, layout, frame, size: tuple[int, int]) -> list[str]:
    """Labels drawn (em between MIN_LABEL_PX and MAX_LABEL_PX) of blocks at least half opaque and wholly in
    view, whose ink (0.2 em below the baseline to 0.84 above, across the atlas's advances) leaves the view."""
    view_projection = OrbitCamera(frame.camera).view_projection(size[0] / size[1]).astype(np.float64)
    atlas, cut = label_atlas(), []

    def ndc(points: np.ndarray) -> np.ndarray | None:
        clip = np.hstack([points, np.ones((len(points), 1))]) @ view_projection
        return None if (clip[:, 3] <= 0).any() else clip[:, :2] / clip[:, 3:4]

    for text, origin, em, block in zip(labels.texts, labels.origin, labels.em, labels.block, strict=True):
        if block < 0 or not text or frame.opacity[block] < 0.5:
            continue
        shift = frame.offset[block]
        lo, hi = layout.mins[block] + shift, layout.maxs[block] + shift
        box = ndc(np.array([(x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                            for z in (lo[2], hi[2])]))
        if box is None or (np.abs(box) > 1.0).any():
            continue  # the block is not wholly in view
        o, width = np.asarray(origin, np.float64) + shift, atlas.text_width(text) * em
        ink = ndc(np.array([(o[0] + dx, o[1] + dy * em, o[2]) for dx in (0.0, width)
                            for dy in (-0.2, 0.84, 0.0, 1.0)]))
        if ink is None:
            continue
        em_px = (ink[3, 1] - ink[2, 1]) / 2 * size[1]
        ink = ink[[0, 1, 4, 5]]
        if MIN_LABEL_PX <= em_px < MAX_LABEL_PX and (np.abs(ink) > 1.0 + TOLERANCE).any():
            cut.append(f"{text!r} spans x {ink[:, 0].min():.3f}..{ink[:, 0].max():.3f}, "
                       f"y {ink[:, 1].min():.3f}..{ink[:, 1].max():.3f}")
    return cut


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_label_of_a_block_in_view_is_cut_where_the_tour_stops(lang, size):
    set_language(lang)  # the labels' texts, as the app draws them
    try:
        width, height = SIZES[size]
        stage = nano_stage("CBABBC", aspect=width / height, lang=lang)
        labels = block_labels(stage.layout, label_atlas())
        tour = Tour(stages_from(stage))
        found = []
        for index, chapter in enumerate(CHAPTERS):
            if chapter.id == "scale":
                continue  # its own scene of three models
            for pause in tour.state(index, lang).events.pauses:
                frame = tour.frame(index, pause.start, lang)
                for cut in _cut(labels, stage.layout, frame, SIZES[size]):
                    found.append(f"{chapter.id} at {pause.start:.1f} s: {cut}")
        assert not found, "\n".join(found)
    finally:
        set_language("en")
