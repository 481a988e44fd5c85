"""The per-block state texture's contents on the CPU: what was last uploaded, and which blocks changed; and
the Hover uniform block's contents (the hovered cell, the ranges lit).

A frame hands BlockRenderer.write_state the whole per-block state (the tour rebuilds it every frame). Most
frames change few blocks or none (a pause, a camera move), so the inputs are kept as last uploaded and
compared field by field: equal inputs cost a few comparisons and no upload; otherwise only the changed
blocks' texels are rebuilt, in a buffer already padded to the texture's rows, and only their rows written.
"""

from __future__ import annotations

import numpy as np

from glviz.arrays import unique
from glviz.layout.memo import per_layout
from glviz.render.chunks import ATLAS_WIDTH, texture_rows
from glviz.scene import MAX_DEPENDENCY_RANGES

STATE_TEXELS = 3  # per block: (highlight, opacity, scale, order), (offset.xyz, cursor), (first, end, 0, 0)
HOVER_UBO_BYTES = 32 + 2 * MAX_DEPENDENCY_RANGES * 16 + 2 * MAX_DEPENDENCY_RANGES * 4


def hover_block(hovered, dependencies, lit=()) -> tuple[bytes, np.ndarray, np.ndarray]:
    """The Hover uniform block (blocks.vert) for the hovered (block, row, col) or None, up to 8 dependency
    CellRanges and up to 8 ranges the tour lights; and the blocks lit, sorted, with their numbers of ranges.
    The ranges are sorted by block, so that a block's are consecutive (blocks.vert)."""
    head = np.array([-1, -1, -1, 0, 0, 0, 0, 0], dtype=np.int32)
    rc = np.zeros((2 * MAX_DEPENDENCY_RANGES, 4), dtype=np.int32)
    blocks = np.full(2 * MAX_DEPENDENCY_RANGES, -2, dtype=np.int32)
    if hovered is not None:
        head[:3] = hovered
    ranges = list(dependencies)[:MAX_DEPENDENCY_RANGES]
    tour = list(lit)[:MAX_DEPENDENCY_RANGES]
    head[3], head[4] = len(ranges), len(tour)
    every = sorted(ranges + tour, key=lambda rng: rng.block)
    for k, rng in enumerate(every):
        blocks[k] = rng.block
        rc[k] = (*rng.rows, *rng.cols)
    lit_blocks, counts = np.unique(blocks[:len(every)].astype(np.int64), return_counts=True)
    return head.tobytes() + rc.tobytes() + blocks.tobytes(), lit_blocks, counts


def hover_key(hovered, dependencies, lit) -> tuple:
    """What hover_block packs, as a comparable value (the ranges' objects may be reused and changed)."""
    ranges, tour = list(dependencies)[:MAX_DEPENDENCY_RANGES], list(lit)[:MAX_DEPENDENCY_RANGES]
    return hovered, *(tuple((r.block, tuple(r.rows), tuple(r.cols)) for r in rs) for rs in (ranges, tour))


@per_layout
def layout_cells(layout) -> np.ndarray:
    """(N,) float64 cells of each block of a layout (rows × cols)."""
    return layout.shapes[:, 0].astype(np.float64) * layout.shapes[:, 1]


def fill_texels(out: np.ndarray, highlight, opacity, offset, scale, reveal, order) -> None:
    """Write the state of k blocks into `out` (k, STATE_TEXELS, 4) float32, as blocks.vert reads it."""
    out[:, 0, 0], out[:, 0, 1], out[:, 0, 2], out[:, 0, 3] = highlight, opacity, scale, order
    out[:, 1, :3], out[:, 1, 3] = offset, reveal[:, 2]
    out[:, 2, :2] = reveal[:, :2]
    out[:, 2, 2:] = 0.0


class StateCopy:
    """The per-block state as uploaded: its inputs (compared next frame) and its texels, padded to full
    texture rows (the slice a row write takes)."""

    FIELDS = ("highlight", "opacity", "scale", "order", "offset", "reveal")

    def __init__(self, inputs: tuple[np.ndarray, ...]) -> None:
        n = len(inputs[0])
        self.inputs = tuple(np.array(a, dtype=np.float32) for a in inputs)  # own copies, in FIELDS order
        self.flat = np.zeros((texture_rows(STATE_TEXELS * n) * ATLAS_WIDTH, 4), dtype=np.float32)
        self.texels = self.flat[:STATE_TEXELS * n].reshape(n, STATE_TEXELS, 4)  # a view: (N, 3, 4)
        self._fill(slice(None))

    def _fill(self, which) -> None:
        h, o, s, order, off, rev = (a[which] for a in self.inputs)
        if isinstance(which, slice):
            fill_texels(self.texels, h, o, off, s, rev, order)
        else:
            block = np.empty((len(h), STATE_TEXELS, 4), dtype=np.float32)
            fill_texels(block, h, o, off, s, rev, order)
            self.texels[which] = block

    def fits(self, inputs: tuple[np.ndarray, ...]) -> bool:
        """Whether `inputs` have the shapes of the copy (else a new copy is needed)."""
        return all(a.shape == b.shape for a, b in zip(inputs, self.inputs, strict=True))

    def same(self, inputs: tuple[np.ndarray, ...]) -> bool:
        """Whether `inputs` equal what was uploaded (then nothing needs writing)."""
        return all(bool((a == b).all()) for a, b in zip(inputs, self.inputs, strict=True))

    def update(self, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
        """Take `inputs` (same shapes), rebuild the texels of the blocks that changed; returns their rows
        in the texture (sorted, unique)."""
        h, o, s, order, off, rev = inputs
        oh, oo, os_, oorder, ooff, orev = self.inputs
        changed = (h != oh) | (o != oo) | (s != os_) | (order != oorder)
        for k in range(3):  # per column: faster than a reduction over a length-3 axis
            changed |= off[:, k] != ooff[:, k]
            changed |= rev[:, k] != orev[:, k]
        blocks = np.flatnonzero(changed)
        for mine, theirs in zip(self.inputs, inputs, strict=True):
            mine[blocks] = theirs[blocks]
        self._fill(blocks)
        first = blocks * STATE_TEXELS // ATLAS_WIDTH
        last = (blocks * STATE_TEXELS + STATE_TEXELS - 1) // ATLAS_WIDTH
        return unique(np.concatenate([first, last]))

    def row(self, row: int) -> bytes:
        """Texture row `row` as bytes."""
        return self.flat[row * ATLAS_WIDTH:(row + 1) * ATLAS_WIDTH].tobytes()
