"""The wheel (not the editable install) works: models and shaders travel as package data."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NANO = REPO / "models" / "nano-sort.npz"


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_sorts_letters(tmp_path: Path) -> None:
    if not NANO.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the shipped model is missing ({NANO})")
        pytest.skip(f"models/nano-sort.npz is not trained yet ({NANO}); the wheel would have no model")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
                   check=True, capture_output=True, text=True, timeout=600)
    wheels = list(dist.glob("glviz-*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
    assert "glviz/models/nano-sort.npz" in names
    assert any(n.startswith("glviz/shaders/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheels[0])],
                         capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0, pip.stderr[-3000:]

    # Run from an empty folder so nothing of the checkout can be found by accident.
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import glviz; print(glviz.__file__)"],
                           cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert str(venv) in where.stdout, where
    proc = subprocess.run([str(venv / "bin" / "glviz"), "generate", "--model", "nano", "--input", "CBABBC"],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "ABBBCC"
