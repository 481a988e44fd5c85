"""The imgui renderer on a real EGL context: text drawn where the window is; textures and buffers managed."""

from __future__ import annotations

import numpy as np
import pytest
from imgui_helpers import draw_frame as _frame  # tests/ui/imgui_helpers.py

W, H = 320, 200


def _window_with_text(text: str = "glviz: how was this computed?"):
    from imgui_bundle import imgui

    def build() -> None:
        imgui.set_next_window_pos((20, 30))
        imgui.set_next_window_size((200, 100))
        imgui.begin("Panel")
        imgui.text(text)
        imgui.end()

    return build


@pytest.fixture
def renderer(gl_ctx, imgui_ctx):
    from glviz.ui.imgui_renderer import ImguiRenderer

    r = ImguiRenderer(gl_ctx)
    yield r
    r.release()


@pytest.fixture(scope="module")
def fbo(gl_ctx):
    # Module-wide: moderngl raises a spurious GL error when a framebuffer is created right after the bound one
    # was released, which would blame the next test.
    return gl_ctx.simple_framebuffer((W, H))


def test_window_with_text_is_drawn_only_where_the_window_is(gl_ctx, renderer, fbo):
    build = _window_with_text()
    _frame(renderer, fbo, build)  # first frame creates the font atlas texture
    image = _frame(renderer, fbo, build)
    assert gl_ctx.error == "GL_NO_ERROR"
    inside = image[30:130, 20:220]
    outside = np.concatenate(
        [image[:28].reshape(-1, 3), image[132:].reshape(-1, 3), image[:, 224:].reshape(-1, 3)]
    )
    assert inside.mean() > 20  # window background and title bar are drawn
    assert outside.max() == 0  # nothing leaks outside the window (scissor and projection are right)
    # Text: the body row holding the glyphs has bright pixels the plain background doesn't
    body = image[55:75, 25:215].astype(int).sum(axis=2)
    assert body.max() > 400 and body.min() < 200


def test_text_changes_the_pixels(gl_ctx, renderer, fbo):
    _frame(renderer, fbo, _window_with_text("A"))
    one = _frame(renderer, fbo, _window_with_text("A"))
    other = _frame(renderer, fbo, _window_with_text("WWWWWWWWWWWW"))
    assert np.abs(one.astype(int) - other.astype(int)).sum() > 1000


def test_font_atlas_texture_is_created_through_renderer_has_textures(renderer, fbo):
    from imgui_bundle import imgui

    assert imgui.get_io().backend_flags & imgui.BackendFlags_.renderer_has_textures
    _frame(renderer, fbo, _window_with_text())
    atlas = list(imgui.get_platform_io().textures)
    assert atlas, "imgui registered no texture"
    for tex in atlas:
        assert tex.status == imgui.ImTextureStatus.ok
        assert int(tex.tex_id) in renderer.textures
        assert renderer.textures[int(tex.tex_id)].size == (tex.width, tex.height)


def test_new_glyphs_update_the_atlas_and_render(gl_ctx, renderer, fbo):
    from imgui_bundle import imgui

    _frame(renderer, fbo, _window_with_text("abc"))
    # Large font size: imgui 1.92 bakes glyphs on demand, so this asks the renderer for texture updates
    def big() -> None:
        imgui.set_next_window_pos((0, 0))
        imgui.set_next_window_size((W, H))
        imgui.begin("Big")
        imgui.push_font(None, 48.0)
        imgui.text("Σ√μσ×")
        imgui.pop_font()
        imgui.end()

    _frame(renderer, fbo, big)
    image = _frame(renderer, fbo, big)
    assert gl_ctx.error == "GL_NO_ERROR"
    for tex in imgui.get_platform_io().textures:
        assert tex.status in (imgui.ImTextureStatus.ok, imgui.ImTextureStatus.destroyed)
    assert (image.astype(int).sum(axis=2) > 600).sum() > 200  # big bright glyphs


def test_buffers_grow_for_large_draw_lists(gl_ctx, renderer, fbo):
    from imgui_bundle import imgui

    def many() -> None:
        imgui.set_next_window_pos((0, 0))
        imgui.set_next_window_size((W, H))
        imgui.begin("Many")
        draw = imgui.get_window_draw_list()
        for i in range(6000):  # ~24k vertices, far beyond the initial 64 KiB buffer
            x, y = (i * 7) % W, (i * 3) % H
            draw.add_rect_filled((x, y), (x + 3, y + 3), 0xFF00FF00)
        imgui.end()

    before = renderer.buffer_sizes
    image = _frame(renderer, fbo, many)
    after = renderer.buffer_sizes
    assert after[0] > before[0] and after[1] > before[1]
    assert gl_ctx.error == "GL_NO_ERROR"
    assert image[..., 1].max() == 255  # the green rectangles were drawn


def test_released_renderer_lets_a_new_one_recreate_the_atlas(gl_ctx, imgui_ctx, fbo):
    from glviz.ui.imgui_renderer import ImguiRenderer

    first = ImguiRenderer(gl_ctx)
    _frame(first, fbo, _window_with_text())
    first.release()
    second = ImguiRenderer(gl_ctx)
    _frame(second, fbo, _window_with_text())
    image = _frame(second, fbo, _window_with_text())
    second.release()
    assert gl_ctx.error == "GL_NO_ERROR"
    assert image[30:130, 20:220].mean() > 20


def test_key_map_covers_letters_digits_and_modifiers():
    import glfw

    from glviz.ui.imgui_renderer import glfw_key_map

    keys = glfw_key_map()
    names = [n for n in dir(glfw) if n.startswith("KEY_")]
    unmapped = {n for n in names if getattr(glfw, n) not in keys}
    assert unmapped <= {"KEY_UNKNOWN", "KEY_LAST", "KEY_WORLD_1", "KEY_WORLD_2", "KEY_F25"}, unmapped
    assert len(set(keys.values())) == len(keys)  # no two glfw keys collapse onto one imgui key


def test_typing_and_ctrl_c_ctrl_v_in_a_text_field(renderer, fbo):
    import glfw
    from imgui_bundle import imgui

    from glviz.ui.imgui_renderer import MOD_CONTROL, feed_char, feed_key, install_clipboard

    clipboard = {"text": ""}
    install_clipboard(lambda: clipboard["text"], lambda t: clipboard.__setitem__("text", t))
    state = {"text": ""}

    def build() -> None:
        imgui.set_next_window_pos((0, 0))
        imgui.set_next_window_size((W, H))
        imgui.begin("Input")
        if imgui.is_window_appearing():
            imgui.set_keyboard_focus_here()
        _, state["text"] = imgui.input_text("letters", state["text"])
        imgui.end()

    def press(key: int, mods: int = 0) -> None:
        feed_key(key, True, mods)
        _frame(renderer, fbo, build)
        feed_key(key, False, mods)
        _frame(renderer, fbo, build)

    _frame(renderer, fbo, build)
    _frame(renderer, fbo, build)
    for ch in "CBABBC":
        feed_char(ord(ch))
    _frame(renderer, fbo, build)
    assert state["text"] == "CBABBC"

    press(glfw.KEY_A, MOD_CONTROL)  # select all
    press(glfw.KEY_C, MOD_CONTROL)  # copy
    assert clipboard["text"] == "CBABBC"

    press(glfw.KEY_BACKSPACE)
    assert state["text"] == ""
    clipboard["text"] = "ABCABC"
    press(glfw.KEY_V, MOD_CONTROL)  # paste
    assert state["text"] == "ABCABC"


def test_atlas_growth_creates_updates_and_destroys_textures(gl_ctx, renderer, fbo):
    """Growing fonts make imgui replace its atlas: the renderer creates the new texture, uploads glyph
    updates, then destroys the old one; in the end it holds exactly imgui's live textures."""
    from imgui_bundle import imgui

    def text(size: float, words: str):
        def build() -> None:
            imgui.set_next_window_pos((0, 0))
            imgui.set_next_window_size((W, H))
            imgui.begin("Atlas")
            imgui.push_font(None, size)
            imgui.text(words)
            imgui.pop_font()
            imgui.end()
        return build

    _frame(renderer, fbo, text(13, "abc"))
    first_ids = set(renderer.textures)
    for i in range(6):
        _frame(renderer, fbo, text(40 + 9 * i, "glyphs at a new size: Σ√μσ×"))
    for _ in range(10):
        _frame(renderer, fbo, text(13, "abc"))
    live = {int(t.tex_id) for t in imgui.get_platform_io().textures if t.status == imgui.ImTextureStatus.ok}
    assert set(renderer.textures) == live
    assert live != first_ids  # the atlas was replaced and the first texture destroyed
    assert gl_ctx.error == "GL_NO_ERROR"
