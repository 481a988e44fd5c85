"""CPU picking: which block and which cell a ray from the camera meets first. Pure numpy, no GL.

Boxes are tested many at once with the slab method on the layout's (N, 3) box arrays. For big layouts
(GPT-3: tens of thousands of blocks) the blocks are first grouped into spatially sorted chunks of CHUNK boxes:
the ray is tested against the chunk boxes, then against the blocks of the chunks it enters, nearest chunks
first, stopping as soon as no further chunk can hold a nearer hit. The grouping is built once per layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.layout.blocks import Layout
from glviz.layout.memo import per_layout

_TINY = 1e-30  # stands in for a zero direction component so that 1/d is a huge finite number, not inf/NaN
CHUNK = 64  # boxes per chunk of the two-level test
DIRECT_LIMIT = 2048  # layouts with at most this many blocks are tested in one pass
CHUNK_BATCH = 16  # chunks tested per vector step


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


class _ChunkIndex:
    """Blocks sorted along a Morton curve of their centres, in chunks of CHUNK, with the chunks' boxes."""

    def __init__(self, mins: np.ndarray, maxs: np.ndarray) -> None:
        centres = (mins.astype(np.float64) + maxs) / 2  # (N, 3)
        lo, hi = centres.min(axis=0), centres.max(axis=0)
        cells = ((centres - lo) / np.maximum(hi - lo, 1e-9) * 1023).astype(np.uint64)  # (N, 3) 10-bit grid
        self.order = np.argsort(morton_codes(cells), kind="stable")  # (N,) block indices in curve order
        self.mins = np.ascontiguousarray(mins[self.order], dtype=np.float64)
        self.maxs = np.ascontiguousarray(maxs[self.order], dtype=np.float64)
        starts = np.arange(0, len(self.order), CHUNK)
        self.chunk_mins = np.minimum.reduceat(self.mins, starts, axis=0)  # (K, 3)
        self.chunk_maxs = np.maximum.reduceat(self.maxs, starts, axis=0)

    def nearest(self, origin, direction, hidden: np.ndarray | None = None) -> tuple[int, float]:
        """(block index, distance) of the nearest box the ray enters, (-1, inf) on a miss; `hidden` (N,) bool
        blocks are passed through."""
        enter = ray_box_distances(self.chunk_mins, self.chunk_maxs, origin, direction)  # (K,)
        hit_chunks = np.flatnonzero(np.isfinite(enter))
        hit_chunks = hit_chunks[np.argsort(enter[hit_chunks], kind="stable")]
        best, best_at = np.inf, -1
        for i in range(0, len(hit_chunks), CHUNK_BATCH):
            batch = hit_chunks[i:i + CHUNK_BATCH]
            if enter[batch[0]] > best:  # every remaining chunk starts beyond the best hit
                break
            n = len(self.order)
            rows = np.concatenate([np.arange(c * CHUNK, min((c + 1) * CHUNK, n)) for c in batch])
            distances = ray_box_distances(self.mins[rows], self.maxs[rows], origin, direction)
            if hidden is not None:
                distances[hidden[self.order[rows]]] = np.inf
            j = int(np.argmin(distances))
            if distances[j] < best:
                best, best_at = float(distances[j]), int(self.order[rows[j]])
        return best_at, best


def morton_codes(cells: np.ndarray) -> np.ndarray:
    """Interleave the bits of three 10-bit integer coordinates (N, 3) into one Morton code (N,)."""
    code = np.zeros(len(cells), dtype=np.uint64)
    for bit in range(10):
        for axis in range(3):
            code |= ((cells[:, axis] >> np.uint64(bit)) & np.uint64(1)) << np.uint64(3 * bit + axis)
    return code


@per_layout
def _chunk_index(layout: Layout) -> _ChunkIndex:
    return _ChunkIndex(layout.mins, layout.maxs)


def cell_at(layout: Layout, block: int, point, boxes: tuple[np.ndarray, np.ndarray] | None = None
            ) -> tuple[int, int]:
    """(row, col) of the cell of `block` under a world point on (or near) its surface.

    Columns run along +x and rows along -y (row 0 at the top), so the cell follows from x and y alone; on a
    side face this gives the edge row or column, which is the cell the face belongs to.
    """
    rows, cols = (int(v) for v in layout.shapes[block])
    mins, maxs = boxes if boxes is not None else (layout.mins, layout.maxs)
    lo, hi = mins[block], maxs[block]
    size = np.maximum(hi - lo, 1e-12)
    col = int(np.floor((point[0] - lo[0]) / size[0] * cols))
    row = int(np.floor((hi[1] - point[1]) / size[1] * rows))
    return min(max(row, 0), rows - 1), min(max(col, 0), cols - 1)


def pick(layout: Layout, origin, direction, hidden: np.ndarray | None = None,
         boxes: tuple[np.ndarray, np.ndarray] | None = None) -> Hit | None:
    """The nearest block the ray `origin + t * direction` (t ≥ 0) enters and the cell there; None: a miss.

    hidden: optional (N,) bool of blocks not drawn (SceneState.hidden): the ray passes through them.
    boxes: optional (mins, maxs) (N, 3) where the blocks are drawn when some have moved (SceneState.boxes).
    """
    if layout is None or not len(layout.blocks):
        return None
    direction = np.asarray(direction, dtype=np.float64)
    length = float(np.linalg.norm(direction))
    if not np.isfinite(length) or length == 0.0:
        return None
    direction = direction / length  # distances in world units
    mins, maxs = boxes if boxes is not None else (layout.mins, layout.maxs)
    if len(layout.blocks) <= DIRECT_LIMIT or boxes is not None:
        distances = ray_box_distances(mins, maxs, origin, direction)
        if hidden is not None:
            distances = np.where(hidden, np.inf, distances)
        block = int(np.argmin(distances))
        distance = float(distances[block])
    else:
        block, distance = _chunk_index(layout).nearest(origin, direction, hidden)
    if not np.isfinite(distance):
        return None
    point = np.asarray(origin, dtype=np.float64) + distance * direction
    row, col = cell_at(layout, block, point, boxes)
    return Hit(block, row, col, distance, (float(point[0]), float(point[1]), float(point[2])))
