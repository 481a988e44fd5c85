"""Where the tour stops for reading, no section label is cut by the view's edge, in both languages, at the
app's aspect and at 16:9: the model's regions and layers (Embedding, Transformer i, Output) by any edge; the
parts of a layer (Self-attention, MLP, Head h) by its sides or its top (the bottom edge crosses the heads
stacked below, which go on out of view as the blocks do). Each is wholly in the view or wholly out of it.
(The Overview's colours stop showed only the "0" of "Transformer 0" at the left edge, Self-attention the
"H" of "Head 0" at the right; raising a view's top for the labels of its blocks cut "Output" in half.)"""

from __future__ import annotations

import numpy as np
import pytest

from glviz.i18n import LANGUAGES
from glviz.i18n.labels import label
from glviz.render.camera import OrbitCamera
from glviz.render.label_sets import label_atlas
from glviz.render.text import MAX_LABEL_PX, MIN_LABEL_PX
from glviz.walkthrough.chapters import CHAPTERS
from glviz.walkthrough.stages import nano_stage, stages_from
from glviz.walkthrough.tour import Tour

ASPECTS = {"app": (880, 800), "16:9": (1280, 720)}
BIG = 1  # section levels: 0 model-wide, 1 per layer (2 a layer's parts, 3 per head)


def _cut(layout, pose, size: tuple[int, int], lang: str) -> list[str]:
    """The section labels of `layout` drawn in a view of `size` pixels (their em between MIN_LABEL_PX and
    MAX_LABEL_PX, where the text fades out) whose ink (the atlas's advances; x-y plane, from the baseline's
    start, 0.2 em below it to 0.84 em above) is partly in the view and partly out of it: past any edge for
    the big ones, past the sides or the top for the others."""
    view_projection = OrbitCamera(pose).view_projection(size[0] / size[1]).astype(np.float64)
    atlas, cut = label_atlas(), []
    for section in layout.sections:
        text = label(section.label, lang)
        width = atlas.text_width(text) * section.height
        x, y, z = section.position
        corners = np.array([(x + dx, y + dy * section.height, z, 1.0) for dx in (0.0, width)
                            for dy in (-0.2, 0.84, 0.0, 1.0)])
        clip = corners @ view_projection
        if (clip[:, 3] <= 0).any():
            continue
        ndc = clip[:, :2] / clip[:, 3:4]
        em_px = (ndc[3, 1] - ndc[2, 1]) / 2 * size[1]  # the em at the baseline's start
        ndc = ndc[[0, 1, 4, 5]]
        if not MIN_LABEL_PX <= em_px < MAX_LABEL_PX:
            continue  # not drawn
        (x_lo, y_lo), (x_hi, y_hi) = ndc.min(axis=0), ndc.max(axis=0)
        on_screen = x_lo < 0.99 and x_hi > -0.99 and y_lo < 0.99 and y_hi > -0.99
        past = x_lo < -1.01 or x_hi > 1.01 or y_hi > 1.01 or (section.level <= BIG and y_lo < -1.01)
        if on_screen and past:
            cut.append(f"{text!r} spans x {x_lo:.2f}..{x_hi:.2f}, y {y_lo:.2f}..{y_hi:.2f}")
    return cut


@pytest.mark.parametrize("aspect", list(ASPECTS), ids=list(ASPECTS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_section_label_is_cut_where_the_tour_stops(lang, aspect):
    size = ASPECTS[aspect]
    stage = nano_stage("CBABBC", aspect=size[0] / size[1], lang=lang)
    tour = Tour(stages_from(stage))
    found = []
    for index, chapter in enumerate(CHAPTERS):
        if chapter.id == "scale":
            continue  # its own scene of three models (their labels are the models' names)
        for pause in tour.state(index, lang).events.pauses:
            frame = tour.frame(index, pause.start, lang)
            for cut in _cut(stage.layout, frame.camera, size, lang):
                found.append(f"{chapter.id} at {pause.start:.1f} s: {cut}")
    assert not found, "\n".join(found)
