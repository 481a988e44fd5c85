"""Attention heatmaps (implot): one head of a chosen layer, or all its heads as a grid, with the tokens on
both axes (queries down, keys across); hovering a cell lights the same cell in 3D, and a probability
hovered in 3D is marked here."""

from __future__ import annotations

import math

import numpy as np
from imgui_bundle import imgui, implot

from glviz.formatting import percent
from glviz.i18n import tr
from glviz.ui.attention import MAX_GRID_TOKENS, MAX_TOKENS, Cell, window
from glviz.ui.style import beside, checkbox_width, dim, header, item_rect, labels_under_bar

PLOT_FLAGS = (implot.Flags_.no_legend | implot.Flags_.no_menus | implot.Flags_.no_box_select
              | implot.Flags_.no_mouse_text | implot.Flags_.equal)
AXIS_FLAGS = implot.AxisFlags_.no_grid_lines | implot.AxisFlags_.lock | implot.AxisFlags_.no_highlight
MAX_LABELS = 16  # token labels per axis at most (every n-th is shown); across, fewer where they are wide
LABEL_GAP = 6.0  # pixels kept between two token labels across the plot
GRID_COLUMNS = 3
SCALE_STEPS = 16  # linear pieces of the colour scale under the heatmaps


LABEL_CHARS = 8  # a token's label on a heatmap's axis: longer ones are cut, with "…" to say so


def token_labels(app, view, start: int, stop: int, cut: bool = True) -> list[str]:
    """Labels of positions start..stop: nano letters, decoded tokens, or ids; cut short for an axis."""
    labels = [app.prompt.shown(view, t) for t in view.trace.tokens[start:stop].tolist()]
    if not cut:
        return labels
    return [label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…" for label in labels]


class AttentionSection:
    """The section; the choices are in app.attention (ui/attention.py)."""

    def __init__(self) -> None:
        self.plot_rects: dict[int, tuple[float, float, float, float]] = {}  # head -> plot area (tests)
        self.header: tuple[float, float, float, float] | None = None
        self.all_heads_rect: tuple[float, float, float, float] | None = None  # (tests)
        self.slider_rects: dict[str, tuple[float, float, float, float]] = {}  # layer, head (tests)
        self.x_labels: list[tuple[float, float]] = []  # (centre, width) in pixels of each key label (tests)
        self._content_y: float | None = None  # where in the panel's content the section was last frame
        self.tooltip = ""  # the hovered heatmap cell's (tests)
        self.scale_rect: tuple[float, float, float, float] | None = None  # the colour scale's bar (tests)
        self._shown_x: list[int] = []  # the key positions labelled across the last heatmap drawn

    def draw(self, app) -> None:
        view = app.view
        if view.trace is None:
            return
        opened = header("attention.header")
        self.header = item_rect()
        mouse = imgui.get_mouse_pos()
        pointed = any(x0 <= mouse.x < x1 and y0 <= mouse.y < y1
                      for x0, y0, x1, y1 in self.plot_rects.values())  # (where the plots were last frame)
        shifted = self._keep_under_pointer(app, pointed)
        if not opened:
            self.plot_rects.clear()
            return
        maps = app.attention
        config = view.config
        imgui.set_next_item_width(120)
        maps.layer = imgui.slider_int(tr("attention.layer"), maps.layer, 0, config.n_layer - 1)[1]
        self.slider_rects["layer"] = item_rect()
        all_heads = tr("attention.all_heads")
        beside(checkbox_width(all_heads))  # (the next line in a narrow window's panel)
        maps.grid = imgui.checkbox(all_heads, maps.grid)[1]
        self.all_heads_rect = item_rect()
        if not maps.grid:
            imgui.set_next_item_width(120)
            maps.head = imgui.slider_int(tr("attention.head"), maps.head, 0, config.n_head - 1)[1]
            self.slider_rects["head"] = item_rect()
        probs = maps.probs(view)
        if probs is None:
            self.plot_rects.clear()
            dim(tr("attention.computing"))
            return
        T = probs.shape[1]
        start, stop = window(T, MAX_GRID_TOKENS if maps.grid else MAX_TOKENS)
        if start:
            dim(tr("attention.window", start=start, stop=stop - 1, T=T))
        labels = token_labels(app, view, start, stop)
        marked = maps.marked(app)
        if pointed:
            marked = None  # the pointer's cell is the one lit: the 3D hover's mark would lag it by a frame
        self.plot_rects.clear()  # (where the plots were last frame: above)
        hovered = None
        if maps.grid:
            width = (imgui.get_content_region_avail().x - 8) / GRID_COLUMNS
            for h in range(config.n_head):
                if h % GRID_COLUMNS:
                    imgui.same_line()
                hovered = self._heatmap(probs, maps.layer, h, start, stop, None, width, marked) or hovered
        else:
            width = imgui.get_content_region_avail().x
            hovered = self._heatmap(probs, maps.layer, maps.head, start, stop, labels, width, marked)
        self._scale()
        maps.hover(app, maps.hovered if shifted else hovered)
        self.tooltip = ""
        if hovered is not None and not shifted:  # the explanation above may be out of view: the chance here
            # The tokens whole: the axes' labels are cut ("·Canad" read as a token of its own)
            (q,), (k,) = (token_labels(app, view, t, t + 1, cut=False) for t in (hovered.row, hovered.col))
            self.tooltip = tr("attention.cell", query=hovered.row, q=q, key=hovered.col, k=k,
                              p=percent(probs[hovered.head, hovered.row, hovered.col]))
            imgui.set_tooltip(self.tooltip)

    def _scale(self) -> None:
        """Under the heatmaps: their colours from 0% to 100% (the colour map as implot draws them), and how
        to read them (a learner saw yellow and purple squares with nothing to say what they meant)."""
        height, line = 10.0, imgui.get_text_line_height()
        left = imgui.get_cursor_screen_pos()
        width = max(imgui.get_content_region_avail().x, 40.0)
        top = left.y + (line - height) / 2
        draw = imgui.get_window_draw_list()
        colours = [imgui.get_color_u32(implot.sample_colormap(i / SCALE_STEPS, implot.Colormap_.viridis))
                   for i in range(SCALE_STEPS + 1)]
        for i in range(SCALE_STEPS):  # the map's own stops are 10: 16 linear pieces follow it closely
            x0, x1 = left.x + width * i / SCALE_STEPS, left.x + width * (i + 1) / SCALE_STEPS
            draw.add_rect_filled_multi_color(imgui.ImVec2(x0, top), imgui.ImVec2(x1, top + height),
                                             colours[i], colours[i + 1], colours[i + 1], colours[i])
        self.scale_rect = (left.x, top, left.x + width, top + height)
        imgui.dummy(imgui.ImVec2(width, line))
        labels_under_bar(left.x - imgui.get_window_pos().x, width, percent(0.0), tr("attention.scale"),
                         percent(1.0))
        dim(tr("attention.reading"))

    def _keep_under_pointer(self, app, pointed: bool) -> bool:
        """The explanation above grows or shrinks with the cell a heatmap hover explains (a masked one is
        two lines, another a formula and a histogram): the heatmap jumped from under the pointer. While the
        pointer is on it, the panel scrolls by what the section moved, from the next frame; this frame's
        hover (on a plot drawn elsewhere) is not taken. True when the section moved."""
        content_y = self.header[1] + imgui.get_scroll_y()  # unchanged by scrolling, changed by what is above
        moved = self._content_y is not None and pointed and abs(content_y - self._content_y) > 0.5
        if moved:
            imgui.set_scroll_y(imgui.get_scroll_y() + content_y - self._content_y)
            app.invalidate()
        self._content_y = content_y
        return moved

    def _heatmap(self, probs, layer: int, head: int, start: int, stop: int, labels, width: float,
                 marked: Cell | None) -> Cell | None:
        """One head's probabilities (window start..stop): row = query, column = key. The hovered cell."""
        n = stop - start
        values = np.ascontiguousarray(probs[head, start:stop, start:stop], dtype=np.float64)  # (n, n)
        hovered = None
        title = f"##attn{layer}.{head}" if labels is None else f"##attn{layer}"
        if implot.begin_plot(title, imgui.ImVec2(width, width), PLOT_FLAGS):
            implot.setup_axes("", "", AXIS_FLAGS, AXIS_FLAGS)
            implot.setup_axes_limits(0, n, 0, n, imgui.Cond_.always)
            self._ticks(labels, n, width)
            implot.push_colormap(implot.Colormap_.viridis)
            implot.plot_heatmap(f"h{head}", values, 0.0, 1.0, "", implot.Point(0, 0), implot.Point(n, n))
            implot.pop_colormap()
            lo, size = implot.get_plot_pos(), implot.get_plot_size()
            self.plot_rects[head] = (lo.x, lo.y, lo.x + size.x, lo.y + size.y)
            if labels is not None:
                self.x_labels = [(lo.x + (i + 0.5) * size.x / n, imgui.calc_text_size(labels[i]).x)
                                 for i in self._shown_x]
            if implot.is_plot_hovered():
                mouse = implot.get_plot_mouse_pos()
                col, row = int(mouse.x), n - 1 - int(mouse.y)
                if 0 <= row < n and 0 <= col < n:
                    hovered = Cell(layer, head, start + row, start + col)
            for cell in (hovered, marked):
                if cell is not None and cell.layer == layer and cell.head == head and cell.row >= start:
                    x, y = cell.col - start, n - 1 - (cell.row - start)
                    _outline(x, y)
            if labels is None:
                white = imgui.ImVec4(1, 1, 1, 1)
                implot.annotation(0.5, n - 0.5, white, imgui.ImVec2(4, 4), False, f"h{head}")
            implot.end_plot()
        return hovered

    def _ticks(self, labels, n: int, width: float) -> None:
        if labels is None:
            implot.setup_axis_ticks(implot.ImAxis_.x1, [], [])
            implot.setup_axis_ticks(implot.ImAxis_.y1, [], [])
            return
        step = max(1, -(-n // MAX_LABELS))
        shown = list(range(0, n, step))
        implot.setup_axis_ticks(implot.ImAxis_.y1, [n - 1 - i + 0.5 for i in shown],
                                [labels[i] for i in shown])
        # Across, the labels stand side by side: every n-th, so that the widest fits its columns (at 9
        # tokens in a 400 px panel, "·quick", "brown" and "·fox" ran into one another). The plot is the
        # width less the query labels beside it and implot's paddings.
        widest = max(imgui.calc_text_size(label).x for label in labels)
        column = max(width - widest - 30.0, 1.0) / n
        step = max(step, math.ceil((widest + LABEL_GAP) / column))
        self._shown_x = list(range(0, n, step))
        implot.setup_axis_ticks(implot.ImAxis_.x1, [i + 0.5 for i in self._shown_x],
                                [labels[i] for i in self._shown_x])


def _outline(x: int, y: int) -> None:
    """A white square around heatmap cell (x, y) (plot units)."""
    draw = implot.get_plot_draw_list()
    a, b = implot.plot_to_pixels(x, y + 1), implot.plot_to_pixels(x + 1, y)
    draw.add_rect(a, b, imgui.get_color_u32(imgui.ImVec4(1.0, 0.3, 0.3, 1.0)), 0.0, 2.0)
