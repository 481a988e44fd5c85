"""Reading the renderer's value textures back, with the storage orders written out here (not imported from
the renderer), for tests that check what the GPU holds."""

from __future__ import annotations

import numpy as np

PAGE = 4096  # cells per pool page, as the value textures lay them out


def run_index(order: int, rows: int, cols: int, r, c, count: int = 1, place=0):
    """Where cell (r, c) sits in a run: 0 row by row, 1 column by column, 2 in shells (square), the block
    being number `place` of `count` interleaved ones (line l of it at (l * count + place) * line length;
    shell k at k * k * count + place * (2k + 1))."""
    r, c = np.asarray(r), np.asarray(c)
    if order == 0:
        return (r * count + place) * cols + c
    if order == 1:
        return (c * count + place) * rows + r
    k = np.maximum(r, c)
    return k * k * count + place * (2 * k + 1) + np.where(c > r, r, k + c)


def line_of(order: int, r, c):
    """The line of a cell in its order: its row, its column, its shell."""
    return c if order == 1 else np.maximum(r, c) if order == 2 else r


def gpu_cells(frame, index: int) -> np.ndarray:
    """Every cell of block `index` as the GPU holds it (NaN where its page is not in the pool)."""
    levels, info = frame.blocks.levels, frame.blocks.levels.info
    rows, cols = (int(v) for v in frame.layout.shapes[index])
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    order = int(info.order[index])
    out = np.full((rows, cols), np.nan, np.float32)
    filled = line_of(order, r, c) < info.lines[index]
    if info.l0[index] >= 0:
        i = run_index(order, rows, cols, r, c, int(info.count[index]), int(info.place[index]))
        resident = np.frombuffer(levels.pool.texture.read(), np.float32)
        out[filled] = resident[info.l0[index] + i[filled]]
        return out
    i = run_index(order, rows, cols, r, c)  # pooled cells: the block's own run
    table = np.frombuffer(levels.table.texture.read(), np.int32)
    pages = np.where(filled, table[info.pages[index] + np.where(filled, i, 0) // PAGE], -1)
    there = pages >= 0
    if there.any():
        pool = np.frombuffer(levels.pool.texture.read(), np.float32)
        out[there] = pool[pages[there] * PAGE + i[there] % PAGE]
    return out




def brute_tiles(values: np.ndarray, size: int = 16) -> np.ndarray:
    """Per size x size tile, its finite value of largest magnitude with its sign (NaN: none), one by one."""
    rows, cols = values.shape
    out = np.full((-(-rows // size), -(-cols // size)), np.nan, np.float32)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            tile = values[i * size:(i + 1) * size, j * size:(j + 1) * size]
            tile = tile[np.isfinite(tile)]
            if tile.size:
                out[i, j] = tile[np.argmax(np.abs(tile))]
    return out
