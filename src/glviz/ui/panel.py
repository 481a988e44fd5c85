"""The imgui side panel: model selector, nano input and output, the hover explanation, help and messages.

The panel only reads the app's state and calls its methods (switch_model, edit_input, randomize_input);
it keeps no state of its own apart from the text being typed.
"""

from __future__ import annotations

import math
import time

import numpy as np
from imgui_bundle import imgui, implot

from glviz.model.sort_task import LETTERS, N_LETTERS
from glviz.render.blocks import VALUE_NEGATIVE, VALUE_POSITIVE, VALUE_ZERO
from glviz.render.text import font_path
from glviz.ui.hover import HoverInfo, fmt

PANEL_WIDTH = 400  # logical pixels; the 3D viewport is the window minus the panel
PANEL_SHARE = 0.45  # narrow windows: the panel takes at most this share of the width, the 3D view the rest
FONT_SIZE = 16.0

KIND_COLOURS = {  # text colours matching the scene's block colours
    "weight": (0.45, 0.65, 1.0, 1.0),
    "intermediate": (0.45, 0.85, 0.5, 1.0),
    "aggregate": (1.0, 0.85, 0.35, 1.0),
}
ERROR_COLOUR = (1.0, 0.45, 0.4, 1.0)
MESSAGE_COLOUR = (1.0, 0.85, 0.45, 1.0)
SECTION_COLOUR = (1.0, 0.8, 0.4, 1.0)  # the hovered cell's section labels
BUILD_PROGRESS_AFTER_S = 0.3  # show a progress bar for model builds slower than this
DIM_COLOUR = (0.65, 0.65, 0.7, 1.0)
LETTER_COLOURS = ((0.95, 0.45, 0.4, 1.0), (0.45, 0.8, 0.45, 1.0), (0.45, 0.6, 1.0, 1.0))  # A, B, C bars

HELP = (
    ("Left drag", "pan"),
    ("Right / middle drag", "rotate"),
    ("Shift + left drag", "rotate"),
    ("Wheel", "zoom toward the cursor"),
    ("Hover a cell", "see how it was computed"),
    ("Double-click a block", "fly to it"),
    ("F", "focus the hovered block"),
    ("Home", "overview"),
    ("W", "whole model"),
    ("I", "input view"),
    ("1 – 4", "switch model (nano, GPT-2 small, GPT-2 XL, GPT-3)"),
    ("Space", "play / pause the walkthrough"),
    ("P", "save a screenshot (PNG)"),
    ("Ctrl+Q", "quit"),
)


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


class Panel:
    """Draws the side panel for a GlvizApp-like object each frame."""

    def __init__(self) -> None:
        self.input_buffer = ""
        self._input_for: str | None = None  # the app input the buffer was last synced to

    def draw(self, app, x: float, width: float, height: float) -> None:
        """The panel as one fixed window at (x, 0) of size (width, height) in logical pixels."""
        imgui.set_next_window_pos(imgui.ImVec2(x, 0))
        imgui.set_next_window_size(imgui.ImVec2(width, height))
        flags = (imgui.WindowFlags_.no_move | imgui.WindowFlags_.no_resize | imgui.WindowFlags_.no_collapse
                 | imgui.WindowFlags_.no_saved_settings | imgui.WindowFlags_.no_title_bar)
        imgui.begin("glviz##panel", None, flags)
        imgui.text("glviz")
        imgui.same_line()
        imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), "every number a GPT computes")
        self._messages(app)
        imgui.separator()
        self._models(app)
        if app.has_input:
            self._input(app)
        self._hover(app.hover, app)
        if app.computed:  # below the input field and the explanation, so that those stay where they are
            imgui.separator()
            self._legend()
        self._help()
        imgui.end()

    def draw_section_labels(self, labels: list[tuple[str, float, float]], info: HoverInfo | None,
                            viewport: tuple[float, float, float, float]) -> None:
        """Where the hovered cell is: its section path as a breadcrumb in the view's top-left corner, and the
        3D section labels of that path (Transformer i, Self-attention, Head h) marked where they are drawn."""
        vx, vy, vw, vh = viewport
        draw = imgui.get_background_draw_list()
        plate = imgui.get_color_u32(imgui.ImVec4(0.12, 0.12, 0.16, 0.82))
        ink = imgui.get_color_u32(imgui.ImVec4(*SECTION_COLOUR))
        if info is not None:
            crumb = " / ".join(part for part in (info.section, info.label) if part)
            size = imgui.calc_text_size(crumb)
            corner = imgui.ImVec2(vx + 20 + size.x, vy + 16 + size.y)
            draw.add_rect_filled(imgui.ImVec2(vx + 8, vy + 8), corner, plate, 4.0)
            draw.add_text(imgui.ImVec2(vx + 14, vy + 12), ink, crumb)
        for text, x, y in labels:
            if not (vx <= x < vx + vw and vy <= y < vy + vh):
                continue
            size = imgui.calc_text_size(text)
            top_left, bottom_right = imgui.ImVec2(x - 4, y - size.y - 6), imgui.ImVec2(x + size.x + 4, y)
            draw.add_rect_filled(top_left, bottom_right, plate, 4.0)
            draw.add_text(imgui.ImVec2(x, y - size.y - 3), ink, text)

    def draw_tooltip(self, info: HoverInfo | None, x: float, y: float, bounds: tuple[float, float]) -> None:
        """A small label by the cursor in the 3D view: block, indices, value (as on LLM Visualization)."""
        if info is None:
            return
        flags = (imgui.WindowFlags_.no_decoration | imgui.WindowFlags_.no_inputs
                 | imgui.WindowFlags_.always_auto_resize | imgui.WindowFlags_.no_saved_settings
                 | imgui.WindowFlags_.no_focus_on_appearing | imgui.WindowFlags_.no_nav)
        # Keep it inside the view: flip to the left/top of the cursor near the right/bottom edge.
        pivot_x = 1.0 if x > bounds[0] - 300 else 0.0
        pivot_y = 1.0 if y > bounds[1] - 90 else 0.0
        offset_x = -14 if pivot_x else 18
        offset_y = -10 if pivot_y else 18
        imgui.set_next_window_pos(imgui.ImVec2(x + offset_x, y + offset_y), 0, imgui.ImVec2(pivot_x, pivot_y))
        imgui.set_next_window_bg_alpha(0.88)
        imgui.begin("##hover-tooltip", None, flags)
        imgui.text_colored(imgui.ImVec4(*KIND_COLOURS.get(info.kind, DIM_COLOUR)), info.label or info.name)
        imgui.same_line()
        imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), info.index_text)
        if info.computed:
            if info.formula and info.lines:
                imgui.text(f"{info.formula} = {info.value_text}")
            else:
                imgui.text(info.value_text)
            if info.note:
                imgui.push_text_wrap_pos(imgui.get_cursor_pos_x() + 240)  # the tooltip flips at 300 px
                imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), info.note)
                imgui.pop_text_wrap_pos()
        imgui.end()

    # --- sections ------------------------------------------------------------------------------------------

    def _models(self, app) -> None:
        choices = app.model_choices()
        names = [name for name, _, _ in choices]
        current = names.index(app.model_name)
        imgui.text("Model")
        imgui.same_line(70)
        imgui.set_next_item_width(-1)
        if imgui.begin_combo("##model", _choice_label(choices[current], current)):
            for i, choice in enumerate(choices):
                selected = i == current
                if imgui.selectable(_choice_label(choice, i), selected)[0] and not selected:
                    app.switch_model(choice[0])
            imgui.end_combo()
        building = app.building
        if building is not None:
            name, elapsed = building
            if elapsed > BUILD_PROGRESS_AFTER_S:
                label = f"building {name} … {elapsed:.1f} s"
                imgui.progress_bar(-1.0 * time.monotonic(), imgui.ImVec2(-1, 0), label)
        config = app.config
        imgui.text_colored(imgui.ImVec4(*DIM_COLOUR),
                           f"{config.n_layer} layers · {config.n_head} heads · C={config.n_embd} · "
                           f"T={app.tokens_shown} · V={config.vocab_size}")
        if not app.computed:
            imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), "render-only: shapes and sizes, no values")

    def _legend(self) -> None:
        """The cells' value colours, as the shader maps them: −max|v| … 0 … +max|v| of each block."""
        bar_height = 10.0
        imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), "cell value")
        imgui.same_line()
        left = imgui.get_cursor_screen_pos()
        width = max(imgui.get_content_region_avail().x, 40.0)
        top = left.y + (imgui.get_text_line_height() - bar_height) / 2
        middle = left.x + width / 2
        draw = imgui.get_window_draw_list()
        negative, zero, positive = (imgui.get_color_u32(imgui.ImVec4(*rgb, 1.0))
                                    for rgb in (VALUE_NEGATIVE, VALUE_ZERO, VALUE_POSITIVE))
        draw.add_rect_filled_multi_color(imgui.ImVec2(left.x, top), imgui.ImVec2(middle, top + bar_height),
                                         negative, zero, zero, negative)
        right = imgui.ImVec2(left.x + width, top + bar_height)
        draw.add_rect_filled_multi_color(imgui.ImVec2(middle, top), right, zero, positive, positive, zero)
        imgui.new_line()
        # Labels under the bar's ends and middle; full colour is each block's largest |value|.
        dim = imgui.ImVec4(*DIM_COLOUR)
        x0 = left.x - imgui.get_window_pos().x
        imgui.set_cursor_pos_x(x0)
        imgui.text_colored(dim, "negative")
        imgui.same_line(x0 + width / 2 - imgui.calc_text_size("0").x / 2)
        imgui.text_colored(dim, "0")
        imgui.same_line(x0 + width - imgui.calc_text_size("positive").x)
        imgui.text_colored(dim, "positive")

    def _input(self, app) -> None:
        if not imgui.collapsing_header("Input and output", imgui.TreeNodeFlags_.default_open):
            return
        if self._input_for != app.letters:  # the app's input changed (Randomize, CLI): show it
            self.input_buffer = app.letters
            self._input_for = app.letters
        imgui.text("Six letters of A, B, C to sort:")
        imgui.set_next_item_width(140)
        flags = (imgui.InputTextFlags_.auto_select_all | imgui.InputTextFlags_.callback_char_filter
                 | imgui.InputTextFlags_.callback_edit)
        accepted: list[str] = []
        refused: list[str] = []
        changed, text = imgui.input_text("##letters", self.input_buffer, flags,
                                         lambda data: _letters_only(data, accepted, refused))
        if changed:
            self.input_buffer = text
        if changed or accepted:  # a paste of the same text changes nothing but still answers a refusal
            app.edit_input(text)
        if refused:
            app.refuse_letter(refused[-1])
        imgui.same_line()
        if imgui.button("Randomize"):
            app.randomize_input()
        if app.input_error:
            imgui.push_text_wrap_pos(0.0)
            imgui.text_colored(imgui.ImVec4(*ERROR_COLOUR), app.input_error)
            imgui.pop_text_wrap_pos()
        prediction = app.prediction
        if prediction is None:
            return
        letters, probs = prediction
        imgui.text("Sorted by the model:")
        imgui.same_line()
        imgui.text_colored(imgui.ImVec4(1.0, 1.0, 1.0, 1.0), " ".join(letters))
        expected = "".join(sorted(app.letters))
        imgui.same_line()
        if letters == expected:
            imgui.text_colored(imgui.ImVec4(0.45, 0.85, 0.5, 1.0), "  correct")
        else:
            imgui.text_colored(imgui.ImVec4(*ERROR_COLOUR), f"  expected {' '.join(expected)}")
        imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), "probability of A, B, C at each output position")
        bar_width = (imgui.get_content_region_avail().x - 40) / 3 - 4
        for k in range(probs.shape[0]):
            imgui.text(f"{k + 1}: {letters[k]}")
            for j, letter in enumerate(LETTERS):
                imgui.same_line(40 + j * (bar_width + 4))
                imgui.push_style_color(imgui.Col_.plot_histogram, imgui.ImVec4(*LETTER_COLOURS[j]))
                label = f"{letter} {probs[k, j]:.2f}"
                imgui.progress_bar(float(probs[k, j]), imgui.ImVec2(bar_width, 0), label)
                imgui.pop_style_color()

    def _hover(self, info: HoverInfo | None, app) -> None:
        if not imgui.collapsing_header("How was this computed?", imgui.TreeNodeFlags_.default_open):
            return
        if info is None:
            imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), "Hover a cell in the 3D view.")
            return
        imgui.push_text_wrap_pos(0.0)
        imgui.text_colored(imgui.ImVec4(*KIND_COLOURS.get(info.kind, DIM_COLOUR)), f"{info.name}")
        imgui.same_line()
        imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), f"({info.kind})")
        if info.section:
            imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), info.section)
        imgui.text(f"shape  {info.shape}")
        imgui.text(f"cell   {info.index_text}")
        if not info.computed:
            imgui.text(f"value  {info.value_text}")
            imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), "Values are not computed for this model.")
            if info.formula:
                imgui.text(f"formula  {info.formula}")
            imgui.pop_text_wrap_pos()
            return
        imgui.text("value  ")
        imgui.same_line()
        imgui.text_colored(imgui.ImVec4(1.0, 1.0, 1.0, 1.0), info.value_text)
        if info.note:
            imgui.text_colored(imgui.ImVec4(1.0, 0.9, 0.6, 1.0), info.note)
        if info.formula:
            imgui.separator()
            imgui.text_colored(imgui.ImVec4(1.0, 0.9, 0.6, 1.0), info.formula)
            for line in info.lines:
                imgui.text(line)
            if info.recomputed is not None and info.lines:
                status = "recomputed from its inputs: equal" if info.matches else "recomputed: MISMATCH"
                imgui.text_colored(imgui.ImVec4(*(DIM_COLOUR if info.matches else ERROR_COLOUR)), status)
        imgui.pop_text_wrap_pos()
        if info.curve is not None:
            self._curve(info)
        if info.stats is not None:
            self._stats(info)

    def _curve(self, info: HoverInfo) -> None:
        curve = info.curve
        if implot.begin_plot(f"{curve.title}##curve", imgui.ImVec2(-1, 150),
                             implot.Flags_.no_legend | implot.Flags_.no_menus | implot.Flags_.no_box_select):
            implot.setup_axes("x", curve.title, implot.AxisFlags_.auto_fit, implot.AxisFlags_.auto_fit)
            implot.plot_line(curve.title, curve.xs, curve.ys)
            marker = implot.Spec()
            marker.marker = implot.Marker_.circle
            marker.marker_size = 6.0
            marker.marker_fill_color = imgui.ImVec4(1.0, 0.45, 0.3, 1.0)
            implot.plot_scatter("cell", np.array([curve.point[0]]), np.array([curve.point[1]]), marker)
            implot.end_plot()

    def _stats(self, info: HoverInfo) -> None:
        s = info.stats
        imgui.separator()
        imgui.text(f"{info.name}: {s.count_text}")
        imgui.text(f"min {fmt(s.min)}   max {fmt(s.max)}")
        imgui.text(f"mean {fmt(s.mean)}   std {fmt(s.std)}")
        if not math.isfinite(s.min):
            return
        if implot.begin_plot("##histogram", imgui.ImVec2(-1, 120),
                             implot.Flags_.no_legend | implot.Flags_.no_menus | implot.Flags_.no_box_select):
            implot.setup_axes("", "", implot.AxisFlags_.auto_fit, implot.AxisFlags_.auto_fit)
            implot.plot_bars("values", s.centres, s.counts, s.bin_width)
            if info.value is not None and math.isfinite(info.value):
                implot.plot_inf_lines("this cell", np.array([float(info.value)]))
            implot.end_plot()

    def _help(self) -> None:
        if not imgui.collapsing_header("Help", imgui.TreeNodeFlags_.default_open):
            return
        if not imgui.begin_table("##help", 2, imgui.TableFlags_.sizing_fixed_fit):
            return
        imgui.table_setup_column("keys", imgui.TableColumnFlags_.width_fixed)
        imgui.table_setup_column("action", imgui.TableColumnFlags_.width_stretch)
        for keys, action in HELP:
            imgui.table_next_row()
            imgui.table_next_column()
            imgui.text_colored(imgui.ImVec4(1.0, 0.9, 0.6, 1.0), keys)
            imgui.table_next_column()
            imgui.text_wrapped(action)
        imgui.end_table()

    def _messages(self, app) -> None:
        """The latest message (screenshot path, refused input, …) right under the title, where it is seen."""
        if not app.messages:
            return
        imgui.push_text_wrap_pos(0.0)
        imgui.text_colored(imgui.ImVec4(*MESSAGE_COLOUR), app.messages[-1])
        imgui.pop_text_wrap_pos()


def _letters_only(data, accepted: list[str], refused: list[str]) -> int:
    """imgui input callback of the letters field: A, B, C (either case) go in upper-cased and are noted in
    `accepted`, anything else is refused and noted in `refused`; the text is cut to N_LETTERS.
    Returning 1 discards a character."""
    if data.event_flag == imgui.InputTextFlags_.callback_char_filter:
        char = chr(data.event_char)
        if char.upper() not in LETTERS:
            refused.append(char)
            return 1
        data.event_char = ord(char.upper())
        accepted.append(char.upper())
        return 0
    if data.event_flag == imgui.InputTextFlags_.callback_edit and data.buf_text_len > N_LETTERS:
        data.delete_chars(N_LETTERS, data.buf_text_len - N_LETTERS)
    return 0


def _choice_label(choice: tuple[str, str, int], i: int) -> str:
    _, label, params = choice
    return f"{label}  ·  {_params(params)} params  [{i + 1}]"


def _params(n: int) -> str:
    """Parameter count in words people use: 85.1k, 124M, 1.56B, 175B."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            value = n / scale
            return f"{value:.3g}{suffix}"
    return str(n)
