"""The desktop application without its window: GlvizApp puts the parts together and draws a frame.

The parts, each in its own module: the models on offer (models.py) and the one on screen (app_models.py),
the nano letters input (letters.py, app_letters.py), checkpoints and the trace worker (app_checkpoint.py),
the window's events, keys and camera moves (app_input.py), input routing (controls.py), hover (hovering.py),
screenshots (screenshots.py), the side panel (panel.py) and the window around it all (window.py). GlvizApp
owns the camera and the scene state of the model on screen, and turns a frame's work into pixels in whatever
framebuffer it is given; headless tests drive it through the same methods the window calls.
"""

from __future__ import annotations

import logging
import time
from functools import partial
from pathlib import Path

import moderngl
from imgui_bundle import imgui, implot

from glviz import i18n
from glviz.errors import Text
from glviz.model.sort_task import DEFAULT_LETTERS
from glviz.ui.app_checkpoint import CheckpointActions
from glviz.ui.app_input import InputActions
from glviz.ui.app_letters import LetterActions
from glviz.ui.app_models import ModelActions
from glviz.ui.app_session import SessionActions
from glviz.ui.camera_control import MAX_ZOOM_OUT, WHOLE_ZOOM_OUT, CameraControl
from glviz.ui.controls import Controls
from glviz.ui.hovering import HoverTracker
from glviz.ui.imgui_renderer import ImguiRenderer, install_clipboard
from glviz.ui.letters import LettersInput
from glviz.ui.message_line import MessageLine
from glviz.ui.models import ModelSessions, ModelView, require_app_model
from glviz.ui.panel import PANEL_SHARE, PANEL_WIDTH, Panel
from glviz.ui.screenshots import pictures_dir, save_screenshot
from glviz.ui.style import complete_fonts, language_or_fallback, setup_style
from glviz.ui.tour import TourController

log = logging.getLogger("glviz")

BACKGROUND = (0.09, 0.09, 0.11)
EXTRA_FRAMES = 3  # imgui settles a layout change over a couple of frames
MESSAGES_KEPT = 20
# The most a frame plays flights and the tour on by: the window sleeps while idle (a learner reading a pause),
# and that time, played at once, skipped a flight or a section. imgui gets the real time (its double clicks).
MAX_FRAME_DT = 0.1


class GlvizApp(ModelActions, CheckpointActions, LetterActions, InputActions, SessionActions):
    """Everything the application does, independent of the window: state, input handling, drawing."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int] = (1280, 800), pixel_ratio: float = 1.0,
                 model: str = "nano", letters: str | None = None, clipboard=None,
                 screenshot_dir: str | Path | None = None, state_path: str | Path | None = None,
                 tour: bool = False, lang: str | None = None, weights: str | Path | None = None) -> None:
        """`state_path`: where the tour keeps the learner's place, and beside it what they explored (None:
        nowhere); `tour`: open the tour on a first launch (no saved place); `lang`: "en" or "ja" (default: the
        saved choice, else the locale); `weights`: a checkpoint folder (or .npz) to open in the background at
        start. `letters` (None: the last launch's, else the default), `model` other than nano and `weights`
        win over the saved session's letters and model (ui/app_session.py)."""
        from glviz.model.config import get_preset

        get_preset(model)  # GlvizError for an unknown name before anything is built
        require_app_model(model)
        self.ctx = ctx
        self.width, self.height = 1, 1
        self.pixel_ratio = pixel_ratio
        self.screenshot_dir = Path(screenshot_dir) if screenshot_dir else pictures_dir()
        self.messages: list[str] = []
        self.message_line = MessageLine()  # the line at the top of the panel (the latest message)
        self.quit_requested = False
        self.title_changed = True
        self.frame_error: str | None = None  # the last error caught inside a frame, once per kind

        self.imgui_context = imgui.create_context()
        self.implot_context = implot.create_context()
        io = imgui.get_io()
        io.set_ini_filename("")
        # A Python error inside the panel leaves imgui windows open: imgui closes them at the end of the frame
        # instead of asserting, and the error is shown in the panel (frame()).
        io.config_error_recovery_enable_assert = False
        io.config_error_recovery_enable_tooltip = False
        setup_style()
        if clipboard is not None:
            install_clipboard(*clipboard)
        self.imgui_renderer = ImguiRenderer(ctx)
        self.panel = Panel()

        self.scene = None
        self.shown: ModelView | None = None  # set by _activate
        self.cameras = CameraControl(self)
        self.controls = Controls(self)
        self.hovering = HoverTracker(self)
        self.letters_input = LettersInput(on_traced=self._letters_traced)
        self.init_checkpoint_parts()
        self.letters_input.pending = letters
        self.models = ModelSessions(ctx, self._activate, partial(self.message, until_another_model=True),
                                    self._nano_weights)
        self._frames_left = EXTRA_FRAMES
        self._screenshot_pending = False
        self._last_time = time.monotonic()

        self.tour = TourController(self, Path(state_path) if state_path else None)
        unreadable = self.read_session(self.tour.state_path, letters, model, weights)

        self.resize(*size)
        self.models.open_first(model)
        saved = self.tour.restore(first_launch_tour=tour and model == "nano" and weights is None)
        self.set_language(lang or (saved.lang if saved is not None and saved.lang else None)
                          or i18n.system_language())
        if unreadable:
            self.message(Text("session.unreadable", reason=unreadable))
        if weights is not None:
            self.open_checkpoint(weights)

    # --- geometry ------------------------------------------------------------------------------------------

    def resize(self, width: int, height: int, pixel_ratio: float | None = None) -> None:
        """Window size in logical pixels (0×0 when minimised is fine)."""
        self.width, self.height = max(int(width), 0), max(int(height), 0)
        if pixel_ratio is not None:
            self.pixel_ratio = pixel_ratio
        self.hovering.pending = True
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

    def _activate(self, view: ModelView, reset_camera: bool = True) -> None:
        """A model (or a tour's scene) comes on screen: a fresh scene, the overview, its input traced."""
        from glviz.scene import SceneState

        if view is not self.shown:
            self.message_line.model_shown()
        self.shown = view
        self.scene = SceneState(view.layout)
        if reset_camera:
            self.cameras.reset(view.layout, self.aspect)
        self.hovering.cell = None
        self.hovering.set(None, again=True)
        if view.name == "nano" and view.trace is None:
            if not self.set_input(self.letters_input.pending or DEFAULT_LETTERS):
                self.set_input(DEFAULT_LETTERS)
        self.title_changed = True
        self.invalidate()

    def traced(self, view: ModelView) -> None:
        """A view got new values: the hovered cell is explained with them."""
        if view is self.view and self.hovering.cell is not None:  # same cell, new values
            self.hovering.set(self.hovering.cell, again=True)
        self.hovering.pending = True
        self.invalidate()

    def set_language(self, lang: str) -> None:
        """The language of the panel, the tour and the labels in 3D; Japanese falls back to English (with a
        message) where its font is missing."""
        lang, problem = language_or_fallback(lang if lang in i18n.LANGUAGES else "en")
        if problem:
            self.message(problem)
        if lang != i18n.language():
            self.tour.set_language(lang)
            if self.hovering.cell is not None:  # its explanation was written in the old language
                self.hovering.set(self.hovering.cell, again=True)
        self.title_changed = True
        self.invalidate()

    # --- frames --------------------------------------------------------------------------------------------

    def invalidate(self, frames: int = EXTRA_FRAMES) -> None:
        """Something changed: draw the next few frames."""
        self._frames_left = max(self._frames_left, frames)

    @property
    def needs_frame(self) -> bool:
        """Whether the main loop should draw (otherwise it sleeps until an event)."""
        view = self.view
        return (self._frames_left > 0 or self.camera.animating or self.building is not None
                or self._screenshot_pending or self.tour.playing
                or (view is not None and self.viewport[2] > 0 and view.renderer.values_pending))

    def first_idle(self) -> None:
        """The window's first idle moment (the first frames are out, nothing to draw): work that would have
        slowed them starts now, while the learner reads, rather than with the next frame."""
        self.tour.prepare_when_idle()

    def message(self, text: str | Text, until_another_model: bool = False, note: bool = False) -> None:
        """Show `text` in the panel (the last few are kept, as written then): until the next one, or
        (`until_another_model`, a failed open or build) until a model comes on screen, or (`note`) for a few
        seconds. Catalogue text (`Text`) follows the panel's language while it is shown."""
        self.messages.append(str(text))
        del self.messages[:-MESSAGES_KEPT]
        self.message_line.show(text, until_another_model, note)
        self.invalidate()

    @property
    def message_shown(self) -> str | None:
        return self.message_line.text

    def request_screenshot(self) -> None:
        """Save the next frame as a PNG (key P)."""
        self._screenshot_pending = True

    def frame(self, fbo: moderngl.Framebuffer | None = None, dt: float | None = None) -> bool:
        """Advance and draw one frame into `fbo` (default: the bound framebuffer); False if minimised.

        `dt`: seconds since the last frame (default: measured, and flights and the tour advance by at most
        MAX_FRAME_DT). An error inside the frame is logged and shown in the panel; the app lives on."""
        now = time.monotonic()
        elapsed = now - self._last_time if dt is None else dt
        self._last_time = now
        try:
            return self._frame(fbo, min(elapsed, MAX_FRAME_DT) if dt is None else dt, elapsed)
        except Exception as exc:  # a bug must not close the window and lose the user's place
            self._report(exc)
            return True

    def _report(self, exc: Exception) -> None:
        text = f"{type(exc).__name__}: {exc}"
        if text != self.frame_error:  # a bug that repeats every frame is reported (and logged) once
            log.exception("error inside a frame")
            self.frame_error = text
            self.message(Text("app.frame_error", error=text))

    def _update(self, dt: float) -> None:
        """The state changes of one frame, before anything is drawn."""
        if self.frames_drawn or i18n.language() == "ja":
            complete_fonts()  # bold and italic Japanese: before Japanese is first drawn, else after frame 1
        if self.frames_drawn and self.models.text_mipmaps_due is not None:
            self.models.text_mipmaps_due.make_text_mipmaps()  # the first frame is out: what it went without
            self.models.text_mipmaps_due = None
        if self.models.poll():
            self.invalidate(1)
        if self.tracing.poll():
            self.invalidate()
        self.keep_tour_on_sorted_letters()
        if self.explore_pending is not None and self.frames_drawn and not self.tour.touring:
            self.resume_explored()  # the first frame is out: the model explored at the last launch
        if self.camera.update(dt):
            self.invalidate(1)
        if self.tour.update(dt):
            self.invalidate(1)
        self.hovering.update(self.controls.mouse, self.controls.dragging_scene)

    def _frame(self, fbo, dt: float, elapsed: float) -> bool:
        self.message_line.expire()
        self._update(dt)
        self._frames_left = max(self._frames_left - 1, 0)
        fb_w, fb_h = int(self.width * self.pixel_ratio), int(self.height * self.pixel_ratio)
        if fb_w <= 0 or fb_h <= 0:
            return False  # minimised

        io = imgui.get_io()
        io.display_size = imgui.ImVec2(float(self.width), float(self.height))
        io.display_framebuffer_scale = imgui.ImVec2(self.pixel_ratio, self.pixel_ratio)
        io.delta_time = max(elapsed, 1e-4)
        imgui.new_frame()
        self.controls.frame_started()
        if len(imgui.get_current_context().input_events_queue):
            # imgui takes queued input a few events a frame (its trickle queue: a key's press, character and
            # release over frames; a press that waited for its move, ui/controls.py), so input faster than
            # frames waits here: draw until it is all in, and the frames that settle the last of it (a combo
            # opens on the release, and its list shows a frame later).
            self.invalidate()
        try:
            self._draw_panel()
        finally:
            imgui.render()  # closes whatever an error left open (config_error_recovery)

        if fbo is not None:
            fbo.use()
        self.ctx.viewport = (0, 0, fb_w, fb_h)
        self.ctx.scissor = None
        self.ctx.clear(*BACKGROUND, 1.0)
        vx, _, vw, _ = self.viewport
        view_px = (int(vx * self.pixel_ratio), 0, int(vw * self.pixel_ratio), fb_h)
        if view_px[2] > 0:
            self.view.renderer.render(self.scene, self.camera, viewport=view_px)
        self.ctx.viewport = (0, 0, fb_w, fb_h)
        self.imgui_renderer.render(imgui.get_draw_data())
        if self._screenshot_pending:
            self._screenshot_pending = False
            self._save_screenshot(fbo if fbo is not None else self.ctx.fbo, fb_w, fb_h)
        self.frame_drawn()
        self.keep_session()
        return True

    def _draw_panel(self) -> None:
        vx, vy, vw, vh = self.viewport
        self.panel.draw(self, vw, self.panel_width, self.height)
        if self.hovering.cell is not None:
            self.panel.draw_section_labels(self.hovering.section_labels(), self.hover, (vx, vy, vw, vh))
            if self.in_viewport(*self.controls.mouse) and self.controls.drag_owner is None:
                pending = not self.scene.tour_computed(*self.hovering.cell)
                self.panel.draw_tooltip(self.hover, *self.controls.mouse, (vx + vw, vy + vh), pending)

    def _save_screenshot(self, fbo: moderngl.Framebuffer, width: int, height: int) -> None:
        try:
            path = save_screenshot(fbo, width, height, self.screenshot_dir)
        except OSError as exc:
            self.message(Text("screenshot.failed", reason=exc.strerror or exc, folder=self.screenshot_dir))
            return
        self.message(Text("screenshot.saved", path=path), note=True)

    def release(self) -> None:
        """Save the tour's place and the session; free GL resources and the imgui contexts (once: later calls
        do nothing)."""
        if self.imgui_context is None:
            return
        self.tour.save()
        self.save_session()
        self.tour.release()
        self.models.release()
        self.imgui_renderer.release()
        implot.destroy_context(self.implot_context)
        imgui.destroy_context(self.imgui_context)
        self.imgui_context = self.implot_context = None


__all__ = ["GlvizApp", "ModelView", "MAX_ZOOM_OUT", "WHOLE_ZOOM_OUT"]
