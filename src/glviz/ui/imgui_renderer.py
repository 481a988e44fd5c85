"""A small moderngl renderer for Dear ImGui 1.92+ (imgui-bundle 1.93), plus glfw key mapping.

moderngl-window's own imgui integration still uses the pre-1.92 font-atlas API, which is gone. This renderer
honours `BackendFlags_.renderer_has_textures`: imgui asks it to create, update and destroy textures (the font
atlas grows lazily as glyphs are first used) through the `ImTextureData` list handed over with each frame.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import moderngl
import numpy as np
from imgui_bundle import imgui

from glviz.resources import read_shader

_MIN_BUFFER_BYTES = 1 << 16


class ImguiRenderer:
    """Draws `imgui.get_draw_data()` into the currently bound framebuffer of a moderngl context."""

    def __init__(self, ctx: moderngl.Context) -> None:
        if imgui.get_current_context() is None:
            raise RuntimeError("create an imgui context (imgui.create_context()) before the renderer")
        self.ctx = ctx
        self.program = ctx.program(
            vertex_shader=read_shader("imgui.vert"), fragment_shader=read_shader("imgui.frag")
        )
        self.program["tex"].value = 0
        self._vbo = ctx.buffer(reserve=_MIN_BUFFER_BYTES, dynamic=True)
        self._ibo = ctx.buffer(reserve=_MIN_BUFFER_BYTES, dynamic=True)
        self._vao = self._make_vao()
        # imgui texture id (our GL name) -> the moderngl texture made for an ImTextureData (font atlas pages)
        self.textures: dict[int, moderngl.Texture] = {}

        io = imgui.get_io()
        io.backend_flags |= imgui.BackendFlags_.renderer_has_textures
        max_size = int(ctx.info["GL_MAX_TEXTURE_SIZE"])
        platform_io = imgui.get_platform_io()
        platform_io.renderer_texture_max_width = max_size
        platform_io.renderer_texture_max_height = max_size

    # --- buffers -------------------------------------------------------------------------------------------

    def _make_vao(self) -> moderngl.VertexArray:
        return self.ctx.vertex_array(
            self.program,
            [(self._vbo, "2f 2f 4f1", "in_position", "in_uv", "in_color")],
            index_buffer=self._ibo,
            index_element_size=imgui.INDEX_SIZE,
        )

    def _ensure_capacity(self, vtx_bytes: int, idx_bytes: int) -> None:
        """Grow the vertex/index buffers to the next power of two that holds a draw list."""
        grown = False
        if vtx_bytes > self._vbo.size:
            self._vbo.orphan(_next_pow2(vtx_bytes))
            grown = True
        if idx_bytes > self._ibo.size:
            self._ibo.orphan(_next_pow2(idx_bytes))
            grown = True
        if grown:
            # orphan keeps the GL name, so the VAO stays valid; rebuilt anyway to be safe on strict drivers
            self._vao.release()
            self._vao = self._make_vao()

    @property
    def buffer_sizes(self) -> tuple[int, int]:
        """(vertex, index) buffer capacity in bytes."""
        return self._vbo.size, self._ibo.size

    # --- textures ------------------------------------------------------------------------------------------

    def update_textures(self, textures) -> None:
        """Honour imgui's texture requests (create / update / destroy) for a list of `ImTextureData`."""
        for tex in textures:
            status = tex.status
            if status == imgui.ImTextureStatus.want_create:
                self._create_texture(tex)
            elif status == imgui.ImTextureStatus.want_updates:
                self._update_texture(tex)
            elif status == imgui.ImTextureStatus.want_destroy and tex.unused_frames > 0:
                self._destroy_texture(tex)

    def _create_texture(self, tex) -> None:
        pixels = _pixels(tex)  # (H, W, bytes_per_pixel) uint8
        components = pixels.shape[2]
        texture = self.ctx.texture((tex.width, tex.height), components, pixels.tobytes())
        if components == 1:
            texture.swizzle = "111R"  # alpha8 atlas: white glyphs with coverage as alpha
        # Bilinear filtering: imgui's baked anti-aliased lines sample between texels
        texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
        texture.repeat_x = texture.repeat_y = False
        self.textures[texture.glo] = texture
        tex.set_tex_id(texture.glo)
        tex.set_status(imgui.ImTextureStatus.ok)

    def _update_texture(self, tex) -> None:
        texture = self.textures.get(int(tex.tex_id))
        if texture is None:  # lost (e.g. context recreated): upload it whole again
            self._create_texture(tex)
            return
        pixels = _pixels(tex)
        for rect in tex.updates:
            x, y, w, h = int(rect.x), int(rect.y), int(rect.w), int(rect.h)
            if w and h:
                texture.write(np.ascontiguousarray(pixels[y:y + h, x:x + w]).tobytes(), viewport=(x, y, w, h))
        tex.set_status(imgui.ImTextureStatus.ok)

    def _destroy_texture(self, tex) -> None:
        tex_id = int(tex.tex_id)
        texture = self.textures.pop(tex_id, None)
        if texture is not None:
            texture.release()
        tex.set_tex_id(0)
        tex.set_status(imgui.ImTextureStatus.destroyed)

    # --- drawing -------------------------------------------------------------------------------------------

    def render(self, draw_data: imgui.ImDrawData | None = None) -> None:
        """Draw one frame of imgui output (default: the current draw data) over the bound framebuffer."""
        if draw_data is None:
            draw_data = imgui.get_draw_data()
        if draw_data.textures is not None:
            self.update_textures(draw_data.textures)
        else:
            self.update_textures(imgui.get_platform_io().textures)

        disp_x, disp_y = draw_data.display_pos.x, draw_data.display_pos.y
        disp_w, disp_h = draw_data.display_size.x, draw_data.display_size.y
        scale_x, scale_y = draw_data.framebuffer_scale.x, draw_data.framebuffer_scale.y
        fb_w, fb_h = int(disp_w * scale_x), int(disp_h * scale_y)
        if fb_w <= 0 or fb_h <= 0 or not draw_data.cmd_lists_count:
            return

        ctx = self.ctx
        left, right, top, bottom = disp_x, disp_x + disp_w, disp_y, disp_y + disp_h
        projection = np.array(
            [
                [2.0 / (right - left), 0.0, 0.0, 0.0],
                [0.0, 2.0 / (top - bottom), 0.0, 0.0],
                [0.0, 0.0, -1.0, 0.0],
                [(right + left) / (left - right), (top + bottom) / (bottom - top), 0.0, 1.0],
            ],
            dtype="f4",
        )  # column-major, as GL reads it
        self.program["projection"].write(projection.tobytes())

        saved_viewport, saved_scissor = ctx.viewport, ctx.scissor
        ctx.viewport = (0, 0, fb_w, fb_h)
        ctx.enable_only(moderngl.BLEND)
        ctx.blend_equation = moderngl.FUNC_ADD
        ctx.blend_func = (
            moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA, moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA
        )
        try:
            for commands in draw_data.cmd_lists:
                n_vtx, n_idx = commands.vtx_buffer.size(), commands.idx_buffer.size()
                vtx_bytes, idx_bytes = n_vtx * imgui.VERTEX_SIZE, n_idx * imgui.INDEX_SIZE
                self._ensure_capacity(vtx_bytes, idx_bytes)
                self._vbo.write(ctypes.string_at(commands.vtx_buffer.data_address(), vtx_bytes))
                self._ibo.write(ctypes.string_at(commands.idx_buffer.data_address(), idx_bytes))
                for cmd in commands.cmd_buffer:
                    if cmd.elem_count == 0:
                        continue
                    clip = cmd.clip_rect
                    x0 = max((clip.x - disp_x) * scale_x, 0.0)
                    y0 = max((clip.y - disp_y) * scale_y, 0.0)
                    x1 = min((clip.z - disp_x) * scale_x, float(fb_w))
                    y1 = min((clip.w - disp_y) * scale_y, float(fb_h))
                    if x1 <= x0 or y1 <= y0:
                        continue
                    # GL's scissor origin is bottom-left, imgui's is top-left
                    ctx.scissor = (int(x0), int(fb_h - y1), int(x1 - x0), int(y1 - y0))
                    texture = self.textures.get(int(cmd.get_tex_id()))
                    if texture is None:
                        continue
                    texture.use(0)
                    self._vao.render(moderngl.TRIANGLES, vertices=cmd.elem_count, first=cmd.idx_offset)
        finally:
            ctx.scissor = saved_scissor
            ctx.viewport = saved_viewport
            ctx.disable(moderngl.BLEND)

    def release(self) -> None:
        """Free GL objects and tell imgui its textures are gone (so a new renderer can recreate them)."""
        if imgui.get_current_context() is not None:
            for tex in imgui.get_platform_io().textures:
                if int(tex.tex_id) in self.textures:
                    tex.set_tex_id(0)
                    tex.set_status(imgui.ImTextureStatus.want_create)
            imgui.get_io().backend_flags &= ~imgui.BackendFlags_.renderer_has_textures
        for texture in self.textures.values():
            texture.release()
        self.textures.clear()
        self._vao.release()
        self._vbo.release()
        self._ibo.release()
        self.program.release()


def _pixels(tex) -> np.ndarray:
    """An ImTextureData's pixels as a (height, width, bytes_per_pixel) uint8 view."""
    flat = np.asarray(tex.get_pixels_array(), dtype=np.uint8)
    return flat.reshape(tex.height, tex.width, tex.bytes_per_pixel)


def _next_pow2(n: int) -> int:
    return max(_MIN_BUFFER_BYTES, 1 << (int(n) - 1).bit_length())


# --- keyboard and clipboard (glfw codes, which moderngl-window's glfw backend passes through) ---

def _glfw_key_map() -> dict[int, imgui.Key]:
    import glfw

    K = imgui.Key
    keys: dict[int, imgui.Key] = {
        glfw.KEY_TAB: K.tab, glfw.KEY_LEFT: K.left_arrow, glfw.KEY_RIGHT: K.right_arrow,
        glfw.KEY_UP: K.up_arrow, glfw.KEY_DOWN: K.down_arrow, glfw.KEY_PAGE_UP: K.page_up,
        glfw.KEY_PAGE_DOWN: K.page_down, glfw.KEY_HOME: K.home, glfw.KEY_END: K.end,
        glfw.KEY_INSERT: K.insert, glfw.KEY_DELETE: K.delete, glfw.KEY_BACKSPACE: K.backspace,
        glfw.KEY_SPACE: K.space, glfw.KEY_ENTER: K.enter, glfw.KEY_ESCAPE: K.escape,
        glfw.KEY_APOSTROPHE: K.apostrophe, glfw.KEY_COMMA: K.comma, glfw.KEY_MINUS: K.minus,
        glfw.KEY_PERIOD: K.period, glfw.KEY_SLASH: K.slash, glfw.KEY_SEMICOLON: K.semicolon,
        glfw.KEY_EQUAL: K.equal, glfw.KEY_LEFT_BRACKET: K.left_bracket, glfw.KEY_BACKSLASH: K.backslash,
        glfw.KEY_RIGHT_BRACKET: K.right_bracket, glfw.KEY_GRAVE_ACCENT: K.grave_accent,
        glfw.KEY_CAPS_LOCK: K.caps_lock, glfw.KEY_SCROLL_LOCK: K.scroll_lock, glfw.KEY_NUM_LOCK: K.num_lock,
        glfw.KEY_PRINT_SCREEN: K.print_screen, glfw.KEY_PAUSE: K.pause, glfw.KEY_MENU: K.menu,
        glfw.KEY_KP_DECIMAL: K.keypad_decimal, glfw.KEY_KP_DIVIDE: K.keypad_divide,
        glfw.KEY_KP_MULTIPLY: K.keypad_multiply, glfw.KEY_KP_SUBTRACT: K.keypad_subtract,
        glfw.KEY_KP_ADD: K.keypad_add, glfw.KEY_KP_ENTER: K.keypad_enter, glfw.KEY_KP_EQUAL: K.keypad_equal,
        glfw.KEY_LEFT_SHIFT: K.left_shift, glfw.KEY_LEFT_CONTROL: K.left_ctrl, glfw.KEY_LEFT_ALT: K.left_alt,
        glfw.KEY_LEFT_SUPER: K.left_super, glfw.KEY_RIGHT_SHIFT: K.right_shift,
        glfw.KEY_RIGHT_CONTROL: K.right_ctrl, glfw.KEY_RIGHT_ALT: K.right_alt,
        glfw.KEY_RIGHT_SUPER: K.right_super,
    }
    for i in range(10):
        keys[getattr(glfw, f"KEY_{i}")] = getattr(K, f"_{i}")
        keys[getattr(glfw, f"KEY_KP_{i}")] = getattr(K, f"keypad{i}")
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        keys[getattr(glfw, f"KEY_{letter}")] = getattr(K, letter.lower())
    for i in range(1, 25):
        keys[getattr(glfw, f"KEY_F{i}")] = getattr(K, f"f{i}")
    return keys


_KEY_MAP: dict[int, imgui.Key] | None = None


def glfw_key_map() -> dict[int, imgui.Key]:
    """glfw key code -> imgui key, for every key imgui knows (letters, digits, F1-F24, keypad, modifiers)."""
    global _KEY_MAP
    if _KEY_MAP is None:
        _KEY_MAP = _glfw_key_map()
    return _KEY_MAP


# glfw modifier bits
MOD_SHIFT, MOD_CONTROL, MOD_ALT, MOD_SUPER = 0x1, 0x2, 0x4, 0x8


# glfw's modifier keys (KEY_LEFT_SHIFT ... KEY_RIGHT_SUPER) and their bits: glfw is imported only to map keys
_MODIFIER_KEYS = {340: MOD_SHIFT, 344: MOD_SHIFT, 341: MOD_CONTROL, 345: MOD_CONTROL, 342: MOD_ALT,
                  346: MOD_ALT, 343: MOD_SUPER, 347: MOD_SUPER}


def feed_modifiers(mods: int) -> None:
    """Tell imgui which modifiers are held (glfw bits): it reads Ctrl+C as mod_ctrl + c, and Ctrl+click on a
    slider as mod_ctrl held at the click (to type its value)."""
    io = imgui.get_io()
    io.add_key_event(imgui.Key.mod_ctrl, bool(mods & MOD_CONTROL))
    io.add_key_event(imgui.Key.mod_shift, bool(mods & MOD_SHIFT))
    io.add_key_event(imgui.Key.mod_alt, bool(mods & MOD_ALT))
    io.add_key_event(imgui.Key.mod_super, bool(mods & MOD_SUPER))


def feed_key(glfw_key: int, down: bool, mods: int) -> None:
    """Pass one glfw key event to imgui, modifiers first. On X11 a modifier key's own event carries the
    state from before it: Ctrl's press says Ctrl is not held, so its own bit is set from the event (a
    Ctrl+click then finds Ctrl held). Its release says Ctrl is held, and is passed so: the next event
    clears it. Clearing it at once broke xdotool's fast ctrl+v now and then (the window test's paste
    failed 3 times in 4): Ctrl's release, queued right after V's press, came before the frame that read V."""
    bit = _MODIFIER_KEYS.get(glfw_key, 0)
    feed_modifiers(mods | bit if down else mods)
    key = glfw_key_map().get(glfw_key)
    if key is not None:
        imgui.get_io().add_key_event(key, down)


def feed_char(codepoint: int) -> None:
    """Pass one typed character to imgui."""
    if 0 < codepoint < 0x110000:
        imgui.get_io().add_input_character(codepoint)


def install_clipboard(get_text: Callable[[], str], set_text: Callable[[str], None]) -> None:
    """Route imgui's clipboard (Ctrl+C / Ctrl+V in text fields) through the window system."""
    platform_io = imgui.get_platform_io()

    def _get(_ctx) -> str:
        try:
            return get_text() or ""
        except Exception:  # no clipboard owner: paste nothing rather than crash the frame
            return ""

    def _set(_ctx, text: str) -> None:
        set_text(text)

    platform_io.platform_get_clipboard_text_fn = _get
    platform_io.platform_set_clipboard_text_fn = _set
