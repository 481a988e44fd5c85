"""Model sessions: the models the app has built, the one on screen, and the ones building in the background.

A model's layout (GPT-3: 76k blocks) is built in a worker thread; its GL resources are made on the main
thread when the build is done. Whatever the user asked for last is what ends up on screen: a build that
finishes after the user moved on is kept for later, not shown.

A checkpoint opened from disk (ui/loading.py) is one more view beside the presets, named after its folder;
one is kept at a time. Its load runs in the background too, and any later request (another checkpoint, a
preset, Cancel) stops it: a load finishes on screen only if it is still the last thing asked for. The tour
is the exception: entering it (key T) lets the load go on beside it, kept when done, not shown, until the
learner leaves the tour (`load_beside_tour`, `bring_load_back`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from glviz.errors import GlvizError, Text
from glviz.i18n import tr
from glviz.model.config import APP_MODELS, DISPLAY_NAMES, PRESETS, param_count
from glviz.ui.loading import CheckpointLoad, checkpoint_key, is_checkpoint_key


def require_app_model(name: str) -> None:
    """GlvizError unless the app can show `name` (a preset can also be one it does not offer)."""
    if name not in APP_MODELS:
        raise GlvizError("error.app.model", names=", ".join(APP_MODELS), name=repr(name))


@dataclass
class ModelView:
    """One model as the app shows it; kept after the first build so switching back is instant."""

    name: str
    config: object
    layout: object
    renderer: object  # FrameRenderer
    explainer: object  # HoverExplainer
    weights: object = None
    trace: object = None  # the Trace shown (read with snapshot()/peek(): a worker may be appending to it)
    label: str = ""  # the name shown (presets: DISPLAY_NAMES)
    path: Path | None = None  # a checkpoint's folder
    prompt: str = ""  # a checkpoint's prompt as typed
    worker: object = None  # TraceWorker: computes the trace in the background (checkpoints and nano)
    shown: object = None  # the TraceSnapshot whose values are on the GPU
    missing: list = field(default_factory=list)  # trace names whose blocks show no values yet
    asked: set = field(default_factory=set)  # of those, asked of the worker for this trace and T
    asked_key: tuple = ()  # (trace id, T) `asked` belongs to
    shown_at: float = 0.0  # time.monotonic() when `shown` went on screen
    layouts: dict = field(default_factory=dict)  # T -> Layout kept (the context-sized one, for the tour)

    @property
    def title(self) -> str:
        return self.label or DISPLAY_NAMES.get(self.name, self.name)

    @property
    def is_checkpoint(self) -> bool:
        return self.path is not None


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
        self._load: CheckpointLoad | None = None
        self._on_activate = on_activate
        self._on_message = on_message
        self._nano_weights = nano_weights
        self.text_mipmaps_due = None  # the first view's renderer until its labels' mipmaps are made

    # --- queries -------------------------------------------------------------------------------------------
    @property
    def building(self) -> tuple[str, float] | None:
        """(display name, seconds so far) of a model whose layout builds in the background."""
        if self._build is None:
            return None
        return DISPLAY_NAMES.get(self._build.name, self._build.name), time.monotonic() - self._build.started

    @property
    def loading(self) -> CheckpointLoad | None:
        """The checkpoint load running in the background, if any."""
        return self._load

    @property
    def checkpoint(self) -> ModelView | None:
        """The view of the checkpoint opened last (one is kept)."""
        return next((v for v in self.views.values() if v.is_checkpoint), None)

    def choices(self) -> list[tuple[str, str, int]]:
        """(name, display name, parameter count) per selectable model: the presets, then the checkpoint."""
        out = []
        for name in APP_MODELS:
            label = DISPLAY_NAMES.get(name, name)
            if name == "gpt3":
                label = tr("models.render_only_name", name=label)
            out.append((name, label, param_count(PRESETS[name])))
        view = self.checkpoint
        if view is not None:
            out.append((view.name, view.title, param_count(view.config)))
        return out

    # --- switching -----------------------------------------------------------------------------------------
    def open_first(self, name: str) -> None:
        """Build `name` on this thread and show it (start-up)."""
        require_app_model(name)
        self.requested = name
        # The labels' mipmaps are made once the first frame is out (app._update): it shows ~0.1 s sooner.
        view = self._make_view(name, self._layout_of(name), text_mipmaps=False)
        self.text_mipmaps_due = view.renderer
        self._show(view)

    def switch(self, name: str, wait: bool = False) -> None:
        """Show another model; the first selection of a big one builds its layout in the background.
        With `wait`, return only once it is on screen."""
        if not (is_checkpoint_key(name) and name in self.views):
            require_app_model(name)
        self.requested = name
        if self._load is not None and not self._load.beside_tour:
            self._cancel_load()
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
        """Main thread, once a frame: turn a finished background build or load into a view; True while one
        runs."""
        loading = self._poll_load()
        return self._poll_build() or loading

    def _poll_build(self) -> bool:
        build = self._build
        if build is None:
            return False
        if build.thread.is_alive():
            return True
        self._build = None
        view = None
        if "error" in build.result:
            self._on_message(Text("models.build_failed", name=build.name, error=build.result["error"]))
        else:
            try:
                view = self._make_view(build.name, build.result["layout"])
            except Exception as exc:  # GL objects of a huge layout can fail (memory, texture sizes)
                self._on_message(Text("models.build_failed", name=build.name, error=exc))
        if view is None and self.requested == build.name:  # failed: stay where we are, do not retry
            self.requested = self.current.name if self.current is not None else None
        if view is not None and self.requested == build.name:
            self._show(view)
        # The user may have asked for another model while this one was building: build that one now.
        wanted = self.requested
        if wanted in APP_MODELS and wanted not in self.views:
            self._start(wanted)
        elif self.current is not None and wanted in self.views and wanted != self.current.name:
            self._show(self.views[wanted])
        return self._build is not None

    # --- checkpoints ---------------------------------------------------------------------------------------
    def open_checkpoint(self, path: str | Path, tokens=None, restored: bool = False) -> None:
        """Load the checkpoint at `path` in the background and show it when done (unless the user asks for
        something else first), traced on `tokens` (default: the default prompt). The one already open is
        shown at once. `restored`: the last launch's checkpoint, whose failure the message says is that."""
        key = checkpoint_key(path)
        self.requested = key
        if key in self.views:
            self._cancel_load()
            self._show(self.views[key])
            return
        if self._load is not None and self._load.key == key:
            return
        self._cancel_load()
        self._load = CheckpointLoad(key, Path(path).expanduser(), tokens=tokens, restored=restored).start()

    def load_beside_tour(self) -> CheckpointLoad | None:
        """The tour takes the screen (key T) while a checkpoint loads: the load goes on, and when it is done
        its view is kept, not shown (the tour goes back to it); the load, or None when none runs."""
        if self._load is not None:
            self._load.beside_tour = True
        return self._load

    def bring_load_back(self) -> None:
        """Leaving the tour while the load kept beside it runs: it is what is asked for again, shown when
        done."""
        if self._load is not None and self._load.beside_tour:
            self._load.beside_tour = False
            self.requested = self._load.key

    def cancel_load(self) -> None:
        """The Cancel button: stop the load, stay on the model on screen."""
        if self._load is not None:
            self._cancel_load()
            self.requested = self.current.name if self.current is not None else None

    def _cancel_load(self) -> None:
        if self._load is not None:
            self._load.cancel()
            self._load = None

    def _poll_load(self) -> bool:
        load = self._load
        if load is None:
            return False
        if not load.finished:
            return True
        self._load = None
        beside = load.beside_tour and self.requested != load.key
        if self.requested != load.key and not beside:
            return False
        error = load.result.get("error")
        view = None
        if error is None:
            try:
                view = self._checkpoint_view(load)
            except Exception as exc:  # GL objects (memory, texture sizes)
                error = exc
        if error is not None:
            if load.restored:
                self._on_message(Text("session.checkpoint_failed", error=error, path=load.path))
            else:
                self._on_message(Text("checkpoint.failed", error=error))
            if not beside:
                self.requested = self.current.name if self.current is not None else None
            return False
        old = self.checkpoint
        self.views[view.name] = view
        if beside:  # the tour is on screen: it stays, and says where the checkpoint is
            self._on_message(Text("checkpoint.ready_beside_tour", name=load.name))
        else:
            self._show(view)
        if old is not None and old is not view and old is not self.current:
            self._release_view(old)
        return False

    def _checkpoint_view(self, load: CheckpointLoad) -> ModelView:
        from glviz.render.frame import FrameRenderer
        from glviz.ui.hover import HoverExplainer
        from glviz.ui.trace_worker import TraceWorker
        from glviz.ui.tracing import upload_values

        weights, trace, layout = load.result["weights"], load.result["trace"], load.result["layout"]
        snapshot = load.result["snapshot"]
        renderer = FrameRenderer(self.ctx)
        try:
            renderer.set_layout(layout)
            renderer.adopt_values(weights, load.result["stores"], snapshot)
            missing = upload_values(renderer, trace, snapshot)
        except Exception:
            renderer.release()
            raise
        explainer = HoverExplainer(layout)
        explainer.set_trace(snapshot)
        worker = TraceWorker(weights)
        worker.adopt(trace)
        from glviz.ui.prompt import prompt_text

        view = ModelView(load.key, weights.config, layout, renderer, explainer, weights, trace,
                         label=load.name, path=load.path, worker=worker,
                         prompt=prompt_text(weights, trace.tokens))
        view.shown = snapshot
        view.shown_at = time.monotonic()
        view.missing = missing
        return view

    def _release_view(self, view: ModelView) -> None:
        self.views.pop(view.name, None)
        if view.worker is not None:
            view.worker.close()
        view.renderer.release()

    def _start(self, name: str) -> None:
        result: dict = {}
        thread = threading.Thread(target=self._build_layout_into, args=(name, result), daemon=True)
        self._build = _Build(name, time.monotonic(), thread, result)
        thread.start()

    @staticmethod
    def _layout_of(name: str):
        from glviz.layout.build import build_layout

        return build_layout(PRESETS[name])

    @classmethod
    def _build_layout_into(cls, name: str, result: dict) -> None:
        try:
            result["layout"] = cls._layout_of(name)
        except Exception as exc:  # reported in the panel; the previous model stays on screen
            result["error"] = exc

    def _make_view(self, name: str, layout, text_mipmaps: bool = True) -> ModelView:
        from glviz.render.frame import FrameRenderer
        from glviz.ui.hover import HoverExplainer

        renderer = FrameRenderer(self.ctx, text_mipmaps=text_mipmaps)
        try:
            renderer.set_layout(layout)
        except Exception:
            renderer.release()
            raise
        view = ModelView(name, PRESETS[name], layout, renderer, HoverExplainer(layout))
        if name == "nano":
            from glviz.ui.trace_worker import TraceWorker

            view.weights = self._nano_weights()
            view.worker = TraceWorker(view.weights)
            view.layouts[layout.n_tokens] = layout
        self.views[name] = view
        return view

    def _show(self, view: ModelView) -> None:
        if view is self.current:
            return
        self.current = view
        self._on_activate(view)

    def release(self) -> None:
        """Free every view's GL resources (a build or load still running is abandoned)."""
        self._cancel_load()
        for view in list(self.views.values()):
            self._release_view(view)
        self.current = None
