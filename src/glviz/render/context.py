"""OpenGL contexts: a standalone (headless) EGL context for rendering to images and for tests.

Window contexts come from moderngl-window in the app; this module only makes the offscreen one and checks that
OpenGL 3.3 core is really there, turning every failure into one GlvizError line.
"""

from __future__ import annotations

import moderngl

from glviz.errors import GlvizError

REQUIRED_VERSION = 330


def check_version(ctx: moderngl.Context) -> None:
    """GlvizError unless `ctx` offers OpenGL 3.3 or newer."""
    if ctx.version_code < REQUIRED_VERSION:
        renderer = ctx.info.get("GL_RENDERER", "unknown renderer")
        offered = ctx.version_code / 100
        raise GlvizError("error.gl.version", offered=f"{offered:.1f}", renderer=renderer)


def create_standalone_context() -> moderngl.Context:
    """A headless OpenGL 3.3 core context through EGL (Mesa llvmpipe works without a GPU)."""
    try:
        ctx = moderngl.create_context(standalone=True, backend="egl", require=REQUIRED_VERSION)
    except Exception as exc:  # moderngl/glcontext raise plain Exceptions with the EGL reason
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise GlvizError("error.gl.no_egl", reason=reason) from None
    check_version(ctx)
    return ctx


def renderer_name(ctx: moderngl.Context) -> str:
    """The GL renderer string, e.g. 'llvmpipe (LLVM 15.0.6, 256 bits)'."""
    return str(ctx.info.get("GL_RENDERER", "unknown"))
