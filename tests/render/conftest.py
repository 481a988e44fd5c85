"""Fixtures of the render tests: offscreen renderers on the suite's EGL context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

OFFSCREEN_SIZE = (240, 160)


@contextmanager
def rendering(gl_ctx, size: tuple[int, int]) -> Iterator:
    """An OffscreenRenderer of `size`, released with its frame (its value stores hold up to a budget of
    GPU memory) however the block ends; a block that ends normally must leave no GL error."""
    from glviz.render.offscreen import OffscreenRenderer

    renderer = OffscreenRenderer(size, ctx=gl_ctx)
    try:
        yield renderer
    finally:
        renderer.frame.release()
        renderer.release()
    assert gl_ctx.error == "GL_NO_ERROR"


def renderer_on(gl_ctx, size: tuple[int, int]):
    """`rendering` as a fixture's body: `yield from renderer_on(gl_ctx, size)`."""
    with rendering(gl_ctx, size) as renderer:
        yield renderer


@pytest.fixture
def offscreen(request, gl_ctx):
    """An OffscreenRenderer of the test module's OFFSCREEN_SIZE, 240 x 160 where it names none."""
    yield from renderer_on(gl_ctx, getattr(request.module, "OFFSCREEN_SIZE", OFFSCREEN_SIZE))
