"""Values a checkpoint's trace let go (its attention matrices at long prompts, or while generating) in the
app, headless on EGL: shown at every position once the view is still, asked for at the window's idle looks
without a frame, and a hovered cell's first, saying meanwhile that it is not in memory."""

from __future__ import annotations

import time

import numpy as np
import pytest
from checkpoint_helpers import SMALL, frames, settled  # tests/ui/

from value_probe import gpu_cells


def test_values_let_go_before_they_were_shown_are_computed_once_the_view_is_still(ckpt_app, fbo):
    """A trace whose attention matrices were dropped (as at long prompts) first shows those blocks without
    values; once the view has been still a moment the worker computes them and the GPU holds the trace's
    numbers."""
    from glviz.ui.trace_worker import full_trace

    app = ckpt_app
    view = app.view
    trace = full_trace(view.weights, np.asarray(view.trace.tokens))
    trace.drop("layers.1.attn.scores", "layers.1.attn.probs")
    assert trace.peek("layers.1.attn.probs") is None
    view.worker.adopt(trace)
    frames(app, fbo, 2)
    block = view.layout.by_name["layers.1.attn.h0.probs"]
    assert view.trace is trace and "layers.1.attn.probs" in view.missing
    assert not view.renderer.blocks.levels.info.present[block]
    deadline = time.monotonic() + 30
    while not view.renderer.blocks.levels.info.present[block]:
        assert time.monotonic() < deadline, "the dropped values never came back"
        app.frame(fbo, dt=0.016)
        time.sleep(0.01)
    T = trace.T
    expected = np.asarray(trace["layers.1.attn.probs"])[0]  # (T, T) head 0
    np.testing.assert_allclose(gpu_cells(view.renderer, block), expected.reshape(T, T), atol=1e-6)



def test_values_let_go_while_generating_are_shown_at_every_position_once_the_view_is_still(ckpt_app, fbo,
                                                                                           monkeypatch):
    """Generating a thousand tokens on a small checkpoint, the trace let its attention matrices go as the
    logits grew (its memory budget), and the blocks kept showing the positions read before that: a corner
    of values in a plain block, and hovering beyond it said "not computed". Those blocks now count as
    missing, and once the view is still the worker computes them and the GPU holds every position."""
    from glviz.ui import tracing

    app = ckpt_app
    view = app.view
    monkeypatch.setattr(tracing, "FILL_AFTER_S", 3600.0)  # nothing asked for until the view is "still"
    view.worker.trace.keep_bytes = 1  # every attention matrix let go once computed, as at long prompts
    T0 = view.trace.T
    app.generation.generate(6)
    settled(app, fbo)
    trace, T = view.trace, view.trace.T
    assert T == T0 + 6 and view.layout.n_tokens == T
    names = [f"layers.{i}.attn.{m}" for i in range(SMALL.n_layer) for m in ("scores", "probs")]
    assert all(trace.peek(name) is None for name in names)  # let go: their new rows were never computed
    assert set(names) <= set(view.missing), view.missing
    blocks = [view.layout.by_name[f"layers.{i}.attn.h{h}.{m}"] for i in range(SMALL.n_layer)
              for h in range(SMALL.n_head) for m in ("scores", "probs")]
    monkeypatch.setattr(tracing, "FILL_AFTER_S", 0.2)  # still now
    deadline = time.monotonic() + 60
    while view.missing:
        assert time.monotonic() < deadline, f"never shown at every position: {view.missing}"
        app.frame(fbo, dt=0.016)
        time.sleep(0.01)
    for index in blocks:  # each block as the trace computes it again: every row, the new ones too
        block = view.layout.blocks[index]
        name, head = block.source, int(block.name.split(".h")[1].split(".")[0])
        expected = np.asarray(trace.rows(name, 0, T))[head]  # (T, T)
        np.testing.assert_allclose(gpu_cells(view.renderer, index), expected, atol=1e-5, err_msg=block.name)


def test_values_shown_nowhere_are_asked_for_at_the_windows_idle_looks_without_a_frame(ckpt_app, fbo,
                                                                                       monkeypatch):
    """The window draws no frame while nothing changes, and the asking was done in frames only: after a
    long generation the blocks it left incomplete stayed so until the mouse moved. The window's idle look
    (`Tracing.fill_missing`, ui/window.py) asks, and the worker computes the value, with no frame drawn."""
    from glviz.ui import tracing

    app = ckpt_app
    view = app.view
    monkeypatch.setattr(tracing, "FILL_AFTER_S", 3600.0)  # the frames below ask for nothing
    view.worker.trace.keep_bytes = 1
    app.generation.generate(2)
    settled(app, fbo)
    trace = view.trace
    assert view.missing and not view.asked
    first = view.missing[0]
    monkeypatch.setattr(tracing, "FILL_AFTER_S", 0.2)  # still now
    deadline = time.monotonic() + 10
    while not view.asked:  # as the window's loop between its waits for events: no frame
        assert time.monotonic() < deadline, "nothing was asked"
        app.tracing.fill_missing()
        time.sleep(0.05)
    assert view.asked == {first}
    view.worker.wait()
    assert trace.peek(first) is not None  # computed again, for every position, and kept


def test_a_hovered_cell_whose_value_was_let_go_says_so_and_comes_back_first(ckpt_app, fbo, monkeypatch):
    """Hovering a cell of an attention block the trace let go (here every one: a budget of one byte) said
    "Values are not computed for this model", which is not so. The panel now says the value is not in
    memory now, and the worker computes the hovered block first, so that its explanation comes back."""
    from camera_helpers import pixel_of  # tests/ui/

    from glviz.i18n import tr
    from glviz.render.camera import block_pose
    from glviz.ui import tracing

    app = ckpt_app
    view = app.view
    monkeypatch.setattr(tracing, "FILL_AFTER_S", 3600.0)  # nothing asked for until the cell is hovered
    view.worker.trace.keep_bytes = 1
    app.generation.generate(3)
    settled(app, fbo)
    trace, T = view.trace, view.trace.T
    name = "layers.0.attn.h0.scores"  # the front head; not the first missing name: first because hovered
    index = view.layout.by_name[name]
    assert trace.peek("layers.0.attn.scores") is None and sorted(view.missing)[0] != "layers.0.attn.scores"
    app.camera.set_pose(block_pose(view.layout, index, aspect=app.aspect))
    app.mouse_move(*pixel_of(app, index, T - 1, 0))
    frames(app, fbo, 1)
    info = app.hover
    assert info is not None and info.block == index and (info.row, info.col) == (T - 1, 0)
    assert not info.computed and info.note == tr("hover.not_kept")
    assert info.value_text == tr("hover.not_in_memory") != tr("hover.not_computed")
    assert not view.asked
    monkeypatch.setattr(tracing, "FILL_AFTER_S", 0.2)  # still now
    deadline = time.monotonic() + 30
    while not app.hover.computed:
        assert time.monotonic() < deadline, "the hovered value never came back"
        app.frame(fbo, dt=0.016)
        time.sleep(0.01)
    assert view.asked == {"layers.0.attn.scores"}  # the hovered one first (one at a time, idle between)
    expected = np.asarray(trace.rows("layers.0.attn.scores", T - 1, T))[0, 0, 0]
    assert app.hover.value == pytest.approx(float(expected), abs=1e-6)
    assert app.hover.recomputed == pytest.approx(app.hover.value, abs=1e-5)
