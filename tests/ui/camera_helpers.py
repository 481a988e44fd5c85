"""Helpers of the app's camera tests: where a cell appears in the window, and letting a flight finish."""

from __future__ import annotations

import numpy as np


def pixel_of(app, block: int, row: int, col: int) -> tuple[float, float]:
    """Where cell (row, col) of `block` appears in the window, through the app's camera."""
    b = app.view.layout.blocks[block]
    x = b.position[0] + (col + 0.5) * b.size[0] / b.cols
    y = b.position[1] + b.size[1] - (row + 0.5) * b.size[1] / b.rows
    view_projection = app.camera.view_projection(app.aspect).astype(float)
    clip = np.array([x, y, b.position[2] + b.size[2], 1.0]) @ view_projection
    ndc = clip[:3] / clip[3]
    _, _, vw, vh = app.viewport
    return (ndc[0] + 1) / 2 * vw, (1 - ndc[1]) / 2 * vh


def settle(app, fbo) -> None:
    """Let a camera flight finish (flights last under a second)."""
    for _ in range(12):
        app.frame(fbo, dt=0.1)
