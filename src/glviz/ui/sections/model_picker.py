"""The model selector with parameter counts, a progress bar while a layout builds, and the sizes.

The closed selector shows the chosen model whole wherever it can: beside its label, in its short form (without
the key to press, which the list still shows) where the whole does not fit there, else on the line under the
label; in a very narrow panel the short form with the model's name cut ("…"), its size kept.
"""

from __future__ import annotations

import time

from imgui_bundle import imgui

from glviz.i18n import tr
from glviz.ui.loading import is_checkpoint_key
from glviz.ui.style import dim, fitted, item_rect

BUILD_PROGRESS_AFTER_S = 0.3  # show a progress bar for model builds slower than this
LABEL_COLUMN = 70.0  # where the selector starts beside its label (further right for a longer label)


class ModelPicker:
    """Draws the section; keeps where the selector was and what it showed (tests)."""

    def __init__(self) -> None:
        self.rect: tuple[float, float, float, float] | None = None
        self.choice_rects: dict[str, tuple[float, float, float, float]] = {}  # the open list's rows, by model
        self.preview = ""  # the chosen model as the closed selector shows it

    def draw(self, app) -> None:
        """The combo box of models, and what the chosen one is."""
        choices = app.model_choices()
        current = [name for name, _, _ in choices].index(app.model_name)
        label = tr("models.label")
        style = imgui.get_style()
        column = max(LABEL_COLUMN, imgui.calc_text_size(label).x + style.item_spacing.x)
        # The closed selector's text sits left of its arrow button, inside the frame's padding.
        line = imgui.get_content_region_avail().x - 2 * style.frame_padding.x - imgui.get_frame_height()
        beside, self.preview = _placed(choices[current], current, line - column, line)
        imgui.text(label)
        if beside:
            imgui.same_line(column)
        imgui.set_next_item_width(-1)
        if imgui.begin_combo("##model", self.preview):
            for i, choice in enumerate(choices):
                selected = i == current
                chosen = imgui.selectable(_choice_label(choice, i), selected)[0]
                self.choice_rects[choice[0]] = item_rect()
                if chosen and not selected:
                    app.switch_model(choice[0])
            imgui.end_combo()
        self.rect = item_rect()
        building = app.building
        if building is not None:
            name, elapsed = building
            if elapsed > BUILD_PROGRESS_AFTER_S:
                text = tr("models.building", name=name, seconds=f"{elapsed:.1f}")
                imgui.progress_bar(-1.0 * time.monotonic(), imgui.ImVec2(-1, 0), text)
        config = app.config
        dim(tr("models.sizes", layers=config.n_layer, heads=config.n_head, C=config.n_embd,
               T=app.tokens_shown, V=config.vocab_size))
        if not app.computed:
            dim(tr("models.render_only"))


def _placed(choice: tuple[str, str, int], i: int, beside: float, below: float) -> tuple[bool, str]:
    """(beside the label, text) of the closed selector: the first of the whole label and its short form that
    fits `beside` the label, then `below` it; else the name alone where it fits (at 520 px in Japanese
    "gpt2-tiny" read "gpt… · パラメータ数 3.38M": the list shows the size), else the name cut short
    before its size, else the short form cut to `below` pixels."""
    whole, short = _choice_label(choice, i), _short_label(choice)
    for room, on_label_line in ((beside, True), (below, False)):
        for text in (whole, short):
            if imgui.calc_text_size(text).x <= room:
                return on_label_line, text
    tail = _short_label((choice[0], "", choice[2]))  # what the short form says after the name
    name = choice[1]
    if short == name + tail:
        if imgui.calc_text_size(name).x <= below:
            return False, name
        if imgui.calc_text_size(name[:1] + "…" + tail).x <= below:
            return False, fitted(name, below, tail)
    return False, fitted(short, below)


def _choice_label(choice: tuple[str, str, int], i: int) -> str:
    name, label, params = choice
    if is_checkpoint_key(name):  # no number key: 1-4 are the presets
        return tr("models.checkpoint_choice", name=label, params=params_text(params))
    return tr("models.choice", name=label, params=params_text(params), number=i + 1)


def _short_label(choice: tuple[str, str, int]) -> str:
    """A choice in fewer words: its name and size."""
    return tr("models.choice_short", name=choice[1], params=params_text(choice[2]))


def params_text(n: int) -> str:
    """Parameter count in words people use: 85.1k, 124M, 1.56B, 175B."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            value = n / scale
            return f"{value:.3g}{suffix}"
    return str(n)
