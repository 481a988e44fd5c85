"""The nano model's training loss per step (stored with its weights by `glviz train-sort`), log scale."""

from __future__ import annotations

import numpy as np
from imgui_bundle import imgui, implot

from glviz.i18n import tr
from glviz.ui import style

PLOT_FLAGS = implot.Flags_.no_legend | implot.Flags_.no_menus | implot.Flags_.no_box_select


def draw(stage, frame, t: float) -> None:
    losses = stage.extras.get("losses")
    if losses is None or not len(losses):
        style.dim(tr("tour.no_losses"))
        return
    if implot.begin_plot("##loss", imgui.ImVec2(-1, 140), PLOT_FLAGS):
        implot.setup_axes(tr("tour.loss_steps"), tr("tour.loss"), implot.AxisFlags_.auto_fit,
                          implot.AxisFlags_.auto_fit)
        implot.setup_axis_scale(implot.ImAxis_.y1, implot.Scale_.log10)
        steps = np.arange(1, len(losses) + 1, dtype=np.float64)
        implot.plot_line(tr("tour.loss"), steps, np.maximum(np.asarray(losses, np.float64), 1e-12))
        implot.end_plot()
