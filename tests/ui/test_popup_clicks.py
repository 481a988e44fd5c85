"""A double-click on a row of a popup list (the model selector's): the first click chooses and closes the
list, and the later clicks of the run go nowhere. They used to land on whatever lay beneath the closed list:
a double-click on GPT-2 XL also opened "Open checkpoint…", whose header is under that row."""

from __future__ import annotations

import time

from checkpoint_helpers import click, frames, quick_clicks, until  # tests/ui/


def _choose(app, fbo, model: str, clicks: int, stall: float = 0.0) -> None:
    frames(app, fbo, 3)
    picker = app.panel.picker
    click(app, fbo, picker.rect)  # the list opens under the selector
    frames(app, fbo)  # (placed in its first frame, shown in the next)
    assert model in picker.choice_rects, picker.choice_rects
    row = picker.choice_rects[model]
    quick_clicks(app, fbo, row, clicks, stall)
    until(app, fbo, lambda: app.building is None)


def test_a_double_or_triple_click_on_a_model_only_chooses_it(app, fbo):
    for model, clicks in (("gpt2-xl", 2), ("gpt2", 3), ("gpt2-xl", 2)):
        _choose(app, fbo, model, clicks)
        assert app.model_name == model
        assert "path" not in app.panel.open.rects, f"Open checkpoint… opened by the clicks on {model}"


def test_a_double_click_whose_second_press_waited_behind_a_slow_frame_only_chooses(app, fbo):
    """On a busy machine the frame after the first click (the choice starts a build) can take longer than
    the double-click time. The second press, queued during it and handled after it, may have come right
    after the first: it still goes nowhere (it was timed by its handling and opened "Open checkpoint…")."""
    _choose(app, fbo, "gpt2-xl", 2, stall=0.5)
    assert app.model_name == "gpt2-xl"
    assert "path" not in app.panel.open.rects, "Open checkpoint… opened by the second click"


def test_a_single_click_elsewhere_still_acts_after_a_choice(app, fbo):
    """Only the run's later clicks are dropped: the next click on the header, later, opens it."""
    _choose(app, fbo, "gpt2-xl", 1)
    app.frame(fbo, dt=0.5)  # past the double-click time, for imgui and for the window's clock
    time.sleep(0.4)
    click(app, fbo, app.panel.open.rects["header"])
    frames(app, fbo)
    assert "path" in app.panel.open.rects
