"""Fixtures for the ui tests: a fresh imgui context per test, the headless app, a small checkpoint opened in
it, nano's trace for the hover tests (the EGL context is in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def imgui_ctx():
    """A fresh imgui context that does not read or write imgui.ini."""
    from imgui_bundle import imgui

    context = imgui.create_context()
    imgui.get_io().set_ini_filename("")
    yield context
    imgui.destroy_context(context)


W, H = 1280, 800  # the headless app's window size


@pytest.fixture(autouse=True)
def no_bug_caught_by_the_app(request):
    """Fail a test in which the app caught a bug and lived on: an error inside a frame, in a trace worker's
    job or in a block's statistics is shown in the panel and logged with its traceback (logger "glviz"), so
    without this it would pass unseen. Tests of those catches are marked `app_errors_expected`."""
    import logging

    caught: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info is not None:
                caught.append(f"{record.getMessage()}: {record.exc_info[1]!r}")

    recorder = Recorder(logging.ERROR)
    logger = logging.getLogger("glviz")
    logger.addHandler(recorder)
    try:
        yield
    finally:
        logger.removeHandler(recorder)
    if caught and request.node.get_closest_marker("app_errors_expected") is None:
        pytest.fail(f"the app caught a bug: {caught[0]}")


@pytest.fixture(scope="module")
def fbo(gl_ctx):
    """A framebuffer of the headless app's window size."""
    return gl_ctx.simple_framebuffer((W, H))


@pytest.fixture
def app(gl_ctx, fbo, tmp_path):
    """A headless GlvizApp in free exploration (no tour), one frame drawn; screenshots go to tmp_path."""
    from glviz.ui.app import GlvizApp

    application = GlvizApp(gl_ctx, size=(W, H), screenshot_dir=tmp_path)
    application.frame(fbo, dt=0.016)
    yield application
    application.release()


@pytest.fixture
def make_app(gl_ctx, tmp_path):
    """Make headless GlvizApps on the tour (first launch: a state file of their own under tmp_path), any
    option overridden; released, and the language put back to English, after the test."""
    from glviz.ui.app import GlvizApp

    made = []

    def make(**options):
        options.setdefault("state_path", tmp_path / "config" / "glviz" / "tour.json")
        options.setdefault("tour", True)
        options.setdefault("lang", "en")
        app = GlvizApp(gl_ctx, size=(W, H), screenshot_dir=tmp_path, **options)
        made.append(app)
        return app

    yield make
    for app in made:
        app.release()
    from glviz import i18n

    i18n.set_language("en")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small random GPT-2 checkpoint with a tokenizer (checkpoint_helpers.SMALL), one per module."""
    from checkpoint_helpers import checkpoint

    return checkpoint(tmp_path_factory.mktemp("ckpt") / "small", seed=5)


@pytest.fixture
def ckpt_app(app, fbo, small):
    """The headless app with `small` opened and loaded."""
    from checkpoint_helpers import loaded

    app.open_checkpoint(small)
    loaded(app, fbo)
    return app


@pytest.fixture(scope="module")
def nano():
    """The nano layout and a trace of random (non-trivial) weights on an 11-token sequence (hover tests)."""
    import numpy as np

    from glviz.layout.build import build_layout
    from glviz.model.config import PRESETS
    from glviz.model.forward import Trace
    from glviz.model.weights import random_weights

    config = PRESETS["nano"]
    weights = random_weights(config, seed=3, std=0.3)
    tokens = np.array([2, 1, 0, 1, 1, 2, 0, 1, 1, 1, 2])
    return build_layout(config), Trace(weights, tokens)
