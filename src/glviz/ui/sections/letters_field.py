"""The nano model's input and output: the letters field, Randomize, the sorted letters, their chances."""

from __future__ import annotations

from imgui_bundle import imgui

from glviz.i18n import tr
from glviz.model.sort_task import LETTERS, N_LETTERS
from glviz.ui.style import (
    DIM_COLOUR,
    ERROR_COLOUR,
    GOOD_COLOUR,
    LETTER_COLOURS,
    WHITE,
    beside,
    dim,
    header,
    item_rect,
    text,
    wrapped,
)


class LettersField:
    """Keeps the text being typed (the only state of the panel) in step with the app's letters."""

    def __init__(self) -> None:
        self.buffer = ""
        self._synced_to: str | None = None  # the app's letters the buffer was last synced to
        self.rect: tuple[float, float, float, float] | None = None
        self.verdict_rect: tuple[float, float, float, float] | None = None  # where the verdict was (tests)

    def draw(self, app) -> None:
        """The section, under a collapsing header."""
        if not header("letters.header", default_open=True):
            return
        if self._synced_to != app.letters:  # the app's input changed (Randomize, CLI): show it
            self.buffer = app.letters
            self._synced_to = app.letters
        imgui.text(tr("letters.prompt"))
        imgui.set_next_item_width(140)
        flags = (imgui.InputTextFlags_.auto_select_all | imgui.InputTextFlags_.callback_char_filter
                 | imgui.InputTextFlags_.callback_edit)
        accepted: list[str] = []
        refused: list[str] = []
        changed, typed = imgui.input_text("##letters", self.buffer, flags,
                                          lambda data: _letters_only(data, accepted, refused))
        self.rect = item_rect()  # where the field was drawn (window pixels), for tests
        if changed:
            self.buffer = typed
        if changed or accepted:  # a paste of the same text changes nothing but still answers a refusal
            app.edit_input(typed)
        if refused:
            app.refuse_letter(refused[-1])
        imgui.same_line()
        if imgui.button(tr("letters.randomize")):
            app.randomize_input()
        if app.input_error:
            wrapped(ERROR_COLOUR, app.input_error)
        prediction = app.prediction
        if prediction is not None:
            self.verdict_rect = _prediction(app.letters, *prediction)


def _prediction(letters_in: str, letters: str, probs) -> tuple[float, float, float, float]:
    """The sorted letters, the verdict and the chances; returns where the verdict was drawn."""
    imgui.text(tr("letters.sorted_by_model"))
    answer = " ".join(letters)
    beside(imgui.calc_text_size(answer).x)
    text(WHITE, answer)
    expected = "".join(sorted(letters_in))
    if len(letters) < len(expected):  # stepping through the sort (Generate): no verdict yet
        colour, verdict = DIM_COLOUR, tr("letters.so_far", n=len(letters), total=len(expected))
    elif letters == expected:
        colour, verdict = GOOD_COLOUR, tr("letters.correct")
    else:
        colour, verdict = ERROR_COLOUR, tr("letters.expected", letters=" ".join(expected))
    if beside(imgui.calc_text_size("  " + verdict).x):  # on the answer's line, two spaces after it
        verdict = "  " + verdict
    wrapped(colour, verdict)
    verdict_rect = item_rect()
    dim(tr("letters.probabilities"))
    bar_width = (imgui.get_content_region_avail().x - 40) / 3 - 4
    for k in range(probs.shape[0]):
        imgui.text(f"{k + 1}: {letters[k]}")
        for j, letter in enumerate(LETTERS):
            imgui.same_line(40 + j * (bar_width + 4))
            imgui.push_style_color(imgui.Col_.plot_histogram, imgui.ImVec4(*LETTER_COLOURS[j]))
            imgui.progress_bar(float(probs[k, j]), imgui.ImVec2(bar_width, 0), f"{letter} {probs[k, j]:.2f}")
            imgui.pop_style_color()
    # The rows still to come while Generate steps through the sort: empty, as high as the others, so that
    # what is below (Next token) stays where it was clicked (it moved down a row with each letter).
    for k in range(probs.shape[0], len(expected)):
        imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), f"{k + 1}:")
        imgui.same_line()
        imgui.dummy(imgui.ImVec2(1, imgui.get_frame_height()))
    return verdict_rect


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
