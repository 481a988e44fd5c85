"""The camera effects of a chapter's Script: the camera towards a pose, along a sweep down a tall region,
and the poses that frame blocks (with their region's title). A mixin of Script (script.py), which holds the
frame being built, the layout, the aspect and the stage."""

from __future__ import annotations

import numpy as np

from glviz.i18n.labels import label
from glviz.layout.framing import nearest_section, section_text_box
from glviz.render.camera import OrbitCamera, Pose, interpolate_pose, travel_pose
from glviz.walkthrough import poses
from glviz.walkthrough.kept import arrived
from glviz.walkthrough.timeline import Step

_SWEEPS: dict[tuple, tuple] = {}  # (id(layout), patterns, window, margin, aspect) -> the two poses


class CameraEffects:
    """Script's camera: what it moves is `self.frame.camera`; blocks are named as Script names them."""

    def camera(self, pose: Pose, st: Step) -> None:
        """The camera towards `pose` along a smooth path."""
        if st.started:
            self.frame.camera = pose if st.p >= 1.0 else travel_pose(self.frame.camera, pose, st.p)

    def sweep_poses(self, names, window: float, margin: float = 1.1) -> tuple[Pose, Pose]:
        """Two poses framing a window `window` world units tall at the top and at the bottom of these blocks
        (the camera following a computation down a tall region moves from one to the other)."""
        key = (id(self.layout), tuple(names), window, margin, round(self.aspect, 4))
        hit = _SWEEPS.get(key)
        if hit is not None:
            return hit
        ids = self._ids(names)
        lo = self.layout.mins[ids].min(axis=0).astype(np.float64)
        hi = self.layout.maxs[ids].max(axis=0).astype(np.float64)
        if hi[1] - lo[1] <= window:
            pose = poses.boxes_pose(lo, hi, self.aspect, margin=margin)
            hit = (pose, pose)
        else:
            top = (np.array([lo[0], hi[1] - window, lo[2]]), hi)
            bottom = (lo, np.array([hi[0], lo[1] + window, hi[2]]))
            hit = (poses.boxes_pose(*top, self.aspect, margin=margin),
                   poses.boxes_pose(*bottom, self.aspect, margin=margin))
        if len(_SWEEPS) > 1024:
            _SWEEPS.clear()
        _SWEEPS[key] = hit
        return hit

    def camera_along(self, ends: tuple[Pose, Pose], st: Step) -> None:
        """The camera on the straight path between two poses at the step's even progress."""
        if not st.started:
            return
        if st.raw < 1.0:
            self.frame.camera = interpolate_pose(ends[0], ends[1], st.raw)
            return
        self.frame.camera = arrived(*ends)  # the same pose every frame after the step

    def frame_blocks(self, names, margin: float = 1.15, azimuth: float = poses.TOUR_AZIMUTH,
                     elevation: float = poses.TOUR_ELEVATION, moved_by=None, titles: tuple[str, ...] = (),
                     clear: tuple[str, ...] = ()) -> Pose:
        """A pose framing these blocks (moved by `moved_by` (3,) or (k, 3) where they will have moved), and
        the whole text of the section labels named in `titles` (their nearest copies), which sit above the
        blocks and would otherwise be cut by the view's edge. The labels named in `clear`, which sit beside
        the blocks, are not cut by the view's side either (see `uncut`)."""
        pose = self._frame_blocks(names, margin, azimuth, elevation, moved_by, titles)
        if clear:  # the blocks where they will be, as framed
            ids = self._ids(names) if moved_by is None else self._ordered_ids(names)
            shift = 0.0 if moved_by is None else np.broadcast_to(np.asarray(moved_by, np.float64),
                                                                 (len(ids), 3))
            pose = self.uncut(pose, clear, self.layout.mins[ids] + shift, self.layout.maxs[ids] + shift)
        return pose

    def uncut(self, pose: Pose, titles: tuple[str, ...], lo: np.ndarray, hi: np.ndarray) -> Pose:
        """`pose` moved sideways by as little as leaves each section label named in `titles` (the copy nearest
        the boxes lo..hi, (k, 3) or (3,)) wholly in view or wholly out of it, where `pose` cuts it at the
        view's left or right edge; a move that would cut the boxes is not made. (Framing such a label, beside
        the blocks, would leave them small.)"""
        lo, hi = np.atleast_2d(lo).astype(np.float64), np.atleast_2d(hi).astype(np.float64)
        near = (lo.min(axis=0) + hi.max(axis=0)) / 2
        for title in titles:
            pose = _uncut_sideways(pose, self._title_box(title, near), (lo, hi), self.aspect)
        return pose

    def _frame_blocks(self, names, margin: float, azimuth: float, elevation: float, moved_by,
                      titles: tuple[str, ...]) -> Pose:
        # With offsets, blocks in the order the names give them (offsets follow that order).
        ids = self._ids(names) if moved_by is None else self._ordered_ids(names)
        offsets = None
        if moved_by is not None:
            offsets = np.broadcast_to(np.asarray(moved_by, np.float64), (len(ids), 3))
        if not titles:
            return poses.blocks_pose(self.layout, ids, self.aspect, offsets, azimuth, elevation, margin)
        lo = self.layout.mins[ids].astype(np.float64) + (0.0 if offsets is None else offsets)
        hi = self.layout.maxs[ids].astype(np.float64) + (0.0 if offsets is None else offsets)
        boxes = [self._title_box(title, (lo.min(axis=0) + hi.max(axis=0)) / 2) for title in titles]
        lo = np.vstack([lo, *(box[0] for box in boxes)])
        hi = np.vstack([hi, *(box[1] for box in boxes)])
        return poses.boxes_pose(lo, hi, self.aspect, azimuth, elevation, margin)

    def _title_box(self, title: str, near: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(min corner, max corner) of the text of the section label `title` nearest `near`, as drawn in the
        stage's language."""
        section = nearest_section(self.layout, title, near)
        if section is None:
            raise KeyError(f"no section label {title!r}")
        return section_text_box(section, self.text_width(label(title, self.stage.lang), section.height))


def _corners(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The 8 corners of each box (k, 3) -> (8k, 3)."""
    lo, hi = np.atleast_2d(lo), np.atleast_2d(hi)
    return np.stack([np.where([i & 1, i & 2, i & 4], hi, lo) for i in range(8)], axis=1).reshape(-1, 3)


def _ndc_x(pose: Pose, points: np.ndarray, aspect: float) -> np.ndarray:
    view_projection = OrbitCamera(pose).view_projection(aspect).astype(np.float64)
    clip = np.hstack([points, np.ones((len(points), 1))]) @ view_projection
    return clip[:, 0] / clip[:, 3]


def _uncut_sideways(pose: Pose, label_box: tuple[np.ndarray, np.ndarray],
                    blocks: tuple[np.ndarray, np.ndarray], aspect: float) -> Pose:
    """`pose` moved sideways by as little as leaves a label it cuts at the view's left or right edge wholly in
    or wholly out of view, where the blocks stay wholly in view; else `pose`."""
    label, boxes = _corners(*label_box), _corners(*blocks)
    xs = _ndc_x(pose, label, aspect)
    lo, hi = int(np.argmin(xs)), int(np.argmax(xs))
    if xs[hi] <= -1.0 or xs[lo] >= 1.0 or (xs[lo] >= -1.0 and xs[hi] <= 1.0):
        return pose  # wholly out or wholly in: not cut
    azimuth = np.radians(pose.azimuth)
    right = np.array([np.cos(azimuth), 0.0, -np.sin(azimuth)])

    def moved(d: float) -> Pose:
        return Pose(tuple(np.asarray(pose.target, np.float64) + right * d), pose.azimuth, pose.elevation,
                    pose.distance)

    def solve(corner: int, goal: float) -> float:
        """The sideways move that brings the label's corner to ndc x `goal`: on the straight line of its x
        against the move, twice (perspective makes it nearly straight)."""
        d, x, step = 0.0, xs[corner], max(abs(pose.distance), 1.0) * 1e-3
        for _ in range(2):
            slope = (_ndc_x(moved(d + step), label[corner:corner + 1], aspect)[0] - x) / step
            if slope == 0.0:
                return 0.0
            d += (goal - x) / slope
            x = _ndc_x(moved(d), label[corner:corner + 1], aspect)[0]
        return d

    # Cut at the left: in, its left end to the edge's inside; out, its right end past the edge. At the right,
    # the mirror image.
    at_left = xs[lo] < -1.0
    moves = [solve(lo, -0.99), solve(hi, -1.01)] if at_left else [solve(hi, 0.99), solve(lo, 1.01)]
    for d in sorted(moves, key=abs):
        result = moved(d)
        ends = _ndc_x(result, label, aspect)
        whole = ((ends >= -1.0) & (ends <= 1.0)).all() or (ends <= -1.0).all() or (ends >= 1.0).all()
        if d != 0.0 and whole and (np.abs(_ndc_x(result, boxes, aspect)) <= 1.0).all():
            return result
    return pose
