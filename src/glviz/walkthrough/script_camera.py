"""The camera effects of a chapter's Script: the camera towards a pose, along a sweep down a tall region,
and the poses that frame blocks (with their region's title, and their own labels, which stand above them:
where a pose would cut one at the view's top it frames it too). A mixin of Script (script.py), which holds
the frame being built, the layout, the aspect and the stage."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from glviz.i18n.labels import label
from glviz.layout.framing import label_headroom, nearest_section, section_text_box
from glviz.render.camera import OrbitCamera, Pose, interpolate_pose, ndc, travel_pose
from glviz.walkthrough import poses
from glviz.walkthrough.kept import arrived
from glviz.walkthrough.timeline import Step

_SWEEPS: dict[tuple, tuple] = {}  # (id(layout), patterns, window, margin, aspect) -> the two poses


class CameraEffects:
    """Script's camera: what it moves is `self.frame.camera`; blocks are named as Script names them."""

    def camera(self, pose: Pose | Callable[[], Pose], st: Step) -> None:
        """The camera towards `pose` along a smooth path. `pose` may be a function that makes it, called only
        once the step has started: a pose that takes long to make then costs nothing until it is needed."""
        if st.started:
            pose = pose() if callable(pose) else pose
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
            # Where the sweep stops, the top of the view cuts no label of the region's blocks it shows.
            end = self.fit_boxes(*bottom, (self.layout.mins[ids], self.layout.maxs[ids]), margin)
            hit = (poses.boxes_pose(*top, self.aspect, margin=margin), end)
        if len(_SWEEPS) > 1024:
            _SWEEPS.clear()
        _SWEEPS[key] = hit
        return hit

    def fit_boxes(self, lo: np.ndarray, hi: np.ndarray, labelled: tuple[np.ndarray, np.ndarray],
                  margin: float = 1.15, azimuth: float = poses.TOUR_AZIMUTH,
                  elevation: float = poses.TOUR_ELEVATION) -> Pose:
        """poses.boxes_pose of the boxes lo..hi ((k, 3) or (3,)), their top raised until the view's top cuts
        no label of the blocks `labelled` ((k, 3) corners lo, hi, where they stand then) that it shows whole
        (a block's label stands above its top edge). Only those: raising the top for every block in view
        would cut the next title up."""
        lo, hi = np.atleast_2d(lo).astype(np.float64), np.atleast_2d(hi).astype(np.float64)

        def fit(lo: np.ndarray, hi: np.ndarray) -> Pose:
            return poses.boxes_pose(lo, hi, self.aspect, azimuth, elevation, margin)

        pose = fit(lo, hi)
        for attempt in range(3):  # (once raised, the view is checked again)
            raised = self._cut_label_top(pose, *labelled)
            if attempt:  # a region's or layer's title that the raised top now cuts is raised over too
                raised = max([*self._cut_titles(pose), *([] if raised is None else [raised])], default=None)
            if raised is None:
                break
            top = np.array([[lo[:, 0].min(), raised, lo[:, 2].min()]])
            lo, hi = np.vstack([lo, top]), np.vstack([hi, top])
            pose = fit(lo, hi)
        return pose

    def _cut_label_top(self, pose: Pose, lo: np.ndarray, hi: np.ndarray) -> float | None:
        """The highest top (world y) of the labels that the view's top edge cuts, of the blocks lo..hi (k, 3)
        that `pose` shows whole, or None."""
        L = self.layout
        lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
        corners = poses.box_corners(lo, hi)  # corner by corner: (8, k) points
        inside = np.abs(_ndc(pose, corners, self.aspect)) <= 1.0  # (NaN: behind, not inside)
        shown = inside.reshape(8, len(lo), 2).all(axis=(0, 2))
        tops = hi[:, 1] + label_headroom(L.config)
        label_top = np.column_stack([lo[:, 0], tops, hi[:, 2]])
        label_end = np.column_stack([hi[:, 0], tops, hi[:, 2]])
        ys = np.maximum(_ndc(pose, label_top, self.aspect)[:, 1], _ndc(pose, label_end, self.aspect)[:, 1])
        cut = shown & (ys > 1.0)
        return float(tops[cut].max()) if cut.any() else None

    def _cut_titles(self, pose: Pose) -> list[float]:
        """The tops (world y) of the region and layer titles (section levels 0 and 1) that the view's top edge
        cuts, where they lie across the view."""
        tops = []
        for section in self.layout.sections:
            if section.level > 1:
                continue
            lo, hi = self._text_box(section)
            ends = _ndc(pose, poses.box_corners(lo, hi), self.aspect)
            if np.isnan(ends).any() or ends[:, 0].max() < -1.0 or ends[:, 0].min() > 1.0:
                continue
            if ends[:, 1].min() < 1.0 < ends[:, 1].max():
                tops.append(float(hi[1]))
        return tops

    def camera_along(self, ends: tuple[Pose, Pose] | Callable[[], tuple[Pose, Pose]], st: Step) -> None:
        """The camera on the straight path between two poses at the step's even progress (`ends` may be a
        function that makes them, called only once the step has started, as for `camera`)."""
        if not st.started:
            return
        ends = ends() if callable(ends) else ends
        if st.raw < 1.0:
            self.frame.camera = interpolate_pose(ends[0], ends[1], st.raw)
            return
        self.frame.camera = arrived(*ends)  # the same pose every frame after the step

    def frame_blocks(self, names, margin: float = 1.15, azimuth: float = poses.TOUR_AZIMUTH,
                     elevation: float = poses.TOUR_ELEVATION, moved_by=None, titles: tuple[str, ...] = (),
                     clear: tuple[str, ...] = ()) -> Pose:
        """A pose framing these blocks (moved by `moved_by` (3,) or (k, 3) where they will have moved) with
        their labels, and the whole text of the section labels named in `titles` (their nearest copies), which
        sit above the blocks and would otherwise be cut by the view's edge. The labels named in `clear`, which
        sit beside the blocks, are not cut by the view's side either (see `uncut`). Made once while recent:
        chapters ask for the same pose every frame."""
        names = tuple(names)
        moved = None if moved_by is None else np.asarray(moved_by, np.float64).tobytes()
        key = ("frame_blocks", poses.layout_key(self.layout), names, margin, azimuth, elevation, moved,
               tuple(titles), tuple(clear), round(self.aspect, 4), self.stage.lang)
        return poses.memoised(key, lambda: self._framed(names, margin, azimuth, elevation, moved_by, titles,
                                                          clear))

    def uncut(self, pose: Pose, titles: tuple[str, ...], lo: np.ndarray, hi: np.ndarray) -> Pose:
        """`pose` moved sideways by as little as leaves each section label named in `titles` (the copy nearest
        the boxes lo..hi, (k, 3) or (3,)) wholly in view or wholly out of it, where `pose` cuts it at the
        view's left or right edge; a move that would cut the boxes is not made. (Framing such a label, beside
        the blocks, would leave them small.)"""
        lo, hi = np.atleast_2d(lo).astype(np.float64), np.atleast_2d(hi).astype(np.float64)
        near = (lo.min(axis=0) + hi.max(axis=0)) / 2
        for title in titles:
            pose = _uncut_sideways(pose, self.title_box(title, near), (lo, hi), self.aspect)
        return pose

    def _framed(self, names, margin: float, azimuth: float, elevation: float, moved_by, titles,
                clear) -> Pose:
        # With offsets, blocks in the order the names give them (offsets follow that order).
        ids = self._ids(names) if moved_by is None else self._ordered_ids(names)
        shift = 0.0 if moved_by is None else np.broadcast_to(np.asarray(moved_by, np.float64), (len(ids), 3))
        lo = self.layout.mins[ids].astype(np.float64) + shift  # the blocks where they will be
        hi = self.layout.maxs[ids].astype(np.float64) + shift
        framed_lo, framed_hi = lo, hi
        if titles:
            boxes = [self.title_box(title, (lo.min(axis=0) + hi.max(axis=0)) / 2) for title in titles]
            framed_lo = np.vstack([lo, *(box[0] for box in boxes)])
            framed_hi = np.vstack([hi, *(box[1] for box in boxes)])
        pose = self.fit_boxes(framed_lo, framed_hi, (lo, hi), margin, azimuth, elevation)
        return self.uncut(pose, clear, lo, hi) if clear else pose

    def title_box(self, title: str, near: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(min corner, max corner) of the text of the section label `title` nearest `near`, as drawn in the
        stage's language."""
        section = nearest_section(self.layout, title, near)
        if section is None:
            raise KeyError(f"no section label {title!r}")
        return self._text_box(section)

    def _text_box(self, section) -> tuple[np.ndarray, np.ndarray]:
        """The box a section label's text covers, as drawn in the stage's language."""
        shown = label(section.label, self.stage.lang)
        return section_text_box(section, self.text_width(shown, section.height))


def _ndc(pose: Pose, points: np.ndarray, aspect: float) -> np.ndarray:
    """(k, 2) normalised device x, y of points (k, 3) seen by `pose` (NaN behind the camera)."""
    return ndc(OrbitCamera(pose).view_projection(aspect), points)


def _ndc_x(pose: Pose, points: np.ndarray, aspect: float) -> np.ndarray:
    return _ndc(pose, points, aspect)[:, 0]


def _uncut_sideways(pose: Pose, label_box: tuple[np.ndarray, np.ndarray],
                    blocks: tuple[np.ndarray, np.ndarray], aspect: float) -> Pose:
    """`pose` moved sideways by as little as leaves a label it cuts at the view's left or right edge wholly in
    or wholly out of view, where the blocks stay wholly in view; else `pose`."""
    label, boxes = poses.box_corners(*label_box), poses.box_corners(*blocks)
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

