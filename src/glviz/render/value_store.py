"""A store of block values at levels of detail, on the CPU side (no GL): what the value textures hold.

Each block of the store has a Slot. Its cells are one run in a storage order (render/value_order.py):
- a small block (at most SMALL_CELLS cells, at capacity) keeps every cell in the store's resident run;
- a bigger block has a region of the page table instead: per PAGE cells of its run, the pool page holding
  them or -1 (streamed by visibility);
- every block of more than one tile keeps its level-1 tiles (16 x 16 cells, largest magnitude) in the
  resident run, and a level 2 (256 x 256) when level 1 has more than L2_FROM tiles: about 1/256 of its cells.
Activation blocks reserve room for `cap` positions along their token axis (a power of two), so a growing
trace appends to every run in place; past it the store re-packs with twice the room (`packed` rises).
Changes are recorded for the GL side: `dirty` (resident ranges), `table_dirty`, `pool_writes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.layout.blocks import Block
from glviz.render.value_order import (
    COLS,
    NO_VALUE,
    ROWS,
    SHELL,
    TILE,
    filled_cells,
    larger_magnitude,
    order_for,
    ordered,
    read_range,
    storage_index,
    tile_extremes,
    tiles,
)
from glviz.render.value_sources import BlockSource, token_axis

SMALL_CELLS = 16384  # blocks up to this many cells are resident whole
PAGE = 4096  # cells per pool page (one row of the pool texture)
L2_FROM = 4096  # level-1 grids with more tiles than this get a level 2
MIN_CAP = 16  # room reserved along a token axis, at least
ROBUST_SCALE_CELLS = 256  # above this many cells a block's colour scale is the 99.5th percentile of |v|
SCALE_SAMPLE = 1 << 12  # cells sampled for that percentile (and the mean)


def sample(values: np.ndarray, n: int = SCALE_SAMPLE) -> np.ndarray:
    """About n cells of a (rows, cols) array, flat: whole contiguous lines first (a transposed view is
    sampled by columns), so that a sample never reads the whole block."""
    v = np.asarray(values)
    if v.size <= n:
        return v.reshape(-1)
    if v.ndim == 2:
        lines, length = (v.shape[1], v.shape[0]) if v.strides[0] < v.strides[1] else v.shape
        step = max(1, -(-lines * length // (4 * n)))  # keep about 4n cells of whole lines
        v = v[:, ::step] if v.strides[0] < v.strides[1] else v[::step]
    flat = v.reshape(-1)
    return flat[:: max(1, flat.size // n)]


def value_scale(values: np.ndarray) -> tuple[float, float]:
    """The |value| that maps to full colour (max |v|, or the 99.5th percentile for big blocks: outliers)
    and the mean value, both from a sample of the block."""
    flat = sample(values)
    finite = flat[np.isfinite(flat)].astype(np.float64)
    if finite.size == 0:
        return 1.0, 0.0
    magnitude = np.abs(finite)
    if finite.size > ROBUST_SCALE_CELLS:
        k = int(round(0.995 * (finite.size - 1)))
        scale = float(np.partition(magnitude, k)[k])
    else:
        scale = float(magnitude.max())
    return (scale if scale > 0 else 1.0), float(finite.mean())


def capacity(n: int) -> int:
    """Room reserved for n positions: the next power of two, at least MIN_CAP."""
    return max(MIN_CAP, 1 << max(0, int(n) - 1).bit_length())


@dataclass
class Slot:
    """One block's place in a store. Offsets are into the store's resident run and page table (-1: none)."""

    block: Block
    order: int
    axis: int | None  # token axis: 0 rows, 1 columns, 2 both, None
    n: int  # positions filled along the token axis (the whole block without one)
    cap: int  # positions the regions have room for
    small: bool
    inv_scale: float = 0.0  # 0 until values were seen
    mean: float = 0.0  # mean value / scale
    l0: int = -1
    levels: tuple[int, ...] = ()  # resident offsets of levels 1 (and 2)
    pages: int = -1
    n_pages: int = 0  # page-table entries reserved
    parts: tuple[int, ...] = ()  # resident cells of l0 (small blocks) and of each level, as packed

    def shape(self, n: int | None = None) -> tuple[int, int]:
        """(rows, cols) with n positions along the token axis (default: as filled)."""
        n = self.n if n is None else n
        rows, cols = self.block.rows, self.block.cols
        if self.axis == 2:
            return n, n
        if self.axis == 1:
            return rows, n
        if self.axis == 0:
            return n, cols
        return rows, cols

    def level_shape(self, level: int, n: int | None = None) -> tuple[int, int]:
        rows, cols = self.shape(n)
        return tiles(rows, level), tiles(cols, level)

    @property
    def filled(self) -> int:
        """Cells of the run that hold values."""
        return filled_cells(self.order, *self.shape()) if self.inv_scale else 0

    def sizes(self) -> tuple[list[int], int, int]:
        """Resident cells of each part (l0 of a small block, then the levels), how many levels, and
        page-table entries (a pooled block), all at capacity."""
        cells = filled_cells(self.order, *self.shape(self.cap))
        parts = [cells] if self.small else []
        levels = 0
        if cells > TILE * TILE:
            parts.append(filled_cells(self.order, *self.level_shape(1, self.cap)))
            levels = 1
            if parts[-1] > L2_FROM:
                parts.append(filled_cells(self.order, *self.level_shape(2, self.cap)))
                levels = 2
        return parts, levels, 0 if self.small else -(-cells // PAGE)


class ValueStore:
    """The slots of one source's blocks (a model's weights, or a trace), their resident run and page table."""

    def __init__(self, source: BlockSource | None) -> None:
        self.source = source
        self.slots: dict[str, Slot] = {}
        self.by_source: dict[str, list[str]] = {}  # trace or weight name -> slots showing it
        self.data = np.zeros(0, np.float32)  # the resident run
        self.table = np.zeros(0, np.int32)  # the page table: pool page per page of pooled blocks, -1
        self.packed = 0  # rises when offsets moved (the renderer rewrites its per-block data)
        self.remap: np.ndarray | None = None  # after a re-pack: new page-table index of each old one (-1)
        self.dirty: list[tuple[int, int]] = []  # resident ranges to upload
        self.table_dirty: list[tuple[int, int]] = []
        self.pool_writes: list[tuple[int, int, np.ndarray]] = []  # (page-table index, offset, values)
        self._tile_cache: dict[tuple, np.ndarray] = {}  # while adding: level-1 tiles by array

    # --- making slots --------------------------------------------------------------------------------------
    def add(self, blocks: list[Block]) -> None:
        """Slots for the blocks not in the store yet (values read now where the source has them), and room
        for layouts whose token axis outgrew a slot's; one re-pack for all."""
        fresh = []
        for block in blocks:
            slot = self.slots.get(block.name)
            if slot is not None and _same_shape(slot, block):
                if slot.axis is not None and _positions(block) > slot.cap:
                    slot.cap = capacity(_positions(block))  # a longer layout: room for it
                    fresh.append(None)
                continue
            made = self._make(block)
            if made is not None:
                self.slots[block.name] = made
                for name in block.stack or (block.source,):
                    self.by_source.setdefault(name, []).append(block.name)
                fresh.append(made)
        if fresh:
            self._pack()
            for slot in fresh:
                if slot is not None:
                    self._fill(slot)
            self._tile_cache.clear()

    def _make(self, block: Block) -> Slot | None:
        values = self.source.values(block) if self.source is not None else None
        axis = token_axis(block)
        if values is None and (axis is None or not self.source.grows):
            return None  # a weight (or array) that is not there: the block keeps its kind colour
        strides = values.strides if values is not None and values.ndim == 2 else None
        n = _positions(block)
        if values is not None and axis is not None:
            n = values.shape[0] if axis in (0, 2) else values.shape[1]
        order = order_for(strides, axis, block.rows, block.cols)
        cap = capacity(max(n, _positions(block))) if axis is not None else 0
        slot = Slot(block, order, axis, n if values is not None else 0, cap, False)
        slot.small = filled_cells(order, *slot.shape(cap)) <= SMALL_CELLS
        return slot

    def _fill(self, slot: Slot) -> None:
        """Read a new slot's values (all positions filled so far) into its resident regions."""
        if slot.axis is not None:
            n, slot.n = slot.n, 0
            if n:
                self.grow(slot.block.name, 0, n)
            return
        values = self.source.values(slot.block)
        self._set_scale(slot, values)
        if slot.small:
            self._write(slot.l0, ordered(slot.order, values))
        if slot.levels:
            grid = self._tiles(values)
            for level, offset in enumerate(slot.levels, start=1):
                self._write(offset, ordered(slot.order, grid))
                if level < len(slot.levels):
                    grid = tile_extremes(grid)

    def _tiles(self, values: np.ndarray) -> np.ndarray:
        """tile_extremes of a block's values, once per array: a tied head (lm_head, V x C) and the token
        table (wte, drawn C x V) are the same numbers transposed."""
        key = (values.__array_interface__["data"][0], values.shape, values.strides)
        flipped = (key[0], values.shape[::-1], values.strides[::-1])
        if flipped in self._tile_cache:
            return self._tile_cache[flipped].T
        if key not in self._tile_cache:
            self._tile_cache[key] = tile_extremes(values)
        return self._tile_cache[key]

    def _set_scale(self, slot: Slot, values: np.ndarray) -> None:
        scale, mean = value_scale(values)
        slot.inv_scale, slot.mean = 1.0 / scale, mean / scale

    def _pack(self) -> None:
        """Place every slot's regions at their capacity; what the old run and table held moves along (runs
        only grow at their end, so each region's old content is the prefix of its new one)."""
        old_data, old_table = self.data, self.table
        old = {name: (s.l0, s.levels, s.pages, s.n_pages, s.small, s.parts) for name, s in self.slots.items()}
        data_size = table_size = 0
        for slot in self.slots.values():
            if slot.axis is not None:  # the room grew: a small block may be too big to stay resident
                slot.small = filled_cells(slot.order, *slot.shape(slot.cap)) <= SMALL_CELLS
            parts, levels, pages = slot.sizes()
            slot.parts = tuple(parts)
            offsets = [int(o) for o in data_size + np.cumsum([0, *parts[:-1]])]
            data_size += sum(parts)
            slot.l0 = offsets[0] if slot.small else -1
            slot.levels = tuple(offsets[len(offsets) - levels:])
            slot.pages, slot.n_pages = (table_size, pages) if pages else (-1, 0)
            table_size += pages
        self.data = np.full(data_size, NO_VALUE, np.float32)
        self.table = np.full(table_size, -1, np.int32)
        remap = np.full(len(old_table), -1, np.int64)
        regrow = []
        for name, slot in self.slots.items():
            if name not in old:
                continue
            l0, levels, pages, n_pages, small, parts = old[name]
            if not parts:  # a new slot: nothing placed yet
                continue
            if small == slot.small and len(levels) == len(slot.levels):
                was = ((l0,) if small else ()) + levels
                now = ((slot.l0,) if slot.small else ()) + slot.levels
                for a, b, size in zip(was, now, parts, strict=True):
                    self.data[b: b + size] = old_data[a: a + size]
            elif slot.inv_scale:  # became pooled, or gained a level: read its positions again
                regrow.append((name, slot.n))
                slot.n = 0
            keep = min(n_pages, slot.n_pages)
            if keep:
                self.table[slot.pages: slot.pages + keep] = old_table[pages: pages + keep]
                remap[pages: pages + keep] = slot.pages + np.arange(keep)
        self.remap = remap if len(old_table) else None
        self.packed += 1
        self.dirty = [(0, len(self.data))]
        self.table_dirty = [(0, len(self.table))]
        for name, n in regrow:
            self.grow(name, 0, n)

    # --- growing ------------------------------------------------------------------------------------------
    def grow(self, name: str, start: int, stop: int) -> None:
        """Positions start..stop of slot `name` (along its token axis) have values now: write them into
        its resident regions and into the pool pages it has there (recorded in pool_writes)."""
        slot = self.slots[name]
        values = self.source.values(slot.block)
        if values is None:
            return
        if slot.axis is None:  # a value without a token axis changed: read it again
            self._fill(slot)
            return
        stop = min(stop, values.shape[0] if slot.axis in (0, 2) else values.shape[1])
        start = min(start, slot.n)  # positions not read before come along
        if stop <= start:
            return
        if stop > slot.cap:
            slot.cap = capacity(stop)
            self._pack()
            start = min(start, slot.n)  # a slot that became pooled is read again from 0
        if not slot.inv_scale:
            self._set_scale(slot, values)
        slot.n = max(slot.n, stop)
        rows, cols = slot.shape()
        a = {0: start * cols, 1: start * rows, 2: start * start}[slot.axis]
        b = filled_cells(slot.order, rows, cols)
        run = read_range(slot.order, rows, cols, _cells_of(values), a, b)
        if slot.small:
            self._write(slot.l0 + a, run)
        else:
            self._pool_run(slot, a, run)
        for r0, r1, c0, c1 in _new_cells(slot.axis, rows, cols, start, stop):
            self._merge_tiles(slot, 1, r0, c0, values[r0:r1, c0:c1])

    def _merge_tiles(self, slot: Slot, level: int, r0: int, c0: int, cells: np.ndarray) -> None:
        """Fold cells at (r0, c0) of level `level - 1` into the tiles of `level` (and the next level)."""
        if level > len(slot.levels) or cells.size == 0:
            return
        # Align the rectangle to whole tiles (NaN outside it) so that tiles line up with the block's.
        pr, pc = r0 % TILE, c0 % TILE
        padded = np.full((pr + cells.shape[0], pc + cells.shape[1]), NO_VALUE, np.float32)
        padded[pr:, pc:] = cells
        grid = tile_extremes(padded)
        tr, tc = np.meshgrid(np.arange(grid.shape[0]) + r0 // TILE, np.arange(grid.shape[1]) + c0 // TILE,
                             indexing="ij")
        R, C = slot.level_shape(level)
        index = slot.levels[level - 1] + storage_index(slot.order, R, C, tr, tc)
        merged = larger_magnitude(self.data[index], grid)
        self.data[index] = merged
        self.dirty.append((int(index.min()), int(index.max()) + 1))
        self._merge_tiles(slot, level + 1, r0 // TILE, c0 // TILE, merged)

    def _pool_run(self, slot: Slot, a: int, run: np.ndarray) -> None:
        """Record writes of run positions a.. into the pool pages of the slot that are resident."""
        b = a + len(run)
        for page in range(a // PAGE, -(-b // PAGE)):
            index = slot.pages + page
            if page < slot.n_pages and self.table[index] >= 0:
                lo, hi = max(a, page * PAGE), min(b, (page + 1) * PAGE)
                self.pool_writes.append((index, lo - page * PAGE, run[lo - a: hi - a]))

    def page_values(self, slot: Slot, first: int, count: int) -> np.ndarray:
        """(count, PAGE) float32: pages first.. of a pooled slot's run (NaN past its filled cells)."""
        out = np.full((count, PAGE), NO_VALUE, np.float32)
        values = self.source.values(slot.block) if self.source is not None else None
        if values is None:
            return out
        rows, cols = slot.shape()
        a, b = first * PAGE, min((first + count) * PAGE, slot.filled)
        if b > a:
            flat = out.reshape(-1)
            flat[: b - a] = read_range(slot.order, rows, cols, _cells_of(values), a, b)
        return out

    def _write(self, offset: int, values: np.ndarray) -> None:
        self.data[offset: offset + len(values)] = values
        self.dirty.append((offset, offset + len(values)))


def _cells_of(values: np.ndarray):
    """`cells(rows, cols)` of an array, as read_range wants it."""
    return lambda r, c: values[r[0]:r[1], c[0]:c[1]]


def _positions(block: Block) -> int:
    """The positions a layout's block shows along its token axis."""
    axis = token_axis(block)
    return block.rows if axis in (0, 2) else block.cols if axis == 1 else 0


def _same_shape(slot: Slot, block: Block) -> bool:
    """Whether a slot can show `block` (same name): same shape but for the token axis."""
    old = slot.block
    if token_axis(block) != slot.axis:
        return False
    if slot.axis == 1:
        return old.rows == block.rows
    if slot.axis == 0:
        return old.cols == block.cols
    return slot.axis == 2 or (old.rows, old.cols) == (block.rows, block.cols)


def _new_cells(axis: int | None, rows: int, cols: int, start: int, stop: int) -> list[tuple[int, ...]]:
    """Rectangles (r0, r1, c0, c1) of the cells that positions start..stop add."""
    if axis == 1:
        return [(0, rows, start, stop)]
    if axis == 0:
        return [(start, stop, 0, cols)]
    if axis == 2:
        return [(start, stop, 0, stop), (0, start, start, stop)]
    return [(0, rows, 0, cols)]


__all__ = ["PAGE", "ROWS", "COLS", "SHELL", "Slot", "ValueStore", "value_scale", "capacity"]
