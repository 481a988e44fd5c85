"""The stages chapters play on, built without GL: the nano model on the learner's six letters."""

from __future__ import annotations

from glviz.walkthrough.script import Stage


def nano_stage(letters: str, aspect: float = 16 / 9, lang: str = "en", weights=None) -> Stage:
    """The nano sort model traced on `letters` (the six inputs and the five letters it produces), with the
    loss curve of its training. GlvizError for letters that are not six of A, B, C."""
    from glviz.layout.blocks import build_layout
    from glviz.model.forward import Trace
    from glviz.model.sort_task import load_nano, nano_sequence, parse_letters, training_losses

    inputs = parse_letters(letters)
    weights = weights or load_nano()
    trace = Trace(weights, nano_sequence(weights, inputs))
    layout = build_layout(weights.config, n_tokens=trace.T)
    return Stage("nano", layout, trace, aspect, lang, {"losses": training_losses()})
