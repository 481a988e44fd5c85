"""Fixtures for the render tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def render_ctx(gl_ctx):
    """The suite's shared EGL context (tests/conftest.py)."""
    return gl_ctx
