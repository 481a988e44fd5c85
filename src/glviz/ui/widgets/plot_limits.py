"""Axis limits set before a plot is drawn.

implot's auto-fit fits the axes to what was drawn in the frame before: the first frame of a plot (or of
another block's histogram in the same plot) showed the default 0..1 axes, or the last data's, a flash that
is plain to see where a frame takes 50 - 100 ms (GPT-2). Limits worked out from the data are right at once.
"""

from __future__ import annotations

import numpy as np
from imgui_bundle import imgui, implot


def data_limits(xs: np.ndarray, ys: np.ndarray, pad: float = 0.05, log_y: bool = False
                ) -> tuple[float, float, float, float] | None:
    """(x min, x max, y min, y max) around the finite data, widened by `pad` of each range (on a log y axis,
    by that fraction of its decades); None without finite data."""
    limits: list[float] = []
    for values, log in ((np.asarray(xs, np.float64), False), (np.asarray(ys, np.float64), log_y)):
        values = values[np.isfinite(values) & (values > 0 if log else True)]
        if not values.size:
            return None
        lo, hi = float(values.min()), float(values.max())
        if log:
            lo, hi = np.log10(lo), np.log10(hi)
        margin = pad * (hi - lo) if hi > lo else max(abs(hi), 1.0) * pad
        lo, hi = lo - margin, hi + margin
        limits += [10.0**lo, 10.0**hi] if log else [lo, hi]
    return limits[0], limits[1], limits[2], limits[3]


def set_limits(xs: np.ndarray, ys: np.ndarray, pad: float = 0.05, log_y: bool = False) -> None:
    """Between begin_plot and the first item: the axes around the data (left to implot without any)."""
    limits = data_limits(xs, ys, pad, log_y)
    if limits is not None:
        implot.setup_axes_limits(*limits, imgui.Cond_.always)
