"""Generation: Next token, Generate N, Stop; greedy or sampling (temperature, top-k, top-p, seed); the 10
most likely next tokens (those the settings can draw) with their probabilities as bars, before each step. On
nano: the sort one letter at a time."""

from __future__ import annotations

from imgui_bundle import imgui

from glviz.formatting import percent
from glviz.i18n import tr
from glviz.ui.style import (
    ACCENT_COLOUR,
    DIM_COLOUR,
    ERROR_COLOUR,
    LETTER_COLOURS,
    beside,
    button_width,
    checkbox_width,
    dim,
    fitted,
    header,
    item_rect,
    text,
    wrapped,
)

BAR_COLOUR = (0.45, 0.6, 1.0, 1.0)
# Window pixels to where a candidate's bar starts: a word of about 8 letters and its id; one letter for nano.
LABEL_WIDTH, LETTER_LABEL_WIDTH = 136.0, 40.0
SETTING_WIDTH, MIN_SETTING_WIDTH = 150.0, 90.0  # sampling's fields, beside their labels
N_WIDTH = 60.0  # the N of Generate N: room for "1024"


class GenerationSection:
    """Draws the section; the settings live in app.generation (ui/generation.py)."""

    def __init__(self) -> None:
        self.rects: dict[str, tuple[float, float, float, float]] = {}  # button -> where drawn (tests)
        self.candidate_rects: list = []  # each candidate's label rect and where its bar starts (tests)
        self.full_line = ""  # what the section says of a full context (tests)

    def draw(self, app) -> None:
        controls = app.generation
        if controls.view is None:
            return
        if not header("generate.header", default_open=True):
            return
        nano = controls.nano
        if nano:
            imgui.push_text_wrap_pos(0.0)
            dim(tr("generate.nano_hint"))
            imgui.pop_text_wrap_pos()
        self._buttons(app, controls, nano)
        self._settings(controls)
        if controls.error:
            wrapped(ERROR_COLOUR, tr("generate.refused", reason=controls.error))
        self.full_line = ""
        if controls.full and not nano:
            from glviz.commands.model_input import is_sort_model

            n = app.view.config.block_size
            if is_sort_model(app.view.weights):  # its task is done (`glviz generate` stops there too)
                self.full_line = tr("generate.sort_full", n=n)
                wrapped(DIM_COLOUR, self.full_line)
            else:
                self.full_line = tr("generate.context_full", n=n)
                wrapped(ERROR_COLOUR, self.full_line)
        self._candidates(app, controls, nano)

    def _button(self, key: str, label: str, enabled: bool = True) -> bool:
        imgui.begin_disabled(not enabled)
        pressed = imgui.button(f"{label}###{key}")
        imgui.end_disabled()
        self.rects[key] = item_rect()
        return pressed

    def _buttons(self, app, controls, nano: bool) -> None:
        room = not controls.full or nano
        next_label = tr("generate.restart") if nano and controls.full else tr("generate.next")
        if self._button("next", next_label, room and not controls.generating):
            controls.next_token()
        # Generate N and its N together, then Stop: each on the next line where it does not fit (a narrow
        # window's panel).
        beside(button_width(tr("generate.n")) + imgui.get_style().item_spacing.x + N_WIDTH)
        if self._button("generate", tr("generate.n"), room and not controls.generating):
            controls.generate()
        imgui.same_line()
        imgui.set_next_item_width(N_WIDTH)
        changed, n = imgui.input_int("##n", controls.n, 0, 0)  # typed: - and + buttons left no room for it
        self.rects["n"] = item_rect()
        if changed:
            controls.n = max(1, min(n, 1024))
        beside(button_width(tr("generate.stop")))
        if self._button("stop", tr("generate.stop"), controls.generating):
            controls.stop()
        if nano:  # (with the context full, the first button starts over: this one would do the same)
            idle = not controls.generating and not controls.full
            if self._button("restart", tr("generate.from_letters"), idle):
                controls.restart()

    def _settings(self, controls) -> None:
        if imgui.radio_button(tr("generate.greedy"), controls.greedy):
            controls.greedy = True
        self.rects["greedy"] = item_rect()
        beside(checkbox_width(tr("generate.sample")))  # (a radio button is a checkbox's size)
        if imgui.radio_button(tr("generate.sample"), not controls.greedy):
            controls.greedy = False
        self.rects["sample"] = item_rect()
        if controls.greedy:
            return
        # The fields narrow to leave room for their labels beside them (in a narrow window's panel the
        # Japanese labels ran past its edge), down to what still shows their number; below that, each label
        # goes on a line of its own above its field.
        keys = ("temperature", "top_k", "top_p", "seed")
        labels = {key: tr(f"generate.{key}") for key in keys}
        label_width = max(imgui.calc_text_size(label).x for label in labels.values())
        avail = imgui.get_content_region_avail().x
        room = avail - label_width - imgui.get_style().item_inner_spacing.x
        stacked = room < MIN_SETTING_WIDTH
        width = avail if stacked else min(SETTING_WIDTH, room)
        for key in keys:
            if stacked:
                imgui.text(labels[key])
            label = f"##{key}" if stacked else labels[key]
            imgui.set_next_item_width(width)
            # A slider's value may be typed (Ctrl+click): anything, a negative or NaN too, refused by set()
            if key == "temperature":
                changed, value = imgui.slider_float(label, controls.temperature, 0.0, 2.0, "%.2f")
            elif key == "top_k":
                changed, value = imgui.input_int(label, controls.top_k, 1, 10)
            elif key == "top_p":
                changed, value = imgui.slider_float(label, controls.top_p, 0.05, 1.0, "%.2f")
            else:
                changed, value = imgui.input_int(label, controls.seed)
            self.rects[key] = item_rect()
            if imgui.is_item_activated():  # a field taken up again: the refusal of an earlier value is old
                controls.refusal = None
            if changed:
                controls.set(key, value)
        if controls.refusal is not None:
            wrapped(ERROR_COLOUR, str(controls.refusal))

    def _candidates(self, app, controls, nano: bool) -> None:
        found = controls.candidates()
        if found is None:
            dim(tr("generate.computing") if controls.busy else "")
            return
        ids, probs = found
        text(ACCENT_COLOUR, tr("generate.candidates", t=app.view.trace.T))
        start = LETTER_LABEL_WIDTH if nano else LABEL_WIDTH
        bar = max(imgui.get_content_region_avail().x - start - 8, 40.0)
        self.candidate_rects = []
        for token, p in zip(ids.tolist(), probs.tolist(), strict=True):
            room = start - imgui.get_cursor_pos_x() - 8  # the label's start to a gap before the bar
            # The token's text cut to the room before the bar, its id kept whole.
            piece, whole = app.prompt.shown(app.view, token), app.prompt.shown_with_id(app.view, token)
            label = fitted(piece, room, whole[len(piece):])
            colour = LETTER_COLOURS[token % 3] if nano else BAR_COLOUR
            imgui.align_text_to_frame_padding()  # on the bar's text line
            imgui.text(label)
            label_rect = item_rect()
            imgui.same_line(start)
            imgui.push_style_color(imgui.Col_.plot_histogram, imgui.ImVec4(*colour))
            imgui.progress_bar(float(p), imgui.ImVec2(bar, 0), percent(p))  # 0.002%, not 0.000
            imgui.pop_style_color()
            self.candidate_rects.append((label_rect, item_rect()[0]))
