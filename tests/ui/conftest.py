"""Fixtures for the ui tests: a fresh imgui context per test (the EGL context is in tests/conftest.py)."""

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
def no_error_inside_a_frame(request, monkeypatch):
    """Fail a test in which a frame of any GlvizApp caught an error: the app shows such errors in its panel
    and lives on, so without this a bug in drawing would pass unseen. Tests of that catch are marked
    `frame_errors_expected`."""
    from glviz.ui.app import GlvizApp

    caught: list[str] = []
    report = GlvizApp._report

    def recording(self, exc: Exception) -> None:
        caught.append(f"{type(exc).__name__}: {exc}")
        report(self, exc)

    monkeypatch.setattr(GlvizApp, "_report", recording)
    yield
    if caught and request.node.get_closest_marker("frame_errors_expected") is None:
        pytest.fail(f"an error inside a frame: {caught[0]}")


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
