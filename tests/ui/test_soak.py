"""Soak: the app's real code paths (GlvizApp + FrameRenderer + imgui renderer on EGL) for 10,000 frames of
random pointer moves, drags, wheel steps, keys, model switches, input edits and resizes.

No exception, no GL error, no NaN in the camera, and resident memory grows by under 5 % after warm-up. The
window is drawn at a quarter of its logical size (pixel ratio 0.25) so the GL work stays small; the app logic
and imgui run at the full logical size.
"""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest

from glviz.bench.common import current_rss_mb

pytestmark = pytest.mark.slow

FRAMES = 10_000
WARMUP = 1_000
WIDTH, HEIGHT, RATIO = 640, 360, 0.25


def _camera_ok(camera) -> bool:
    values = [*np.asarray(camera.target, dtype=float), camera.azimuth, camera.elevation, camera.distance]
    return all(math.isfinite(v) for v in values) and camera.distance > 0


def _random_letters(rng: np.random.Generator) -> str:
    if rng.random() < 0.7:
        return "".join(rng.choice(list("ABC"), size=6))
    alphabet = list("ABCDabc x1")
    return "".join(rng.choice(alphabet, size=int(rng.integers(0, 9))))


def _warm_up(app, gl_ctx) -> None:
    """Every model built once (later switches hit the cache) and drawn at its extremes: whole, as far out as
    the app zooms and close up, in the largest window the soak uses. Software GL keeps buffers at their
    high-water mark, so memory is compared only once the worst case has been drawn."""
    from glviz.render.camera import block_pose

    big = gl_ctx.simple_framebuffer((int(900 * RATIO), int(700 * RATIO)))
    app.resize(900, 700)
    for name in ("gpt2", "gpt3", "nano"):
        app.switch_model(name, wait=True)
        app.frame(big, dt=0.016)
        app.mouse_move(300, 300)
        for _ in range(40):
            app.scroll(0.0, -1.0)
            app.frame(big, dt=0.016)
        layout = app.view.layout
        for block in np.linspace(0, len(layout.blocks) - 1, 12).astype(int):
            app.camera.set_pose(block_pose(layout, int(block), aspect=app.aspect))
            app.mouse_move(300, 300)
            app.frame(big, dt=0.016)
            gl_ctx.finish()
    app.resize(WIDTH, HEIGHT)
    big.release()


def test_ten_thousand_random_frames(gl_ctx, tmp_path):
    from glviz.ui.app import GlvizApp
    from glviz.ui.controls import (
        KEY_1,
        KEY_F,
        KEY_HOME,
        KEY_I,
        KEY_P,
        KEY_SPACE,
        LEFT,
        MIDDLE,
        MOD_SHIFT,
        RIGHT,
    )

    fbo = gl_ctx.simple_framebuffer((int(WIDTH * RATIO), int(HEIGHT * RATIO)))
    app = GlvizApp(gl_ctx, size=(WIDTH, HEIGHT), pixel_ratio=RATIO, screenshot_dir=tmp_path)
    _warm_up(app, gl_ctx)
    assert gl_ctx.error == "GL_NO_ERROR"

    rng = np.random.default_rng(20260427)
    drag_frames = 0
    models = ["nano", "gpt2", "gpt3"]
    width, height = WIDTH, HEIGHT
    rss_after_warmup = None
    counts: dict[str, int] = {}
    for frame in range(FRAMES):
        x, y = float(rng.uniform(-10, width + 10)), float(rng.uniform(-10, height + 10))
        roll = rng.random()
        if drag_frames > 0:  # a drag in progress: keep moving, release at the end
            app.mouse_move(x, y)
            drag_frames -= 1
            if drag_frames == 0:
                app.mouse_release(x, y, LEFT)
                app.mouse_release(x, y, RIGHT)
                app.mouse_release(x, y, MIDDLE)
            kind = "drag"
        elif roll < 0.55:
            app.mouse_move(x, y)
            kind = "move"
        elif roll < 0.67:
            button = int(rng.choice([LEFT, LEFT, RIGHT, MIDDLE]))
            app.mouse_press(x, y, button, MOD_SHIFT if rng.random() < 0.2 else 0)
            drag_frames = int(rng.integers(1, 8))
            kind = "press"
        elif roll < 0.80:
            app.mouse_move(x, y)
            app.scroll(0.0, float(rng.choice([-3, -1, 1, 2])))
            kind = "wheel"
        elif roll < 0.805:
            app.switch_model(str(rng.choice(models, p=[0.45, 0.3, 0.25])))
            kind = "switch"
        elif roll < 0.84:
            if app.model_name == "nano":
                text = _random_letters(rng)
                if rng.random() < 0.5:
                    app.set_input(text)
                else:
                    app.edit_input(text)
            else:
                app.randomize_input(rng)  # the nano input can change while another model is shown
            kind = "input"
        elif roll < 0.87:
            screenshot = KEY_P if frame % 500 == 0 else KEY_F
            key = int(rng.choice([KEY_F, KEY_HOME, KEY_I, KEY_SPACE, KEY_1, screenshot]))
            app.key(key, True)
            app.key(key, False)
            kind = "key"
        elif roll < 0.873:
            # Resize, sometimes to nothing (minimised) and back.
            if rng.random() < 0.3:
                width, height = 0, 0
            else:
                width, height = int(rng.integers(200, 900)), int(rng.integers(150, 700))
            app.resize(width, height)
            if width and height:
                # New before releasing the old: moderngl re-binds the previous framebuffer while creating one.
                resized = gl_ctx.simple_framebuffer((max(int(width * RATIO), 1), max(int(height * RATIO), 1)))
                fbo.release()
                fbo = resized
            kind = "resize"
        else:
            kind = "idle"
        counts[kind] = counts.get(kind, 0) + 1
        app.frame(fbo, dt=float(rng.uniform(0.004, 0.05)))
        gl_ctx.finish()  # what the window's buffer swap does: software GL otherwise queues frames in memory
        error = gl_ctx.error
        assert error == "GL_NO_ERROR", (frame, kind, error)
        assert _camera_ok(app.camera), (frame, kind, app.camera.pose)
        if frame == WARMUP:
            gc.collect()
            rss_after_warmup = current_rss_mb()
    if width == 0:
        app.resize(WIDTH, HEIGHT)
    gc.collect()
    rss_end = current_rss_mb()
    app.release()
    assert counts["switch"] > 20 and counts["input"] > 100 and counts["drag"] > 500, counts
    growth = (rss_end - rss_after_warmup) / rss_after_warmup
    assert growth < 0.05, f"RSS grew {growth:.1%} ({rss_after_warmup:.0f} MB -> {rss_end:.0f} MB)"
