"""CPU picking: which block and which cell a ray from the camera meets first. Pure numpy, no GL.

All blocks are tested at once with the slab method on the layout's (N, 3) box arrays, so the cost per mouse
move is a handful of vector operations whatever the model size (GPT-3: tens of thousands of boxes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.layout.blocks import Layout

_TINY = 1e-30  # stands in for a zero direction component so that 1/d is a huge finite number, not inf/NaN


@dataclass(frozen=True, slots=True)
class Hit:
    """The cell under a ray: block index, row, column, distance along the ray, and the world point hit."""

    block: int
    row: int
    col: int
    distance: float
    point: tuple[float, float, float]


def ray_box_distances(mins: np.ndarray, maxs: np.ndarray, origin, direction) -> np.ndarray:
    """Distance along the ray to each box (N,), `inf` where the ray misses; 0 when the origin is inside."""
    o = np.asarray(origin, dtype=np.float64)
    d = np.asarray(direction, dtype=np.float64)
    d = np.where(np.abs(d) < _TINY, _TINY, d)
    inv = 1.0 / d  # (3,)
    t1 = (mins - o) * inv  # (N, 3)
    t2 = (maxs - o) * inv  # (N, 3)
    t_near = np.minimum(t1, t2).max(axis=1)  # (N,) entering the last slab
    t_far = np.maximum(t1, t2).min(axis=1)  # (N,) leaving the first slab
    t_enter = np.maximum(t_near, 0.0)
    return np.where(t_far >= t_enter, t_enter, np.inf)


def cell_at(layout: Layout, block: int, point) -> tuple[int, int]:
    """(row, col) of the cell of `block` under a world point on (or near) its surface.

    Columns run along +x and rows along -y (row 0 at the top), so the cell follows from x and y alone; on a
    side face this gives the edge row or column, which is the cell the face belongs to.
    """
    rows, cols = (int(v) for v in layout.shapes[block])
    lo, hi = layout.mins[block], layout.maxs[block]
    size = np.maximum(hi - lo, 1e-12)
    col = int(np.floor((point[0] - lo[0]) / size[0] * cols))
    row = int(np.floor((hi[1] - point[1]) / size[1] * rows))
    return min(max(row, 0), rows - 1), min(max(col, 0), cols - 1)


def pick(layout: Layout, origin, direction) -> Hit | None:
    """The nearest block the ray `origin + t * direction` (t ≥ 0) enters and the cell there; None: a miss."""
    if layout is None or not len(layout.blocks):
        return None
    direction = np.asarray(direction, dtype=np.float64)
    length = float(np.linalg.norm(direction))
    if not np.isfinite(length) or length == 0.0:
        return None
    direction = direction / length  # distances in world units
    distances = ray_box_distances(layout.mins, layout.maxs, origin, direction)
    block = int(np.argmin(distances))
    distance = float(distances[block])
    if not np.isfinite(distance):
        return None
    point = np.asarray(origin, dtype=np.float64) + distance * direction
    row, col = cell_at(layout, block, point)
    return Hit(block, row, col, distance, (float(point[0]), float(point[1]), float(point[2])))
