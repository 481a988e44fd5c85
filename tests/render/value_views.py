"""What the value-store tests share (test_values.py, test_value_streaming.py): the picture size, a
real-shaped GPT-2 weight block with known structure, where a world point lands in the image, and reading
back the tiles the GPU holds."""

from __future__ import annotations

import numpy as np

from glviz.layout.blocks import Block, Kind, Layout
from glviz.model.config import PRESETS
from glviz.render.camera import OrbitCamera, fit_pose
from glviz.render.palette import KIND_COLORS
from glviz.scene import SceneState
from value_probe import run_index

SIZE = (320, 200)


def tile_index(frame, index: int, level: int, r, c):
    """Resident-texture index of tiles (r, c) of `level` of block `index`."""
    info = frame.blocks.levels.info
    size = 16 ** level
    rows, cols = (-(-int(v) // size) for v in frame.layout.shapes[index])
    offset = (info.l1, info.l2)[level - 1][index]
    assert offset >= 0
    return offset + run_index(int(info.order[index]), rows, cols, r, c, int(info.count[index]),
                              int(info.place[index]))


def gpu_tiles(frame, index: int, level: int) -> np.ndarray:
    """Level 1 (16 x 16 tiles) or 2 (256 x 256) of block `index` as the resident texture holds it."""
    size = 16 ** level
    rows, cols = (-(-int(v) // size) for v in frame.layout.shapes[index])
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    resident = np.frombuffer(frame.blocks.levels.pool.texture.read(), np.float32)
    return resident[tile_index(frame, index, level, r, c)]


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal, NaN matching NaN."""
    return a.shape == b.shape and bool(np.array_equal(np.nan_to_num(a, nan=1e30), np.nan_to_num(b, nan=1e30)))


# --- a real-shaped GPT-2 weight block ---------------------------------------------------------------------

ROWS, COLS = 768, 3072  # GPT-2 small's MLP projection, as drawn (out rows x in columns)


def structured_weights(seed: int = 0) -> np.ndarray:
    """Small noise, and in every 16 x 16 tile two strong cells (so that 1 is the colour scale: more than
    0.5% of the cells): +1 in the left half, -1 in the right half."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(-0.01, 0.01, (ROWS, COLS)).astype(np.float32)
    tr, tc = np.meshgrid(np.arange(ROWS // 16), np.arange(COLS // 16), indexing="ij")
    for _ in range(2):
        r = tr * 16 + rng.integers(0, 16, tr.shape)
        c = tc * 16 + rng.integers(0, 16, tc.shape)
        w[r, c] = np.where(c < COLS // 2, 1.0, -1.0)
    return w


def weight_layout(*shapes: tuple[int, int]) -> Layout:
    """Weight blocks named w0, w1, ... side by side, one cell one world unit."""
    blocks, x = [], 0.0
    for k, (rows, cols) in enumerate(shapes):
        blocks.append(Block(f"w{k}", f"W{k}", Kind.WEIGHT, rows, cols, ("C", "4C"), (x, 0.0, 0.0),
                            (float(cols), float(rows), 1.0), f"w{k}"))
        x += cols + 64
    return Layout(PRESETS["nano"], blocks).finish()


def pixel_of(camera: OrbitCamera, point) -> tuple[int, int]:
    """(row, col) in a read-back image of a world point."""
    w, h = SIZE
    view_projection = camera.view_projection(w / h).astype(np.float64)
    clip = np.append(np.asarray(point, dtype=np.float64), 1.0) @ view_projection
    return int((1 - clip[1] / clip[3]) / 2 * h), int((clip[0] / clip[3] + 1) / 2 * w)


def draw(offscreen, layout: Layout, camera: OrbitCamera, settle: bool = True) -> np.ndarray:
    """The image of `layout` seen by `camera`, labels off, as ints (settle: every page the view wants)."""
    scene = SceneState(layout)
    scene.show_labels = False
    return offscreen.render(scene, camera, settle=settle).astype(int)


def rgb(colour) -> np.ndarray:
    """A colour (0..1) as 0..255 values."""
    return np.round(np.asarray(colour) * 255)


def kind_light(kind: int) -> np.ndarray:
    """A cell without a value: its kind colour mixed halfway with white."""
    return rgb(0.5 * np.asarray(KIND_COLORS[kind]) + 0.5)


def close_to_corner() -> OrbitCamera:
    """About 8 pixels a cell, around the top-left corner of the big block (weight_layout((ROWS, COLS)))."""
    lo = np.array([0.0, ROWS - 25.0, 0.0])
    return OrbitCamera(fit_pose(lo, lo + np.array([40.0, 25.0, 1.0]), aspect=SIZE[0] / SIZE[1], margin=1.0))


def show_big_block(offscreen) -> tuple[Layout, np.ndarray]:
    """The real-shaped weight block with structured_weights, set on the offscreen renderer."""
    layout, values = weight_layout((ROWS, COLS)), structured_weights()
    offscreen.frame.set_layout(layout)
    offscreen.frame.set_weights({"w0": values})
    return layout, values
