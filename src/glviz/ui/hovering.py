"""Hover: the cell under the pointer, picked on the CPU, explained for the panel and lit in the scene."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.i18n import language
from glviz.layout.framing import TEXT_ABOVE_EM, TEXT_BELOW_EM, nearest_section, section_text_box
from glviz.render.camera import ndc
from glviz.render.label_sets import label_atlas, translated


@dataclass(frozen=True)
class SectionMark:
    """A section label of the hovered cell's path on screen: `text` as the 3D label reads it, its baseline
    start (x, y), the screen box (x0, y0, x1, y1) its 3D glyphs cover, and its em height in pixels."""

    text: str
    x: float
    y: float
    box: tuple[float, float, float, float]
    em_px: float


def section_anchors(layout, block: int) -> list[tuple[str, np.ndarray]]:
    """(label as shown, world corners) per part of `block`'s section path, for the nearest section with that
    label: (5, 3) float64, the baseline start and the four corners of the box its text covers."""
    path = layout.blocks[block].section
    if not path:
        return []
    centre = (layout.mins[block] + layout.maxs[block]) / 2
    atlas = label_atlas()
    out = []
    for part in path.split(" / "):
        section = nearest_section(layout, part, centre)
        if section is None:
            continue
        shown = translated([part])[0]
        lo, hi = section_text_box(section, atlas.text_width(shown) * section.height)
        corners = [section.position, lo, (hi[0], lo[1], lo[2]), (lo[0], hi[1], lo[2]), (hi[0], hi[1], lo[2])]
        out.append((shown, np.array(corners, dtype=np.float64)))
    return out


class HoverTracker:
    """Which cell the pointer is over (`cell`, `info`), kept in step with the app's view, scene and camera."""

    def __init__(self, app) -> None:
        self.app = app
        self.cell: tuple[int, int, int] | None = None  # (block, row, col)
        self.info = None  # HoverInfo of `cell`
        self.pending = True  # pick again at the next frame
        self._picked_pose = None  # the camera pose of the last pick: any other pose needs a new one
        self._anchors_of: tuple | None = None  # (id(layout), block, language) that _anchors belong to
        self._anchors: list[tuple[str, np.ndarray]] = []

    def pick_at(self, x: float, y: float):
        """The picking Hit under window point (x, y), or None (outside the view, or empty space)."""
        from glviz.render.picking import pick

        app = self.app
        if not app.in_viewport(x, y):
            return None
        origin, direction = app.camera.ray(x, y, app.viewport)
        return pick(app.scene.layout, origin, direction, hidden=app.scene.hidden, boxes=app.scene.boxes)

    def point_under(self, x: float, y: float) -> np.ndarray:
        """The world point under (x, y): the hit cell, else where the ray crosses the target's depth."""
        hit = self.pick_at(x, y)
        if hit is not None:
            return np.asarray(hit.point)
        camera = self.app.camera
        origin, direction = camera.ray(x, y, self.app.viewport)
        _, _, forward = camera.basis()
        along = max(float(np.dot(direction, forward)), 1e-6)
        depth = float(np.dot(camera.target - origin, forward)) / along
        return origin + direction * depth

    def update(self, mouse: tuple[float, float], dragging_scene: bool) -> None:
        """Pick again when asked to or when the camera moved (a flight, Home, the tour's camera)."""
        if self.cell is not None and self.app.view.explainer.poll():
            self.set(self.cell, again=True)  # the block's statistics came from their thread
        camera_pose = self.app.camera.pose
        if not self.pending and camera_pose == self._picked_pose:
            return
        self.pending = False
        self._picked_pose = camera_pose
        if dragging_scene:
            return  # keep the hovered cell still while the scene moves under a drag
        if not self.app.in_viewport(*mouse):
            return  # over the panel: keep the explanation readable
        hit = self.pick_at(*mouse)
        self.set(None if hit is None else (hit.block, hit.row, hit.col))

    @property
    def stats_pending(self) -> bool:
        """Whether the hovered block's statistics are being computed on a thread, or came and wait to be
        shown (the window then wakes to draw them)."""
        if self.cell is None:
            return False
        explainer = self.app.view.explainer
        return explainer.arrived or explainer.computing(self.cell[0])

    def set(self, cell: tuple[int, int, int] | None, again: bool = False) -> None:
        """Hover `cell` (None: nothing) in the panel and scene; `again` explains an unchanged cell anew."""
        if cell == self.cell and not again:
            return
        self.cell = cell
        scene = self.app.scene
        if cell is None:
            self.info = None
            scene.set_hover(None)
        else:
            self.info = self.app.view.explainer.explain(*cell)
            scene.set_hover(cell, self.info.dependencies)
        self.app.invalidate()

    def section_labels(self) -> list[SectionMark]:
        """The section labels of the hovered block (Transformer i, Self-attention, Head h, ...) where they
        are on screen: for each part of the block's section path, the nearest section with that label."""
        app = self.app
        layout, block = app.scene.layout, self.cell[0]
        # Called every frame while a cell is hovered: the search through all sections (10k for GPT-3) is
        # done once per hovered block, only the projection per frame.
        if self._anchors_of != (id(layout), block, language()):
            self._anchors_of = (id(layout), block, language())
            self._anchors = section_anchors(layout, block)
        vx, vy, vw, vh = app.viewport
        view_projection = app.camera.view_projection(app.aspect)
        out = []
        for shown, corners in self._anchors:
            xy = ndc(view_projection, corners)  # (5, 2)
            if np.isnan(xy).any():  # (partly) behind the camera
                continue
            x = vx + (xy[:, 0] + 1) / 2 * vw
            y = vy + (1 - xy[:, 1]) / 2 * vh
            em_px = float(np.hypot(x[3] - x[1], y[3] - y[1])) / (TEXT_BELOW_EM + TEXT_ABOVE_EM)
            box = (float(x[1:].min()), float(y[1:].min()), float(x[1:].max()), float(y[1:].max()))
            out.append(SectionMark(shown, float(x[0]), float(y[0]), box, em_px))
        return out
