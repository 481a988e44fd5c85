"""The app lives on: an error inside a frame is shown in the panel and logged, a failed model build keeps the
model on screen, screenshots go to the pictures folder."""

from __future__ import annotations

from pathlib import Path

import pytest

W, H = 1280, 800  # the app fixture's window (conftest.py)


@pytest.mark.app_errors_expected
def test_an_error_inside_a_frame_is_shown_and_the_app_lives_on(app, fbo, gl_ctx, caplog):
    class Broken:
        def draw(self, app):
            raise ZeroDivisionError("a bug in a panel section")

    working = app.panel.letters
    app.panel.letters = Broken()
    for _ in range(3):  # an error repeating every frame is reported once
        assert app.frame(fbo, dt=0.016) is True
    assert sum("a bug in a panel section" in m for m in app.messages) == 1
    assert "ZeroDivisionError" in app.messages[-1]
    assert any("error inside a frame" in r.message for r in caplog.records)
    app.panel.letters = working  # imgui recovered the window left open: frames draw normally again
    assert app.frame(fbo, dt=0.016) is True
    assert gl_ctx.error == "GL_NO_ERROR"
    app.set_input("AAABBB")
    assert app.letters == "AAABBB"


def test_a_model_build_that_fails_on_the_main_thread_keeps_the_model_on_screen(app, fbo):
    """The GL half of a background build (textures for the layout) fails: message, nano stays."""
    import threading

    from glviz.ui.models import _Build

    done = threading.Thread(target=lambda: None)
    done.start()
    done.join()
    app.models.requested = "gpt2"
    app.models._build = _Build("gpt2", 0.0, done, {"layout": object()})  # not a layout: set_layout raises
    app.frame(fbo, dt=0.016)
    assert app.model_name == "nano" and app.models.requested == "nano"
    assert "gpt2" in app.messages[-1]
    assert app.building is None  # not retried forever


def test_the_last_model_asked_for_is_the_one_on_screen(app, fbo):
    """3 then 1 quickly: GPT-2 XL builds in the background, but nano, asked for last, stays."""
    from glviz.ui.controls import KEY_1

    app.key(KEY_1 + 2, True)  # GPT-2 XL: builds in the background
    assert app.building is not None
    app.key(KEY_1, True)  # nano, already built
    assert app.model_name == "nano"
    while app.building is not None:
        app.frame(fbo, dt=0.016)
    app.frame(fbo, dt=0.016)
    assert app.model_name == "nano"
    assert "gpt2-xl" in app.models.views  # built, kept for later: switching to it is now instant
    app.switch_model("gpt2-xl")
    assert app.model_name == "gpt2-xl" and app.building is None


def test_screenshots_go_to_the_pictures_folder(tmp_path):
    from glviz.ui.screenshots import pictures_dir

    home = tmp_path / "home"
    assert pictures_dir({}, home) == home / "Pictures" / "glviz"
    assert pictures_dir({"XDG_PICTURES_DIR": "/data/pics"}, home) == Path("/data/pics/glviz")
    config = tmp_path / "config"
    config.mkdir()
    dirs = 'XDG_DESKTOP_DIR="$HOME/Desktop"\nXDG_PICTURES_DIR="$HOME/Bilder"\n'
    (config / "user-dirs.dirs").write_text(dirs)
    assert pictures_dir({"XDG_CONFIG_HOME": str(config)}, home) == home / "Bilder" / "glviz"


def test_p_into_a_folder_that_cannot_be_made_says_why(gl_ctx, fbo, tmp_path):
    from glviz.ui.app import GlvizApp
    from glviz.ui.controls import KEY_P

    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    app = GlvizApp(gl_ctx, size=(W, H), screenshot_dir=blocker / "glviz")
    try:
        app.key(KEY_P, True)
        app.frame(fbo, dt=0.016)
        assert "not saved" in app.messages[-1] and str(blocker / "glviz") in app.messages[-1]
    finally:
        app.release()
