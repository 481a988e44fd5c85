"""Keeping the view on screen in step with its trace: a new trace or more tokens from the worker become a
layout for the new T, values on the GPU and hover explanations with the new numbers.

`upload_values` is the one place where the app sends a trace's values to the GPU.
"""

from __future__ import annotations

import time


def upload_values(renderer, trace, snapshot) -> list[str]:
    """Send the values of `snapshot` (a TraceSnapshot of `trace`: never waits for the worker) to `renderer`:
    the weights once per model, a new trace whole, then only what changed since the version last shown (a
    new token: its positions). Returns the trace names whose blocks still show nothing (not computed, or
    dropped before they were read)."""
    renderer.set_weights(snapshot.weights)
    renderer.trace_grew(trace, snapshot)
    return renderer.missing_values()


FILL_AFTER_S = 0.5  # values shown nowhere are computed once the view has been still this long


def ask_for_missing(view, missing: list[str]) -> None:
    """Ask the view's worker, once it has been idle for FILL_AFTER_S (a value can take a few hundred ms at
    T = 1024, and must not hold up a Next token pressed right after the last), for the first value shown
    nowhere yet (one at a time, each once per trace and T: a value the trace lets go again after it was read
    keeps its tiles on the GPU)."""
    worker = view.worker
    if worker is None or worker.busy or not missing or time.monotonic() - view.shown_at < FILL_AFTER_S:
        return
    key = (id(view.trace), view.shown.T)
    if view.asked_key != key:
        view.asked_key, view.asked = key, set()
    for name in missing:
        if name not in view.asked and name in view.trace:
            view.asked.add(name)
            worker.ensure(name)
            return


PREPARED_WAIT_S = 0.016  # how long the window's thread waits for a layout being prepared: a frame at most


def prepare_layout(config, T: int):
    """The layout of `config`'s model for T tokens, with what the renderer works out of it on the CPU (the
    labels' glyphs and culling, the blocks' draw order: kept per layout), so that set_layout only uploads.
    Pure data: the trace worker runs it on a thread of its own while it computes the token."""
    from glviz.layout.blocks import cell_order
    from glviz.layout.build import build_layout
    from glviz.layout.framing import card_area
    from glviz.render.block_plan import block_plan
    from glviz.render.label_sets import label_atlas, layout_plan

    layout = build_layout(config, n_tokens=T)
    block_plan(layout)
    layout_plan(layout, label_atlas())
    cell_order(layout)  # the block renderer's state reads it in the first frame
    card_area(layout)  # with the bounds it reads: the overview a camera left on it follows (camera_control)
    return layout


def layout_for(view, T: int):
    """The layout of `view`'s model for T tokens: kept ones (the context-sized one the tour plays on) are
    reused, one the worker prepared while it computed the token is taken (waiting a frame at most), others
    built (a few milliseconds: pure data)."""
    from glviz.layout.build import build_layout

    layout = view.layouts.get(T)
    if layout is None and view.worker is not None:
        layout = view.worker.prepared(T, wait=PREPARED_WAIT_S)
        if layout is not None and layout.config != view.config:
            layout = None
    if layout is None:
        layout = build_layout(view.config, n_tokens=T)
    return layout


class Tracing:
    """Once a frame (`poll`), brings the app's view up to its worker's trace."""

    def __init__(self, app) -> None:
        self.app = app

    def news(self) -> bool:
        """The current view's worker published something this view does not show yet."""
        view = self.app.models.current
        worker = None if view is None else view.worker
        return worker is not None and worker.trace is not None and worker.trace.snapshot() is not view.shown

    def after_frame(self) -> None:
        """Once a frame has shown a trace, its worker prepares the next token's layout while the user reads
        it (once per T; not during the frame: the two would share the interpreter)."""
        view = self.app.models.current
        if view is not None and view.worker is not None and view.shown is not None:
            if view.worker.prepare_due():
                # Software GL rasterises the frame on every core once it is flushed (at the window's swap,
                # which waits for it): the frame is finished first, else the layout's thread would share the
                # cores with it and could hold the interpreter the window's thread needs back (GPT-2 at
                # T = 128: a token's press to its frame 103 -> 96 ms, 30 presses alternated).
                self.app.ctx.finish()
            view.worker.prepare_next()

    def poll(self) -> bool:
        """Show what the worker published since the last frame; True when something changed."""
        view = self.app.models.current
        worker = None if view is None else view.worker
        if worker is None or worker.trace is None:
            return False
        trace = worker.trace
        snapshot = trace.snapshot()  # a new object whenever the trace publishes (a new token, a value kept)
        if view.shown is snapshot:
            self.fill_missing()
            return False
        self.show(view, trace, snapshot)
        return True

    def fill_missing(self) -> None:
        """Ask the idle worker for what the view on screen shows nowhere (the hovered cell's value first):
        each frame, and at the window's idle looks, since no frame is drawn while nothing changes."""
        view = self.app.models.current
        worker = None if view is None else view.worker
        if worker is None or worker.trace is None or worker.busy or view.shown is not worker.trace.snapshot():
            return
        wanted = self._hovered_not_kept(view) + view.missing
        if wanted:
            ask_for_missing(view, wanted)

    def _hovered_not_kept(self, view) -> list[str]:
        """The trace names of the hovered block that its trace let go (at a long prompt): asked for first,
        so that the cell's explanation comes back (its block may still show every value from before)."""
        info = self.app.hovering.info
        if info is None or view.shown is None or info.block >= len(view.layout.blocks):
            return []
        block = view.layout.blocks[info.block]
        return [name for name in block.sources if name in view.trace and not view.shown.computed(name)]

    def show(self, view, trace, snapshot) -> None:
        """Put `snapshot` of `trace` on screen in `view`: the layout for its T, its values, its hover."""
        from glviz.ui.hover import HoverExplainer

        app = self.app
        view.trace = trace
        view.shown = snapshot
        view.shown_at = time.monotonic()
        if view.layout.n_tokens != snapshot.T:
            view.layout = layout_for(view, snapshot.T)
            view.renderer.set_layout(view.layout)
            view.explainer = HoverExplainer(view.layout)
            if app.shown is view:
                app.relayout(view)
        view.missing = upload_values(view.renderer, trace, snapshot)
        ask_for_missing(view, view.missing)
        view.explainer.set_trace(snapshot)
        app.traced(view)
