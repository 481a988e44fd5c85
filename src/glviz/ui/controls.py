"""Input routing: mouse and keys from the window go to the panel (imgui) or the 3D view, by where they happen.

Events arrive in window coordinates (logical pixels, y down). A press decides who owns the drag that follows
(the panel or the scene) until the last button is released, so a drag that starts in the view keeps moving
the camera over the panel and the other way round.
"""

from __future__ import annotations

import time

from imgui_bundle import imgui

from glviz.ui.imgui_renderer import MOD_CONTROL, MOD_SHIFT, feed_char, feed_key, feed_modifiers

# Mouse buttons as moderngl-window numbers them.
LEFT, RIGHT, MIDDLE = 1, 2, 3
_IMGUI_BUTTON = {LEFT: 0, RIGHT: 1, MIDDLE: 2}
# glfw key codes (moderngl-window's glfw backend passes glfw's codes through); modifier bits: imgui_renderer.
KEY_SPACE, KEY_1, KEY_4, KEY_F, KEY_I, KEY_P, KEY_Q, KEY_W, KEY_T = 32, 49, 52, 70, 73, 80, 81, 87, 84
KEY_BACKSPACE, KEY_RIGHT, KEY_LEFT, KEY_HOME, KEY_PAGE_UP, KEY_PAGE_DOWN = 259, 262, 263, 268, 266, 267
KEY_ESCAPE, KEY_S = 256, 83

DOUBLE_CLICK_S = 0.35
ROTATE_DEG_PER_PX = 0.3
ZOOM_PER_WHEEL_STEP = 0.85


class Controls:
    """Turns window events into camera moves, hover updates, imgui input and the app's key actions."""

    def __init__(self, app) -> None:
        self.app = app
        self.mouse = (-1.0, -1.0)
        self.buttons: set[int] = set()
        self.drag_owner: str | None = None  # "scene" or "ui" for the press that started the drag
        self.drag_mode: str | None = None  # "pan" or "rotate"
        self._last_click = (0.0, 0.0, 0.0)  # time, x, y of the last left press in the scene
        # (time, x, y) of the last press of a run of clicks whose first press came while a popup was open,
        # and the button whose press was kept from imgui (its release is kept too)
        self._popup_run: tuple[float, float, float] | None = None
        self._kept_from_imgui: int | None = None
        # The earliest moment the events being handled may have happened, where that is before their handling:
        # the window sets it while it hands over the events that queued during a frame (ui/window.py). A
        # double click's second press, handled after a slow frame, still follows the first one.
        self.events_since: float | None = None
        # imgui reads a move and a button in one frame when both queue before it, and a tab (or any item that
        # allows overlap) takes a press only under the pointer of the frame before: a click that comes with
        # its move (xdotool, a tap on a touch screen) lit the Explore tab and did nothing. A button that
        # follows a move not yet read waits for the next frame (`frame_started`), and the input after it
        # waits behind it, in order (a key typed right after the click goes to the field it focuses).
        self._moved = False  # a move went to imgui since its last frame started
        self._waiting: list[tuple] = []  # (feed, args) for imgui at the next frame, in order

    def _gap_since(self, then: float, now: float) -> float:
        """The shortest time that can lie between a press handled at `then` and the one handled `now`."""
        earliest = now if self.events_since is None else min(self.events_since, now)
        return earliest - then

    @property
    def dragging_scene(self) -> bool:
        """A button pressed in the 3D view is still down."""
        return self.drag_owner == "scene"

    def mouse_move(self, x: float, y: float) -> None:
        """Pointer moved: drags pan or rotate the scene, the hover is picked again next frame."""
        app = self.app
        dx, dy = x - self.mouse[0], y - self.mouse[1]
        self.mouse = (float(x), float(y))
        if dx or dy:
            self._to_imgui(_feed_position, float(x), float(y))
        if self.drag_owner == "scene" and self.buttons and (dx or dy):  # a still click keeps a flight going
            vw, vh = app.viewport[2], app.viewport[3]
            if self.drag_mode == "pan":
                app.camera.pan(dx, dy, vh if vh > 0 else 1.0)
            elif vw > 0:
                app.camera.rotate(-dx * ROTATE_DEG_PER_PX, dy * ROTATE_DEG_PER_PX)
            app.user_moved_camera()
        app.hovering.pending = True
        app.invalidate()

    def mouse_press(self, x: float, y: float, button: int, mods: int = 0) -> None:
        """A button went down: starts a drag (scene or panel); a double click flies to a block."""
        self.mouse_move(x, y)
        self.buttons.add(button)
        if self.drag_owner is None:
            over_ui = not self.app.in_viewport(x, y) or imgui.get_io().want_capture_mouse
            self.drag_owner = "ui" if over_ui else "scene"
            self.drag_mode = "pan" if button == LEFT and not mods & MOD_SHIFT else "rotate"
        if button in _IMGUI_BUTTON and self._follows_popup_click(x, y):
            self._kept_from_imgui = button
        elif button in _IMGUI_BUTTON:
            # imgui sees scene clicks too, as clicks on empty space: that ends typing in a text field.
            self._to_imgui(_feed_button, _IMGUI_BUTTON[button], True, mods)
        if self.drag_owner == "scene" and button == LEFT:
            now = time.monotonic()
            t0, x0, y0 = self._last_click
            if self._gap_since(t0, now) < DOUBLE_CLICK_S and abs(x - x0) < 5 and abs(y - y0) < 5:
                self.app.fly_to_block_under_cursor()
                now = 0.0  # a third click starts a new pair
            self._last_click = (now, x, y)
        self.app.invalidate()

    def mouse_release(self, x: float, y: float, button: int, mods: int = 0) -> None:
        """A button went up: ends the drag when it was the last one down."""
        self.buttons.discard(button)
        if not self.buttons:
            self.drag_owner = self.drag_mode = None
        # Moved only after the drag ended: a release reported away from the pointer's last move (glfw's
        # position when the event is handled; ui/window.py passes the last move instead) must not pan.
        self.mouse_move(x, y)
        if button == self._kept_from_imgui:
            self._kept_from_imgui = None
        elif button in _IMGUI_BUTTON:
            self._to_imgui(_feed_button, _IMGUI_BUTTON[button], False, mods)
        self.app.invalidate()

    def _to_imgui(self, feed, *args) -> None:
        """Input for imgui now, or at the next frame: a button after a move imgui has not read yet, and
        whatever comes behind input that waits (see `_waiting`)."""
        if self._waiting or (feed is _feed_button and self._moved):
            self._waiting.append((feed, args))
            return
        feed(*args)
        self._moved = self._moved or feed is _feed_position

    def frame_started(self) -> None:
        """imgui read the queued input (its new frame): what waited goes in now, in order."""
        waiting, self._waiting = self._waiting, []
        self._moved = False
        for feed, args in waiting:
            self._to_imgui(feed, *args)

    def _follows_popup_click(self, x: float, y: float) -> bool:
        """Whether this press is the second (or third) click of a run whose first click came while a popup
        was open: that click chose from the list (the model selector's) and closed it, so a double-click's
        later clicks would land on whatever lies beneath (they opened "Open checkpoint…"). They go nowhere."""
        io = imgui.get_io()
        now = time.monotonic()
        run = self._popup_run
        follows = (run is not None and self._gap_since(run[0], now) <= io.mouse_double_click_time
                   and abs(x - run[1]) <= io.mouse_double_click_max_dist
                   and abs(y - run[2]) <= io.mouse_double_click_max_dist)
        any_popup = imgui.PopupFlags_.any_popup_id | imgui.PopupFlags_.any_popup_level
        popup_open = imgui.is_popup_open("", any_popup)
        self._popup_run = (now, x, y) if follows or popup_open else None
        return follows

    def scroll(self, dx: float, dy: float) -> None:
        """The wheel zooms toward the point under the cursor in the view, and scrolls the panel over it."""
        app = self.app
        x, y = self.mouse
        if not app.in_viewport(x, y) or imgui.get_io().want_capture_mouse:
            self._to_imgui(_feed_wheel, float(dx), float(dy))
        elif dy:
            factor = ZOOM_PER_WHEEL_STEP ** float(dy)
            # Zooming out stops a few overviews away: further out the model is a dot lost in the void.
            factor = min(factor, max(app.max_distance / app.camera.distance, 1.0))
            app.camera.zoom(factor, app.hovering.point_under(x, y))
            app.user_moved_camera()
            app.hovering.pending = True
        app.invalidate()

    def key(self, key: int, down: bool, mods: int = 0) -> None:
        """A glfw key event; shortcuts apply unless a text field has the keyboard."""
        app = self.app
        self._to_imgui(feed_key, key, down, mods)
        app.invalidate()
        if down and key == KEY_Q and mods & MOD_CONTROL:  # quits even while typing in a text field
            app.quit_requested = True
        if not down or imgui.get_io().want_text_input or mods & MOD_CONTROL:
            return
        action = app.key_actions().get(key)
        if action is not None:
            action()
        elif KEY_1 <= key <= KEY_4:
            app.choose_model(key - KEY_1)

    def char(self, codepoint: int) -> None:
        """A typed character, for the focused text field."""
        self._to_imgui(feed_char, codepoint)
        self.app.invalidate()


def _feed_position(x: float, y: float) -> None:
    imgui.get_io().add_mouse_pos_event(x, y)


def _feed_button(button: int, down: bool, mods: int) -> None:
    feed_modifiers(mods)  # the modifiers held go first: Ctrl+click on a slider types its value
    imgui.get_io().add_mouse_button_event(button, down)


def _feed_wheel(dx: float, dy: float) -> None:
    imgui.get_io().add_mouse_wheel_event(dx, dy)
