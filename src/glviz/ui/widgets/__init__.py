"""Widgets the tour's text places with a line `@widget NAME`: one module per widget, `glviz.ui.widgets.NAME`,
with `draw(stage, frame, t)` drawing it in the panel with imgui/implot at the cursor (stage: the chapter's
walkthrough Stage; frame: the TourFrame on screen; t: the chapter's time)."""

from __future__ import annotations

import importlib
import re

from glviz.i18n import tr
from glviz.ui import style


def draw(name: str, stage, frame, t: float) -> None:
    """Draw the widget `name`, or say that there is none such."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        style.dim(tr("tour.no_widget", name=name))
        return
    try:
        module = importlib.import_module(f"glviz.ui.widgets.{name}")
    except ModuleNotFoundError:
        style.dim(tr("tour.no_widget", name=name))
        return
    module.draw(stage, frame, t)
