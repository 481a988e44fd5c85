"""The app's preload: modules imported on another thread, and a failing import raised where it always was."""

from __future__ import annotations

import importlib
import sys
import threading

import pytest

from glviz.ui.preload import APP_MODULES, Preload


@pytest.fixture
def modules_dir(tmp_path, monkeypatch):
    """A folder on sys.path for modules written by the test (and forgotten after it)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("preload_probe")]:
        del sys.modules[name]


def test_modules_are_imported_on_another_thread(modules_dir):
    (modules_dir / "preload_probe_a.py").write_text(
        "import threading\nTHREAD = threading.current_thread().name\n")
    (modules_dir / "preload_probe_b.py").write_text("import preload_probe_a\nVALUE = 42\n")
    preload = Preload(("preload_probe_b",))
    preload.wait()
    assert sys.modules["preload_probe_b"].VALUE == 42
    assert sys.modules["preload_probe_a"].THREAD != threading.current_thread().name


def test_a_failing_import_is_raised_by_the_main_threads_import(modules_dir):
    (modules_dir / "preload_probe_bad.py").write_text("raise ValueError('broken on purpose')\n")
    (modules_dir / "preload_probe_after.py").write_text("VALUE = 1\n")
    preload = Preload(("preload_probe_bad", "preload_probe_after"))
    preload.wait()  # returns: the error is not the preload's to report
    assert "preload_probe_bad" not in sys.modules
    with pytest.raises(ValueError, match="broken on purpose"):
        importlib.import_module("preload_probe_bad")


def test_the_app_modules_exist():
    """Every name the app preloads is a module that imports (a renamed module would be preloaded in vain)."""
    for name in APP_MODULES:
        assert importlib.import_module(name) is not None
