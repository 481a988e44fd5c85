"""The legend: the three block colours (weights, intermediate values, aggregates) and the value scale."""

from __future__ import annotations

from imgui_bundle import imgui

from glviz.i18n import tr
from glviz.render.palette import KIND_COLORS, VALUE_NEGATIVE, VALUE_POSITIVE, VALUE_ZERO
from glviz.ui.style import DIM_COLOUR, item_rect, labels_under_bar

SWATCH = 12.0  # pixels
kind_rects: list[tuple[float, float, float, float]] = []  # where each kind and its name were drawn (tests)


def draw() -> None:
    """Kind swatches on one line, then the value bar with its labels."""
    _kinds()
    _values()


def _kinds() -> None:
    draw_list = imgui.get_window_draw_list()
    kind_rects.clear()
    for i, key in enumerate(("legend.weights", "legend.intermediates", "legend.aggregates")):
        if i:  # beside the one before where it fits (in a narrow panel "aggregates" ran past its edge)
            imgui.same_line(0, 14)
            if imgui.get_content_region_avail().x < SWATCH + 6 + imgui.calc_text_size(tr(key)).x:
                imgui.new_line()
        at = imgui.get_cursor_screen_pos()
        top = at.y + (imgui.get_text_line_height() - SWATCH) / 2
        colour = imgui.get_color_u32(imgui.ImVec4(*KIND_COLORS[i], 1.0))
        draw_list.add_rect_filled(imgui.ImVec2(at.x, top), imgui.ImVec2(at.x + SWATCH, top + SWATCH), colour,
                                  2.0)
        imgui.dummy(imgui.ImVec2(SWATCH + 2, imgui.get_text_line_height()))
        imgui.same_line(0, 4)
        imgui.text(tr(key))
        kind_rects.append((at.x, at.y, *item_rect()[2:]))


def _values() -> None:
    """The cells' value colours, as the shader maps them: −max|v| … 0 … +max|v| of each block."""
    bar_height = 10.0
    imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), tr("legend.cell_value"))
    imgui.same_line()
    left = imgui.get_cursor_screen_pos()
    width = max(imgui.get_content_region_avail().x, 40.0)
    top = left.y + (imgui.get_text_line_height() - bar_height) / 2
    middle = left.x + width / 2
    draw_list = imgui.get_window_draw_list()
    negative, zero, positive = (imgui.get_color_u32(imgui.ImVec4(*rgb, 1.0))
                                for rgb in (VALUE_NEGATIVE, VALUE_ZERO, VALUE_POSITIVE))
    draw_list.add_rect_filled_multi_color(imgui.ImVec2(left.x, top), imgui.ImVec2(middle, top + bar_height),
                                          negative, zero, zero, negative)
    right = imgui.ImVec2(left.x + width, top + bar_height)
    draw_list.add_rect_filled_multi_color(imgui.ImVec2(middle, top), right, zero, positive, positive, zero)
    imgui.new_line()
    # Labels under the bar's ends and middle; full colour is each block's largest |value|.
    x0 = left.x - imgui.get_window_pos().x
    labels_under_bar(x0, width, tr("legend.negative"), "0", tr("legend.positive"))
