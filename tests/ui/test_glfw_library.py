"""pyGLFW pointed at its own wheel's library before the window opens (no version-checking subprocess), and
a user's own choice left alone. Each case runs in a fresh interpreter: glfw loads its library once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, os, subprocess
started = []
class Recorded(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        started.append(args)
        super().__init__(*args, **kwargs)
subprocess.Popen = Recorded
import glviz.ui.window as window
window.use_bundled_glfw()
chosen = os.environ.get("PYGLFW_LIBRARY")
try:
    import glfw.library
    loaded = glfw.library.glfw._name
except ImportError:  # pyGLFW could not load the library it was given
    loaded = None
print(json.dumps({"chosen": chosen, "loaded": loaded, "subprocesses": len(started)}))
"""


def probe(script: str = PROBE, **env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYGLFW_")}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the wheel's variants are Linux's")
def test_the_wheels_library_is_loaded_without_a_version_subprocess():
    found = probe()
    assert found["chosen"] is not None and found["chosen"].endswith(os.path.join("x11", "libglfw.so"))
    assert found["loaded"] == found["chosen"]
    assert found["subprocesses"] == 0  # pyGLFW's own search checks each library's version in a subprocess


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the search is checked on Linux")
def test_the_probe_sees_pyglfws_version_subprocess():
    """Without the call, pyGLFW searches and starts its version check (what the first test shows is gone)."""
    assert probe(PROBE.replace("window.use_bundled_glfw()", ""))["subprocesses"] >= 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the wheel's variants are Linux's")
def test_the_wayland_variant_follows_the_session():
    found = probe(XDG_SESSION_TYPE="wayland")
    assert found["chosen"].endswith(os.path.join("wayland", "libglfw.so"))


def test_a_library_the_user_chose_is_kept(tmp_path):
    missing = str(tmp_path / "my-libglfw.so")
    found = probe(PYGLFW_LIBRARY=missing)
    assert found["chosen"] == missing
    assert found["loaded"] is None  # pyGLFW tried the user's file (absent here) and nothing else
    assert found["subprocesses"] == 0
