"""The stages chapters play on, built without GL: the nano model on the learner's six letters ("nano"), and
nano, GPT-2 small and GPT-3 side by side ("scale"). A stage's layout may take a second to build (GPT-3's
76k blocks), so the scale scene's layout is made once and kept."""

from __future__ import annotations

from glviz.walkthrough.script import Stage


def nano_stage(letters: str, aspect: float = 16 / 9, lang: str = "en", weights=None) -> Stage:
    """The nano sort model traced on `letters` (the six inputs and the five letters it produces), with the
    loss curve of its training. GlvizError for letters that are not six of A, B, C."""
    from glviz.layout.build import build_layout
    from glviz.model.forward import Trace
    from glviz.model.sort_task import load_nano, nano_sequence, parse_letters, training_losses

    inputs = parse_letters(letters)
    weights = weights or load_nano()
    trace = Trace(weights, nano_sequence(weights, inputs))
    layout = build_layout(weights.config, n_tokens=trace.T)
    return Stage("nano", layout, trace, aspect, lang, {"losses": training_losses()})


SCALE_MODELS = ("nano", "gpt2", "gpt3")
_scale_layouts: dict[int, object] = {}  # T -> the composed layout (the nano part's values: from the trace)


def scale_layout(nano_layout):
    """nano (this layout), GPT-2 small and GPT-3 side by side, all with nano's T token columns."""
    from glviz.layout.build import build_layout
    from glviz.layout.compose import side_by_side
    from glviz.model.config import PRESETS

    key = nano_layout.n_tokens
    layout = _scale_layouts.get(key)
    if layout is None or layout.parts[0].layout.config != nano_layout.config:
        parts = [("nano", nano_layout)] + [(name, build_layout(PRESETS[name], n_tokens=key))
                                           for name in SCALE_MODELS[1:]]
        layout = _scale_layouts[key] = side_by_side(parts)
    return layout


def scale_stage(nano: Stage) -> Stage:
    """The Scale chapter's stage, from the nano stage (its trace gives the nano part its values)."""
    return Stage("scale", scale_layout(nano.layout), nano.trace, nano.aspect, nano.lang, nano.extras)


def stage_values(stage: Stage) -> dict[int, object] | None:
    """Values by block index for the renderer when only part of a scene has them (the nano part of the scale
    scene: the other models are shapes); None when the whole layout reads from the stage's trace."""
    layout = stage.layout
    if not layout.parts:
        return None
    from glviz.layout.blocks import block_values

    part = layout.parts[0]
    return {part.first + i: block_values(block, stage.trace) for i, block in enumerate(part.layout.blocks)}


def stages_from(nano: Stage):
    """`stage_of(scene, lang)` for a Tour: the nano stage, or the scene built on it (made once)."""
    made = {"nano": nano}

    def stage_of(scene: str, lang: str) -> Stage:
        if scene not in made:
            made[scene] = scale_stage(nano)
        return made[scene]

    return stage_of
