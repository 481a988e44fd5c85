"""The app logic headless on EGL: hover through the real panel, camera gestures, keys, models and input."""

from __future__ import annotations

import numpy as np
import pytest

W, H = 1280, 800  # the app fixture's window (conftest.py)


def _pixel_of(app, block: int, row: int, col: int) -> tuple[float, float]:
    """Where cell (row, col) of `block` appears in the window, through the app's camera."""
    b = app.view.layout.blocks[block]
    x = b.position[0] + (col + 0.5) * b.size[0] / b.cols
    y = b.position[1] + b.size[1] - (row + 0.5) * b.size[1] / b.rows
    view_projection = app.camera.view_projection(app.aspect).astype(float)
    clip = np.array([x, y, b.position[2] + b.size[2], 1.0]) @ view_projection
    ndc = clip[:3] / clip[3]
    _, _, vw, vh = app.viewport
    return (ndc[0] + 1) / 2 * vw, (1 - ndc[1]) / 2 * vh


def _settle(app, fbo) -> None:
    """Let a camera flight finish (flights last under a second)."""
    for _ in range(12):
        app.frame(fbo, dt=0.1)


def _click_letters_field(app, fbo) -> None:
    """Click the letters field (the first widget under "Input and output"), so that it takes the keyboard."""
    from glviz.ui.controls import LEFT

    app.frame(fbo, dt=0.016)  # the Explore tab is drawn from the second frame on
    x0, y0, x1, y1 = app.panel.letters.rect
    field = ((x0 + x1) / 2, (y0 + y1) / 2)
    app.mouse_move(*field)
    app.frame(fbo, dt=0.016)
    app.mouse_press(*field, LEFT)
    app.frame(fbo, dt=0.016)
    app.mouse_release(*field, LEFT)
    app.frame(fbo, dt=0.016)


def test_hovering_every_block_kind_explains_it_in_the_panel(app, fbo, gl_ctx):
    """Each role's cell is hovered through picking, and the panel (curve and histogram included) is drawn."""
    from glviz.render.camera import block_pose

    layout = app.view.layout
    seen = set()
    for index, block in enumerate(layout.blocks):
        if block.role in seen:
            continue
        seen.add(block.role)
        app.camera.set_pose(block_pose(layout, index, aspect=app.aspect))  # where F / double-click fly to
        row, col = block.rows // 2, block.cols // 2
        app.mouse_move(*_pixel_of(app, index, row, col))
        app.frame(fbo, dt=0.016)
        app.frame(fbo, dt=0.016)
        assert app.hover is not None, block.name
        assert app.hover.block == index, (block.name, app.hover.name)
        assert app.hover.matches, block.name
        assert app.scene.hovered == (index, app.hover.row, app.hover.col)
        assert gl_ctx.error == "GL_NO_ERROR", block.name
    assert {"mlp.gelu", "attn.scores", "ln1.out"} <= seen


def test_double_click_flies_to_the_block_and_a_still_click_does_not_stop_it(app, fbo):
    from glviz.render.camera import block_pose
    from glviz.ui.controls import LEFT

    layout = app.view.layout
    block = layout.by_name["layers.0.attn.h0.q"]
    x, y = _pixel_of(app, block, 3, 3)
    for _ in range(2):
        app.mouse_press(x, y, LEFT)
        app.mouse_release(x, y, LEFT)
    assert app.camera.animating
    _settle(app, fbo)
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
    _settle(app, fbo)
    x, y = _pixel_of(app, block, 2, 2)
    app.mouse_move(x, y)
    distance = app.camera.distance
    app.scroll(0, 2)
    assert app.camera.distance < distance
    after = _pixel_of(app, block, 2, 2)
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


def test_invalid_input_is_refused_with_a_message_and_the_state_kept(app):
    app.set_input("AABBCC")
    letters, probs = app.prediction
    assert app.letters == "AABBCC"
    assert not app.set_input("ABCDEF")
    assert "ABCDEF" in app.input_error and app.letters == "AABBCC"
    assert np.array_equal(app.prediction[1], probs)
    app.edit_input("AB")
    assert app.input_error and app.letters == "AABBCC"
    app.edit_input("cabcab")
    assert app.letters == "CABCAB" and not app.input_error
    trace = app.view.trace
    assert list(trace.tokens[:6]) == [2, 0, 1, 2, 0, 1]


def test_model_keys_switch_and_cache_models(app, fbo):
    from glviz.ui.controls import KEY_1

    app.key(KEY_1 + 1, True)  # "2": GPT-2 small, built in the background
    while app.building is not None:
        app.frame(fbo, dt=0.016)
    app.frame(fbo, dt=0.016)
    assert app.model_name == "gpt2" and not app.computed and app.title == "glviz — GPT-2 small"
    layout = app.view.layout
    app.key(KEY_1, True)
    assert app.model_name == "nano" and app.computed
    app.switch_model("gpt2")
    assert app.view.layout is layout and app.building is None  # cached: instant


def test_p_saves_a_screenshot_and_says_where(app, fbo, tmp_path):
    from glviz.ui.controls import KEY_P

    app.key(KEY_P, True)
    app.frame(fbo, dt=0.016)
    shots = list(tmp_path.glob("glviz-*.png"))
    assert len(shots) == 1 and str(shots[0]) in app.messages[-1]
    from PIL import Image

    with Image.open(shots[0]) as image:
        assert image.size == (W, H)
        assert np.asarray(image).std() > 5


def test_minimised_window_draws_nothing_and_survives(app, fbo, gl_ctx):
    app.resize(0, 0)
    assert app.frame(fbo, dt=0.016) is False
    app.mouse_move(10, 10)
    app.scroll(0, 1)
    app.resize(W, H)
    assert app.frame(fbo, dt=0.016) is True
    assert gl_ctx.error == "GL_NO_ERROR"


def test_ctrl_q_asks_to_quit(app):
    from glviz.ui.controls import KEY_Q, MOD_CONTROL

    app.key(KEY_Q, True, 0)
    assert not app.quit_requested
    app.key(KEY_Q, True, MOD_CONTROL)
    assert app.quit_requested


def test_home_i_f_and_space_keys(app, fbo):
    from glviz.render.camera import block_pose, input_pose, overview_pose
    from glviz.ui.controls import KEY_F, KEY_HOME, KEY_I, KEY_SPACE

    layout = app.view.layout
    app.key(KEY_I, True)
    _settle(app, fbo)
    assert np.allclose(app.camera.pose.target, input_pose(layout, aspect=app.aspect).target)
    app.key(KEY_HOME, True)
    _settle(app, fbo)
    assert np.allclose(app.camera.pose.target, overview_pose(layout, aspect=app.aspect).target)
    app.key(KEY_F, True)  # nothing hovered: a hint, no flight
    assert not app.camera.animating and "Hover" in app.messages[-1]
    block = layout.by_name["embed"]
    app.mouse_move(*_pixel_of(app, block, 24, 5))  # over the input embedding in the overview
    app.frame(fbo, dt=0.016)
    assert app.hover is not None and app.hover.name == "embed"
    app.key(KEY_F, True)
    _settle(app, fbo)
    assert np.allclose(app.camera.pose.target, block_pose(layout, block, aspect=app.aspect).target)
    assert not app.tour.touring
    app.key(KEY_SPACE, True)  # Space starts the tour from free exploring
    assert app.tour.touring and app.tour.player.playing


@pytest.mark.parametrize(("args", "message"), [
    (["--input", "ABCD"], "glviz: error: "),
    (["--input", "ABCABX"], "glviz: error: "),
    (["--size", "big"], "glviz: error: --size must look like 1280x720 (big)"),
])
def test_bad_app_options_are_one_line_errors(args, message, tmp_path):
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "glviz", "app", *args], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path, env={**os.environ, "DISPLAY": ":9999"})
    assert out.returncode == 2
    assert out.stderr.startswith(message) and out.stderr.count("\n") == 1, out.stderr


def test_an_unreachable_display_is_one_line(tmp_path):
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "glviz"], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path, env={**os.environ, "DISPLAY": ":9999"})
    assert out.returncode == 2
    assert out.stderr.startswith("glviz: error: no display: set DISPLAY or use `glviz render`")
    assert out.stderr.count("\n") == 1, out.stderr


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


def test_section_labels_of_the_hovered_part(app, fbo):
    from glviz.render.camera import block_pose

    layout = app.view.layout
    block = layout.by_name["layers.1.attn.h0.k"]
    app.camera.set_pose(block_pose(layout, block, aspect=app.aspect))
    app.mouse_move(*_pixel_of(app, block, 3, 3))
    app.frame(fbo, dt=0.016)
    labels = app.hovering.section_labels()
    assert [mark.text for mark in labels] == ["Transformer 1", "Self-attention", "Head 0"]
    head = next(s for s in layout.sections if s.label == "Head 0" and s.position[1] < -600)  # layer 1's
    view_projection = app.camera.view_projection(app.aspect).astype(float)

    def screen(point) -> np.ndarray:
        clip = np.append(np.asarray(point, dtype=float), 1.0) @ view_projection
        x, y = clip[0] / clip[3], clip[1] / clip[3]
        return np.array([(x + 1) / 2 * app.viewport[2], (1 - y) / 2 * app.viewport[3]])

    mark = labels[2]
    start = screen(head.position)
    assert abs(mark.x - start[0]) < 1e-6 and abs(mark.y - start[1]) < 1e-6
    # The frame covers the 3D text: from its start to its end (the glyphs' advances at the label's height),
    # from below the baseline to above the capitals; its em is the label's height on screen.
    from glviz.render.label_sets import label_atlas

    end = screen(np.add(head.position, (label_atlas().text_width("Head 0") * head.height, 0.0, 0.0)))
    capitals = screen(np.add(head.position, (0.0, 0.7 * head.height, 0.0)))  # "H" reaches 0.7 em up
    descenders = screen(np.add(head.position, (0.0, -0.2 * head.height, 0.0)))  # "g" 0.2 em down
    x0, y0, x1, y1 = mark.box
    assert x0 <= start[0] + 1e-6 and x1 >= end[0] - 1e-6 and x1 - x0 < (end[0] - start[0]) * 1.05
    assert y0 < capitals[1] < start[1] < descenders[1] < y1
    assert mark.em_px == pytest.approx((start[1] - capitals[1]) / 0.7, rel=0.02)


def test_hidpi_framebuffer_twice_the_window(gl_ctx, tmp_path):
    """Pixel ratio 2: events stay in window pixels, the picture fills the doubled framebuffer."""
    from glviz.render.frame import read_pixels
    from glviz.ui.app import GlvizApp
    width, height = 700, 400
    big = gl_ctx.simple_framebuffer((2 * width, 2 * height))
    app = GlvizApp(gl_ctx, size=(width, height), pixel_ratio=2.0, screenshot_dir=tmp_path)
    try:
        layout = app.view.layout
        block = layout.by_name["embed"]
        app.mouse_move(*_pixel_of(app, block, 20, 5))
        app.frame(big, dt=0.016)
        app.frame(big, dt=0.016)
        assert app.hover is not None and app.hover.name == "embed"
        image = read_pixels(big)
        panel_left = int(2 * (width - app.panel_width))
        assert image[2 * height - 20, panel_left + 40].mean() < 80  # the dark panel, at double scale
        assert image[2 * height - 20, panel_left - 40].mean() > 150  # the light 3D view left of it
        assert gl_ctx.error == "GL_NO_ERROR"
    finally:
        app.release()


def test_a_release_reported_elsewhere_does_not_pan(app):
    """glfw gives the pointer's current position with a button release; the jump there is not a drag."""
    from glviz.ui.controls import LEFT

    app.mouse_press(300, 300, LEFT)
    app.mouse_move(320, 310)
    after_drag = app.camera.pose
    app.mouse_release(5, 790, LEFT)
    assert app.camera.pose == after_drag


def test_new_input_re_explains_the_hovered_cell_even_from_the_panel(app, fbo):
    from glviz.layout.blocks import block_values

    layout = app.view.layout
    block = layout.by_name["embed"]
    app.set_input("AAAAAA")
    app.mouse_move(*_pixel_of(app, block, 20, 0))
    app.frame(fbo, dt=0.016)
    cell = (app.hover.block, app.hover.row, app.hover.col)
    app.mouse_move(W - 50, 300)  # over the panel: the explanation stays
    app.frame(fbo, dt=0.016)
    app.set_input("CCCCCC")
    app.frame(fbo, dt=0.016)
    assert (app.hover.block, app.hover.row, app.hover.col) == cell
    expected = float(block_values(layout.blocks[block], app.view.trace)[cell[1], cell[2]])
    assert app.hover.value == expected and app.hover.matches


def test_while_typing_keys_are_text_but_ctrl_q_still_quits(app, fbo):
    from imgui_bundle import imgui

    from glviz.ui.controls import KEY_1, KEY_Q, MOD_CONTROL

    _click_letters_field(app, fbo)
    assert imgui.get_io().want_text_input
    app.key(KEY_1 + 1, True)  # "2" goes to the text field, not to the model switch
    assert app.model_name == "nano" and app.building is None
    app.key(KEY_Q, True, MOD_CONTROL)
    assert app.quit_requested


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
    _settle(app, fbo)
    assert app.scene.opacity[front] == 0.0 and app.scene.opacity[block] == 1.0
    app.mouse_move(*_pixel_of(app, block, 3, 3))
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
    _settle(app, fbo)
    target = whole_pose(app.view.layout, aspect=app.aspect)
    assert np.allclose(app.camera.pose.target, target.target)
    assert app.max_distance >= target.distance


def test_the_hover_follows_a_camera_move_without_mouse_motion(app, fbo):
    """Home (or any flight) moves the scene under a still pointer: the old cell's tooltip must go."""
    from glviz.ui.controls import KEY_HOME

    layout = app.view.layout
    block = layout.by_name["layers.0.attn.h0.q"]
    app.focus_block(block)
    _settle(app, fbo)
    app.mouse_move(*_pixel_of(app, block, 3, 3))
    app.frame(fbo, dt=0.016)
    assert app.hover is not None and app.hover.block == block
    app.key(KEY_HOME, True)  # the overview has other blocks (or nothing) under that pixel
    app.frame(fbo, dt=5.0)  # after a long idle the first frame lands the whole flight at once
    hit = app.hovering.pick_at(*app.controls.mouse)
    expected = None if hit is None else (hit.block, hit.row, hit.col)
    assert expected != (block, 3, 3)
    assert app.scene.hovered == expected


@pytest.mark.parametrize("width", [300, 500, 700, 60, 1])
def test_the_panel_shrinks_so_that_a_3d_view_remains(gl_ctx, tmp_path, width):
    from glviz.ui.app import GlvizApp

    app = GlvizApp(gl_ctx, size=(width, 300), screenshot_dir=tmp_path)
    try:
        small = gl_ctx.simple_framebuffer((width, 300))
        assert app.frame(small, dt=0.016)
        assert app.viewport[2] >= 0.5 * width
        assert gl_ctx.error == "GL_NO_ERROR"
    finally:
        app.release()


def test_the_panel_shows_a_value_colour_legend_in_the_shader_colours(app, fbo):
    """The legend's ends are the renderer's VALUE_NEGATIVE and VALUE_POSITIVE colours, drawn in the panel."""
    from glviz.render.frame import read_pixels
    from glviz.render.palette import VALUE_NEGATIVE, VALUE_POSITIVE

    app.frame(fbo, dt=0.016)
    image = read_pixels(fbo).astype(np.float64)
    panel = image[:, int(app.viewport[2]) + 1:, :3]
    for rgb in (VALUE_NEGATIVE, VALUE_POSITIVE):
        distance = np.abs(panel - np.array(rgb) * 255).max(axis=2)
        assert (distance < 6).sum() >= 8, rgb


def test_the_letters_field_refuses_other_characters_as_they_are_typed(app, fbo):
    """Only a/b/c/A/B/C go into the field (upper-cased), at most 6; a refused character is named."""
    _click_letters_field(app, fbo)
    before = app.letters
    for char in "ab":  # the click selected all: the first letter replaces the text
        app.char(ord(char))
        app.frame(fbo, dt=0.016)
    app.char(ord("x"))
    app.frame(fbo, dt=0.016)
    assert app.panel.letters.buffer == "AB"
    assert "'x'" in app.input_error and app.letters == before
    for char in "cabca":  # the seventh letter does not fit
        app.char(ord(char))
        app.frame(fbo, dt=0.016)
    assert app.panel.letters.buffer == "ABCABC"
    assert app.letters == "ABCABC" and app.input_error == ""


def test_the_first_frame_goes_without_the_labels_mipmaps_and_the_next_has_them(gl_ctx, fbo, tmp_path):
    from glviz.ui.app import GlvizApp

    app = GlvizApp(gl_ctx, size=(W, H), screenshot_dir=tmp_path)
    try:
        texture = app.view.renderer.labels.atlas_texture
        app.frame(fbo, dt=0.016)
        assert texture.filter == (gl_ctx.LINEAR, gl_ctx.LINEAR)  # the first frame: sooner, no mipmaps
        app.frame(fbo, dt=0.016)
        assert texture.filter == (gl_ctx.LINEAR_MIPMAP_LINEAR, gl_ctx.LINEAR)
        assert app.models.text_mipmaps_due is None
        assert app.view.renderer.marks.atlas_texture is texture  # shared: one atlas, one set of mipmaps
    finally:
        app.release()
