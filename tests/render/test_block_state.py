"""The per-block state texture after a run of frames: only changed rows are written, and the texture still
holds every block's whole state; the flags the passes read follow the last state, also when it repeats."""

from __future__ import annotations

import numpy as np

from glviz.layout.build import build_layout
from glviz.model.config import PRESETS
from glviz.render.block_state import STATE_TEXELS, fill_texels


def _texture_state(blocks, n: int) -> np.ndarray:
    """(n, STATE_TEXELS, 4) as the state texture holds it."""
    flat = np.frombuffer(blocks.state.read(), dtype=np.float32).reshape(-1, 4)
    return flat[:STATE_TEXELS * n].reshape(n, STATE_TEXELS, 4)


def test_the_state_texture_holds_every_frame_in_full(gl_ctx):
    from glviz.render.blocks import BlockRenderer

    layout = build_layout(PRESETS["gpt2-medium"])  # thousands of blocks: the state spans several texture rows
    n = len(layout.blocks)
    assert STATE_TEXELS * n > 2 * 4096
    blocks = BlockRenderer(gl_ctx)
    try:
        blocks.set_layout(layout)
        rng = np.random.default_rng(3)
        order = (rng.random(n) > 0.5).astype(np.float32)
        highlight, opacity = np.zeros(n, np.float32), np.ones(n, np.float32)
        offset, scale = np.zeros((n, 3), np.float32), np.ones(n, np.float32)
        reveal = np.tile(np.array([0.0, np.inf, -1.0], np.float32), (n, 1))
        for step in range(6):
            some = rng.choice(np.arange(2 * 4096 // STATE_TEXELS + 1, n), size=3 + step, replace=False)
            highlight[some[0]] = 0.5 * step
            opacity[some[1]] = 0.2
            offset[some[2]] = (1.0, -2.0, float(step))
            reveal[some[3:]] = (0.0, float(step), step - 1.0)
            reveal[4096 // STATE_TEXELS] = (0.0, float(step), -1.0)  # its texels span rows 0 and 1
            frame = tuple(a.copy() for a in (highlight, opacity, offset, scale, reveal))
            for _ in range(2):  # the same frame again uploads nothing and keeps the flags
                blocks.write_state(*frame, order)
                expected = np.empty((n, STATE_TEXELS, 4), np.float32)
                fill_texels(expected, frame[0], frame[1], frame[2], frame[3], frame[4], order)
                np.testing.assert_array_equal(_texture_state(blocks, n), expected)
                assert blocks.translucent
                assert list(blocks.moved) == sorted(set(np.flatnonzero(frame[2].any(axis=1))))
                assert blocks.glowing == (step > 0)
    finally:
        blocks.release()
