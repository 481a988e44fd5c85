"""Where shaders and shipped models live: package data in a wheel, the repository's top level if editable."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[2]


@functools.cache  # (importlib.resources' lookup, ~0.25 ms a call: a first frame reads 18 shaders)
def _resource_dir(name: str) -> Path:
    packaged = Path(str(resources.files("glviz"))) / name
    if packaged.is_dir():
        return packaged
    return _REPO_ROOT / name


def shader_path(name: str) -> Path:
    """Path of a GLSL file under shaders/."""
    return _resource_dir("shaders") / name


@functools.cache  # (the same sources are read by several renderers and passes)
def read_shader(name: str) -> str:
    """Source text of a GLSL file under shaders/, with its `#include "file.glsl"` lines replaced by those
    files (GLSL has no includes; the cell colours are shared by several shaders)."""
    lines = []
    for line in shader_path(name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#include "):
            lines.append(read_shader(line.split(None, 1)[1].strip().strip('"')))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def with_define(source: str, name: str, value) -> str:
    """GLSL `source` with `#define name value` after its #version line (a variant compiled for one use)."""
    first, _, rest = source.partition("\n")
    return f"{first}\n#define {name} {value}\n{rest}"


def with_defines(source: str, defines: dict[str, object]) -> str:
    """GLSL `source` with `#define name value` for each of `defines` after its #version line."""
    for name, value in defines.items():
        source = with_define(source, name, value)
    return source


def model_path(name: str) -> Path:
    """Path of a shipped model file under models/ (e.g. nano-sort.npz)."""
    return _resource_dir("models") / name
