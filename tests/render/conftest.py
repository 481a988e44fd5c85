"""Fixtures for the render tests: one standalone EGL context for the whole session."""

from __future__ import annotations

import os

import pytest


def missing(what: str) -> None:
    """Skip locally, fail on CI: a missing EGL there is a broken machine, not an optional feature."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required on CI")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def render_ctx():
    """A moderngl OpenGL 3.3 context through EGL (Mesa's llvmpipe without a GPU)."""
    from glviz.errors import GlvizError
    from glviz.render.context import create_standalone_context

    try:
        ctx = create_standalone_context()
    except GlvizError as exc:
        missing(f"an EGL OpenGL 3.3 context ({exc})")
    yield ctx
    ctx.release()
