"""The app's camera headless on EGL: drags, wheel, keys and flights, and the hover following the camera."""

from __future__ import annotations

import numpy as np
import pytest
from camera_helpers import pixel_of, settle

W, H = 1280, 800  # the app fixture's window (conftest.py)


def test_double_click_flies_to_the_block_and_a_still_click_does_not_stop_it(app, fbo):
    from glviz.render.camera import block_pose
    from glviz.ui.controls import LEFT

    layout = app.view.layout
    block = layout.by_name["layers.0.attn.h0.q"]
    x, y = pixel_of(app, block, 3, 3)
    for _ in range(2):
        app.mouse_press(x, y, LEFT)
        app.mouse_release(x, y, LEFT)
    assert app.camera.animating
    settle(app, fbo)
    target = block_pose(layout, block, aspect=app.aspect)
    assert np.allclose(app.camera.pose.target, target.target)
    assert app.camera.pose.distance == pytest.approx(target.distance)


def test_drag_pans_right_drag_rotates_wheel_zooms_toward_the_cursor(app, fbo):
    from glviz.ui.controls import LEFT, MOD_SHIFT, RIGHT

    before = app.camera.pose
    app.mouse_press(300, 300, LEFT)
    app.mouse_move(340, 320)
    app.mouse_release(340, 320, LEFT)
    panned = app.camera.pose
    assert panned.azimuth == before.azimuth and panned.target != before.target
    for button, mods in ((RIGHT, 0), (LEFT, MOD_SHIFT)):
        start = app.camera.pose
        app.mouse_press(300, 300, button, mods)
        app.mouse_move(350, 300)
        app.mouse_release(350, 300, button, mods)
        assert app.camera.pose.azimuth != start.azimuth
    layout = app.view.layout
    block = layout.by_name["layers.0.attn.h0.q"]
    app.focus_block(block)
    settle(app, fbo)
    x, y = pixel_of(app, block, 2, 2)
    app.mouse_move(x, y)
    distance = app.camera.distance
    app.scroll(0, 2)
    assert app.camera.distance < distance
    after = pixel_of(app, block, 2, 2)
    assert abs(after[0] - x) < 2 and abs(after[1] - y) < 2  # the point under the cursor stays put


def test_events_over_the_panel_do_not_move_the_camera(app, fbo):
    from glviz.ui.controls import LEFT

    before = app.camera.pose
    x = W - 100  # inside the panel
    app.mouse_press(x, 500, LEFT)
    app.mouse_move(x - 50, 520)
    app.mouse_release(x - 50, 520, LEFT)
    app.mouse_move(x, 500)
    app.scroll(0, 3)
    app.frame(fbo, dt=0.016)
    assert app.camera.pose == before


def test_home_i_f_and_space_keys(app, fbo):
    from glviz.render.camera import block_pose, input_pose, overview_pose
    from glviz.ui.controls import KEY_F, KEY_HOME, KEY_I, KEY_SPACE

    layout = app.view.layout
    app.key(KEY_I, True)
    settle(app, fbo)
    assert np.allclose(app.camera.pose.target, input_pose(layout, aspect=app.aspect).target)
    app.key(KEY_HOME, True)
    settle(app, fbo)
    assert np.allclose(app.camera.pose.target, overview_pose(layout, aspect=app.aspect).target)
    app.key(KEY_F, True)  # nothing hovered: a hint, no flight
    assert not app.camera.animating and "Hover" in app.messages[-1]
    block = layout.by_name["embed"]
    app.mouse_move(*pixel_of(app, block, 24, 5))  # over the input embedding in the overview
    app.frame(fbo, dt=0.016)
    assert app.hover is not None and app.hover.name == "embed"
    app.key(KEY_F, True)
    settle(app, fbo)
    assert np.allclose(app.camera.pose.target, block_pose(layout, block, aspect=app.aspect).target)
    assert not app.tour.touring
    app.key(KEY_SPACE, True)  # Space starts the tour from free exploring
    assert app.tour.touring and app.tour.player.playing


def test_zooming_out_stops_a_few_overviews_away(app):
    """The limit: a few overviews, or a bit beyond the whole-model view (W) where that is farther."""
    from glviz.render.camera import whole_pose
    from glviz.ui.app import MAX_ZOOM_OUT, WHOLE_ZOOM_OUT

    start = app.camera.distance
    whole = whole_pose(app.view.layout, aspect=app.aspect).distance
    app.mouse_move(300, 300)
    for _ in range(100):
        app.scroll(0, -1)
    assert start < app.camera.distance <= max(MAX_ZOOM_OUT * start, WHOLE_ZOOM_OUT * whole) * 1.0001


def test_a_flight_asked_for_after_an_idle_moment_still_flies(app, fbo):
    """The window draws nothing while idle: the first frame after Home played that time at once and landed
    the flight without showing it. imgui still gets the real time (its double clicks are timed by it)."""
    import time

    from imgui_bundle import imgui

    from glviz.render.camera import overview_pose
    from glviz.ui.controls import KEY_HOME

    app.camera.pan(200, 100, H)
    app.user_moved_camera()
    app.frame(fbo, dt=0.016)
    time.sleep(1.0)  # longer than the flight
    app.key(KEY_HOME, True)
    app.frame(fbo)
    assert app.camera.animating, "the flight was over in its first frame"
    assert imgui.get_io().delta_time >= 1.0
    settle(app, fbo)
    assert np.allclose(app.camera.pose.target, overview_pose(app.view.layout, aspect=app.aspect).target)


def test_a_release_reported_elsewhere_does_not_pan(app):
    """glfw gives the pointer's current position with a button release; the jump there is not a drag."""
    from glviz.ui.controls import LEFT

    app.mouse_press(300, 300, LEFT)
    app.mouse_move(320, 310)
    after_drag = app.camera.pose
    app.mouse_release(5, 790, LEFT)
    assert app.camera.pose == after_drag


def test_fly_to_a_head_behind_others_hides_them_until_the_next_view(app, fbo):
    """Head 1's block sits behind head 0's: after a fly-to, hovering it reaches head 1, not head 0."""
    from glviz.scene import occluders
    from glviz.ui.controls import KEY_HOME

    layout = app.view.layout
    block = layout.by_name["layers.0.attn.h1.q"]
    front = layout.by_name["layers.0.attn.h0.q"]
    assert front in occluders(layout, block)
    assert block not in occluders(layout, front)
    app.focus_block(block)
    settle(app, fbo)
    assert app.scene.opacity[front] == 0.0 and app.scene.opacity[block] == 1.0
    app.mouse_move(*pixel_of(app, block, 3, 3))
    app.frame(fbo, dt=0.016)
    assert app.hover is not None and app.hover.block == block
    app.focus_block(front)  # another fly-to: head 0 is shown again
    assert app.scene.opacity[front] == 1.0
    app.focus_block(block)
    app.key(KEY_HOME, True)
    assert np.all(app.scene.opacity == 1.0)


def test_w_flies_to_the_whole_model_and_zooming_out_can_reach_it(app, fbo):
    from glviz.render.camera import whole_pose
    from glviz.ui.controls import KEY_W

    app.key(KEY_W, True)
    settle(app, fbo)
    target = whole_pose(app.view.layout, aspect=app.aspect)
    assert np.allclose(app.camera.pose.target, target.target)
    assert app.max_distance >= target.distance


def test_the_hover_follows_a_camera_move_without_mouse_motion(app, fbo):
    """Home (or any flight) moves the scene under a still pointer: the old cell's tooltip must go."""
    from glviz.ui.controls import KEY_HOME

    layout = app.view.layout
    block = layout.by_name["layers.0.attn.h0.q"]
    app.focus_block(block)
    settle(app, fbo)
    app.mouse_move(*pixel_of(app, block, 3, 3))
    app.frame(fbo, dt=0.016)
    assert app.hover is not None and app.hover.block == block
    app.key(KEY_HOME, True)  # the overview has other blocks (or nothing) under that pixel
    app.frame(fbo, dt=5.0)  # a frame five seconds long lands the whole flight at once
    hit = app.hovering.pick_at(*app.controls.mouse)
    expected = None if hit is None else (hit.block, hit.row, hit.col)
    assert expected != (block, 3, 3)
    assert app.scene.hovered == expected
