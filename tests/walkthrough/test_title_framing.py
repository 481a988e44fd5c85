"""Poses that keep a region's title in frame: the Embedding chapters frame the blocks of the embedding with
their "Embedding" title, whose whole text then lies inside the view; framed without it, the title is cut."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.i18n import tr_in
from glviz.render.camera import OrbitCamera
from glviz.render.label_sets import label_atlas
from glviz.walkthrough.chapters.common import EMBEDDING
from glviz.walkthrough.script import Script
from glviz.walkthrough.stages import nano_stage

ASPECT = 880 / 800  # the app's 3D view beside its panel


def _title_corners(stage) -> np.ndarray:
    """The corners of the title's ink as the label atlas draws it: from 0.2 em below the baseline
    (descenders) to 0.84 em above it (kanji), across the text's advances."""
    title = next(sec for sec in stage.layout.sections if sec.label == "Embedding")
    start, em = np.asarray(title.position, dtype=np.float64), title.height
    width = label_atlas().text_width(tr_in(stage.lang, "label.embedding")) * em
    return start + np.array([[dx, dy, 0.0] for dx in (0.0, width) for dy in (-0.2 * em, 0.84 * em)])


def _in_view(pose, points: np.ndarray) -> np.ndarray:
    clip = np.hstack([points, np.ones((len(points), 1))]) @ OrbitCamera(pose).view_projection(ASPECT)
    ndc = clip[:, :2] / clip[:, 3:4]
    return (np.abs(ndc) <= 1.0).all(axis=1)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_embedding_title_is_kept_in_frame(lang):
    stage = nano_stage("CBABBC", aspect=ASPECT, lang=lang)
    script = Script(0.0, stage, lambda texts: 1.0)
    corners = _title_corners(stage)
    with_title = script.frame_blocks(EMBEDDING, margin=1.2, titles=("Embedding",))
    assert _in_view(with_title, corners).all()
    without = script.frame_blocks(EMBEDDING, margin=1.2)
    assert not _in_view(without, corners).all()  # what the chapters showed before: the title cut


def test_an_unknown_title_is_an_error():
    stage = nano_stage("CBABBC", aspect=ASPECT)
    with pytest.raises(KeyError):
        Script(0.0, stage, lambda texts: 1.0).frame_blocks(EMBEDDING, titles=("Nowhere",))
