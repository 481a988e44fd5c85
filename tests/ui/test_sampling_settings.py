"""The Generate section's sampling fields, driven as the window drives them (mouse presses with their
modifiers, typed characters, Enter), headless on EGL: Ctrl+click on a slider types its value, and a value
that means nothing (a negative temperature, a top-p of 0, NaN, a negative seed) is refused with a line in
the panel's language while the setting keeps its value."""

from __future__ import annotations

import numpy as np
import pytest
from checkpoint_helpers import frames, settled  # tests/ui/

from glviz import i18n
from glviz.ui.controls import LEFT
from glviz.ui.imgui_renderer import MOD_CONTROL

KEY_ENTER, KEY_A, KEY_LEFT_CONTROL = 257, 65, 341  # glfw key codes
_GLFW_KEYS = {".": 46, "-": 45, "+": 61, "e": 69}  # (letters and digits: their upper-case ASCII code)


@pytest.fixture
def sampling_app(ckpt_app, fbo):  # noqa: F811 (the fixture imported above)
    ckpt_app.generation.greedy = False  # the sampling fields show
    frames(ckpt_app, fbo, 3)
    yield ckpt_app
    i18n.set_language("en")


def _type_into(app, fbo, field: str, text: str, mods: int = 0) -> None:
    """Click the field (a slider: with Ctrl, as Ctrl+click), select what it holds, type `text`, Enter."""
    x0, y0, x1, y1 = app.panel.generation.rects[field]
    x, y = x0 + 20, (y0 + y1) / 2  # the field's left end: clear of an integer's - and + buttons
    app.mouse_move(x, y)
    frames(app, fbo, 1)
    if mods & MOD_CONTROL:
        app.key(KEY_LEFT_CONTROL, True, 0)  # X11 reports Ctrl's own press without Ctrl held
    app.mouse_press(x, y, LEFT, mods)
    frames(app, fbo, 2)  # (imgui takes a button that follows a modifier's change a frame later)
    app.mouse_release(x, y, LEFT, mods)
    if mods & MOD_CONTROL:
        app.key(KEY_LEFT_CONTROL, False, MOD_CONTROL)
    frames(app, fbo, 2)
    app.key(KEY_LEFT_CONTROL, True, 0)  # Ctrl+A: select what the field holds
    app.key(KEY_A, True, MOD_CONTROL)
    app.key(KEY_A, False, MOD_CONTROL)
    app.key(KEY_LEFT_CONTROL, False, MOD_CONTROL)
    frames(app, fbo, 2)
    for ch in text:  # as a window sends a typed character: its key (no modifier held), then the character
        key = _GLFW_KEYS.get(ch, ord(ch.upper()))
        app.key(key, True, 0)
        app.char(ord(ch))
        app.key(key, False, 0)
    frames(app, fbo, 3 * len(text))  # (imgui takes one change of a key a frame)
    app.key(KEY_ENTER, True)
    app.key(KEY_ENTER, False)
    frames(app, fbo, 2)


def test_ctrl_click_on_a_slider_types_its_value(sampling_app, fbo):
    """The window's mouse press carries Ctrl, but imgui was only told of modifiers with keys: a Ctrl+click
    on the temperature moved the slider to the pointer, and the digits typed went nowhere. The value taken
    is the decimal typed."""
    app = sampling_app
    controls = app.generation
    _type_into(app, fbo, "temperature", "0.35", MOD_CONTROL)
    _type_into(app, fbo, "top_p", "0.8", MOD_CONTROL)
    # The decimals typed, not imgui's float32 of them (0.349999994): what `glviz generate --temperature
    # 0.35 --top-p 0.8` takes, for the same draws from the same seed.
    assert (controls.sampling.temperature, controls.sampling.top_p) == (0.35, 0.8)
    assert controls.refusal is None


@pytest.mark.parametrize(("field", "typed", "mods"), [
    ("temperature", "-1", MOD_CONTROL), ("temperature", "nan", MOD_CONTROL), ("top_p", "0", MOD_CONTROL),
    ("top_p", "1.5", MOD_CONTROL), ("seed", "-3", 0), ("top_k", "-2", 0)])
def test_a_setting_that_means_nothing_is_refused_and_said_in_the_panels_language(sampling_app, fbo, field,
                                                                                 typed, mods):
    """A negative temperature sampled the least likely tokens; a top-p of 0 or a NaN made the candidates NaN
    and the worker fail; a negative seed or top-k became 0 without a word."""
    app = sampling_app
    controls = app.generation
    before = getattr(controls, field)
    _type_into(app, fbo, field, typed, mods)
    assert getattr(controls, field) == before
    refusal = controls.refusal
    assert refusal is not None and refusal.key == f"generate.refused_{field}"
    english, japanese = refusal.text("en"), refusal.text("ja")
    shown = typed.replace("-", "−").replace("nan", "NaN")
    assert shown in english and shown in japanese and english != japanese
    i18n.set_language("ja")
    frames(app, fbo, 1)
    assert str(controls.refusal) == japanese  # the panel writes it in the language it speaks now
    # Generation goes on with the kept settings, and the candidates are probabilities.
    ids, probs = controls.candidates()
    assert np.all(np.isfinite(probs)) and probs[0] > 0 and len(ids) == len(probs)
    T = app.view.trace.T
    controls.generate(2)
    settled(app, fbo)
    assert app.view.trace.T == T + 2 and controls.error == ""
    _type_into(app, fbo, field, "1", mods)  # a value that means something is taken, and the line goes
    assert getattr(controls, field) == 1 and controls.refusal is None



def test_the_candidates_are_only_the_tokens_sampling_can_draw(sampling_app, fbo):
    """With top-k 3 the list showed the three and seven more tokens at 0%, in no order that meant anything.
    The candidates now are the three, with the model's probabilities renormalised over them (temperature 1),
    computed here from the trace's own probabilities."""
    app = sampling_app
    controls = app.generation
    _type_into(app, fbo, "top_k", "3")
    assert controls.top_k == 3 and controls.refusal is None
    T = app.view.trace.T
    probs = np.asarray(app.view.trace.snapshot()["probs"], dtype=np.float64)[T - 1]  # (V,)
    kept = np.argsort(-probs, kind="stable")[:3]
    ids, shown = controls.candidates()
    assert ids.tolist() == kept.tolist()
    np.testing.assert_allclose(shown, probs[kept] / probs[kept].sum(), rtol=1e-4)
    frames(app, fbo, 2)
    assert len(app.panel.generation.candidate_rects) == 3  # one bar for each, none at 0%
