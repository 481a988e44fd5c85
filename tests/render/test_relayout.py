"""A renderer given the layout for one more token (keeping its GL objects, with what was worked out for the
layout off the window's thread) draws what a fresh renderer draws."""

from __future__ import annotations

import numpy as np

from glviz.layout.build import build_layout
from glviz.model.config import GPTConfig
from glviz.render.camera import OrbitCamera, overview_pose
from glviz.scene import SceneState
from glviz.ui.tracing import prepare_layout

from .conftest import rendering

SIZE = (480, 300)
CONFIG = GPTConfig(n_layer=2, n_head=4, n_embd=48, vocab_size=200, block_size=64)


def _picture(renderer, layout) -> np.ndarray:
    camera = OrbitCamera(overview_pose(layout, SIZE[0] / SIZE[1]))
    scene = SceneState(layout)
    return renderer.render(scene, camera).astype(int)


def test_the_next_tokens_layout_draws_as_a_fresh_renderer_does(gl_ctx):
    with rendering(gl_ctx, SIZE) as kept, rendering(gl_ctx, SIZE) as fresh:
        _picture(kept, build_layout(CONFIG, n_tokens=11))
        box, labels = kept.frame.blocks.box, kept.frame.labels.labels
        longer = prepare_layout(CONFIG, 12)  # as the trace worker makes it
        reused = _picture(kept, longer)
        assert kept.frame.blocks.box is box and kept.frame.labels.labels is labels  # kept, rewritten
        expected = _picture(fresh, build_layout(CONFIG, n_tokens=12))
        assert np.array_equal(reused, expected)
        assert not np.array_equal(reused, _picture(fresh, build_layout(CONFIG, n_tokens=30)))
