"""Fixtures for the ui tests: one standalone EGL context for the session, a fresh imgui context per test."""

from __future__ import annotations

import os

import pytest


def _missing(what: str) -> None:
    """Skip locally, fail on CI (a missing EGL or Xvfb there is a broken machine, not an optional feature)."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required on CI")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def gl_ctx():
    """A moderngl context on Mesa's EGL (llvmpipe when there is no GPU)."""
    import moderngl

    try:
        ctx = moderngl.create_context(standalone=True, backend="egl")
    except Exception as exc:  # noqa: BLE001 - any failure here means "no EGL"
        _missing(f"an EGL OpenGL 3.3 context ({exc})")
    yield ctx
    ctx.release()


@pytest.fixture
def imgui_ctx():
    """A fresh imgui context that does not read or write imgui.ini."""
    from imgui_bundle import imgui

    context = imgui.create_context()
    imgui.get_io().set_ini_filename("")
    yield context
    imgui.destroy_context(context)


@pytest.fixture(scope="session")
def require():
    """`require("Xvfb")`: skip (fail on CI) when an executable is missing."""
    import shutil

    def _require(*names: str) -> None:
        for name in names:
            if shutil.which(name) is None:
                _missing(name)

    return _require
