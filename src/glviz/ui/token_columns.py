"""One token's column through the model: the cell ranges that light it when its chip is hovered.

Every activation block whose columns are tokens (dims[1] == "T": the residual stream, layer norms, Q/K/V,
MLP activations, logits; for attention matrices the key column) holds position t in column t. The scene
lights at most 8 ranges, so the blocks chosen are those in view nearest the camera: whatever part of the
model the user looks at, the token's column is lit there. With nothing of that kind in view, the residual
stream's blocks (embed, resid1/resid2, ln_f.out) nearest the camera are lit.
"""

from __future__ import annotations

import numpy as np

from glviz.layout.deps import CellRange
from glviz.render.camera import ndc
from glviz.scene import MAX_DEPENDENCY_RANGES

RESIDUAL_ROLES = ("embed", "resid1", "resid2", "ln_f.out")


def token_blocks(layout) -> np.ndarray:
    """Indices of the blocks whose columns are token positions."""
    return np.array([b.index for b in layout.blocks if b.dims[1] == "T"], dtype=np.int64)


def in_view(layout, blocks: np.ndarray, view_projection: np.ndarray) -> np.ndarray:
    """(n,) bool: the block's centre projects inside the view (in front of the camera)."""
    centres = (layout.mins[blocks] + layout.maxs[blocks]) / 2  # (n, 3)
    return (np.abs(ndc(view_projection, centres)) <= 1.0).all(axis=1)  # (NaN, behind: not in view)


def column_ranges(layout, t: int, eye: np.ndarray, view_projection: np.ndarray,
                  limit: int = MAX_DEPENDENCY_RANGES) -> list[CellRange]:
    """Cell ranges lighting column t (token t) in up to `limit` token blocks: those in view, nearest the
    camera `eye` first; else the residual stream's nearest."""
    candidates = token_blocks(layout)
    candidates = candidates[layout.shapes[candidates, 1] > t]
    if not len(candidates):
        return []
    seen = candidates[in_view(layout, candidates, view_projection)]
    if not len(seen):
        seen = np.array([i for i in candidates if layout.blocks[i].role in RESIDUAL_ROLES
                         or layout.blocks[i].name in RESIDUAL_ROLES], dtype=np.int64)
    centres = (layout.mins[seen] + layout.maxs[seen]) / 2
    order = np.argsort(np.linalg.norm(centres - np.asarray(eye, dtype=np.float32), axis=1), kind="stable")
    chosen = seen[order[:limit]]
    return [CellRange(int(i), (0, int(layout.shapes[i, 0])), (t, t + 1)) for i in chosen]
