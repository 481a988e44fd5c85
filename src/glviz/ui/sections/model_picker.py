"""The model selector with parameter counts, a progress bar while a layout builds, and the sizes."""

from __future__ import annotations

import time

from imgui_bundle import imgui

from glviz.i18n import tr
from glviz.ui.loading import is_checkpoint_key
from glviz.ui.style import dim

BUILD_PROGRESS_AFTER_S = 0.3  # show a progress bar for model builds slower than this


def draw(app) -> None:
    """The combo box of models, and what the chosen one is."""
    choices = app.model_choices()
    names = [name for name, _, _ in choices]
    current = names.index(app.model_name)
    imgui.text(tr("models.label"))
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
            label = tr("models.building", name=name, seconds=f"{elapsed:.1f}")
            imgui.progress_bar(-1.0 * time.monotonic(), imgui.ImVec2(-1, 0), label)
    config = app.config
    dim(tr("models.sizes", layers=config.n_layer, heads=config.n_head, C=config.n_embd, T=app.tokens_shown,
           V=config.vocab_size))
    if not app.computed:
        dim(tr("models.render_only"))


def _choice_label(choice: tuple[str, str, int], i: int) -> str:
    name, label, params = choice
    if is_checkpoint_key(name):  # no number key: 1-4 are the presets
        return tr("models.checkpoint_choice", name=label, params=params_text(params))
    return tr("models.choice", name=label, params=params_text(params), number=i + 1)


def params_text(n: int) -> str:
    """Parameter count in words people use: 85.1k, 124M, 1.56B, 175B."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            value = n / scale
            return f"{value:.3g}{suffix}"
    return str(n)
