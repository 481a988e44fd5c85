"""`glviz bench gpt2`, the renderer's part: GPT-2 small with its values on the GPU, offscreen at 1280x720.

- fps_overview: the overview pose of a T=16 trace (weights and activations as their tiles' values), the
  camera turning a little every frame (as `glviz bench render` does; the streamer looks again each frame).
- fps_close: a weight block (layers.0.mlp.wproj, 768 x 3072) seen close enough that every cell on screen is
  drawn one by one from the pool (about 2.4 pixels a cell, the screen full of cells), the camera turning.
- fps_overview_t128, fps_close_t128, fps_overview_t1024, fps_close_t1024: the same at T=128 and 1024.
- show_token_t128_s, show_token_t1024_s: what the renderer adds to Trace.append for a new token: the layout
  rebuilt for T + 1, FrameRenderer.set_layout and trace_grew (median of the tokens up to T; the views at
  T=128 and 1024 are drawn a few tokens before).
A frame is timed from the start of FrameRenderer.render to the end of ctx.finish(); fps = 1 / median.
"""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from glviz.bench.gpt2 import Setup

SIZE = (1280, 720)
FRAMES = 40
WARMUP = 5
CLOSE_BLOCK = "layers.0.mlp.wproj"
CLOSE_CELLS = 530  # columns of cells across the view: about 2.4 pixels a cell at 1280 wide
TOKENS_TIMED = 5


def _trace(weights, T: int):
    """A fully computed trace of T tokens, and the tokens (T + TOKENS_TIMED of them)."""
    from glviz.model.trace import Trace

    tokens = np.random.default_rng(1).integers(0, weights.config.vocab_size, T + TOKENS_TIMED)
    trace = Trace(weights, tokens[:T], capacity=weights.config.block_size)
    trace["probs"]  # every stage computed (big values beyond the trace's budget dropped, as in the app)
    return trace, tokens


def close_pose(layout, aspect: float):
    """A pose on CLOSE_BLOCK's top-left corner with CLOSE_CELLS columns of cells across the view."""
    from glviz.render.camera import fit_pose

    b = layout.by_name[CLOSE_BLOCK]
    lo, hi = layout.mins[b], layout.maxs[b]
    cell = (hi[0] - lo[0]) / layout.shapes[b][1]
    width, height = CLOSE_CELLS * cell, CLOSE_CELLS * cell / aspect
    return fit_pose(np.array([lo[0], hi[1] - height, lo[2]]), np.array([lo[0] + width, hi[1], hi[2]]),
                    aspect=aspect, margin=1.0)


def frames_per_second(offscreen, scene, pose, frames: int = FRAMES) -> float:
    """Median fps of frames with the camera turning by up to 0.2 degrees (values settled first)."""
    from glviz.render.camera import OrbitCamera

    offscreen.render(scene, OrbitCamera(pose), settle=True)
    times = []
    for i in range(WARMUP + frames):
        camera = OrbitCamera(pose)
        camera.rotate(0.2 * ((i % 20) / 10.0 - 1.0), 0.05)
        t0 = time.perf_counter()
        offscreen.draw(scene, camera)
        offscreen.ctx.finish()
        if i >= WARMUP:
            times.append(time.perf_counter() - t0)
    return 1.0 / statistics.median(times)


def measure_view(setup: Setup, sizes: tuple[int, ...] = (16, 128, 1024)) -> dict[str, Any]:
    """fps of the overview and of a close view with values, at each T; and, past T=16, the renderer's time
    to show a new token."""
    from glviz.layout.build import build_layout
    from glviz.render.camera import overview_pose
    from glviz.render.context import create_standalone_context
    from glviz.render.offscreen import OffscreenRenderer
    from glviz.scene import SceneState

    weights, config = setup.weights, setup.weights.config
    ctx = create_standalone_context()
    offscreen = OffscreenRenderer(SIZE, ctx=ctx)
    frame = offscreen.frame
    result: dict[str, Any] = {}
    aspect = SIZE[0] / SIZE[1]
    for T in sizes:
        # Past T=16 the trace starts a few tokens short of T, so that the tokens timed end at T (as the
        # append benchmark does: 1024 is GPT-2's context).
        T0 = T if T <= 16 else T - TOKENS_TIMED
        trace, tokens = _trace(weights, T0)
        layout = build_layout(config, n_tokens=T0)
        frame.set_layout(layout)
        t0 = time.perf_counter()
        frame.set_weights(weights)  # once per model: a second T keeps them
        frame.set_trace(trace)
        result[f"values_upload_t{T}_s"] = time.perf_counter() - t0
        scene = SceneState(layout)
        suffix = "" if T == sizes[0] else f"_t{T}"
        result[f"fps_overview{suffix}"] = frames_per_second(offscreen, scene, overview_pose(layout, aspect))
        result[f"fps_close{suffix}"] = frames_per_second(offscreen, scene, close_pose(layout, aspect))
        if T > 16:
            result[f"show_token_t{T}_s"] = _show_tokens(frame, trace, tokens, T0)
        del trace
    frame.release()
    offscreen.release()
    return result


def _show_tokens(frame, trace, tokens: np.ndarray, T: int) -> float:
    """Median over TOKENS_TIMED tokens of: layout for T + 1, set_layout, trace_grew (after Trace.append)."""
    from glviz.layout.build import build_layout

    times = []
    for t in range(T, T + TOKENS_TIMED):
        trace.append(tokens[t:t + 1])
        t0 = time.perf_counter()
        frame.set_layout(build_layout(trace.config, n_tokens=t + 1))
        frame.trace_grew(trace)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


ROWS: dict[str, tuple[str, str, str]] = {
    "values_upload_t16_s": ("weights + a T=16 trace onto the GPU (tiles, small blocks)", "{:.3f} s", ""),
    "fps_overview": ("fps 1280x720, overview, T=16, values", "{:.1f}", ">= 60"),
    "fps_close": ("fps 1280x720, a weight block close, every cell drawn, T=16", "{:.1f}", ">= 60"),
    "fps_overview_t1024": ("fps 1280x720, overview, T=1024", "{:.1f}", ">= 60"),
    "fps_close_t1024": ("fps 1280x720, the weight block close, T=1024", "{:.1f}", ">= 60"),
    "show_token_t128_s": ("renderer per new token at T=128 (layout, set_layout, trace_grew)", "{:.4f} s",
                          "with Trace.append <= 0.1 s"),
    "show_token_t1024_s": ("renderer per new token at T=1024 (layout, set_layout, trace_grew)", "{:.4f} s",
                           "with Trace.append <= 0.3 s"),
}
