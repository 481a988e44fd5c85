"""GlvizApp's part that says which model is on screen and switches between them: the view shown (the model
chosen, or a scene of the tour), its name and shape, keys 1–4 and the selector, and nano's weights.

A mixin of GlvizApp (ui/app.py); the models themselves and their background builds are ui/models.py's.
"""

from __future__ import annotations

from glviz.errors import GlvizError, Text
from glviz.model.config import APP_MODELS
from glviz.ui.models import ModelView


class ModelActions:
    """The model on screen and the choice of another; see ui/app.py for the rest."""

    @property
    def view(self) -> ModelView:
        """What is on screen: the model chosen, or a scene of the tour (the Scale chapter's three models)."""
        return self.shown if self.shown is not None else self.models.current

    @property
    def model_name(self) -> str:
        return self.view.name

    @property
    def config(self):
        return self.view.config

    @property
    def computed(self) -> bool:
        """Whether the model on screen has values (a trace), not only shapes."""
        return self.view.trace is not None

    @property
    def has_input(self) -> bool:
        return self.view.name == "nano"

    @property
    def tokens_shown(self) -> int:
        """T of the trace shown, or the context length of a render-only model."""
        return self.view.trace.T if self.view.trace is not None else self.view.config.block_size

    @property
    def title(self) -> str:
        return f"glviz — {self.view.title}"

    @property
    def building(self) -> tuple[str, float] | None:
        """(display name, seconds so far) of a model whose layout builds in the background."""
        return self.models.building

    def model_choices(self) -> list[tuple[str, str, int]]:
        """(name, display name, parameter count) per selectable model."""
        return self.models.choices()

    def switch_model(self, name: str, wait: bool = False) -> None:
        """Show another model; the first selection of a big one builds its layout in the background. The
        tour plays on nano: another model means free exploring."""
        self.forget_explored()
        if name != "nano" and self.tour.touring:
            self.tour.leave()
        self.models.switch(name, wait=wait)
        self.invalidate()

    def choose_model(self, number: int) -> None:
        """Keys 1–4: the app's models in order."""
        self.switch_model(APP_MODELS[number])

    def _nano_weights(self):
        """The shipped sort model, or random weights (and a message) when it is missing."""
        from glviz.model.sort_task import load_nano

        try:
            return load_nano()
        except GlvizError as exc:
            from glviz.model.config import PRESETS
            from glviz.model.weights import random_weights

            self.message(Text("models.nano_missing", reason=exc))
            return random_weights(PRESETS["nano"], seed=0, std=0.3)
