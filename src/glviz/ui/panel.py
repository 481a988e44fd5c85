"""The imgui side panel: a fixed window right of the 3D view holding the panel's sections.

The panel only reads the app's state and calls its methods; the only state of its own is the text being typed
in the letters field.
"""

from __future__ import annotations

from imgui_bundle import imgui

from glviz.i18n import tr
from glviz.ui.sections import explanation, help, legend, model_picker, overlays
from glviz.ui.sections.letters_field import LettersField
from glviz.ui.style import MESSAGE_COLOUR, dim, wrapped

PANEL_WIDTH = 400  # logical pixels; the 3D viewport is the window minus the panel
PANEL_SHARE = 0.45  # narrow windows: the panel takes at most this share of the width, the 3D view the rest
WINDOW_FLAGS = (imgui.WindowFlags_.no_move | imgui.WindowFlags_.no_resize | imgui.WindowFlags_.no_collapse
                | imgui.WindowFlags_.no_saved_settings | imgui.WindowFlags_.no_title_bar)


class Panel:
    """Draws the side panel for a GlvizApp each frame."""

    def __init__(self) -> None:
        self.letters = LettersField()

    def draw(self, app, x: float, width: float, height: float) -> None:
        """The panel as one fixed window at (x, 0) of size (width, height) in logical pixels."""
        imgui.set_next_window_pos(imgui.ImVec2(x, 0))
        imgui.set_next_window_size(imgui.ImVec2(width, height))
        imgui.begin("glviz##panel", None, WINDOW_FLAGS)
        try:
            imgui.text("glviz")
            imgui.same_line()
            dim(tr("panel.subtitle"))
            if app.messages:  # the latest message (screenshot path, refused input, …) where it is seen
                wrapped(MESSAGE_COLOUR, app.messages[-1])
            imgui.separator()
            self.explore(app)
        finally:
            imgui.end()

    def explore(self, app) -> None:
        """Free exploration: the model, its input, the hovered cell, the legend and the help."""
        model_picker.draw(app)
        if app.has_input:
            self.letters.draw(app)
        explanation.draw(app.hover)
        if app.computed:  # below the input field and the explanation, so that those stay where they are
            imgui.separator()
            legend.draw()
        help.draw(app)

    draw_section_labels = staticmethod(overlays.section_labels)
    draw_tooltip = staticmethod(overlays.tooltip)
