"""The nano model's training loss per step (stored with its weights by `glviz train-sort`), log scale."""

from __future__ import annotations

import numpy as np
from imgui_bundle import imgui, implot

from glviz.i18n import tr
from glviz.ui import style
from glviz.ui.widgets.plot_limits import set_limits

PLOT_FLAGS = implot.Flags_.no_legend | implot.Flags_.no_menus | implot.Flags_.no_box_select


def draw(stage, frame, t: float) -> None:
    losses = stage.extras.get("losses")
    if losses is None or not len(losses):
        style.dim(tr("tour.no_losses"))
        return
    if implot.begin_plot("##loss", imgui.ImVec2(-1, 140), PLOT_FLAGS):
        implot.setup_axes(tr("tour.loss_steps"), tr("tour.loss"))
        implot.setup_axis_scale(implot.ImAxis_.y1, implot.Scale_.log10)
        steps = np.arange(1, len(losses) + 1, dtype=np.float64)
        values = np.maximum(np.asarray(losses, np.float64), 1e-12)
        set_limits(steps, values, log_y=True)
        implot.plot_line(tr("tour.loss"), steps, values)
        implot.end_plot()
