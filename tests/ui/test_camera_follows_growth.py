"""The camera while a checkpoint's trace grows, headless on EGL: generating tokens widened the model under a
camera left on the overview, and the model card went up and out of the view until Home was pressed. A camera
still on the view it was put on (the overview a model opens on, Home, W) now takes that view of each new
layout; one the user moved stays where they put it."""

from __future__ import annotations

import numpy as np
import pytest
from checkpoint_helpers import LONG, checkpoint, frames, loaded, settled

from glviz.layout.framing import card_corners
from glviz.render.camera import held_pose, ndc, overview_pose, whole_pose

GROWN = 200  # tokens generated (twice in a test: the prompt is 26): the layout 8 times as wide


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return checkpoint(tmp_path_factory.mktemp("grow") / "long", LONG, seed=2)


def _card_in_view(app) -> bool:
    """All four corners of the model card inside the 3D view."""
    points = ndc(app.camera.view_projection(app.aspect), card_corners(app.view.layout))
    return bool(np.all(np.abs(points[:, :2]) <= 1.0))


def _grow(app, fbo) -> None:
    T = app.view.trace.T
    app.generation.generate(GROWN)
    settled(app, fbo)
    assert app.view.trace.T == T + GROWN and app.view.layout.n_tokens == T + GROWN


def _opened(app, fbo, folder) -> None:
    app.open_checkpoint(folder)
    loaded(app, fbo)
    assert _card_in_view(app)


def test_a_camera_left_on_the_overview_keeps_the_card_in_view(app, fbo, folder):
    _opened(app, fbo, folder)
    _grow(app, fbo)
    assert _card_in_view(app)  # (it went out at the top)
    assert app.camera.pose == held_pose(overview_pose(app.view.layout, aspect=app.aspect))


def test_after_home_or_w_the_camera_keeps_that_view(app, fbo, folder):
    from glviz.ui.controls import KEY_HOME, KEY_W, LEFT

    _opened(app, fbo, folder)
    app.mouse_press(300, 300, LEFT)  # a drag: the camera is the user's
    app.mouse_move(340, 330)
    app.mouse_release(340, 330, LEFT)
    for key, pose_for in ((KEY_W, whole_pose), (KEY_HOME, overview_pose)):
        app.key(key, True)
        app.key(key, False)
        frames(app, fbo, 60)  # the flight lands
        assert not app.camera.animating
        _grow(app, fbo)
        assert app.camera.pose == held_pose(pose_for(app.view.layout, aspect=app.aspect)), key
    assert _card_in_view(app)


def test_a_camera_the_user_moved_stays_where_they_put_it(app, fbo, folder):
    from glviz.ui.controls import LEFT

    _opened(app, fbo, folder)
    app.mouse_press(300, 300, LEFT)
    app.mouse_move(340, 330)
    app.mouse_release(340, 330, LEFT)
    frames(app, fbo)
    moved = app.camera.pose
    _grow(app, fbo)
    assert app.camera.pose == moved
