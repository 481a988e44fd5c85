"""Fixtures shared by the whole suite: one standalone EGL context for the run, and required tools.

Where CI is set, a missing EGL context or tool is a failure (a broken machine), elsewhere a skip.
"""

from __future__ import annotations

import os
import shutil

import pytest

from glviz.ui import imgui_native

# The suite draws with imgui-bundle as the app does: its native imgui and implot alone (ui/imgui_native.py).
imgui_native.install()


def missing(what: str) -> None:
    """Skip locally, fail on CI: a missing EGL or Xvfb there is a broken machine, not an optional feature."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required on CI")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def gl_ctx():
    """A moderngl OpenGL 3.3 context through EGL (Mesa's llvmpipe without a GPU), shared by every GL test."""
    from glviz.errors import GlvizError
    from glviz.render.context import create_standalone_context

    try:
        ctx = create_standalone_context()
    except GlvizError as exc:
        missing(f"an EGL OpenGL 3.3 context ({exc})")
    yield ctx
    ctx.release()


@pytest.fixture(scope="session")
def require():
    """`require("Xvfb", "xdotool")`: skip (fail on CI) when an executable is missing."""

    def _require(*names: str) -> None:
        for name in names:
            if shutil.which(name) is None:
                missing(name)

    return _require
