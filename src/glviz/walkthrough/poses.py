"""Camera poses the tour frames: blocks, a column of cells, the whole model; memoised (a chapter asks for the
same poses every frame, and fitting one costs a few hundred microseconds)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from glviz.render.camera import Pose, fit_points, overview_pose, whole_pose

TOUR_AZIMUTH = -18.0  # degrees: a little from the left, so that stacked heads show, but flatter than the
TOUR_ELEVATION = 10.0  # overview, so that the block in focus reads straight on
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 1024


def memoised(key: tuple, make) -> Pose:
    """The pose `make()` made for `key` (a hashable description of it), made once while it is recent."""
    pose = _CACHE.get(key)
    if pose is None:
        pose = _CACHE[key] = make()
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return pose


def layout_key(layout) -> tuple:
    """A layout's part of a memo key."""
    return id(layout), len(layout.blocks), layout.n_tokens


def box_corners(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The 8 corners of each box lo..hi ((k, 3) or (3,)): (8k, 3), the first corner of every box, then the
    second, ..."""
    lo, hi = np.atleast_2d(lo), np.atleast_2d(hi)
    corners = np.array([[(lo if i & 1 else hi)[:, 0], (lo if i & 2 else hi)[:, 1],
                         (lo if i & 4 else hi)[:, 2]] for i in range(8)])  # (8, 3, k)
    return corners.transpose(0, 2, 1).reshape(-1, 3)


def boxes_pose(lo: np.ndarray, hi: np.ndarray, aspect: float, azimuth: float = TOUR_AZIMUTH,
               elevation: float = TOUR_ELEVATION, margin: float = 1.15) -> Pose:
    """A pose framing the boxes lo..hi (k, 3) (their union)."""
    lo, hi = np.atleast_2d(lo).astype(np.float64), np.atleast_2d(hi).astype(np.float64)
    key = ("boxes", lo.tobytes(), hi.tobytes(), round(aspect, 4), azimuth, elevation, margin)

    def make() -> Pose:
        return fit_points(box_corners(lo, hi), azimuth=azimuth, elevation=elevation, margin=margin,
                          aspect=aspect)

    return memoised(key, make)


def overview(layout, aspect: float) -> Pose:
    """The app's overview (the card and the top of the model)."""
    return memoised(("overview", layout_key(layout), round(aspect, 4)), lambda: overview_pose(layout, aspect))


def whole(layout, aspect: float) -> Pose:
    """The whole model."""
    return memoised(("whole", layout_key(layout), round(aspect, 4)), lambda: whole_pose(layout, aspect))


def closer(pose: Pose, factor: float, target=None) -> Pose:
    """`pose` at `factor` times its distance (optionally looking at another target)."""
    return Pose(tuple(target) if target is not None else pose.target, pose.azimuth, pose.elevation,
                pose.distance * factor)
