"""Model sessions: the models the app has built, the one on screen, and the ones building in the background.

A model's layout (GPT-3: 76k blocks) is built in a worker thread; its GL resources are made on the main
thread when the build is done. Whatever the user asked for last is what ends up on screen: a build that
finishes after the user moved on is kept for later, not shown.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from glviz.errors import GlvizError
from glviz.i18n import tr
from glviz.model.config import APP_MODELS, DISPLAY_NAMES, PRESETS, param_count


def require_app_model(name: str) -> None:
    """GlvizError unless the app can show `name` (a preset can also be one it does not offer)."""
    if name not in APP_MODELS:
        raise GlvizError(f"the app shows {', '.join(APP_MODELS)} ({name!r})")


@dataclass
class ModelView:
    """One model as the app shows it; kept after the first build so switching back is instant."""

    name: str
    config: object
    layout: object
    renderer: object  # FrameRenderer
    explainer: object  # HoverExplainer
    weights: object = None
    trace: object = None


@dataclass
class _Build:
    name: str
    started: float
    thread: threading.Thread
    result: dict


class ModelSessions:
    """Builds, keeps and switches between the app's models. `on_activate(view)` is called on the main thread
    whenever another model comes on screen; `on_message(text)` reports a failed build."""

    def __init__(self, ctx, on_activate, on_message, nano_weights) -> None:
        self.ctx = ctx
        self.views: dict[str, ModelView] = {}
        self.current: ModelView | None = None
        self.requested: str | None = None  # what the user asked for last
        self._build: _Build | None = None
        self._on_activate = on_activate
        self._on_message = on_message
        self._nano_weights = nano_weights

    # --- queries -------------------------------------------------------------------------------------------
    @property
    def building(self) -> tuple[str, float] | None:
        """(display name, seconds so far) of a model whose layout builds in the background."""
        if self._build is None:
            return None
        return DISPLAY_NAMES.get(self._build.name, self._build.name), time.monotonic() - self._build.started

    def choices(self) -> list[tuple[str, str, int]]:
        """(name, display name, parameter count) per selectable model."""
        out = []
        for name in APP_MODELS:
            label = DISPLAY_NAMES.get(name, name)
            if name == "gpt3":
                label = tr("models.render_only_name", name=label)
            out.append((name, label, param_count(PRESETS[name])))
        return out

    # --- switching -----------------------------------------------------------------------------------------
    def open_first(self, name: str) -> None:
        """Build `name` on this thread and show it (start-up)."""
        require_app_model(name)
        self.requested = name
        self._show(self._make_view(name, self._layout_of(name)))

    def switch(self, name: str, wait: bool = False) -> None:
        """Show another model; the first selection of a big one builds its layout in the background.
        With `wait`, return only once it is on screen."""
        require_app_model(name)
        self.requested = name
        if self.current is not None and name == self.current.name:
            return
        if name in self.views:
            self._show(self.views[name])
            return
        if self._build is None:
            self._start(name)
        if wait:
            while self.current is None or self.current.name != name:
                self._build.thread.join()
                self.poll()

    def poll(self) -> bool:
        """Main thread, once a frame: turn a finished background build into a view; True while building."""
        build = self._build
        if build is None:
            return False
        if build.thread.is_alive():
            return True
        self._build = None
        view = None
        if "error" in build.result:
            self._on_message(tr("models.build_failed", name=build.name, error=build.result["error"]))
        else:
            try:
                view = self._make_view(build.name, build.result["layout"])
            except Exception as exc:  # GL objects of a huge layout can fail (memory, texture sizes)
                self._on_message(tr("models.build_failed", name=build.name, error=exc))
        if view is None and self.requested == build.name:  # failed: stay where we are, do not retry
            self.requested = self.current.name if self.current is not None else None
        if view is not None and self.requested == build.name:
            self._show(view)
        # The user may have asked for another model while this one was building: build that one now.
        if self.requested not in self.views and self.requested is not None:
            self._start(self.requested)
        elif self.current is not None and self.requested != self.current.name:
            self._show(self.views[self.requested])
        return self._build is not None

    def _start(self, name: str) -> None:
        result: dict = {}
        thread = threading.Thread(target=self._build_layout_into, args=(name, result), daemon=True)
        self._build = _Build(name, time.monotonic(), thread, result)
        thread.start()

    @staticmethod
    def _layout_of(name: str):
        from glviz.layout.blocks import build_layout

        return build_layout(PRESETS[name])

    @classmethod
    def _build_layout_into(cls, name: str, result: dict) -> None:
        try:
            result["layout"] = cls._layout_of(name)
        except Exception as exc:  # reported in the panel; the previous model stays on screen
            result["error"] = exc

    def _make_view(self, name: str, layout) -> ModelView:
        from glviz.render.frame import FrameRenderer
        from glviz.ui.hover import HoverExplainer

        renderer = FrameRenderer(self.ctx)
        try:
            renderer.set_layout(layout)
        except Exception:
            renderer.release()
            raise
        view = ModelView(name, PRESETS[name], layout, renderer, HoverExplainer(layout))
        if name == "nano":
            view.weights = self._nano_weights()
        self.views[name] = view
        return view

    def _show(self, view: ModelView) -> None:
        if view is self.current:
            return
        self.current = view
        self._on_activate(view)

    def release(self) -> None:
        """Free every view's GL resources (a build still running is abandoned)."""
        for view in self.views.values():
            view.renderer.release()
        self.views.clear()
        self.current = None
