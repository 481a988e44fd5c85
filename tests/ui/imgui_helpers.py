"""Helpers of the imgui tests (tests/ui is on sys.path while they run, as pytest puts it there)."""

from __future__ import annotations

import numpy as np


def draw_frame(renderer, fbo, build) -> np.ndarray:
    """Run one imgui frame that calls `build()`, render it into `fbo`, return the picture (rows top-down)."""
    from imgui_bundle import imgui

    imgui.get_io().display_size = (fbo.width, fbo.height)
    imgui.get_io().delta_time = 1 / 60
    imgui.new_frame()
    build()
    imgui.render()
    fbo.use()
    fbo.clear(0.0, 0.0, 0.0, 1.0)
    renderer.render(imgui.get_draw_data())
    pixels = np.frombuffer(fbo.read(components=3), np.uint8).reshape(fbo.height, fbo.width, 3)
    return pixels[::-1]
