"""Growing a value store by token positions: the cells new positions add, written group by group.

The blocks of a group are interleaved (value_order.py), so the cells that positions start..stop add to all
of them are one contiguous range of each level's region: they are read from every block (views of the
trace), stacked, written with one assignment and folded into the tiles with one vectorised reduction. A
block's pool pages get the new cells only where they are resident (the rest streams in when wanted).
A token that adds the same positions to every block of a small group of a trace's blocks (the heads of every
layer, the rows of statistics) reads them a trace value at a time: one slice for a layer's twelve heads
(value_sources.group_parts), not a view per block.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

from glviz.render.value_order import (
    COLS,
    ROWS,
    SHELL,
    TILE,
    larger_magnitude,
    read_range,
    stacked_tile_extremes,
    tile_extremes,
)
from glviz.render.value_sources import Part, TraceSource, group_parts
from glviz.render.value_store import PAGE, Group, Slot, ValueStore, _cells_of, capacity

STACK_CELLS = 1 << 22  # cells stacked at once (more: a block at a time, read through its view)
_PARTS: weakref.WeakKeyDictionary[Group, list[Part] | None] = weakref.WeakKeyDictionary()  # per group


def grow(store: ValueStore, changes: dict[str, tuple[int, int]]) -> None:
    """Positions (start, stop) of each source name in `changes` have values now (Trace.changed_since)."""
    todo = [(store.slots[n], start, stop) for name, (start, stop) in changes.items()
            for n in store.by_source.get(name, ())]
    if isinstance(store.source, TraceSource):
        todo = _grow_whole_groups(store, todo)
    grow_slots(store, todo)


def _grow_whole_groups(store: ValueStore, todo: list[tuple[Slot, int, int]]) -> list[tuple[Slot, int, int]]:
    """Write the small groups of which every block gains the same positions, a trace value at a time;
    returns the rest of `todo` (for grow_slots: new blocks, big ones, a re-pack, missing values)."""
    by_group: dict[int, list[tuple[Slot, int, int]]] = {}
    for item in todo:
        by_group.setdefault(id(item[0].group), []).append(item)
    rest = []
    for items in by_group.values():
        if not _grow_whole_group(store, items):
            rest += items
    return rest


def _grow_whole_group(store: ValueStore, items: list[tuple[Slot, int, int]]) -> bool:
    """Positions start..stop of every block of one small group (items: each block once, the same start and
    stop), read by group_parts; False where that does not apply (nothing was written)."""
    first, start, stop = items[0]
    group = first.group
    if group is None or not group.small or len(items) != len(group.slots):
        return False
    if group not in _PARTS:
        _PARTS[group] = group_parts([slot.block for slot in group.slots])
    parts = _PARTS[group]
    if parts is None or any(s != start or e != stop for _, s, e in items):
        return False
    if not all(slot.inv_scale and slot.n == first.n for slot in group.slots):
        return False  # a block seen for the first time sets its colour scale (grow_slots)
    views = store.source.stacked(parts)
    if views is None:
        return False
    axis = 1 if first.axis == 1 else 0  # of a block's (rows, cols)
    lengths = {view.shape[1 + axis] for view in views}
    if len(lengths) != 1:
        return False
    start, stop = min(start, first.n), min(stop, lengths.pop())
    if stop > first.cap:
        return False  # a re-pack first (grow_slots)
    if stop <= start:
        return True

    def cells_of(rect: tuple[int, int, int, int]) -> np.ndarray:
        r0, r1, c0, c1 = rect
        cells = np.empty((len(group.slots), r1 - r0, c1 - c0), np.float32)
        for part, view in zip(parts, views, strict=True):
            cells[part.places] = view[:, r0:r1, c0:c1]
        return cells

    for slot in group.slots:
        slot.n = max(slot.n, stop)
    _write_cells(store, group.slots, np.arange(len(group.slots))[:, None, None], start, stop, cells_of)
    return True


def grow_slots(store: ValueStore, todo: list[tuple[Slot, int, int]]) -> None:
    """Write positions start..stop of each slot (from 0 for a slot not read yet), re-packing first when
    one needs more room."""
    items = []
    read = store.source.values_of([slot.block for slot, _, _ in todo])
    for (slot, start, stop), values in zip(todo, read, strict=True):
        if values is None:
            continue
        if slot.axis is None:  # a value without a token axis changed: read it again
            store.fill(slot, values)
            continue
        stop = min(stop, values.shape[0] if slot.axis in (0, 2) else values.shape[1])
        start = min(start, slot.n) if slot.inv_scale else 0
        if stop > start:
            items.append([slot, start, stop, values])
    if any(stop > slot.cap for slot, _, stop, _ in items):
        for slot, _, stop, _ in items:
            for member in slot.group.slots:  # a group keeps one room
                member.cap = max(member.cap, capacity(stop))
        store.pack()
        again = store.take_regrow()
        listed = {id(item[0]) for item in items}
        for item in items:
            if item[0] in again:
                item[1] = 0
        for slot in again:
            values = store.source.values(slot.block) if id(slot) not in listed else None
            if values is not None:
                items.append([slot, 0, values.shape[0] if slot.axis in (0, 2) else values.shape[1], values])
    batches: dict[tuple, list] = {}
    for slot, start, stop, values in items:
        batches.setdefault((id(slot.group), start, stop), []).append((slot, values))
    for (_, start, stop), batch in batches.items():
        for chunk in _chunks(batch, start, stop):
            _write_positions(store, [s for s, _ in chunk], [v for _, v in chunk], start, stop)


def _chunks(batch: list, start: int, stop: int) -> list[list]:
    """The batch in chunks of at most STACK_CELLS new cells (one block per chunk when blocks are big)."""
    slot = batch[0][0]
    rows, cols = slot.shape(stop)
    per_block = rows * cols - {0: start * cols, 1: start * rows, 2: start * start}[slot.axis]
    size = max(1, STACK_CELLS // max(per_block, 1))
    return [batch[i:i + size] for i in range(0, len(batch), size)]


def _write_positions(store: ValueStore, slots: list[Slot], values: list[np.ndarray], start: int,
                     stop: int) -> None:
    by_place = sorted(range(len(slots)), key=lambda i: slots[i].place)  # a whole group: one range per line
    slots, values = [slots[i] for i in by_place], [values[i] for i in by_place]
    group = slots[0].group
    for slot, v in zip(slots, values, strict=True):
        if not slot.inv_scale:
            store.set_scale(slot, v)
        slot.n = max(slot.n, stop)

    def cells_of(rect: tuple[int, int, int, int]) -> np.ndarray | list[np.ndarray]:
        r0, r1, c0, c1 = rect
        cells = [v[r0:r1, c0:c1] for v in values]
        # (k, h, w), once for level 0 and the tiles; a big block alone is read through its view
        return np.stack(cells) if group.small or len(cells) > 1 else cells

    _write_cells(store, slots, np.array([slot.place for slot in slots])[:, None, None], start, stop, cells_of)
    if not group.small:
        _pool_positions(store, slots, values, start, stop)


def _write_cells(store: ValueStore, slots: list[Slot], places: np.ndarray, start: int, stop: int,
                 cells_of: Callable[[tuple[int, int, int, int]], np.ndarray | list[np.ndarray]]) -> None:
    """Level 0 (small groups) and the tiles of the cells that positions start..stop add to `slots` (of one
    group, in place order; `places` theirs, (k, 1, 1)), each rectangle's cells (k, h, w) from `cells_of`."""
    first, group = slots[0], slots[0].group
    whole = len(slots) == len(group.slots) and bool((places.ravel() == np.arange(len(slots))).all())
    rows, cols = first.shape(stop)
    for r0, r1, c0, c1 in _new_cells(first.axis, rows, cols, start, stop):
        if r1 <= r0 or c1 <= c0:
            continue
        cells = cells_of((r0, r1, c0, c1))
        if group.small and not (whole and _write_line(store, first, (r0, r1, c0, c1), stop - start, cells)):
            rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
            index = store.index(first, 0, rr, cc, places)
            store.data[index] = cells
            store.dirty.append((int(index.min()), int(index.max()) + 1))
        if group.levels:
            _merge_tiles(store, first, places, 1, r0, c0, cells)


def _write_line(store: ValueStore, first: Slot, rect: tuple[int, int, int, int], new: int,
                cells: np.ndarray) -> bool:
    """Write the cells (k, h, w) of rectangle `rect` of every block of `first`'s group (all of them, in
    place order) into level 0 by slices, where the interleaved order makes that rectangle one range (the
    new columns of COLS blocks, rows of ROWS blocks, or one new token's shell of SHELL blocks: value_order);
    False where it does not (the caller writes cell by cell)."""
    r0, r1, c0, c1 = rect
    group, k = first.group, len(cells)
    rows, cols = first.level_shape(0)
    base = group.offsets[0]
    if first.order == COLS and (r0, r1) == (0, rows):
        lo = base + c0 * k * rows
        flat = cells.transpose(2, 0, 1).reshape(-1)  # (column, place, row): storage_index's order
    elif first.order == ROWS and (c0, c1) == (0, cols):
        lo = base + r0 * k * cols
        flat = cells.transpose(1, 0, 2).reshape(-1)
    elif first.order == SHELL and new == 1:
        n = max(r1, c1) - 1  # the token: shell n holds column n above the diagonal, then row n
        lo = base + n * n * k
        shells = store.data[lo:lo + k * (2 * n + 1)].reshape(k, 2 * n + 1)
        if (r0, r1, c0, c1) == (n, n + 1, 0, n + 1):
            shells[:, n:] = cells[:, 0, :]
        elif (r0, r1, c0, c1) == (0, n, n, n + 1):
            shells[:, :n] = cells[:, :, 0]
        else:
            return False
        store.dirty.append((lo, lo + shells.size))
        return True
    else:
        return False
    store.data[lo:lo + flat.size] = flat
    store.dirty.append((lo, lo + flat.size))
    return True


def _merge_tiles(store: ValueStore, first: Slot, places: np.ndarray, level: int, r0: int, c0: int,
                 cells: list[np.ndarray] | np.ndarray) -> None:
    """Fold cells (one (h, w) rectangle per block, top-left cell (r0, c0) of level - 1) into the tiles of
    `level`, and those into the next level."""
    if level > first.group.levels:
        return
    if isinstance(cells, list) and len(cells) == 1 and r0 % TILE == 0 and c0 % TILE == 0:
        grid = tile_extremes(cells[0])[None]  # a whole block read through its view (no stacked copy)
    else:
        grid = stacked_tile_extremes(np.stack(cells) if isinstance(cells, list) else cells, r0, c0)
    tr = np.arange(grid.shape[1])[:, None] + r0 // TILE
    tc = np.arange(grid.shape[2])[None, :] + c0 // TILE
    index = store.index(first, level, tr, tc, places)
    merged = larger_magnitude(store.data[index], grid)
    store.data[index] = merged
    store.dirty.append((int(index.min()), int(index.max()) + 1))
    _merge_tiles(store, first, places, level + 1, r0 // TILE, c0 // TILE, merged)


def _pool_positions(store: ValueStore, slots: list[Slot], values: list[np.ndarray], start: int,
                    stop: int) -> None:
    """Record the new cells of pooled blocks for the pool pages of them that are resident."""
    first = slots[0]
    rows, cols = first.shape(stop)
    a = {0: start * cols, 1: start * rows, 2: start * start}[first.axis]
    b = {0: stop * cols, 1: stop * rows, 2: stop * stop}[first.axis]
    pages = np.arange(a // PAGE, -(-b // PAGE))
    bases = np.array([slot.pages for slot in slots])
    present = store.table[bases[:, None] + np.minimum(pages[None, :], [[s.n_pages - 1] for s in slots])] >= 0
    present &= pages[None, :] < np.array([[s.n_pages] for s in slots])
    for k, j in zip(*np.nonzero(present), strict=True):
        page = int(pages[j])
        lo, hi = max(a, page * PAGE), min(b, (page + 1) * PAGE)
        run = read_range(first.order, rows, cols, _cells_of(values[k]), lo, hi)
        store.pool_writes.append((int(bases[k]) + page, lo - page * PAGE, run))


def _new_cells(axis: int, rows: int, cols: int, start: int, stop: int) -> list[tuple[int, int, int, int]]:
    """Rectangles (r0, r1, c0, c1) of the cells that positions start..stop add."""
    if axis == 1:
        return [(0, rows, start, stop)]
    if axis == 0:
        return [(start, stop, 0, cols)]
    return [(start, stop, 0, stop), (0, start, start, stop)]
