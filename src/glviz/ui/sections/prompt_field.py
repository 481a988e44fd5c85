"""A checkpoint's prompt: the text box (typing re-encodes and re-traces in the background), why text was
refused, and the tokens as chips with their ids (generated ones in another colour); hovering a chip lights
that token's column through the model."""

from __future__ import annotations

from imgui_bundle import imgui

from glviz.i18n import tr, tr_count
from glviz.ui.prompt import drawn, readable_bytes, split_characters
from glviz.ui.style import ACCENT_COLOUR, ERROR_COLOUR, dim, header, item_rect, wrapped

CHIPS_HEIGHT = 120.0  # the chips' scrolling area, logical pixels
CHIP_GAP = 4.0
GENERATED_COLOUR = (0.35, 0.3, 0.55, 1.0)
PROMPT_COLOUR = (0.25, 0.32, 0.42, 1.0)


class PromptField:
    """Keeps the text being typed in step with the view's prompt, and the chips' line breaks."""

    def __init__(self) -> None:
        self.buffer = ""
        self._synced_to: tuple | None = None  # (view name, prompt) the buffer was last synced to
        self._lines: tuple | None = None  # (key, [[(t, label, width)], ...]) chips broken into lines
        self.rect: tuple[float, float, float, float] | None = None
        self.chip_rects: dict[int, tuple[float, float, float, float]] = {}  # t -> where drawn (tests)
        self.hovered: int | None = None
        self.chip_line = ""  # what the line under the chips says about the hovered one (tests)

    def draw(self, app) -> None:
        view = app.view
        if not header("prompt.header", default_open=True):
            return
        if self._synced_to != (view.name, view.prompt):
            self.buffer = view.prompt
            self._synced_to = (view.name, view.prompt)
        dim(prompt_label(view.weights))
        # Wrapped at the box's width: a long prompt ran past its right edge, out of sight.
        changed, typed = imgui.input_text_multiline("##prompt", self.buffer, imgui.ImVec2(-1, 54),
                                                    imgui.InputTextFlags_.word_wrap)
        self.rect = item_rect()
        if changed:
            self.buffer = typed
            app.edit_prompt(typed)
            self._synced_to = (view.name, view.prompt)
        if app.prompt.error:
            wrapped(ERROR_COLOUR, app.prompt.error)
        trace = view.trace
        if trace is None:
            return
        tokens = trace.tokens
        generated = min(view.worker.generated, len(tokens)) if view.worker is not None else 0
        state = tr("prompt.tracing") if view.worker is not None and view.worker.tracing else ""
        count = tr_count("prompt.tokens", len(tokens), T=len(tokens), generated=generated)  # "1 token"
        dim(count + ("  " + state if state else ""))
        self._chips(app, view, tokens, len(tokens) - generated)

    def _chips(self, app, view, tokens, prompt_length: int) -> None:
        width = imgui.get_content_region_avail().x - 12
        key = (view.name, tokens.tobytes(), round(width))
        if self._lines is None or self._lines[0] != key:
            lines = _break_lines(app, view, tokens, width)
            style = imgui.get_style()
            tall = len(lines) * imgui.get_frame_height_with_spacing() - style.item_spacing.y
            if tall > CHIPS_HEIGHT - 2 * style.window_padding.y:  # it scrolls: its bar takes room
                lines = _break_lines(app, view, tokens, width - style.scrollbar_size)
            self._lines = (key, lines)
        lines = self._lines[1]
        self.chip_rects.clear()
        hovered = None
        imgui.begin_child("##chips", imgui.ImVec2(-1, CHIPS_HEIGHT), imgui.ChildFlags_.borders)
        clipper = imgui.ListClipper()
        clipper.begin(len(lines), imgui.get_frame_height_with_spacing())
        while clipper.step():
            for i in range(clipper.display_start, clipper.display_end):
                for k, (t, label, _) in enumerate(lines[i]):
                    if k:
                        imgui.same_line(0, CHIP_GAP)
                    colour = PROMPT_COLOUR if t < prompt_length else GENERATED_COLOUR
                    imgui.push_style_color(imgui.Col_.button, imgui.ImVec4(*colour))
                    imgui.small_button(f"{label}##chip{t}")
                    imgui.pop_style_color()
                    self.chip_rects[t] = item_rect()
                    if imgui.is_item_hovered():
                        hovered = t  # said under the chips (a tooltip would leave the window at the edge)
        imgui.end_child()
        if hovered is not None or self.hovered is not None:
            app.light_token(hovered)
        self.hovered = hovered
        if hovered is not None:
            tokenizer = view.weights.tokenizer
            token = int(tokens[hovered])
            split = split_characters(tokenizer, tokens, hovered) if tokenizer is not None else ""
            if split:  # some bytes of a character (in hex too where the panel cannot draw it)
                line, split = "prompt.chip_split", readable_bytes(split.encode("utf-8"))
            elif tokenizer is not None and not all(drawn(letter) for letter in tokenizer.decode([token])):
                line = "prompt.chip_undrawn"  # written in bytes: the font has no glyph for it
            else:
                line = "prompt.chip"
            label = app.prompt.label(view.weights, token)
            self.chip_line = tr(line, t=hovered, id=token, chars=split, label=label)
            wrapped(ACCENT_COLOUR, self.chip_line)
        else:
            self.chip_line = tr("prompt.chip_hint")
            dim(self.chip_line)  # wrapped: the Japanese line is wider than the panel


def _break_lines(app, view, tokens, width: float) -> list[list[tuple[int, str, float]]]:
    """The chips (position, "text id" or "id", width) broken into lines that fit `width`; made once per
    change."""
    pad = 2 * imgui.get_style().frame_padding.x
    lines: list[list[tuple[int, str, float]]] = [[]]
    used = 0.0
    for t, token in enumerate(tokens.tolist()):
        label = app.prompt.chip_text(view.weights, token)
        w = imgui.calc_text_size(label).x + pad
        if lines[-1] and used + CHIP_GAP + w > width:
            lines.append([])
            used = 0.0
        used += (CHIP_GAP if lines[-1] else 0.0) + w
        lines[-1].append((t, label, w))
    return lines


def prompt_label(weights) -> str:
    """What the prompt box asks for: text for a tokenizer, letters for a sort model, else ids."""
    from glviz.model.sort_task import LetterTokenizer

    if isinstance(weights.tokenizer, LetterTokenizer):
        return tr("prompt.label_letters")
    return tr("prompt.label") if weights.tokenizer is not None else ids_label(weights.config.vocab_size)


def ids_label(vocab_size: int) -> str:
    """What the prompt box asks for without a tokenizer: ids in the model's range and an example from it
    (GPT-2's "The quick", 464 and 2068, where the vocabulary has those ids, else its first ids: nano's
    vocabulary of three was offered 464)."""
    example = [464, 2068] if vocab_size > 2068 else list(range(min(vocab_size, 3)))
    return tr("prompt.label_ids", last=vocab_size - 1, example=", ".join(map(str, example)))
