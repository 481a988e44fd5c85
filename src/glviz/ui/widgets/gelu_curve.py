"""The GELU curve of the model's activation, with the followed token's cells of the MLP on it: each cell x of
fc at (x, gelu(x)), shown once the tour has computed its GELU cell; the cell being computed larger."""

from __future__ import annotations

import math

import numpy as np
from imgui_bundle import imgui, implot

from glviz.model.ops import gelu
from glviz.ui.widgets.plot_limits import set_limits

PLOT_FLAGS = implot.Flags_.no_legend | implot.Flags_.no_menus | implot.Flags_.no_box_select
CURVE = imgui.ImVec4(0.35, 0.6, 0.95, 1.0)
POINT = imgui.ImVec4(0.55, 0.35, 0.85, 0.9)
CURRENT = imgui.ImVec4(0.95, 0.55, 0.15, 1.0)
_CURVES: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # (activation, lo, hi) -> (xs, ys)


def column_points(stage, layer: int, token: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, gelu(x)) of the token's fc cells in `layer`, float64, in row order."""
    prefix = f"layers.{layer}.mlp."
    return (np.asarray(stage.trace[prefix + "fc"][token], dtype=np.float64),
            np.asarray(stage.trace[prefix + "gelu"][token], dtype=np.float64))


def computed(frame, block: int, token: int, rows: int) -> tuple[int, int]:
    """How many of the token's GELU cells the frame shows computed (0..rows), and the row being computed
    (-1: none). Cells are computed column by column: the token's are [token·rows, (token + 1)·rows)."""
    if frame is None:
        return rows, -1
    first, end, cursor = (float(v) for v in frame.reveal[block])
    start = token * rows
    if math.isinf(end):
        return rows, -1
    done = int(min(max(math.floor(end) - start, 0), rows)) if first <= start else 0
    row = int(cursor) - start if cursor >= 0 and start <= cursor < start + rows else -1
    return done, row


def curve(activation: str, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """The activation's curve over [lo, hi] (200 points, memoised)."""
    key = (activation, round(lo, 3), round(hi, 3))
    hit = _CURVES.get(key)
    if hit is None:
        xs = np.linspace(key[1], key[2], 200)
        hit = _CURVES[key] = (xs, gelu(xs, activation))
        if len(_CURVES) > 64:
            _CURVES.clear()
            _CURVES[key] = hit
    return hit


def draw(stage, frame, t: float) -> None:
    from glviz.walkthrough.chapters.mlp import FOLLOW, LAYER

    layout = stage.layout
    x, y = column_points(stage, LAYER, FOLLOW)
    block = layout.by_name[f"layers.{LAYER}.mlp.gelu"]
    done, row = computed(frame, block, FOLLOW, len(x))
    lo, hi = min(-3.0, float(x.min()) - 0.25), max(3.0, float(x.max()) + 0.25)
    xs, ys = curve(layout.config.activation, lo, hi)
    if implot.begin_plot("##gelu", imgui.ImVec2(-1, 170), PLOT_FLAGS):
        implot.setup_axes("x", "gelu(x)")
        set_limits(xs, ys)
        implot.plot_line("gelu", xs, ys, implot.Spec(line_color=CURVE, line_weight=2.0))
        if done:
            implot.plot_scatter("cells", x[:done], y[:done],
                                implot.Spec(marker=implot.Marker_.circle, marker_size=3.0,
                                            marker_fill_color=POINT, marker_line_color=POINT))
        if row >= 0:
            implot.plot_scatter("now", x[row:row + 1], y[row:row + 1],
                                implot.Spec(marker=implot.Marker_.circle, marker_size=6.0,
                                            marker_fill_color=CURRENT, marker_line_color=CURRENT))
        implot.end_plot()
