"""How a block's cells are laid out in the value textures, and its coarser levels of detail (pure numpy).

A block's cells are stored as one run of `cells` values in one of three orders, chosen so that a trace
that grows by a token only appends at the end of the run (nothing stored moves):
- ROWS:  (r, c) at r * cols + c. Weights held row by row, and T x 1 columns (max, sum-exp).
- COLS:  (r, c) at c * rows + r. Activations with a token per column (C x T, A x T, 1 x T), and weights
         held as the transpose of a row-major array (wte drawn C x V), so reading them is sequential.
- SHELL: (r, c) of a square T x T block at k * k + (r if c > r else k + c), k = max(r, c): token k's
         row and column (attention scores and probabilities gain both) are the shell k*k .. (k+1)^2 - 1.
Runs of `count` blocks of the same shape that grow together (the heads of a layer, the C x T activations)
are interleaved: block `place` of the group has line l (a row in ROWS, a column in COLS) at
(l * count + place) * line length, and shell k at k * k * count + place * (2k + 1), so the cells a new token
adds to all of them are one contiguous range. A block alone has count 1, place 0.
The coarse levels are grids of TILE x TILE (and TILE^2 x TILE^2) tiles, each the value of largest magnitude
of its tile (sign kept, non-finite cells ignored, NaN where a tile has no finite cell), stored in the same
order over the tile grid. shaders/values.glsl mirrors `storage_index`.
"""

from __future__ import annotations

import math

import numpy as np

ROWS, COLS, SHELL = 0, 1, 2
TILE = 16  # cells per side of a level-1 tile; a level-2 tile is TILE x TILE level-1 tiles
NO_VALUE = np.float32(np.nan)  # a cell or tile without a value: the shader draws the cell's background


def tiles(n: int, level: int) -> int:
    """Tiles of level `level` (0: cells) along an axis of n cells."""
    size = TILE ** level
    return -(-n // size)


def storage_index(order: int, rows: int, cols: int, r, c, count: int = 1, place=0) -> np.ndarray:
    """Where cells (r, c) of a rows x cols block sit in its run (int64), the block being number `place` of
    `count` interleaved ones (place may be an array, broadcast with r and c)."""
    r, c = np.asarray(r, dtype=np.int64), np.asarray(c, dtype=np.int64)
    place = np.asarray(place, dtype=np.int64)
    if order == ROWS:
        return (r * count + place) * cols + c
    if order == COLS:
        return (c * count + place) * rows + r
    k = np.maximum(r, c)
    return k * k * count + place * (2 * k + 1) + np.where(c > r, r, k + c)


def lines(order: int, rows: int, cols: int) -> int:
    """The lines of a block in its order: rows (ROWS), columns (COLS), shells (SHELL)."""
    return cols if order == COLS else rows


def cell_of(order: int, rows: int, cols: int, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (r, c) of run positions `index` of a block alone: the inverse of storage_index."""
    index = np.asarray(index, dtype=np.int64)
    if order == ROWS:
        return index // cols, index % cols
    if order == COLS:
        return index % rows, index // rows
    k = np.floor(np.sqrt(index.astype(np.float64))).astype(np.int64)
    k -= (k * k > index).astype(np.int64)  # float rounding near perfect squares
    k += ((k + 1) * (k + 1) <= index).astype(np.int64)
    j = index - k * k
    return np.where(j < k, j, k), np.where(j < k, k, j - k)


def filled_cells(order: int, rows: int, cols: int) -> int:
    """Cells of a rows x cols block (a shell block is square)."""
    return rows * rows if order == SHELL else rows * cols


def read_range(order: int, rows: int, cols: int, cells, a: int, b: int) -> np.ndarray:
    """Run positions a..b (half-open) of a block as float32 (b - a,).

    `cells(rows=(r0, r1), cols=(c0, c1))` reads a sub-rectangle of the block's values; only the rows (ROWS),
    columns (COLS) or square (SHELL) the range touches are read."""
    if b <= a:
        return np.zeros(0, np.float32)
    if order == ROWS:
        r0, r1 = a // cols, -(-b // cols)
        flat = np.asarray(cells((r0, r1), (0, cols)), dtype=np.float32).reshape(-1)
        return flat[a - r0 * cols: b - r0 * cols]
    if order == COLS:
        c0, c1 = a // rows, -(-b // rows)
        flat = np.asarray(cells((0, rows), (c0, c1)), dtype=np.float32).T.reshape(-1)
        return flat[a - c0 * rows: b - c0 * rows]
    k1 = math.isqrt(b - 1) + 1  # shells up to k1 - 1
    square = np.asarray(cells((0, k1), (0, k1)))
    r, c = cell_of(SHELL, rows, cols, np.arange(a, b))
    return square[r, c].astype(np.float32)


def order_for(strides: tuple[int, int] | None, token_axis: int | None, rows: int, cols: int) -> int:
    """The storage order of a block: by its token axis (0 rows, 1 columns, 2 both) for activations, else by
    how its values lie in memory (COLS when columns are contiguous), so that reading a range is sequential."""
    if token_axis == 2 and rows == cols:
        return SHELL
    if token_axis == 1:
        return COLS
    if token_axis == 0:
        return ROWS
    if strides is not None and rows > 1 and cols > 1 and abs(strides[0]) < abs(strides[1]):
        return COLS
    return ROWS


def tile_extremes(values: np.ndarray, tile: int = TILE) -> np.ndarray:
    """(ceil(rows/tile), ceil(cols/tile)) float32: per tile the finite value of largest magnitude, sign kept
    (the larger of max and -min; NaN for a tile without finite cells). Reduces along rows first over whole
    contiguous lines (vectorised), then along columns on 1/tile of the data. Blocks with non-finite cells
    (masked attention scores) take a slower path that skips them."""
    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 2:
        v = v.reshape(1, -1)
    if v.strides[0] < v.strides[1]:  # column-major in memory: work on the transpose, which is row-major
        return tile_extremes(v.T, tile).T
    hi, lo = _row_extremes(v, tile, np.maximum, np.minimum)
    if not (np.isfinite(hi).all() and np.isfinite(lo).all()):  # maximum propagates NaN: all finite or not
        hi, lo = _row_extremes(np.where(np.isfinite(v), v, NO_VALUE), tile, np.fmax, np.fmin)
    return _column_extremes(hi, lo, tile)


def stacked_tile_extremes(values: np.ndarray, r0: int, c0: int, tile: int = TILE) -> np.ndarray:
    """(k, th, tw): tile_extremes of k same-shaped rectangles (k, h, w) whose top-left cell is (r0, c0) of
    their blocks, on the blocks' tile grid (tile row r0 // tile first): one vectorised pass for a group."""
    v = np.asarray(values, dtype=np.float32)
    if not np.isfinite(v).all():
        v = np.where(np.isfinite(v), v, NO_VALUE)
    k, h, w = v.shape
    # A new token adds one column (or row) to most blocks: reduced along it as contiguous lines.
    if w == 1:
        return _line_extremes(v[:, :, 0], r0 % tile, tile)[:, :, None]
    if h == 1:
        return _line_extremes(v[:, 0, :], c0 % tile, tile)[:, None, :]
    pr, pc = r0 % tile, c0 % tile
    th = -(-(pr + h) // tile)
    rows = np.full((k, th * tile, w), NO_VALUE, np.float32)  # rows aligned to whole tiles
    rows[:, pr:pr + h] = v
    lines = rows.reshape(k, th, tile, w)
    hi, lo = np.fmax.reduce(lines, axis=2), np.fmin.reduce(lines, axis=2)  # (k, th, w)
    if pc:
        pad = np.full((k, th, pc), NO_VALUE, np.float32)
        hi, lo = np.concatenate([pad, hi], axis=2), np.concatenate([pad, lo], axis=2)
    return _column_extremes(hi, lo, tile)


def _line_extremes(v: np.ndarray, lead: int, tile: int) -> np.ndarray:
    """(k, tiles): per tile of k lines (k, n) whose first cell is `lead` cells into its tile, the finite
    value of largest magnitude (NaN where none)."""
    k, n = v.shape
    t = -(-(lead + n) // tile)
    if lead or n != t * tile:
        padded = np.full((k, t * tile), NO_VALUE, np.float32)
        padded[:, lead:lead + n] = v
        v = padded
    # Copied tile-major, (tile, k, t), so that each reduction is `tile` elementwise passes over whole rows:
    # reducing the 16 cells of every tile along the last axis instead runs numpy's inner loop once per
    # tile, 2 - 5 times slower for a token's cells (GPT-2: 1,307 blocks' new column or row every token).
    lines = np.empty((tile, k, t), np.float32)
    lines.transpose(1, 2, 0)[...] = v.reshape(k, t, tile)
    hi, lo = np.fmax.reduce(lines, axis=0), np.fmin.reduce(lines, axis=0)
    return np.where(hi >= -lo, hi, lo)


def _column_extremes(hi: np.ndarray, lo: np.ndarray, tile: int) -> np.ndarray:
    """From per-row-tile highs and lows (..., cols), per tile the value of largest magnitude."""
    cols = hi.shape[-1]
    C = -(-cols // tile)
    pad = C * tile - cols
    if pad:
        fill = np.full((*hi.shape[:-1], pad), NO_VALUE, np.float32)
        hi, lo = np.concatenate([hi, fill], axis=-1), np.concatenate([lo, fill], axis=-1)
    hi = np.fmax.reduce(hi.reshape(*hi.shape[:-1], C, tile), axis=-1)
    lo = np.fmin.reduce(lo.reshape(*lo.shape[:-1], C, tile), axis=-1)
    return np.where(hi >= -lo, hi, lo)


def _row_extremes(v: np.ndarray, tile: int, high, low) -> tuple[np.ndarray, np.ndarray]:
    """Per group of `tile` rows, the column-wise high and low ((ceil(rows/tile), cols) each)."""
    rows, cols = v.shape
    full = rows // tile
    his, los = [], []
    if full:
        lines = v[: full * tile].reshape(full, tile, cols)
        his.append(high.reduce(lines, axis=1))  # no out=: numpy's fast path for this reduction
        los.append(low.reduce(lines, axis=1))
    if rows % tile:
        his.append(high.reduce(v[full * tile:], axis=0)[None])
        los.append(low.reduce(v[full * tile:], axis=0)[None])
    if len(his) == 1:
        return his[0], los[0]
    return np.concatenate(his), np.concatenate(los)


def larger_magnitude(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Elementwise the one of larger magnitude (NaN: no value, loses to any number)."""
    take = (np.abs(new) > np.abs(old)) | np.isnan(old)
    return np.where(take, new, old)


def ordered(order: int, grid: np.ndarray) -> np.ndarray:
    """A (rows, cols) grid flattened in storage order (float32)."""
    grid = np.asarray(grid, dtype=np.float32)
    if order == ROWS:
        return grid.reshape(-1)
    if order == COLS:
        return grid.T.reshape(-1)
    n = grid.shape[0]
    r, c = cell_of(SHELL, n, n, np.arange(n * n))
    return grid[r, c]
