"""Picking without GL: a known camera and pixel give the expected block and cell; a miss gives None."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.layout.blocks import Block, Kind, Layout
from glviz.model.config import PRESETS
from glviz.render.camera import OrbitCamera, Pose
from glviz.render.picking import Hit, pick, ray_box_distances


def _block(name: str, rows: int, cols: int, x: float, y: float, z: float = 0.0) -> Block:
    return Block(name=name, label=name, kind=Kind.INTERMEDIATE, rows=rows, cols=cols, dims=("T", "C"),
                 position=(x, y, z), size=(float(cols), float(rows), 1.0), source=name)


def _layout(*blocks: Block) -> Layout:
    return Layout(config=PRESETS["nano"], blocks=list(blocks)).finish()


def _cell_centre(layout: Layout, block: int, row: int, col: int) -> np.ndarray:
    b = layout.blocks[block]
    x = b.position[0] + (col + 0.5) * b.size[0] / b.cols
    y = b.position[1] + b.size[1] - (row + 0.5) * b.size[1] / b.rows
    return np.array([x, y, b.position[2] + b.size[2]])


def test_ray_straight_at_a_cell_front_face():
    layout = _layout(_block("a", 4, 6, 0, 0), _block("b", 3, 5, 10, 0))
    target = _cell_centre(layout, 1, 2, 3)
    hit = pick(layout, target + (0, 0, 50), (0, 0, -1))
    assert isinstance(hit, Hit)
    assert (hit.block, hit.row, hit.col) == (1, 2, 3)
    assert hit.distance == pytest.approx(50.0)


def test_known_camera_and_pixel_give_the_expected_cell():
    layout = _layout(_block("a", 4, 6, 0, 0), _block("b", 11, 48, 0, -20))
    camera = OrbitCamera(Pose(target=(24.0, -14.5, 1.0), azimuth=20.0, elevation=15.0, distance=60.0))
    w, h = 800, 600
    for block, row, col in [(1, 0, 0), (1, 5, 17), (1, 10, 47), (0, 3, 2)]:
        # Project the cell centre to a pixel through the camera's own matrices, then pick through that pixel.
        centre = _cell_centre(layout, block, row, col)
        clip = np.append(centre, 1.0) @ camera.view_projection(w / h).astype(np.float64)
        ndc = clip[:3] / clip[3]
        px, py = (ndc[0] + 1) / 2 * w, (1 - ndc[1]) / 2 * h
        origin, direction = camera.ray(px, py, (w, h))
        hit = pick(layout, origin, direction)
        assert hit is not None and (hit.block, hit.row, hit.col) == (block, row, col)


def test_a_ray_that_misses_everything_gives_none():
    layout = _layout(_block("a", 4, 6, 0, 0))
    assert pick(layout, (100, 100, 50), (0, 0, -1)) is None
    assert pick(layout, (3, 2, 50), (0, 0, 1)) is None  # block is behind the ray's origin
    camera = OrbitCamera(Pose(target=(3.0, 2.0, 0.5), distance=30.0))
    origin, direction = camera.ray(0, 0, (800, 600))  # top-left corner, far from the small block
    assert pick(layout, origin, direction) is None


def test_nearest_block_wins_when_boxes_line_up():
    front = _block("front", 2, 2, 0, 0, z=5.0)
    back = _block("back", 2, 2, 0, 0, z=0.0)
    layout = _layout(back, front)
    hit = pick(layout, (0.5, 1.5, 40), (0, 0, -1))
    assert hit.block == 1 and (hit.row, hit.col) == (0, 0)
    hit_from_behind = pick(layout, (1.5, 0.5, -40), (0, 0, 1))
    assert hit_from_behind.block == 0 and (hit_from_behind.row, hit_from_behind.col) == (1, 1)


def test_side_face_hit_gives_the_edge_column():
    layout = _layout(_block("a", 3, 5, 0, 0))
    hit = pick(layout, (-20, 1.5, 0.5), (1, 0, 0))  # from the left, through the left face
    assert (hit.block, hit.row, hit.col) == (0, 1, 0)
    hit = pick(layout, (20, 2.5, 0.5), (-1, 0, 0))  # from the right
    assert (hit.row, hit.col) == (0, 4)


def test_axis_aligned_rays_along_box_edges_do_not_produce_nan():
    layout = _layout(_block("a", 3, 5, 0, 0))
    d = ray_box_distances(layout.mins, layout.maxs, (0.0, 0.0, 10.0), (0.0, 0.0, -1.0))
    assert not np.isnan(d).any()
    assert pick(layout, (0, 0, 10), (0, 0, 0)) is None  # a zero direction is no ray


def test_many_blocks_vectorised_matches_a_loop():
    rng = np.random.default_rng(0)
    blocks = []
    for i in range(3000):
        x, y, z = rng.uniform(-500, 500), rng.uniform(-500, 500), rng.uniform(-50, 50)
        blocks.append(_block(f"b{i}", int(rng.integers(1, 20)), int(rng.integers(1, 20)), x, y, z))
    layout = _layout(*blocks)
    for _ in range(20):
        origin = rng.uniform(-600, 600, 3) + (0, 0, 800)
        direction = rng.normal(size=3) * (0.3, 0.3, 1) - (0, 0, 2)
        hit = pick(layout, origin, direction)
        unit = direction / np.linalg.norm(direction)
        best = (np.inf, None)
        for i in range(len(layout.blocks)):  # the obvious per-box slab test
            lo, hi = layout.mins[i].astype(float), layout.maxs[i].astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                t1, t2 = (lo - origin) / unit, (hi - origin) / unit
            tn, tf = np.nanmax(np.minimum(t1, t2)), np.nanmin(np.maximum(t1, t2))
            if tf >= max(tn, 0) and max(tn, 0) < best[0]:
                best = (max(tn, 0), i)
        if best[1] is None:
            assert hit is None
        else:
            assert hit is not None and hit.block == best[1]
            assert hit.distance == pytest.approx(best[0], rel=1e-6, abs=1e-6)


def test_hidden_blocks_let_the_ray_through_in_both_passes():
    """A block hidden by SceneState.reveal is not drawn: the block behind it is picked (both passes)."""
    from glviz.render.picking import DIRECT_LIMIT

    front = _block("front", 2, 2, 0, 0, z=5.0)
    back = _block("back", 2, 2, 0, 0, z=0.0)
    small = _layout(back, front)
    assert pick(small, (0.5, 1.5, 40), (0, 0, -1), hidden=np.array([False, True])).block == 0
    assert pick(small, (0.5, 1.5, 40), (0, 0, -1), hidden=np.array([True, True])) is None
    # Past DIRECT_LIMIT blocks picking goes through the chunk index: a column of boxes one behind another.
    column = [_block(f"b{i}", 2, 2, 0, 0, z=-2.0 * i) for i in range(DIRECT_LIMIT + 10)]
    big = _layout(*column)
    assert pick(big, (0.5, 1.5, 40), (0, 0, -1)).block == 0
    hidden = np.zeros(len(column), dtype=bool)
    hidden[:700] = True
    assert pick(big, (0.5, 1.5, 40), (0, 0, -1), hidden=hidden).block == 700
