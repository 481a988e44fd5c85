"""Keeping the view on screen in step with its trace: a new trace or more tokens from the worker become a
layout for the new T, values on the GPU and hover explanations with the new numbers.

`upload_values` is the one place where the app sends a trace's values to the GPU.
"""

from __future__ import annotations


def upload_values(renderer, snapshot) -> None:
    """Send the values of `snapshot` (a TraceSnapshot: never waits for the worker) to `renderer`.

    For now a full upload of every block, weights included; the renderer's incremental uploads (only what
    changed since the last version: `trace.changed_since`) replace this call."""
    renderer.upload_trace(snapshot)


def layout_for(view, T: int):
    """The layout of `view`'s model for T tokens: kept ones (the context-sized one the tour plays on) are
    reused, others built (a few milliseconds: pure data)."""
    from glviz.layout.blocks import build_layout

    layout = view.layouts.get(T)
    if layout is None:
        layout = build_layout(view.config, n_tokens=T)
    return layout


class Tracing:
    """Once a frame (`poll`), brings the app's view up to its worker's trace."""

    def __init__(self, app) -> None:
        self.app = app

    def poll(self) -> bool:
        """Show what the worker published since the last frame; True when something changed."""
        view = self.app.models.current
        worker = None if view is None else view.worker
        if worker is None or worker.trace is None:
            return False
        trace = worker.trace
        snapshot = trace.snapshot()  # a new object whenever the trace publishes (a new token, a value kept)
        if view.shown is snapshot:
            return False
        self.show(view, trace, snapshot)
        return True

    def show(self, view, trace, snapshot) -> None:
        """Put `snapshot` of `trace` on screen in `view`: the layout for its T, its values, its hover."""
        from glviz.ui.hover import HoverExplainer

        app = self.app
        view.trace = trace
        view.shown = snapshot
        if view.layout.n_tokens != snapshot.T:
            view.layout = layout_for(view, snapshot.T)
            view.renderer.set_layout(view.layout)
            view.explainer = HoverExplainer(view.layout)
            if app.shown is view:
                app.relayout(view)
        upload_values(view.renderer, snapshot)
        view.explainer.set_trace(snapshot)
        app.traced(view)
