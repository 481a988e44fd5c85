"""The app's modules imported on a second thread while the main thread opens the window.

Opening the glfw window (glfw's start, the X connection, the GL context: 140-160 ms here) runs in C with the
GIL released, while importing the app (imgui-bundle's extension, the panel, the renderer, the tour's
chapters: about 300 ms) is Python work that needs it: side by side, start-up is shorter by the overlap.
"""

from __future__ import annotations

import importlib
import threading

# What the app imports on its way to the first frame, some of it on first use (the forward pass). Not numpy's
# masked arrays, which `np.unique` imports on its first call: glviz.arrays.unique stands in for it.
APP_MODULES = ("glviz.ui.app", "glviz.model.forward", "zipfile",
               # and what the app imports as it makes its first view: the renderer, the nano model's file
               "glviz.render.frame", "glviz.ui.tracing", "glviz.ui.generation", "glviz.model.npz_file")


class Preload:
    """Imports `modules` on a daemon thread from construction; `wait()` returns once they are imported.

    A module whose import fails is left out of `sys.modules` by Python, so the main thread's own import of it
    raises the error again, with its traceback, where it always did.
    """

    def __init__(self, modules: tuple[str, ...] = APP_MODULES) -> None:
        self._thread = threading.Thread(target=self._run, args=(modules,), name="glviz-preload", daemon=True)
        self._thread.start()

    @staticmethod
    def _run(modules: tuple[str, ...]) -> None:
        from glviz.ui import imgui_native

        imgui_native.install()  # before anything imports imgui_bundle: its two native modules alone
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # raised again by the main thread's import (see the class)
                return

    def wait(self) -> None:
        """Block until the imports are done."""
        self._thread.join()
