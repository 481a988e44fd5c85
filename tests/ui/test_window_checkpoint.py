"""`glviz app --weights DIR` in a real window under Xvfb: the checkpoint opens from the command line (loaded
in the background, the title names it), and a screenshot shows its values in 3D and its prompt; the next
launch comes back to it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from checkpoint_helpers import checkpoint
from PIL import Image
from test_window import HEIGHT, PANEL, WIDTH, _settle, _xdotool, x_screenshot, xvfb  # noqa: F401

pytestmark = [pytest.mark.window, pytest.mark.slow]


def _wait_for_title(display: str, process, title: str, log_path) -> str:
    """The app's window, once its title is `title` (the checkpoint is on screen); fails if the app exits."""
    window = _xdotool(display, "search", "--sync", "--name", "^glviz", timeout=60).splitlines()[0]
    deadline = time.monotonic() + 60
    while _xdotool(display, "getwindowname", window) != title:
        assert process.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, f"the window's title never became {title!r}"
        time.sleep(0.2)
    return window


def test_a_checkpoint_opened_from_the_command_line(xvfb, tmp_path):  # noqa: F811 (the xvfb fixture)
    folder = checkpoint(tmp_path / "tiny-gpt2", seed=4)
    env = {**os.environ, "DISPLAY": xvfb, "XDG_PICTURES_DIR": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("GLVIZ_EXIT_AFTER_FIRST_FRAME", None)
    log_path = tmp_path / "glviz.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "glviz", "app", "--weights", str(folder),
                                    "--size", f"{WIDTH}x{HEIGHT}"], env=env, cwd=tmp_path, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            _wait_for_title(xvfb, process, "glviz — tiny-gpt2", log_path)
            _xdotool(xvfb, "mousemove", "5", str(HEIGHT - 5))
            shot = _settle(xvfb)
            Image.fromarray(shot).save(tmp_path / "checkpoint-window.png")
            view, panel = shot[:, : WIDTH - PANEL], shot[:, WIDTH - PANEL :]
            assert view.std() > 5, "the 3D view is blank"
            assert panel.std() > 5, "the panel is blank"
            # Values, not only block colours: the cells of a checkpoint's blocks vary (orange/grey/purple).
            colours = np.unique(view.reshape(-1, 3) // 16, axis=0)
            assert len(colours) > 40, len(colours)
            assert process.poll() is None, log_path.read_text()
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert "Traceback" not in log_path.read_text()


def test_the_next_launch_comes_back_to_the_checkpoint_and_its_prompt(xvfb, tmp_path):  # noqa: F811
    """A real launch with the state a previous one left (free exploring a checkpoint, its prompt's tokens,
    nano's letters): nano's first frame, then the checkpoint loads and comes on screen; Ctrl+Q keeps it."""
    import json

    folder = checkpoint(tmp_path / "tiny-gpt2", seed=4)
    config = tmp_path / "glviz"
    config.mkdir()
    place = {"version": 1, "chapter": "softmax", "t": 0.0, "lang": "en", "follow_camera": True,
             "touring": False}
    (config / "tour.json").write_text(json.dumps(place))
    session = {"version": 1, "letters": "AACCBA", "model": "checkpoint", "checkpoint": str(folder),
               "tokens": [17, 3, 250, 99, 42]}
    (config / "session.json").write_text(json.dumps(session))
    env = {**os.environ, "DISPLAY": xvfb, "XDG_PICTURES_DIR": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("GLVIZ_EXIT_AFTER_FIRST_FRAME", None)
    log_path = tmp_path / "glviz.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "glviz", "app", "--size", f"{WIDTH}x{HEIGHT}"],
                                   env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_title(xvfb, process, "glviz — tiny-gpt2", log_path)
            shot = _settle(xvfb)
            assert shot[:, : WIDTH - PANEL].std() > 5, "the 3D view is blank"
            # The app quits on the key press: xdotool's key release may find the window gone (its status).
            subprocess.run(["xdotool", "key", "ctrl+q"], env={**os.environ, "DISPLAY": xvfb},
                           capture_output=True, timeout=30)
            assert process.wait(timeout=20) == 0, log_path.read_text()
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
    assert "Traceback" not in log_path.read_text()
    assert json.loads((config / "session.json").read_text()) == session  # as it was: nothing lost
    assert json.loads((config / "tour.json").read_text())["chapter"] == "softmax"
