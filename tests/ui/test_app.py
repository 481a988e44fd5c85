"""The app logic headless on EGL: hover through the real panel, keys, models, input, the panel's layout.
Camera gestures and flights: test_navigation.py."""

from __future__ import annotations

import numpy as np
import pytest
from camera_helpers import pixel_of

W, H = 1280, 800  # the app fixture's window (conftest.py)


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
        app.mouse_move(*pixel_of(app, index, row, col))
        app.frame(fbo, dt=0.016)
        app.frame(fbo, dt=0.016)
        assert app.hover is not None, block.name
        assert app.hover.block == index, (block.name, app.hover.name)
        assert app.hover.matches, block.name
        assert app.scene.hovered == (index, app.hover.row, app.hover.col)
        assert gl_ctx.error == "GL_NO_ERROR", block.name
    assert {"mlp.gelu", "attn.scores", "ln1.out"} <= seen


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


def test_notes_leave_the_panel_after_a_few_seconds_and_errors_stay(app, fbo):
    """The panel's message line showed the latest message for good: a screenshot's path, or F's "hover a
    block first" while a block was then hovered. Those notes now go after a few seconds; a failure stays
    until the next message."""
    from glviz.ui import message_line
    from glviz.ui.controls import KEY_F, KEY_P

    app.mouse_move(5, H - 5)  # nothing hovered
    app.key(KEY_F, True)
    app.frame(fbo, dt=0.016)
    assert app.message_shown and app.message_shown == app.messages[-1]
    app.key(KEY_P, True)
    app.frame(fbo, dt=0.016)
    assert app.message_shown == app.messages[-1] and "glviz-" in app.message_shown
    app.message_line._until -= message_line.NOTE_S + 1  # its time is up
    assert app.message_line.expire() and app.message_shown is None
    app.message("a failure")
    app.frame(fbo, dt=0.016)
    assert app.message_shown == "a failure" and not app.message_line.expire()


def test_a_message_on_screen_follows_a_language_switch(app, fbo, tmp_path):
    """A failed open's line, shown in English, reads in Japanese once the panel is switched (and back): it
    is kept as catalogue text with its error, not as the English words of the moment it was shown."""
    app.frame(fbo, dt=0.016)
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "config.json").write_text("{}")  # a checkpoint's name, with nothing in it
    (tmp_path / "ckpt" / "model.safetensors").write_bytes(b"")
    app.panel.open._open_typed(app, str(tmp_path / "ckpt"))  # what typing the path and Enter do
    for _ in range(50):
        if app.loading is None and app.message_shown:
            break
        app.frame(fbo, dt=0.016)
    english = app.message_shown
    assert english.startswith("glviz: error: ") and str(tmp_path) in english
    app.set_language("ja")
    app.frame(fbo, dt=0.016)
    japanese = app.message_shown
    assert japanese.startswith("glviz: error: ") and str(tmp_path) in japanese and japanese != english
    assert english.isascii() and not japanese.isascii()  # (the path is ASCII: the words are Japanese)
    app.set_language("en")
    app.frame(fbo, dt=0.016)
    assert app.message_shown == english and app.messages[-1] == english  # the log keeps what was written


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


def test_section_labels_of_the_hovered_part(app, fbo):
    from glviz.render.camera import block_pose

    layout = app.view.layout
    block = layout.by_name["layers.1.attn.h0.k"]
    app.camera.set_pose(block_pose(layout, block, aspect=app.aspect))
    app.mouse_move(*pixel_of(app, block, 3, 3))
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
        app.mouse_move(*pixel_of(app, block, 20, 5))
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


def test_new_input_re_explains_the_hovered_cell_even_from_the_panel(app, fbo):
    from glviz.layout.blocks import block_values

    layout = app.view.layout
    block = layout.by_name["embed"]
    app.set_input("AAAAAA")
    app.mouse_move(*pixel_of(app, block, 20, 0))
    app.frame(fbo, dt=0.016)
    cell = (app.hover.block, app.hover.row, app.hover.col)
    app.mouse_move(W - 50, 300)  # over the panel: the explanation stays
    app.frame(fbo, dt=0.016)
    app.set_input("CCCCCC")
    app.frame(fbo, dt=0.016)
    assert (app.hover.block, app.hover.row, app.hover.col) == cell
    expected = float(block_values(layout.blocks[block], app.view.trace)[cell[1], cell[2]])
    assert app.hover.value == expected and app.hover.matches


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


def test_a_blocks_histogram_has_its_own_axes_from_its_first_frame(app, fbo):
    """implot's auto-fit fitted a plot's axes a frame late: hovering another block showed its histogram on
    the last block's axes for a frame (a flash on GPT-2, whose frames are slow). The panel's first frame
    after the hover is now the same picture as once everything has settled."""
    from glviz.render.camera import block_pose
    from glviz.ui.sections.explanation import PLOT_RECTS

    layout = app.view.layout

    def histogram() -> np.ndarray:
        x0, y0, x1, y1 = (round(v) for v in PLOT_RECTS["histogram"])
        image = np.frombuffer(fbo.read(components=3), np.uint8).reshape(H, W, 3)[::-1]  # rows from the top
        return image[y0:y1, x0:x1].copy()

    def hover(name: str) -> np.ndarray:
        index = layout.by_name[name]
        block = layout.blocks[index]
        app.camera.set_pose(block_pose(layout, index, aspect=app.aspect))
        app.mouse_move(*pixel_of(app, index, block.rows // 2, block.cols // 2))
        app.frame(fbo, dt=0.016)
        assert app.hover is not None and app.hover.block == index and app.hover.stats is not None, name
        return histogram()

    hover("layers.0.attn.h0.probs")  # values in 0..1, many of them 0
    for _ in range(3):
        app.frame(fbo, dt=0.016)
    first = hover("layers.0.mlp.wfc")  # weights around 0, both signs
    for _ in range(3):
        app.frame(fbo, dt=0.016)
    settled = histogram()
    assert first.shape == settled.shape and first.size > 0
    assert np.array_equal(first, settled), int((first != settled).any(axis=2).sum())


def test_data_limits_frame_the_data_with_a_margin():
    from glviz.ui.widgets.plot_limits import data_limits

    assert data_limits(np.array([0.0, 10.0]), np.array([-1.0, 1.0, np.nan])) == (-0.5, 10.5, -1.1, 1.1)
    lo_x, hi_x, lo_y, hi_y = data_limits(np.array([1.0, 100.0]), np.array([0.01, 1.0, 0.0]), log_y=True)
    assert (lo_x, hi_x) == (1.0 - 4.95, 100.0 + 4.95)
    assert lo_y == pytest.approx(10 ** -2.1) and hi_y == pytest.approx(10 ** 0.1)  # 2 decades, 5 % each side
    assert data_limits(np.array([np.inf]), np.array([1.0])) is None


def test_axis_ticks_are_round_steps_written_as_the_panel_writes_numbers():
    """Ticks at 1, 2 or 5 times a power of ten, labelled with a true minus sign and no trailing zeros
    (implot's printf labels read "-0.05" and "4e+06"); where such labels cannot tell ticks apart, implot
    keeps its own."""
    from glviz.ui.widgets.plot_limits import axis_ticks

    values, labels = axis_ticks(-0.13, 0.13)
    assert values == pytest.approx([-0.1, -0.05, 0.0, 0.05, 0.1])
    assert labels == ["−0.1", "−0.05", "0", "0.05", "0.1"]
    assert axis_ticks(-0.7, 14.7, count=3, suffix="%") == ([0.0, 5.0, 10.0], ["0%", "5%", "10%"])
    values, labels = axis_ticks(-3e6, 5e6, count=4)
    assert values == pytest.approx([-2e6, 0.0, 2e6, 4e6]) and labels == ["−2·10^6", "0", "2·10^6", "4·10^6"]
    assert axis_ticks(0.5, 0.5000003) == ([], [])  # "0.5" four times
    assert axis_ticks(1.0, 1.0) == ([], []) and axis_ticks(0.0, np.inf) == ([], [])


def test_a_log_axis_is_ticked_at_powers_of_ten_written_as_the_panel_writes_numbers():
    from glviz.ui.widgets.plot_limits import decade_ticks

    values, labels = decade_ticks(3e-7, 2.0)  # the nano model's training loss
    assert values == pytest.approx([1e-6, 1e-3, 1.0]) and labels == ["1·10^−6", "0.001", "1"]
    assert decade_ticks(0.01, 1.0)[1] == ["0.01", "0.1", "1"]
    assert decade_ticks(0.5, 0.9) == ([], [])  # no power of ten inside: implot's own ticks
