"""The desktop application: app logic that can run headless (GlvizApp), and the window around it.

GlvizApp owns the models, the trace, the camera, the scene state, hover and the imgui panel; it takes input
events in window coordinates (logical pixels, y down) and draws a frame into whatever framebuffer it is given.
GlvizWindow is the moderngl-window WindowConfig that forwards glfw events to it; `run_app` is the main loop,
which sleeps in `glfw.wait_events_timeout` while nothing changes, so an idle window costs no CPU.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import moderngl
import numpy as np
from imgui_bundle import imgui, implot

from glviz.errors import GlvizError
from glviz.model.config import APP_MODELS
from glviz.model.sort_task import DEFAULT_LETTERS, LETTERS, N_LETTERS
from glviz.ui.imgui_renderer import (
    MOD_ALT,
    MOD_CONTROL,
    MOD_SHIFT,
    MOD_SUPER,
    ImguiRenderer,
    feed_char,
    feed_key,
    install_clipboard,
)
from glviz.ui.panel import PANEL_SHARE, PANEL_WIDTH, Panel, setup_style

# Mouse buttons as moderngl-window numbers them.
LEFT, RIGHT, MIDDLE = 1, 2, 3
_IMGUI_BUTTON = {LEFT: 0, RIGHT: 1, MIDDLE: 2}
# glfw key codes (moderngl-window's glfw backend passes glfw's codes through); modifier bits: imgui_renderer.
KEY_SPACE, KEY_1, KEY_4, KEY_F, KEY_I, KEY_P, KEY_Q, KEY_W, KEY_HOME = 32, 49, 52, 70, 73, 80, 81, 87, 268

MODELS = APP_MODELS  # keys 1–4
BACKGROUND = (0.09, 0.09, 0.11)
DOUBLE_CLICK_S = 0.35
ROTATE_DEG_PER_PX = 0.3
ZOOM_PER_WHEEL_STEP = 0.85
MAX_ZOOM_OUT = 4.0  # the camera's farthest distance, in overview distances ...
WHOLE_ZOOM_OUT = 1.5  # ... or in whole-model view distances (key W), where that is farther
EXTRA_FRAMES = 3  # imgui settles a layout change over a couple of frames


def _require_app_model(name: str) -> None:
    """GlvizError unless the app can show `name` (a preset can also be one it does not offer)."""
    if name not in MODELS:
        raise GlvizError(f"the app shows {', '.join(MODELS)} ({name!r})")


@dataclass
class ModelView:
    """One model as the app shows it; kept after the first build so switching back is instant."""

    name: str
    config: object
    layout: object
    renderer: object  # FrameRenderer
    explainer: object  # HoverExplainer
    weights: object = None
    trace: object = None


class GlvizApp:
    """Everything the application does, independent of the window: state, input handling, drawing."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int] = (1280, 800), pixel_ratio: float = 1.0,
                 model: str = "nano", letters: str = DEFAULT_LETTERS, clipboard=None,
                 screenshot_dir: str | Path | None = None) -> None:
        from glviz.model.config import get_preset

        get_preset(model)  # GlvizError for an unknown name before anything is built
        _require_app_model(model)
        self.ctx = ctx
        self.width, self.height = 1, 1
        self.pixel_ratio = pixel_ratio
        self.screenshot_dir = Path(screenshot_dir) if screenshot_dir else Path.cwd()
        self.messages: list[str] = []
        self.input_error = ""
        self.letters = ""
        self.quit_requested = False
        self.title_changed = True

        self.imgui_context = imgui.create_context()
        self.implot_context = implot.create_context()
        imgui.get_io().set_ini_filename("")
        setup_style()
        if clipboard is not None:
            install_clipboard(*clipboard)
        self.imgui_renderer = ImguiRenderer(ctx)
        self.panel = Panel()

        self._views: dict[str, ModelView] = {}
        self._building: tuple[str, float, threading.Thread, dict] | None = None
        self.view: ModelView | None = None
        self.camera = None
        self.scene = None
        self.hover = None  # HoverInfo of the hovered cell
        self._hovered: tuple[int, int, int] | None = None
        self._anchors_of: tuple[int, int] | None = None  # (id(layout), block) that _anchors belong to
        self._anchors: list[tuple[str, np.ndarray]] = []

        self._mouse = (-1.0, -1.0)
        self._buttons: set[int] = set()
        self._drag_owner: str | None = None  # "scene" or "ui" for the press that started the drag
        self._drag_mode: str | None = None  # "pan" or "rotate"
        self._last_click = (0.0, 0.0, 0.0)  # time, x, y of the last left press in the scene
        self._pick_pending = True
        self._picked_pose = None  # the camera pose of the last pick: any other pose needs a new one
        self._frames_left = EXTRA_FRAMES
        self._screenshot_pending = False
        self._last_time = time.monotonic()

        self.resize(*size)
        self._letters_pending = letters
        self._activate(self._build_view(model))

    # --- geometry ------------------------------------------------------------------------------------------

    def resize(self, width: int, height: int, pixel_ratio: float | None = None) -> None:
        """Window size in logical pixels (0×0 when minimised is fine)."""
        self.width, self.height = max(int(width), 0), max(int(height), 0)
        if pixel_ratio is not None:
            self.pixel_ratio = pixel_ratio
        self._pick_pending = True
        self.invalidate()

    @property
    def panel_width(self) -> float:
        """The panel shrinks with narrow windows so that some 3D view always remains."""
        return float(min(PANEL_WIDTH, PANEL_SHARE * self.width))

    @property
    def viewport(self) -> tuple[float, float, float, float]:
        """The 3D view's rectangle in logical pixels (x, y, w, h), y down: the window minus the panel."""
        return 0.0, 0.0, max(self.width - self.panel_width, 0.0), float(self.height)

    @property
    def aspect(self) -> float:
        """Width / height of the 3D view (poses are framed for it)."""
        _, _, w, h = self.viewport
        return w / h if w > 0 and h > 0 else 16 / 9

    def in_viewport(self, x: float, y: float) -> bool:
        """Whether window point (x, y) is in the 3D view (not over the panel)."""
        vx, vy, vw, vh = self.viewport
        return vx <= x < vx + vw and vy <= y < vy + vh

    # --- models --------------------------------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        return self.view.name

    @property
    def config(self):
        return self.view.config

    @property
    def computed(self) -> bool:
        return self.view.trace is not None

    @property
    def has_input(self) -> bool:
        return self.view.name == "nano"

    @property
    def tokens_shown(self) -> int:
        """T of the trace shown, or the context length of a render-only model."""
        return self.view.trace.T if self.view.trace is not None else self.view.config.block_size

    @property
    def title(self) -> str:
        from glviz.model.config import DISPLAY_NAMES

        return f"glviz — {DISPLAY_NAMES.get(self.view.name, self.view.name)}"

    @property
    def building(self) -> tuple[str, float] | None:
        """(display name, seconds so far) of a model whose layout builds in the background."""
        if self._building is None:
            return None
        from glviz.model.config import DISPLAY_NAMES

        name, start, _, _ = self._building
        return DISPLAY_NAMES.get(name, name), time.monotonic() - start

    def model_choices(self) -> list[tuple[str, str, int]]:
        """(name, display name, parameter count) per selectable model."""
        from glviz.model.config import DISPLAY_NAMES, PRESETS, param_count

        out = []
        for name in MODELS:
            label = DISPLAY_NAMES.get(name, name)
            if name == "gpt3":
                label += " (render-only)"
            out.append((name, label, param_count(PRESETS[name])))
        return out

    def switch_model(self, name: str, wait: bool = False) -> None:
        """Show another model; the first selection of a big one builds its layout in the background."""
        _require_app_model(name)
        if self.view is not None and name == self.view.name:
            return
        if name in self._views:
            self._activate(self._views[name])
            return
        if self._building is not None:
            if self._building[0] == name and wait:
                self._building[2].join()
                self._finish_build()
            return
        result: dict = {}
        thread = threading.Thread(target=self._build_layout_into, args=(name, result), daemon=True)
        self._building = (name, time.monotonic(), thread, result)
        thread.start()
        if wait:
            thread.join()
            self._finish_build()
        self.invalidate()

    @staticmethod
    def _build_layout_into(name: str, result: dict) -> None:
        from glviz.layout.blocks import build_layout
        from glviz.model.config import PRESETS

        try:
            result["layout"] = build_layout(PRESETS[name])
        except Exception as exc:  # reported in the panel; the previous model stays on screen
            result["error"] = exc

    def _finish_build(self) -> None:
        """Main thread: turn a finished background layout into a view (GL work must happen here)."""
        if self._building is None or self._building[2].is_alive():
            return
        name, _, _, result = self._building
        self._building = None
        if "error" in result:
            self.message(f"could not build {name}: {result['error']}")
            return
        self._activate(self._make_view(name, result["layout"]))

    def _build_view(self, name: str) -> ModelView:
        from glviz.layout.blocks import build_layout
        from glviz.model.config import PRESETS

        return self._make_view(name, build_layout(PRESETS[name]))

    def _make_view(self, name: str, layout) -> ModelView:
        from glviz.model.config import PRESETS
        from glviz.render.frame import FrameRenderer
        from glviz.ui.hover import HoverExplainer

        renderer = FrameRenderer(self.ctx)
        renderer.set_layout(layout)
        view = ModelView(name, PRESETS[name], layout, renderer, HoverExplainer(layout))
        if name == "nano":
            view.weights = self._nano_weights()
        self._views[name] = view
        return view

    def _nano_weights(self):
        """The shipped sort model, or random weights (and a message) when it is missing."""
        from glviz.model.sort_task import load_nano

        try:
            return load_nano()
        except GlvizError as exc:
            from glviz.model.config import PRESETS
            from glviz.model.weights import random_weights

            self.message(f"{exc}: showing random weights (train them with `glviz train-sort`)")
            return random_weights(PRESETS["nano"], seed=0, std=0.3)

    def _activate(self, view: ModelView) -> None:
        from glviz.render.camera import OrbitCamera, overview_pose, whole_pose
        from glviz.scene import SceneState

        previous = self.view
        self.view = view
        self.scene = SceneState(view.layout)
        self.camera = OrbitCamera(overview_pose(view.layout, aspect=self.aspect))
        # Zooming out stops a few overviews away, but always leaves room for the whole-model view (W).
        whole = whole_pose(view.layout, aspect=self.aspect).distance
        self._max_distance = max(MAX_ZOOM_OUT * self.camera.distance, WHOLE_ZOOM_OUT * whole)
        self._set_hover(None)
        if view.name == "nano" and view.trace is None:
            letters = self._letters_pending or DEFAULT_LETTERS
            if not self.set_input(letters):
                self.set_input(DEFAULT_LETTERS)
        self.title_changed = previous is not view
        self.invalidate()

    # --- input letters (nano) ------------------------------------------------------------------------------

    def set_input(self, text: str) -> bool:
        """Trace the nano model on six letters; invalid text is refused with a message and nothing changes."""
        from glviz.model.forward import Trace
        from glviz.model.sort_task import format_letters, nano_sequence, parse_letters

        nano = self._views.get("nano")
        if nano is None:
            self._letters_pending = text
            return True
        try:
            inputs = parse_letters(text)
        except GlvizError as exc:
            self.input_error = f"input refused: {exc}"
            self.invalidate()
            return False
        letters = format_letters(inputs)
        self.input_error = ""
        if nano.trace is not None and letters == self.letters:
            return True
        trace = Trace(nano.weights, nano_sequence(nano.weights, inputs))
        nano.trace = trace
        nano.renderer.upload_trace(trace)
        nano.explainer.set_trace(trace)
        self.letters = letters
        if self.view is nano and self._hovered is not None:  # same cell, new values
            self._set_hover(self._hovered, again=True)
        self._pick_pending = True
        self.invalidate()
        return True

    def edit_input(self, text: str) -> None:
        """Called while typing: apply six valid letters at once, explain what is wrong otherwise."""
        stripped = text.strip()
        bad = sorted({ch for ch in stripped.upper() if ch not in LETTERS})
        if bad:
            self.input_error = f"input refused: only the letters A, B and C ({''.join(bad)!r})"
        elif len(stripped) != N_LETTERS:
            self.input_error = f"type {N_LETTERS} letters ({len(stripped)} so far)"
        else:
            self.set_input(stripped)
            return
        self.invalidate()

    def refuse_letter(self, char: str) -> None:
        """A character the letters field did not take (it only takes A, B and C)."""
        self.input_error = f"input refused: only the letters A, B and C ({char!r})"
        self.invalidate()

    def randomize_input(self, rng: np.random.Generator | None = None) -> None:
        """Trace six random letters."""
        rng = rng or np.random.default_rng()
        self.set_input("".join(rng.choice(list(LETTERS), size=N_LETTERS)))

    @property
    def prediction(self) -> tuple[str, np.ndarray] | None:
        """The sorted letters the model predicts and P(A), P(B), P(C) at each output position (6, 3)."""
        nano = self._views.get("nano")
        if nano is None or nano.trace is None or self.view is not nano:
            return None
        probs = np.asarray(nano.trace["probs"], dtype=np.float64)[5:11]  # (6, V=3): position 5+k predicts k
        letters = "".join(LETTERS[int(i)] for i in probs.argmax(axis=1))
        return letters, probs

    # --- events (logical pixels, y down) -------------------------------------------------------------------

    def mouse_move(self, x: float, y: float) -> None:
        """Pointer moved: drags pan or rotate the scene, the hover is picked again next frame."""
        dx, dy = x - self._mouse[0], y - self._mouse[1]
        self._mouse = (float(x), float(y))
        imgui.get_io().add_mouse_pos_event(float(x), float(y))
        if self._drag_owner == "scene" and self._buttons and (dx or dy):  # a still click keeps a flight going
            vw, vh = self.viewport[2], self.viewport[3]
            if self._drag_mode == "pan":
                self.camera.pan(dx, dy, vh if vh > 0 else 1.0)
            elif vw > 0:
                self.camera.rotate(-dx * ROTATE_DEG_PER_PX, dy * ROTATE_DEG_PER_PX)
        self._pick_pending = True
        self.invalidate()

    def mouse_press(self, x: float, y: float, button: int, mods: int = 0) -> None:
        """A button went down: starts a drag (scene or panel); a double click flies to a block."""
        self.mouse_move(x, y)
        self._buttons.add(button)
        if self._drag_owner is None:
            over_ui = not self.in_viewport(x, y) or imgui.get_io().want_capture_mouse
            self._drag_owner = "ui" if over_ui else "scene"
            self._drag_mode = "pan" if button == LEFT and not mods & MOD_SHIFT else "rotate"
        if button in _IMGUI_BUTTON:
            # imgui sees scene clicks too, as clicks on empty space: that ends typing in a text field.
            imgui.get_io().add_mouse_button_event(_IMGUI_BUTTON[button], True)
        if self._drag_owner == "scene" and button == LEFT:
            now = time.monotonic()
            t0, x0, y0 = self._last_click
            if now - t0 < DOUBLE_CLICK_S and abs(x - x0) < 5 and abs(y - y0) < 5:
                self.fly_to_block_under_cursor()
                now = 0.0  # a third click starts a new pair
            self._last_click = (now, x, y)
        self.invalidate()

    def mouse_release(self, x: float, y: float, button: int, mods: int = 0) -> None:
        """A button went up: ends the drag when it was the last one down."""
        self._buttons.discard(button)
        if not self._buttons:
            self._drag_owner = self._drag_mode = None
        # Moved only after the drag ended: glfw reports where the pointer is when the release is handled,
        # which can be far from where the button went up; that jump must not pan the scene.
        self.mouse_move(x, y)
        if button in _IMGUI_BUTTON:
            imgui.get_io().add_mouse_button_event(_IMGUI_BUTTON[button], False)
        self.invalidate()

    def scroll(self, dx: float, dy: float) -> None:
        """The wheel zooms toward the point under the cursor in the view, and scrolls the panel over it."""
        x, y = self._mouse
        if not self.in_viewport(x, y) or imgui.get_io().want_capture_mouse:
            imgui.get_io().add_mouse_wheel_event(float(dx), float(dy))
        elif dy:
            factor = ZOOM_PER_WHEEL_STEP ** float(dy)
            # Zooming out stops a few overviews away: further out the model is a dot lost in the void.
            factor = min(factor, max(self._max_distance / self.camera.distance, 1.0))
            self.camera.zoom(factor, self._point_under_cursor())
            self._pick_pending = True
        self.invalidate()

    def key(self, key: int, down: bool, mods: int = 0) -> None:
        """A glfw key event; shortcuts apply unless a text field has the keyboard."""
        feed_key(key, down, mods)
        self.invalidate()
        if down and key == KEY_Q and mods & MOD_CONTROL:  # quits even while typing in a text field
            self.quit_requested = True
        if not down or imgui.get_io().want_text_input or mods & MOD_CONTROL:
            return
        if KEY_1 <= key <= KEY_4:
            self.switch_model(MODELS[key - KEY_1])
        elif key == KEY_F:
            self.focus_hovered()
        elif key == KEY_HOME:
            self.overview()
        elif key == KEY_W:
            self.whole_view()
        elif key == KEY_I:
            self.input_view()
        elif key == KEY_SPACE:
            self.message("The guided walkthrough is not available yet.")
        elif key == KEY_P:
            self._screenshot_pending = True

    def char(self, codepoint: int) -> None:
        """A typed character, for the focused text field."""
        feed_char(codepoint)
        self.invalidate()

    # --- camera actions ------------------------------------------------------------------------------------

    def overview(self) -> None:
        """The model's card and top part (key Home)."""
        from glviz.render.camera import overview_pose

        self._fly_to_view(overview_pose)

    def whole_view(self) -> None:
        """The whole model in the view (key W)."""
        from glviz.render.camera import whole_pose

        self._fly_to_view(whole_pose)

    def input_view(self) -> None:
        """The tokens and embeddings (key I)."""
        from glviz.render.camera import input_pose

        self._fly_to_view(input_pose)

    def _fly_to_view(self, pose_for) -> None:
        """Fly to `pose_for(layout, aspect=...)` with every block shown again (undoes a fly-to's reveal)."""
        self.scene.show_all()
        self.camera.fly_to(pose_for(self.view.layout, aspect=self.aspect))
        self.invalidate()

    def focus_block(self, block: int) -> None:
        """Fly to a block; blocks in front of it (lower-numbered heads) are hidden until the next view."""
        from glviz.render.camera import block_pose

        self.scene.reveal(block)
        self.camera.fly_to(block_pose(self.view.layout, block, aspect=self.aspect))
        self.invalidate()

    def focus_hovered(self) -> None:
        """Fly to the hovered block (key F), or say how to pick one."""
        if self._hovered is None:
            self.message("Hover a block first, then press F.")
        else:
            self.focus_block(self._hovered[0])

    def fly_to_block_under_cursor(self) -> None:
        """Fly to the block under the pointer (double click)."""
        hit = self._pick_at(*self._mouse)
        if hit is not None:
            self.focus_block(hit.block)

    # --- hover ---------------------------------------------------------------------------------------------

    def _pick_at(self, x: float, y: float):
        from glviz.render.picking import pick

        if not self.in_viewport(x, y):
            return None
        origin, direction = self.camera.ray(x, y, self.viewport)
        return pick(self.view.layout, origin, direction, hidden=self.scene.hidden)

    def _point_under_cursor(self) -> np.ndarray:
        """The world point under the cursor: the hit cell, else where the ray crosses the target's depth."""
        hit = self._pick_at(*self._mouse)
        if hit is not None:
            return np.asarray(hit.point)
        origin, direction = self.camera.ray(*self._mouse, self.viewport)
        _, _, forward = self.camera.basis()
        along = max(float(np.dot(direction, forward)), 1e-6)
        depth = float(np.dot(self.camera.target - origin, forward)) / along
        return origin + direction * depth

    def _update_hover(self) -> None:
        self._pick_pending = False
        self._picked_pose = self.camera.pose
        if self._drag_owner == "scene":
            return  # keep the hovered cell still while the scene moves under a drag
        x, y = self._mouse
        if not self.in_viewport(x, y):
            return  # over the panel: keep the explanation readable
        hit = self._pick_at(x, y)
        self._set_hover(None if hit is None else (hit.block, hit.row, hit.col))

    def _set_hover(self, cell: tuple[int, int, int] | None, again: bool = False) -> None:
        """Hover `cell` (None: nothing) in the panel and scene; `again` explains an unchanged cell anew."""
        if cell == self._hovered and not again:
            return
        self._hovered = cell
        if cell is None:
            self.hover = None
            self.scene.set_hover(None)
            self.scene.set_highlight([])
        else:
            self.hover = self.view.explainer.explain(*cell)
            self.scene.set_hover(cell, self.hover.dependencies)
            self.scene.set_highlight([cell[0]])
        self.invalidate()

    def section_labels(self) -> list[tuple[str, float, float]]:
        """The section labels of the hovered block (Transformer i, Self-attention, Head h, ...) and where they
        are on screen: for each part of the block's section path, the nearest section with that label."""
        layout, block = self.view.layout, self._hovered[0]
        # Called every frame while a cell is hovered: the search through all sections (10k for GPT-3) is
        # done once per hovered block, only the projection per frame.
        if self._anchors_of != (id(layout), block):
            self._anchors_of = (id(layout), block)
            self._anchors = section_anchors(layout, block)
        vx, vy, vw, vh = self.viewport
        view_projection = self.camera.view_projection(self.aspect).astype(np.float64)
        out = []
        for part, position in self._anchors:
            clip = np.append(position, 1.0) @ view_projection
            if clip[3] <= 0:  # behind the camera
                continue
            x, y = clip[0] / clip[3], clip[1] / clip[3]
            out.append((part, vx + (x + 1) / 2 * vw, vy + (1 - y) / 2 * vh))
        return out

    # --- frames --------------------------------------------------------------------------------------------

    def invalidate(self, frames: int = EXTRA_FRAMES) -> None:
        """Something changed: draw the next few frames."""
        self._frames_left = max(self._frames_left, frames)

    @property
    def needs_frame(self) -> bool:
        """Whether the main loop should draw (otherwise it sleeps until an event)."""
        return (self._frames_left > 0 or self.camera.animating or self._building is not None
                or self._screenshot_pending)

    def message(self, text: str) -> None:
        """Show `text` in the panel (the last 20 are kept)."""
        self.messages.append(text)
        del self.messages[:-20]
        self.invalidate()

    def frame(self, fbo: moderngl.Framebuffer | None = None, dt: float | None = None) -> bool:
        """Advance and draw one frame into `fbo` (default: the bound framebuffer); False if minimised."""
        now = time.monotonic()
        dt = now - self._last_time if dt is None else dt
        self._last_time = now
        if self._building is not None and not self._building[2].is_alive():
            self._finish_build()
        if self.camera.update(dt):
            self.invalidate(1)
        if self.camera.pose != self._picked_pose:  # moved (flight, Home): new things under the cursor
            self._pick_pending = True
        if self._pick_pending:
            self._update_hover()
        self._frames_left = max(self._frames_left - 1, 0)
        fb_w, fb_h = int(self.width * self.pixel_ratio), int(self.height * self.pixel_ratio)
        if fb_w <= 0 or fb_h <= 0:
            return False  # minimised

        io = imgui.get_io()
        io.display_size = imgui.ImVec2(float(self.width), float(self.height))
        io.display_framebuffer_scale = imgui.ImVec2(self.pixel_ratio, self.pixel_ratio)
        io.delta_time = max(dt, 1e-4)
        imgui.new_frame()
        vx, vy, vw, vh = self.viewport
        self.panel.draw(self, vw, self.panel_width, self.height)
        if self._hovered is not None:
            self.panel.draw_section_labels(self.section_labels(), self.hover, (vx, vy, vw, vh))
        if self._hovered is not None and self.in_viewport(*self._mouse) and self._drag_owner is None:
            self.panel.draw_tooltip(self.hover, *self._mouse, (vx + vw, vy + vh))
        imgui.render()

        if fbo is not None:
            fbo.use()
        self.ctx.viewport = (0, 0, fb_w, fb_h)
        self.ctx.scissor = None
        self.ctx.clear(*BACKGROUND, 1.0)
        view_px = (int(vx * self.pixel_ratio), 0, int(vw * self.pixel_ratio), fb_h)
        if view_px[2] > 0:
            self.view.renderer.render(self.scene, self.camera, viewport=view_px)
        self.ctx.viewport = (0, 0, fb_w, fb_h)
        self.imgui_renderer.render(imgui.get_draw_data())
        if self._screenshot_pending:
            self._screenshot_pending = False
            self._save_screenshot(fbo if fbo is not None else self.ctx.fbo, fb_w, fb_h)
        return True

    def _save_screenshot(self, fbo: moderngl.Framebuffer, width: int, height: int) -> None:
        from PIL import Image

        pixels = fbo.read(viewport=(0, 0, width, height), components=3, alignment=1)
        image = Image.frombytes("RGB", (width, height), pixels).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        path = self.screenshot_dir / time.strftime("glviz-%Y%m%d-%H%M%S.png")
        n = 1
        while path.exists():
            path = path.with_name(time.strftime("glviz-%Y%m%d-%H%M%S") + f"-{n}.png")
            n += 1
        try:
            image.save(path)
        except OSError as exc:
            self.message(f"screenshot not saved: {exc}")
            return
        self.message(f"Screenshot saved: {path}")

    def release(self) -> None:
        """Free GL resources and the imgui contexts."""
        for view in self._views.values():
            view.renderer.release()
        self.imgui_renderer.release()
        implot.destroy_context(self.implot_context)
        imgui.destroy_context(self.imgui_context)


def section_anchors(layout, block: int) -> list[tuple[str, np.ndarray]]:
    """(label, world position) per part of `block`'s section path: the nearest section with that label."""
    path = layout.blocks[block].section
    if not path or not layout.sections:
        return []
    centre = (layout.mins[block] + layout.maxs[block]) / 2
    out = []
    for part in path.split(" / "):
        candidates = [s for s in layout.sections if s.label == part]
        if not candidates:
            continue
        section = min(candidates, key=lambda s: float(np.sum((np.asarray(s.position) - centre) ** 2)))
        out.append((part, np.asarray(section.position, dtype=np.float64)))
    return out


# --- the window ---------------------------------------------------------------------------------------------

def _modifier_bits(modifiers, window=None) -> int:
    """moderngl-window's KeyModifiers (+ Super read from glfw) as glfw's bit field."""
    bits = (MOD_SHIFT if modifiers.shift else 0) | (MOD_CONTROL if modifiers.ctrl else 0)
    bits |= MOD_ALT if modifiers.alt else 0
    if window is not None:
        import glfw

        if glfw.get_key(window, glfw.KEY_LEFT_SUPER) or glfw.get_key(window, glfw.KEY_RIGHT_SUPER):
            bits |= MOD_SUPER
    return bits


def _window_config_class():
    """GlvizWindow, defined on first use so that importing this module does not import moderngl-window."""
    import moderngl_window as mglw

    class GlvizWindow(mglw.WindowConfig):
        """Forwards the window's events to a GlvizApp and draws it into the window."""

        gl_version = (3, 3)
        title = "glviz"
        resizable = True
        vsync = True
        aspect_ratio = None

        def __init__(self, app_options: dict, **kwargs) -> None:
            super().__init__(**kwargs)
            glfw_window = self.wnd._window

            def get_clipboard() -> str:
                import glfw

                text = glfw.get_clipboard_string(glfw_window)
                return text.decode("utf-8", "replace") if isinstance(text, bytes) else (text or "")

            def set_clipboard(text: str) -> None:
                import glfw

                glfw.set_clipboard_string(glfw_window, text)

            self.app = GlvizApp(self.ctx, size=self.wnd.size, pixel_ratio=self.wnd.pixel_ratio,
                                clipboard=(get_clipboard, set_clipboard), **app_options)

        def sync_title(self) -> None:
            if self.app.title_changed:
                self.wnd.title = self.app.title
                self.app.title_changed = False

        def on_render(self, time_s: float, frame_time: float) -> None:
            self.app.frame(self.wnd.fbo)

        def on_resize(self, width: int, height: int) -> None:
            self.app.resize(*self.wnd.size, pixel_ratio=self.wnd.pixel_ratio if self.wnd.width else None)

        def on_iconify(self, iconified: bool) -> None:
            self.app.invalidate()

        def on_key_event(self, key, action, modifiers) -> None:
            keys = self.wnd.keys
            if action in (keys.ACTION_PRESS, keys.ACTION_RELEASE) or action == 2:  # 2: glfw REPEAT
                self.app.key(key, action != keys.ACTION_RELEASE, _modifier_bits(modifiers, self.wnd._window))

        def on_mouse_position_event(self, x: int, y: int, dx: int, dy: int) -> None:
            self.app.mouse_move(x, y)

        def on_mouse_drag_event(self, x: int, y: int, dx: int, dy: int) -> None:
            self.app.mouse_move(x, y)

        def on_mouse_press_event(self, x: int, y: int, button: int) -> None:
            self.app.mouse_press(x, y, button, _modifier_bits(self.wnd.modifiers))

        def on_mouse_release_event(self, x: int, y: int, button: int) -> None:
            self.app.mouse_release(x, y, button, _modifier_bits(self.wnd.modifiers))

        def on_mouse_scroll_event(self, x_offset: float, y_offset: float) -> None:
            self.app.scroll(x_offset, y_offset)

        def on_unicode_char_entered(self, char: str) -> None:
            self.app.char(ord(char))

    return GlvizWindow


def has_display() -> bool:
    """Whether an X11 or Wayland display is set."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def process_age() -> float:
    """Seconds since this process started (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(uptime - start_ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return 0.0


FIRST_FRAME_ENV = "GLVIZ_EXIT_AFTER_FIRST_FRAME"  # set: print the time to the first frame, then exit


def run_app(model: str = "nano", letters: str = DEFAULT_LETTERS, size: tuple[int, int] = (1280, 800),
            screenshot_dir: str | None = None) -> int:
    """Open the window and run until it is closed. GlvizError when there is no display."""
    if not has_display():
        raise GlvizError("no display: set DISPLAY or use `glviz render`")
    import glfw
    from moderngl_window import activate_context
    from moderngl_window.context.glfw import Window
    from moderngl_window.timers.clock import Timer

    from glviz.model.config import DISPLAY_NAMES

    try:
        with warnings.catch_warnings():  # glfw warns before raising: one line is enough
            warnings.simplefilter("ignore")
            window = Window(title=f"glviz — {DISPLAY_NAMES.get(model, model)}", size=size, resizable=True,
                            vsync=True, gl_version=(3, 3), aspect_ratio=None, visible=True, cursor=True,
                            samples=0)
    except Exception as exc:  # glfw/glcontext failures: no X server, no GL 3.3
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise GlvizError(f"no display: set DISPLAY or use `glviz render` ({reason})") from None
    activate_context(window=window)
    timer = Timer()
    config = _window_config_class()(
        {"model": model, "letters": letters, "screenshot_dir": screenshot_dir},
        ctx=window.ctx, wnd=window, timer=timer,
    )
    app = config.app
    exit_after_first = bool(os.environ.get(FIRST_FRAME_ENV))
    timer.start()
    try:
        while not window.is_closing and not app.quit_requested:
            if app.needs_frame and window.width > 0 and window.height > 0:
                config.sync_title()
                window.use()
                drawn = app.frame(window.fbo)
                glfw.swap_buffers(window._window)
                if drawn and exit_after_first:
                    sys.stdout.write(f"glviz: first frame after {process_age():.3f} s\n")
                    sys.stdout.flush()
                    break
                glfw.poll_events()
            else:
                # Idle: sleep until an event arrives (briefly while a model builds in the background).
                glfw.wait_events_timeout(0.05 if app.building else 0.5)
                if window.width <= 0 or window.height <= 0:
                    app.invalidate()
    finally:
        app.release()
        window.destroy()
    return 0


__all__ = ["GlvizApp", "ModelView", "run_app", "MODELS", "LEFT", "RIGHT", "MIDDLE"]
