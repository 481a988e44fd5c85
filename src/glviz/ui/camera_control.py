"""The camera of the 3D view and what moves it: the view keys (Home, W, I), fly-to a block, and the user.

The tour's camera is the base; the user's camera sits on top of it: dragging or zooming leaves the tour's path
(`following` turns off) until the tour brings the camera back on Continue (`follow_again`).

A named view (the overview a model opens on, Home, W, I) is kept as the model grows: while the camera is still
where that view put it, a layout for another T (a generated token, a new prompt) gets the same view of itself
(`layout_changed`), so that the model card and the top of the model stay in sight; once anything else moved
the camera (a drag, the wheel, a fly-to, the tour) it stays where it was put.
"""

from __future__ import annotations

from collections.abc import Callable

from glviz.render.camera import (
    OrbitCamera,
    Pose,
    block_pose,
    held_pose,
    input_pose,
    overview_pose,
    whole_pose,
)

MAX_ZOOM_OUT = 4.0  # the camera's farthest distance, in overview distances ...
WHOLE_ZOOM_OUT = 1.5  # ... or in whole-model view distances (key W), where that is farther
RETURN_S = 0.8  # how long the camera takes to come back to the tour's path


class CameraControl:
    """One orbit camera for the app, moved by view keys, fly-to, the user, or the tour."""

    def __init__(self, app) -> None:
        self.app = app
        self.camera = OrbitCamera()
        self.max_distance = 1.0
        self.following = True  # the camera follows the tour's (when a tour plays)
        # The named view the camera is on or flying to, and the pose it gave (as the camera holds it).
        self._view: tuple[Callable[..., Pose], Pose] | None = None

    def reset(self, layout, aspect: float) -> None:
        """A new model on screen: its overview, and how far the wheel may zoom out."""
        self.camera = OrbitCamera(overview_pose(layout, aspect=aspect))
        self._view = (overview_pose, self.camera.pose)
        # Zooming out stops a few overviews away, but always leaves room for the whole-model view (W).
        whole = whole_pose(layout, aspect=aspect).distance
        self.max_distance = max(MAX_ZOOM_OUT * self.camera.distance, WHOLE_ZOOM_OUT * whole)

    def layout_changed(self, layout, aspect: float) -> None:
        """The model on screen has a layout for another T: a camera still on the named view it was put on
        goes to that view of this layout (where it flies to one, the flight ends there); else it stays. Once
        per layout, not per frame: the view's pose costs a pass over the blocks (GPT-2: 2 - 3 ms)."""
        if self._view is None:
            return
        pose_for, pose = self._view
        if self.camera.destination != pose:  # moved since: the camera is the user's (or the tour's)
            self._view = None
            return
        pose = held_pose(pose_for(layout, aspect=aspect))
        if self.camera.animating:
            self.camera.retarget(pose)
        else:
            self.camera.set_pose(pose)
        self._view = (pose_for, pose)

    # --- the tour's camera ----------------------------------------------------------------------------------
    def follow(self, pose: Pose) -> None:
        """Each frame of a tour: put the camera where the tour wants it, unless the user took it over (while
        it flies back to the tour's path, the flight's end moves along the path)."""
        if not self.following:
            return
        if self.camera.animating:
            self.camera.retarget(pose)
        else:
            self.camera.set_pose(pose)

    def follow_again(self, pose: Pose) -> None:
        """Continue: fly back to the tour's camera and follow it from there."""
        if not self.following:
            self.following = True
            self.camera.fly_to(pose, RETURN_S)

    def user_moved(self) -> None:
        """The user dragged or zoomed: the camera is theirs until the tour is continued."""
        self.following = False

    # --- view keys and fly-to -------------------------------------------------------------------------------
    def fly_to_view(self, pose_for) -> None:
        """Fly to `pose_for(layout, aspect=...)` with every block shown again (undoes a fly-to's reveal)."""
        app = self.app
        app.scene.show_all()
        pose = pose_for(app.scene.layout, aspect=app.aspect)
        self.camera.fly_to(pose)
        self._view = (pose_for, held_pose(pose))
        self.following = False
        app.invalidate()

    def overview(self) -> None:
        """The model's card and top part (key Home)."""
        self.fly_to_view(overview_pose)

    def whole_view(self) -> None:
        """The whole model in the view (key W)."""
        self.fly_to_view(whole_pose)

    def input_view(self) -> None:
        """The tokens and embeddings (key I)."""
        self.fly_to_view(input_pose)

    def focus_block(self, block: int) -> None:
        """Fly to a block; blocks in front of it (lower-numbered heads) are hidden until the next view."""
        app = self.app
        app.scene.reveal(block)
        self.camera.fly_to(block_pose(app.scene.layout, block, aspect=app.aspect, boxes=app.scene.boxes))
        self.following = False
        app.invalidate()
