"""The headless app draws on while its renderer has values to bring in: a moving view's looks for pages are
spaced out (render/values.py), so the frame after the camera stops must still be drawn, with nothing in
the event queue to ask for it. A checkpoint whose token table is paged (16 x 8192 cells, far below half a
pixel a cell in the overview) is moved along without events, as an animation moves it."""

from __future__ import annotations

import numpy as np
import pytest
from checkpoint_helpers import checkpoint, loaded, settled  # tests/ui/checkpoint_helpers.py

from glviz.model.config import GPTConfig
from glviz.render.camera import fit_pose
from value_probe import gpu_cells

W, H = 1280, 800
PAGED = GPTConfig(n_layer=1, n_head=2, n_embd=16, vocab_size=8192, block_size=32, name="paged")


def drawn_until_idle(app, fbo, most: int = 60) -> int:
    """Frames as the window draws them: while the app says it needs one; how many."""
    n = 0
    while app.needs_frame and n < most:
        app.frame(fbo, dt=0.016)
        n += 1
    return n


@pytest.fixture
def paged_app(gl_ctx, fbo, tmp_path):
    """The headless app on the PAGED checkpoint, loaded and settled; (app, on_columns(first) -> pose)."""
    from glviz.ui.app import GlvizApp

    folder = checkpoint(tmp_path / "paged", PAGED, tokenizer=None)
    app = GlvizApp(gl_ctx, size=(W, H), screenshot_dir=tmp_path, weights=folder)
    loaded(app, fbo)
    settled(app, fbo)
    layout = app.view.layout
    lo, hi = layout.mins[layout.by_name["wte"]], layout.maxs[layout.by_name["wte"]]

    def on_columns(first: float):
        """About 20 pixels a cell: the token table's 16 rows and 40 columns from `first`."""
        corner = np.array([lo[0] + first, lo[1], lo[2]])
        return fit_pose(corner, corner + np.array([40.0, hi[1] - lo[1], hi[2] - lo[2]]), aspect=app.aspect,
                        margin=1.0)

    yield app, on_columns
    app.release()


def test_a_view_left_still_after_a_move_gets_all_its_cells(paged_app, fbo):
    app, on_columns = paged_app
    view = app.view
    wte = view.layout.by_name["wte"]  # drawn C x V: 16 rows, 8192 columns; pages of 256 columns
    assert np.isnan(gpu_cells(view.renderer, wte)[:, 1000:2300]).all()  # not wanted by the overview
    for first in (10.0, 1000.0, 2000.0):  # one frame each, no event: the last view's look is put off
        app.camera.set_pose(on_columns(first))
        app.frame(fbo, dt=0.016)
    drawn = drawn_until_idle(app, fbo)
    assert 1 <= drawn < 60
    cells = gpu_cells(view.renderer, wte)
    weights = np.asarray(view.weights["wte"]).T  # (C, V) as drawn
    np.testing.assert_array_equal(cells[:, 2000:2040], weights[:, 2000:2040])


def test_a_look_put_off_and_then_nothing_in_view_lets_the_window_rest(paged_app, fbo):
    app, on_columns = paged_app
    for first in (1000.0, 2000.0, -1e6):  # the last: every block out of view
        app.camera.set_pose(on_columns(first))
        app.frame(fbo, dt=0.016)
    assert drawn_until_idle(app, fbo) <= 2
