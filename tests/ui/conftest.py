"""Fixtures for the ui tests: a fresh imgui context per test (the EGL context is in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def imgui_ctx():
    """A fresh imgui context that does not read or write imgui.ini."""
    from imgui_bundle import imgui

    context = imgui.create_context()
    imgui.get_io().set_ini_filename("")
    yield context
    imgui.destroy_context(context)
