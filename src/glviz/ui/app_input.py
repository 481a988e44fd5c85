"""GlvizApp's part for the window's events, the shortcut keys, the hovered cell and the camera moves the user
asks for (Controls routes the events; CameraControl moves the camera)."""

from __future__ import annotations

from glviz.errors import Text
from glviz.ui import controls


class InputActions:
    """Events, keys, hover and camera requests; mixed into GlvizApp (see ui/app.py for the rest)."""

    # --- events (logical pixels, y down): the window calls these; Controls routes them ---------------------

    def mouse_move(self, x: float, y: float) -> None:
        self.controls.mouse_move(x, y)

    def mouse_press(self, x: float, y: float, button: int, mods: int = 0) -> None:
        self.controls.mouse_press(x, y, button, mods)

    def mouse_release(self, x: float, y: float, button: int, mods: int = 0) -> None:
        self.controls.mouse_release(x, y, button, mods)

    def scroll(self, dx: float, dy: float) -> None:
        self.controls.scroll(dx, dy)

    def key(self, key: int, down: bool, mods: int = 0) -> None:
        self.controls.key(key, down, mods)

    def char(self, codepoint: int) -> None:
        self.controls.char(codepoint)

    def key_actions(self) -> dict:
        """What each shortcut key does (1–4 choose a model; Ctrl+Q quits: see Controls)."""
        return {
            controls.KEY_F: self.focus_hovered,
            controls.KEY_HOME: self.cameras.overview,
            controls.KEY_W: self.cameras.whole_view,
            controls.KEY_I: self.cameras.input_view,
            controls.KEY_SPACE: self.tour.space,
            controls.KEY_BACKSPACE: self.tour.back,
            controls.KEY_T: self.tour.toggle_mode,
            controls.KEY_RIGHT: lambda: self.tour.goto(self.tour.player.chapter + 1),
            controls.KEY_LEFT: lambda: self.tour.goto(self.tour.player.chapter - 1),
            controls.KEY_P: self.request_screenshot,
        }

    # --- hover ---------------------------------------------------------------------------------------------

    @property
    def hover(self):
        """HoverInfo of the hovered cell, or None."""
        return self.hovering.info

    # --- camera --------------------------------------------------------------------------------------------

    @property
    def camera(self):
        """The 3D view's OrbitCamera."""
        return self.cameras.camera

    @property
    def max_distance(self) -> float:
        """How far the wheel may zoom out."""
        return self.cameras.max_distance

    def user_moved_camera(self) -> None:
        """The user dragged or zoomed the view."""
        self.cameras.user_moved()

    def focus_block(self, block: int) -> None:
        """Fly to a block (blocks in front of it are hidden until the next view)."""
        self.cameras.focus_block(block)

    def focus_hovered(self) -> None:
        """Fly to the hovered block (key F), or say how to pick one."""
        if self.hovering.cell is None:
            self.message(Text("hover.focus_hint"), note=True)
        else:
            self.focus_block(self.hovering.cell[0])

    def fly_to_block_under_cursor(self) -> None:
        """Fly to the block under the pointer (double click)."""
        hit = self.hovering.pick_at(*self.controls.mouse)
        if hit is not None:
            self.focus_block(hit.block)
