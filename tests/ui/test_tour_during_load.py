"""T (the tour) pressed while a checkpoint loads, headless on EGL. From a preset, entering the tour cancelled
the load without a word; from nano, the load ended by throwing the learner out of the tour. It now goes on
beside the tour (its bar and Cancel in the tour's tab), is kept, not shown, when done, with a line saying so,
and leaving the tour goes to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from checkpoint_helpers import checkpoint, click, frames, loaded

from glviz import i18n
from glviz.ui.controls import KEY_T


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tour-load")
    broken = checkpoint(root / "broken", seed=3)
    (broken / "model.safetensors").write_bytes((broken / "model.safetensors").read_bytes()[:200])
    return {"alpha": checkpoint(root / "alpha", seed=1), "broken": broken}


@pytest.fixture
def held(monkeypatch):
    """Holds every checkpoint load at its first tensor until the test sets the event, as a long load (GPT-2:
    seconds) would be still running; the load itself is the real one."""
    import threading

    from glviz.ui.loading import CheckpointLoad

    gate = threading.Event()
    read = CheckpointLoad._progress

    def held_progress(load, done: int, total: int) -> None:
        gate.wait(30)
        read(load, done, total)

    monkeypatch.setattr(CheckpointLoad, "_progress", held_progress)
    yield gate
    gate.set()


def _press_t(app, fbo) -> None:
    app.key(KEY_T, True)
    app.key(KEY_T, False)
    frames(app, fbo)


def _checkpoint_shown(app, folder: Path) -> bool:
    return app.view.is_checkpoint and app.view.path.resolve() == folder.resolve()


@pytest.mark.parametrize("start", ["nano", "gpt2"])
def test_the_tour_opens_beside_a_load_and_leaving_it_shows_the_checkpoint(app, fbo, folders, held, start):
    app.switch_model(start, wait=True)
    app.open_checkpoint(folders["alpha"])
    load = app.loading
    _press_t(app, fbo)
    assert app.tour.touring and app.model_name == "nano"
    assert app.loading is load and not load.cancelled.is_set()  # not cancelled (from a preset it was)
    held.set()
    loaded(app, fbo)
    frames(app, fbo, 3)
    # The tour is still on screen (from nano, the checkpoint took the screen and ended the tour).
    assert app.tour.touring and app.model_name == "nano" and not load.cancelled.is_set()
    kept = app.models.checkpoint
    assert kept is not None and kept.path.resolve() == folders["alpha"].resolve()
    assert app.message_shown == i18n.tr("checkpoint.ready_beside_tour", name="alpha")
    _press_t(app, fbo)
    assert not app.tour.touring and _checkpoint_shown(app, folders["alpha"])
    assert app.message_shown is None  # the line about it goes once it is on screen


def test_leaving_the_tour_before_the_load_ends_shows_it_when_done(app, fbo, folders, held):
    app.switch_model("gpt2", wait=True)
    app.open_checkpoint(folders["alpha"])
    _press_t(app, fbo)
    _press_t(app, fbo)  # back before the load is done: it is what was asked for
    assert not app.tour.touring and app.loading is not None
    held.set()
    loaded(app, fbo)
    assert _checkpoint_shown(app, folders["alpha"]) and not app.tour.touring


def test_the_tour_tab_shows_the_loads_cancel_and_it_stays_in_the_tour(app, fbo, folders, held):
    app.switch_model("gpt2", wait=True)
    app.open_checkpoint(folders["alpha"])
    load = app.loading
    _press_t(app, fbo)
    assert app.tour.touring and app.loading is load
    assert app.panel.cancel_rect is not None  # its bar and Cancel, drawn in the tour's tab
    click(app, fbo, app.panel.cancel_rect)
    assert load.cancelled.is_set() and app.loading is None
    held.set()
    load.join()
    frames(app, fbo, 3)
    assert app.tour.touring and app.model_name == "nano" and app.models.checkpoint is None
    _press_t(app, fbo)
    assert not app.tour.touring and app.model_name == "nano"


def test_stepping_nano_from_the_tour_stops_the_load_and_says_so(app, fbo, folders, held):
    """Next token on nano with the tour on screen stays on nano: a load going on beside the tour is then not
    wanted, and is stopped with a line in the panel rather than silently."""
    app.open_checkpoint(folders["alpha"])
    load = app.loading
    _press_t(app, fbo)
    app.generation.next_token()
    assert load.cancelled.is_set() and app.loading is None
    assert app.message_shown == i18n.tr("checkpoint.load_stopped", name="alpha")
    held.set()
    load.join()
    frames(app, fbo, 3)
    assert not app.tour.touring and app.model_name == "nano" and app.models.checkpoint is None


def test_a_load_failing_beside_the_tour_is_said_and_the_tour_stays(app, fbo, folders, held):
    app.switch_model("gpt2", wait=True)
    app.open_checkpoint(folders["broken"])
    _press_t(app, fbo)
    held.set()
    loaded(app, fbo)
    assert app.tour.touring and app.model_name == "nano"
    assert app.message_shown.startswith("glviz: error: ")
    _press_t(app, fbo)
    assert not app.tour.touring and app.model_name == "nano"
