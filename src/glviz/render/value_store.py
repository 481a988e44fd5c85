"""A store of block values at levels of detail, on the CPU side (no GL): what the value textures hold.

Each block of the store has a Slot, in a Group of blocks whose runs are interleaved (value_order.py): the
blocks of one shape that grow together by token (the heads of every layer, the C x T activations), so that
a new token writes one contiguous range per group; a weight is a group of its own. A group has regions:
- level 0, when its blocks are small (at most SMALL_CELLS cells each, at capacity): every cell, resident;
- levels 1 and 2 when its blocks have more than one tile: 16 x 16 tiles (largest magnitude) and, when a
  block has more than L2_FROM of those, 256 x 256 tiles: about 1/256 of the cells, always resident.
A block that is not small has a region of the page table instead of level 0: per PAGE cells of its own run
(not interleaved), the pool page holding them or -1 (streamed by visibility).
Activation blocks reserve room for `cap` positions (a power of two): past it the store re-packs with twice
the room (`packed` rises). Changes are recorded for the GL side: `dirty`, `table_dirty`, `pool_writes`.
Growing by positions (value_growth.py) and reading pages for the pool happen here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glviz.layout.blocks import Block
from glviz.render.value_order import (
    NO_VALUE,
    TILE,
    filled_cells,
    lines,
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
L2_FROM = 4096  # blocks with more level-1 tiles than this get a level 2
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
        lines_, length = (v.shape[1], v.shape[0]) if v.strides[0] < v.strides[1] else v.shape
        step = max(1, -(-lines_ * length // (4 * n)))  # keep about 4n cells of whole lines
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


@dataclass(eq=False)
class Slot:
    """One block of a store: its order, positions filled, colour scale, group and pages."""

    block: Block
    order: int
    axis: int | None  # token axis: 0 rows, 1 columns, 2 both, None
    n: int  # positions filled along the token axis (unused without one)
    cap: int  # positions the regions have room for
    inv_scale: float = 0.0  # 0 until values were seen
    mean: float = 0.0  # mean value / scale
    group: Group | None = None
    place: int = 0  # number in its group
    pages: int = -1  # first page-table entry (not small), -1
    n_pages: int = 0

    def shape(self, n: int | None = None) -> tuple[int, int]:
        """(rows, cols) with n positions along the token axis (default: as filled)."""
        n = self.n if n is None else n
        rows, cols = self.block.rows, self.block.cols
        return {2: (n, n), 1: (rows, n), 0: (n, cols)}.get(self.axis, (rows, cols))

    def level_shape(self, level: int, n: int | None = None) -> tuple[int, int]:
        rows, cols = self.shape(n)
        return tiles(rows, level), tiles(cols, level)

    @property
    def lines(self) -> int:
        """Lines of its order that hold values (0 until values were seen)."""
        return lines(self.order, *self.shape()) if self.inv_scale else 0

    @property
    def cells(self) -> int:
        """Cells of its own run that hold values."""
        return filled_cells(self.order, *self.shape()) if self.inv_scale else 0

    def group_key(self) -> tuple:
        """Blocks with the same key are interleaved: same order, token axis, fixed size and room."""
        cells = filled_cells(self.order, *self.shape(self.cap))
        if self.axis is None:
            return ("alone", self.block.name)
        fixed = {1: self.block.rows, 0: self.block.cols, 2: 0}[self.axis]
        return (self.axis, self.order, fixed, self.cap, cells <= SMALL_CELLS)


@dataclass(eq=False)
class Group:
    """Slots whose runs are interleaved, and where each level's region starts in the resident run."""

    slots: list[Slot]
    small: bool
    levels: int  # coarse levels, 0..2
    offsets: dict[int, int] = field(default_factory=dict)  # level -> region start (level 0 when small)
    sizes: dict[int, int] = field(default_factory=dict)  # level -> region cells

    @classmethod
    def of(cls, slots: list[Slot]) -> Group:
        first = slots[0]
        cells = filled_cells(first.order, *first.shape(first.cap))
        levels = 0
        if cells > TILE * TILE:
            levels = 2 if filled_cells(first.order, *first.level_shape(1, first.cap)) > L2_FROM else 1
        group = cls(slots, cells <= SMALL_CELLS, levels)
        for level in ([0] if group.small else []) + list(range(1, levels + 1)):
            group.sizes[level] = len(slots) * filled_cells(first.order, *first.level_shape(level, first.cap))
        for place, slot in enumerate(slots):
            slot.group, slot.place = group, place
        return group

    def layout(self) -> tuple:
        """What must not change for the regions' content to carry over to a re-pack (room may grow)."""
        return len(self.slots), self.small, self.levels


class ValueStore:
    """The slots of one source's blocks (a model's weights, or a trace), their resident run and page table."""

    def __init__(self, source: BlockSource | None) -> None:
        self.source = source
        self.slots: dict[str, Slot] = {}
        self.groups: list[Group] = []
        self.by_source: dict[str, list[str]] = {}  # trace or weight name -> slots showing it
        self.data = np.zeros(0, np.float32)  # the resident run
        self.table = np.zeros(0, np.int32)  # the page table: pool page per page of pooled blocks, -1
        self.packed = 0  # rises when offsets moved (the renderer rewrites its per-block data)
        self.room = 1 << 30  # the fewest positions a slot has room for: a layout of no more needs no re-pack
        self.remap: np.ndarray | None = None  # after a re-pack: new page-table index of each old one (-1)
        self.dirty: list[tuple[int, int]] = []  # resident ranges to upload
        self.table_dirty: list[tuple[int, int]] = []
        self.pool_writes: list[tuple[int, int, np.ndarray]] = []  # (page-table index, offset, values)
        self.regrow: list[Slot] = []  # after a re-pack: slots to read again from position 0
        self._tile_cache: dict[tuple, np.ndarray] = {}  # while adding: level-1 tiles by array

    @property
    def changed(self) -> bool:
        """Whether the GL side has something of this store to take up (uploads, page-table rows, pool writes,
        a re-pack's page moves): what ValueLevels._sync reads and clears."""
        return bool(self.dirty or self.table_dirty or self.pool_writes) or self.remap is not None

    # --- making slots --------------------------------------------------------------------------------------
    def add(self, blocks: list[Block]) -> list[Slot]:
        """Slots for the blocks not in the store yet (values read now where the source has them), and room
        for layouts whose token axis outgrew a slot's; one re-pack for all. Returns the slots with token
        positions to read (value_growth.grow_slots reads them)."""
        fresh, grown = [], False
        for block in blocks:
            slot = self.slots.get(block.name)
            if slot is not None:
                if _same_shape(slot, block) and slot.axis is not None and _positions(block) > slot.cap:
                    slot.cap, grown = capacity(_positions(block)), True  # a longer layout: room for it
                continue
            made = self._make(block)
            if made is not None:
                self.slots[block.name] = made
                for name in block.sources:
                    self.by_source.setdefault(name, []).append(block.name)
                fresh.append(made)
        if fresh or grown:
            self.pack()
        for slot in fresh:
            if slot.axis is None:
                self.fill(slot)
        self._tile_cache.clear()
        return [s for s in fresh if s.axis is not None and s.n] + self.take_regrow()

    def _make(self, block: Block) -> Slot | None:
        if self.source is None:
            return None
        values = self.source.values(block)
        axis = token_axis(block)
        if values is None and (axis is None or not self.source.grows):
            return None  # a weight (or array) that is not there: the block keeps its kind colour
        strides = values.strides if values is not None and values.ndim == 2 else None
        n = 0
        if values is not None and axis is not None:
            n = values.shape[0] if axis in (0, 2) else values.shape[1]
        cap = capacity(max(n, _positions(block))) if axis is not None else 0
        return Slot(block, order_for(strides, axis, block.rows, block.cols), axis, n, cap)

    def fill(self, slot: Slot, values: np.ndarray | None = None) -> None:
        """Read a block without a token axis whole into its regions."""
        values = self.source.values(slot.block) if values is None else values
        if values is None:
            return
        self.set_scale(slot, values)
        group = slot.group
        if group.small:
            self.write(group.offsets[0], ordered(slot.order, values))
        grid = self._tiles(values) if group.levels else None
        for level in range(1, group.levels + 1):
            self.write(group.offsets[level], ordered(slot.order, grid))
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

    def set_scale(self, slot: Slot, values: np.ndarray) -> None:
        scale, mean = value_scale(values)
        slot.inv_scale, slot.mean = 1.0 / scale, mean / scale

    # --- placing ------------------------------------------------------------------------------------------
    def pack(self) -> None:
        """Group the slots and place every region at its room; what the old run and table held moves along
        (runs only grow at their end, so an old region is the prefix of its new one). Slots whose group
        changed shape are listed in `regrow`."""
        old_data, old_table = self.data, self.table
        old = {id(s): (s.group, s.group.layout() if s.group else None, s.place, s.pages, s.n_pages)
               for s in self.slots.values()}
        old_offsets = {id(g): (dict(g.offsets), dict(g.sizes)) for g in self.groups}
        by_key: dict[tuple, list[Slot]] = {}
        for slot in self.slots.values():
            by_key.setdefault(slot.group_key(), []).append(slot)
        self.groups = [Group.of(slots) for slots in by_key.values()]
        data_size = table_size = 0
        for group in self.groups:
            for level, size in group.sizes.items():
                group.offsets[level] = data_size
                data_size += size
            for slot in group.slots:
                pages = 0 if group.small else -(-filled_cells(slot.order, *slot.shape(slot.cap)) // PAGE)
                slot.pages, slot.n_pages = (table_size, pages) if pages else (-1, 0)
                table_size += pages
        self.data = np.full(data_size, NO_VALUE, np.float32)
        self.table = np.full(table_size, -1, np.int32)
        remap = np.full(len(old_table), -1, np.int64)
        moved = set()
        for group in self.groups:
            first = group.slots[0]
            was, layout, place, _, _ = old[id(first)]
            same = was is not None and layout == group.layout() and all(
                old[id(s)][0] is was and old[id(s)][2] == s.place for s in group.slots)
            if same and id(was) not in moved:
                moved.add(id(was))
                offsets, sizes = old_offsets[id(was)]
                for level, start in group.offsets.items():
                    size = min(sizes[level], group.sizes[level])
                    self.data[start: start + size] = old_data[offsets[level]: offsets[level] + size]
            else:
                self.regrow += [s for s in group.slots if s.inv_scale]
            for slot in group.slots:
                _, _, _, pages, n_pages = old[id(slot)]
                keep = min(n_pages, slot.n_pages)
                if keep:
                    self.table[slot.pages: slot.pages + keep] = old_table[pages: pages + keep]
                    remap[pages: pages + keep] = slot.pages + np.arange(keep)
        self.remap = remap if len(old_table) else None
        self.room = min((s.cap for s in self.slots.values() if s.axis is not None), default=1 << 30)
        self.packed += 1
        self.dirty = [(0, len(self.data))]
        self.table_dirty = [(0, len(self.table))]

    def take_regrow(self) -> list[Slot]:
        """Slots to read again (their group changed shape in a re-pack): static ones are read here."""
        regrow, self.regrow = self.regrow, []
        out = []
        for slot in regrow:
            if slot.axis is None:
                self.fill(slot)
            else:
                slot.n = 0  # read again from position 0 (value_growth.grow_slots)
                out.append(slot)
        return out

    # --- pages --------------------------------------------------------------------------------------------
    def page_values(self, slot: Slot, first: int, count: int) -> np.ndarray | None:
        """(count, PAGE) float32: pages first.. of a pooled slot's own run (NaN past its filled cells); None
        when the source does not have the values now (a trace value dropped since its tiles were made)."""
        values = self.source.values(slot.block) if self.source is not None else None
        if values is None:
            return None
        out = np.full((count, PAGE), NO_VALUE, np.float32)
        a, b = first * PAGE, min((first + count) * PAGE, slot.cells)
        if b > a:
            rows, cols = slot.shape()
            out.reshape(-1)[: b - a] = read_range(slot.order, rows, cols, _cells_of(values), a, b)
        return out

    def write(self, offset: int, values: np.ndarray) -> None:
        self.data[offset: offset + len(values)] = values
        self.dirty.append((offset, offset + len(values)))

    def index(self, slot: Slot, level: int, r, c, place=None) -> np.ndarray:
        """Resident-run indices of cells (r, c) of `level` of the slots at `place` (default: this slot's)
        of its group."""
        group = slot.group
        R, C = slot.level_shape(level)
        place = slot.place if place is None else place
        return group.offsets[level] + storage_index(slot.order, R, C, r, c, len(group.slots), place)


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
