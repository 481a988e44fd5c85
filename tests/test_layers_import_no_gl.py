"""The model, the layout, the scene state and the tour are plain Python and numpy: importing them (the tour's
every chapter included) loads no GL, window or imgui module."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("moderngl", "moderngl_window", "glfw", "glcontext", "imgui_bundle", "pyglet", "OpenGL")
PACKAGES = ("glviz.model", "glviz.layout", "glviz.scene", "glviz.walkthrough")


def test_importing_the_gl_free_layers_loads_no_gl_window_or_imgui_module():
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {PACKAGES!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(getattr(module, '__path__', []), name + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "from glviz.walkthrough.chapters import CHAPTERS\n"
        "print(len(CHAPTERS))\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print('LOADED', loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "LOADED []" in out.stdout, out.stdout
    assert int(out.stdout.split()[0]) >= 3  # the chapters were imported too
