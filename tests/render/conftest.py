"""Fixtures of the render tests: offscreen renderers on the suite's EGL context."""

from __future__ import annotations

import pytest

OFFSCREEN_SIZE = (240, 160)


def renderer_on(gl_ctx, size: tuple[int, int]):
    """Yield an OffscreenRenderer of `size`, then release it with its frame (its value stores hold up to a
    budget of GPU memory); the test must leave no GL error."""
    from glviz.render.offscreen import OffscreenRenderer

    renderer = OffscreenRenderer(size, ctx=gl_ctx)
    yield renderer
    renderer.frame.release()
    renderer.release()
    assert gl_ctx.error == "GL_NO_ERROR"


@pytest.fixture
def offscreen(gl_ctx):
    """A 240 x 160 OffscreenRenderer."""
    yield from renderer_on(gl_ctx, OFFSCREEN_SIZE)
