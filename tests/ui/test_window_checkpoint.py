"""`glviz app --weights DIR` in a real window under Xvfb: the checkpoint opens from the command line (loaded
in the background, the title names it), and a screenshot shows its values in 3D and its prompt."""

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
            window = _xdotool(xvfb, "search", "--sync", "--name", "^glviz", timeout=60).splitlines()[0]
            deadline = time.monotonic() + 60
            while _xdotool(xvfb, "getwindowname", window) != "glviz — tiny-gpt2":
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "the checkpoint did not come on screen"
                time.sleep(0.2)
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
