"""Axis limits and ticks set before a plot is drawn.

implot's auto-fit fits the axes to what was drawn in the frame before: the first frame of a plot (or of
another block's histogram in the same plot) showed the default 0..1 axes, or the last data's, a flash that
is plain to see where a frame takes 50 - 100 ms (GPT-2). Limits worked out from the data are right at once.
The ticks are ours too: implot writes its labels with printf, a hyphen for minus ("-0.05") and "4e+06",
where the panel writes numbers as glviz.formatting does.
"""

from __future__ import annotations

import math

import numpy as np
from imgui_bundle import imgui, implot

from glviz.formatting import fmt

X_TICKS, Y_TICKS = 5, 3  # about how many ticks an axis gets (the panel's plots are wide and low)


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


def axis_ticks(lo: float, hi: float, count: int = X_TICKS, suffix: str = "") -> tuple[list[float], list[str]]:
    """Ticks at round steps (1, 2 or 5 times a power of ten) between lo and hi, about `count` of them, and
    their labels: as many decimals as the step needs, a true minus sign, then `suffix` ("%"). No ticks
    (implot's own) where such labels would not tell the ticks apart (0.5000001 and 0.5000002)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [], []
    power = 10.0 ** math.floor(math.log10((hi - lo) / max(count, 1)))
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda step: abs((hi - lo) / step - count))
    ks = range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)
    values = [k * step for k in ks]
    if 1e-4 <= step < 1e5:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        labels = [_plain(f"{v:.{decimals}f}") for v in values]
    elif max(abs(lo), abs(hi)) / step < 1000:  # 4 significant digits tell them apart: 2·10^−7, 4·10^−7
        labels = [fmt(v) for v in values]
    else:
        return [], []
    return values, [("0" if k == 0 else label) + suffix for k, label in zip(ks, labels, strict=True)]


def decade_ticks(lo: float, hi: float, count: int = Y_TICKS) -> tuple[list[float], list[str]]:
    """Ticks of a log axis from lo to hi (both > 0): powers of ten, every second or third one where there
    are more than about `count`, labelled as glviz.formatting writes them ("0.001", "1·10^−6")."""
    if not (0 < lo < hi < math.inf):
        return [], []
    first, last = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    every = max(1, math.ceil((last - first + 1) / max(count, 1)))
    exponents = [k for k in range(first, last + 1) if k % every == 0]
    return [10.0**k for k in exponents], [fmt(10.0**k) for k in exponents]


def set_limits(xs: np.ndarray, ys: np.ndarray, pad: float = 0.05, log_y: bool = False,
               y_suffix: str = "") -> None:
    """Between begin_plot and the first item: the axes around the data (left to implot without any) and
    their ticks, the y labels followed by `y_suffix` (a log y axis: powers of ten)."""
    limits = data_limits(xs, ys, pad, log_y)
    if limits is None:
        return
    implot.setup_axes_limits(*limits, imgui.Cond_.always)
    x_ticks = axis_ticks(limits[0], limits[1], X_TICKS)
    lo, hi = limits[2], limits[3]
    y_ticks = decade_ticks(lo, hi) if log_y else axis_ticks(lo, hi, Y_TICKS, y_suffix)
    for axis, (values, labels) in ((implot.ImAxis_.x1, x_ticks), (implot.ImAxis_.y1, y_ticks)):
        if values:
            implot.setup_axis_ticks(axis, values, labels)


def _plain(text: str) -> str:
    """A fixed-point number without trailing zeros, with a true minus sign: "-0.10" -> "−0.1"."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", "−")
