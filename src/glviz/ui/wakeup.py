"""Waking the window's event loop from a background thread, when something it should show has come: a trace
worker's token or finished request, a checkpoint's load, a hovered block's statistics.

While work runs in the background the loop sleeps in glfw's `wait_events_timeout`, looking every 50 ms
(ui/window.py); woken when the work publishes, it draws it at once instead of up to 50 ms later (a Next token
at T = 128 takes ~0.1 s to show; the poll added 25 ms to that on average). Threads call `wake()`; the window
sets what wakes it (glfw's `post_empty_event`, which any thread may call) for as long as it lives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

_waker: Callable[[], None] | None = None


def set_waker(waker: Callable[[], None] | None) -> None:
    """What `wake()` calls from now on (None: nothing, e.g. headless or once the window is gone)."""
    global _waker
    _waker = waker


def wake() -> None:
    """Wake the window's loop, if there is one; from any thread (a window closing meanwhile is no error)."""
    waker = _waker
    if waker is None:
        return
    try:
        waker()
    except Exception:  # glfw ended under the thread (the window closed): nothing to wake
        logging.getLogger("glviz").debug("wake: no window to wake", exc_info=True)
