"""The panel's look: fonts, the dark style, and the colours that tie its text to the 3D scene."""

from __future__ import annotations

from imgui_bundle import imgui

from glviz.render.sdf_font import font_path

FONT_SIZE = 16.0

KIND_COLOURS = {  # text colours matching the scene's block colours
    "weight": (0.45, 0.65, 1.0, 1.0),
    "intermediate": (0.45, 0.85, 0.5, 1.0),
    "aggregate": (1.0, 0.85, 0.35, 1.0),
}
ERROR_COLOUR = (1.0, 0.45, 0.4, 1.0)
MESSAGE_COLOUR = (1.0, 0.85, 0.45, 1.0)
SECTION_COLOUR = (1.0, 0.8, 0.4, 1.0)  # the hovered cell's section labels
DIM_COLOUR = (0.65, 0.65, 0.7, 1.0)
ACCENT_COLOUR = (1.0, 0.9, 0.6, 1.0)  # formulas, keys in the help
GOOD_COLOUR = (0.45, 0.85, 0.5, 1.0)
WHITE = (1.0, 1.0, 1.0, 1.0)
LETTER_COLOURS = ((0.95, 0.45, 0.4, 1.0), (0.45, 0.8, 0.45, 1.0), (0.45, 0.6, 1.0, 1.0))  # A, B, C bars


def setup_style() -> None:
    """Fonts and a dark style; call once after creating the imgui context."""
    io = imgui.get_io()
    path = font_path()  # Roboto: it has the Greek letters and math signs the formulas use
    if path is not None:
        io.fonts.add_font_from_file_ttf(str(path), FONT_SIZE)
    style = imgui.get_style()
    imgui.style_colors_dark(style)
    style.window_rounding = 0.0
    style.frame_rounding = 3.0
    style.item_spacing = imgui.ImVec2(8, 5)


def text(colour: tuple[float, float, float, float], line: str) -> None:
    """One line of text in a colour."""
    imgui.text_colored(imgui.ImVec4(*colour), line)


def dim(line: str) -> None:
    """One line of secondary text."""
    imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), line)


def wrapped(colour: tuple[float, float, float, float], line: str) -> None:
    """Text in a colour, wrapped at the panel's edge."""
    imgui.push_text_wrap_pos(0.0)
    imgui.text_colored(imgui.ImVec4(*colour), line)
    imgui.pop_text_wrap_pos()
