""""How was this computed?": the hovered cell's block, indices, value, formula with its real numbers, the
recomputation check, GELU's curve and the block's statistics."""

from __future__ import annotations

import math

import numpy as np
from imgui_bundle import imgui, implot

from glviz.i18n import tr
from glviz.i18n.labels import path
from glviz.ui.hover import HoverInfo, fmt
from glviz.ui.style import (
    ACCENT_COLOUR,
    DIM_COLOUR,
    ERROR_COLOUR,
    KIND_COLOURS,
    WHITE,
    dim,
    header,
    item_rect,
    text,
    wrapped,
)
from glviz.ui.widgets.plot_limits import set_limits

PLOT_RECTS: dict[str, tuple[float, float, float, float]] = {}  # where the last frame drew each plot (tests)
STATS_RECTS: dict[str, tuple[float, float, float, float]] = {}  # and each line of a block's statistics
PLOT_FLAGS = implot.Flags_.no_legend | implot.Flags_.no_menus | implot.Flags_.no_box_select


def draw(info: HoverInfo | None) -> None:
    """The section, under a collapsing header."""
    if not header("explain.header", default_open=True):
        return
    if info is None:
        dim(tr("explain.hint"))
        return
    imgui.push_text_wrap_pos(0.0)
    text(KIND_COLOURS.get(info.kind, DIM_COLOUR), info.name)
    imgui.same_line()
    dim(f"({tr('kind.' + info.kind)})")
    if info.section:
        dim(path(info.section))
    imgui.text(f"{tr('explain.shape')}  {info.shape}")
    imgui.text(f"{tr('explain.cell')}   {info.index_text}")
    if not info.computed:
        imgui.text(f"{tr('explain.value')}  {info.value_text}")
        dim(no_value_line(info))
        if info.formula:
            imgui.text(f"{tr('explain.formula')}  {info.formula}")
        imgui.pop_text_wrap_pos()
        return
    imgui.text(tr("explain.value") + "  ")
    imgui.same_line()
    text(WHITE, info.value_text)
    if info.note:
        text(ACCENT_COLOUR, info.note)
    if info.formula:
        imgui.separator()
        text(ACCENT_COLOUR, info.formula)
        for line in info.lines:
            imgui.text(line)
        if info.recomputed is not None and info.lines:
            status = tr("explain.equal") if info.matches else tr("explain.mismatch")
            text(DIM_COLOUR if info.matches else ERROR_COLOUR, status)
    imgui.pop_text_wrap_pos()
    if info.curve is not None:
        _curve(info)
    if info.stats is not None:
        _stats(info)
    elif info.stats_pending:
        imgui.separator()
        dim(tr("explain.stats_pending"))


def _curve(info: HoverInfo) -> None:
    curve = info.curve
    if implot.begin_plot(f"{curve.title}##curve", imgui.ImVec2(-1, 150), PLOT_FLAGS):
        implot.setup_axes("x", curve.title)
        set_limits(np.append(curve.xs, curve.point[0]), np.append(curve.ys, curve.point[1]))
        implot.plot_line(curve.title, curve.xs, curve.ys)
        marker = implot.Spec()
        marker.marker = implot.Marker_.circle
        marker.marker_size = 6.0
        marker.marker_fill_color = imgui.ImVec4(1.0, 0.45, 0.3, 1.0)
        implot.plot_scatter("cell", np.array([curve.point[0]]), np.array([curve.point[1]]), marker)
        implot.end_plot()


def _stats(info: HoverInfo) -> None:
    s = info.stats
    imgui.separator()
    # Wrapped: a GPT-2 block's line ("layers.11.attn.h11.scores: 524,800 values (523,776 masked)")
    # is wider than the panel.
    lines = {"count": f"{info.name}: {s.count_text}",
             "range": tr("explain.range", min=fmt(s.min), max=fmt(s.max)),
             "moments": tr("explain.moments", mean=fmt(s.mean), std=fmt(s.std))}
    for key, line in lines.items():
        wrapped(WHITE, line)
        STATS_RECTS[key] = item_rect()
    if not math.isfinite(s.min):
        return
    if implot.begin_plot("##histogram", imgui.ImVec2(-1, 120), PLOT_FLAGS):
        implot.setup_axes("", "")
        shares = s.shares
        half = s.bin_width / 2
        edges = np.array([s.centres[0] - half, s.centres[-1] + half])
        set_limits(edges, np.append(shares, 0.0), y_suffix="%")
        implot.plot_bars("values", s.centres, shares, s.bin_width)
        pos, size = implot.get_plot_pos(), implot.get_plot_size()
        PLOT_RECTS["histogram"] = (pos.x, pos.y, pos.x + size.x, pos.y + size.y)
        if info.value is not None and math.isfinite(info.value):
            implot.plot_inf_lines("this cell", np.array([float(info.value)]))
        implot.end_plot()


def no_value_line(info: HoverInfo) -> str:
    """Why a cell shows no value: the trace let it go for now (its note says so), else the model computes
    none (render-only: a residual block's note about its operands is not the reason)."""
    return tr("explain.not_computed") if info.kept else info.note
