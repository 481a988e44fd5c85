"""What a chapter's effects keep from one frame to the next: per layout, per resolved block list, per pose.

A chapter's script runs every frame and asks for the same blocks each time; Script resolves their names
once (read-only index arrays, the same object every frame), so work that depends only on those blocks is
kept here by the array's identity (with a reference to it, so that the identity stays its own). Writable
arrays may change between frames: their results are computed each time and not kept. Poses are immutable:
what follows from a pair of them is kept by their identities the same way.
"""

from __future__ import annotations

import numpy as np

from glviz.layout.blocks import Layout
from glviz.layout.memo import per_layout
from glviz.render.camera import Pose, interpolate_pose
from glviz.walkthrough.frame import ALL


@per_layout
def layout_cells(layout: Layout) -> np.ndarray:
    """(N,) float32 cells of each block."""
    return (layout.shapes[:, 0] * layout.shapes[:, 1]).astype(np.float32)


_PLANS: dict[tuple, tuple] = {}  # (id(ids), id(cells), weights) -> (ids, cells, the plan)


def compute_plan(ids: np.ndarray, all_cells: np.ndarray, weights: str) -> tuple[np.ndarray, ...]:
    """For Script.compute: the blocks' cells (k,), where each block's stretch of the step starts (k,) and its
    length (k,), and the reveal rows (k, 3) once the step is over. Kept for read-only `ids` (the resolved
    names' arrays: the same object every frame)."""
    key = (id(ids), id(all_cells), weights)
    hit = _PLANS.get(key)
    if hit is not None and hit[0] is ids and hit[1] is all_cells:
        return hit[2]
    cells = all_cells[ids]
    share = np.sqrt(cells) if weights == "sqrt" else cells
    edges = np.concatenate([[0.0], np.cumsum(share)]) / max(float(share.sum()), 1e-9)  # (k + 1,)
    lo, width = edges[:-1], np.maximum(edges[1:] - edges[:-1], 1e-9)
    local = np.clip((1.0 - lo) / width, 0.0, 1.0)  # at the step's end
    end = local * cells
    done = np.zeros((len(ids), 3), dtype=np.float32)
    done[:, 1] = np.where(local >= 1.0, ALL, end)
    done[:, 2] = np.where((local > 0) & (local < 1), np.floor(end), -1.0)
    plan = (cells, lo, width, done)
    if not ids.flags.writeable:
        if len(_PLANS) > 4096:
            _PLANS.clear()
        _PLANS[key] = (ids, all_cells, plan)
    return plan


_TARGETS: dict[tuple, tuple] = {}  # (id(ids), n, others) -> (ids, focus target)


def focus_target(ids: np.ndarray, n: int, others: float) -> np.ndarray:
    """(n,) float32 opacity that focus moves towards: 1 for `ids`, `others` elsewhere (kept for read-only
    `ids`, as compute_plan)."""
    key = (id(ids), n, others)
    hit = _TARGETS.get(key)
    if hit is not None and hit[0] is ids:
        return hit[1]
    rest = np.ones(n, dtype=bool)
    rest[ids] = False
    target = np.where(rest, others, 1.0).astype(np.float32)
    if not ids.flags.writeable:
        target.setflags(write=False)
        if len(_TARGETS) > 1024:
            _TARGETS.clear()
        _TARGETS[key] = (ids, target)
    return target


_ARRIVED: dict[tuple, tuple] = {}  # (id(a), id(b)) -> (a, b, the pose)


def arrived(a: Pose, b: Pose) -> Pose:
    """interpolate_pose(a, b, 1.0), kept per pair of pose objects (Script.camera_along once arrived)."""
    hit = _ARRIVED.get((id(a), id(b)))
    if hit is None or hit[0] is not a or hit[1] is not b:
        if len(_ARRIVED) > 1024:
            _ARRIVED.clear()
        hit = _ARRIVED[(id(a), id(b))] = (a, b, interpolate_pose(a, b, 1.0))
    return hit[2]
