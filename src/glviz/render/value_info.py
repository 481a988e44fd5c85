"""Per block of a layout, where its values are (what the block renderer writes into its info texture).

Built from the stores' slots as arrays: the part that only changes when a store re-packs or the layout
changes (offsets, orders, groups) is kept, and each update only gathers what grows (positions filled,
colour scales), so a new token costs a few vectorised operations, not a loop over the blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.render.value_order import COLS, ROWS, SHELL


@dataclass
class BlockValues:
    """Per block of the layout (N,), what the shaders need (values.glsl): where its levels start in the
    resident texture (l0: every cell; l1, l2: tiles; -1 none) and in the page table (-1), its storage order,
    the lines of it that hold values, its group's size and its place there (interleaved runs); and 1 / colour
    scale, mean / scale, and the cells of its own run that hold values (streaming)."""

    l0: np.ndarray
    l1: np.ndarray
    l2: np.ndarray
    pages: np.ndarray
    order: np.ndarray
    lines: np.ndarray
    count: np.ndarray
    place: np.ndarray
    inv_scale: np.ndarray
    mean: np.ndarray
    cells: np.ndarray

    @classmethod
    def empty(cls, n: int) -> BlockValues:
        def ints(fill: int) -> np.ndarray:
            return np.full(n, fill, np.int64)

        return cls(ints(-1), ints(-1), ints(-1), ints(-1), ints(0), ints(0), ints(1), ints(0),
                   np.zeros(n, np.float32), np.zeros(n, np.float32), ints(0))

    @property
    def present(self) -> np.ndarray:
        """(N,) bool: blocks with values at some level."""
        return ((self.l0 >= 0) | (self.l1 >= 0) | (self.pages >= 0)) & (self.lines > 0)


class SlotTable:
    """The slots of one store that a layout shows, as arrays; `key` says when it must be made again."""

    def __init__(self, names, layout, store, base: int, table_base: int) -> None:
        self.key = SlotTable.key_of(names, layout, store, base, table_base)
        pairs = [(layout.by_name.get(name), slot) for name, slot in store.slots.items()]
        pairs = [(index, slot) for index, slot in pairs if index is not None]
        self.index = np.array([index for index, _ in pairs], np.int64)
        self.slots = [slot for _, slot in pairs]
        self.slot_objects = np.empty(len(self.slots), dtype=object)  # for fill's one gather, not a loop
        for k, slot in enumerate(self.slots):
            self.slot_objects[k] = slot

        def column(get, dtype=np.int64) -> np.ndarray:
            return np.array([get(slot) for slot in self.slots], dtype=dtype).reshape(len(self.slots))

        self.order = column(lambda s: s.order)
        self.axis = column(lambda s: -1 if s.axis is None else s.axis)
        self.rows, self.cols = column(lambda s: s.block.rows), column(lambda s: s.block.cols)
        self.count = column(lambda s: len(s.group.slots))
        self.place = column(lambda s: s.place)
        self.levels = [column(lambda s, lv=lv: base + s.group.offsets[lv] if lv in s.group.offsets else -1)
                       for lv in (0, 1, 2)]
        self.local_pages = column(lambda s: s.pages)
        self.pages = np.where(self.local_pages >= 0, table_base + self.local_pages, -1)

    @staticmethod
    def key_of(names, layout, store, base: int, table_base: int) -> tuple:
        """What the table depends on: the layout's block names (not the layout: one rebuilt for more
        tokens keeps them), the store and its packing, where its runs start."""
        return names, id(store), store.packed, len(store.slots), base, table_base

    def fill(self, info: BlockValues, slots_of: np.ndarray, store_of: np.ndarray, local_pages: np.ndarray,
             which: int) -> None:
        """Write this store's blocks into `info` (and the streamer's per-block arrays; `slots_of`: (N,)
        object, each block's Slot)."""
        n = np.array([s.n for s in self.slots], np.int64)
        inv_scale = np.array([s.inv_scale for s in self.slots], np.float32)
        seen = inv_scale > 0
        i = self.index[seen]
        rows = np.where(self.axis == 0, n, self.rows)
        cols = np.where(self.axis == 1, n, self.cols)
        rows, cols = np.where(self.axis == 2, n, rows), np.where(self.axis == 2, n, cols)
        lines = np.where(self.order == COLS, cols, rows)  # shells: rows == cols == n
        cells = np.where(self.order == SHELL, rows * rows, rows * cols)
        info.order[i], info.lines[i], info.cells[i] = self.order[seen], lines[seen], cells[seen]
        info.count[i], info.place[i] = self.count[seen], self.place[seen]
        info.inv_scale[i] = inv_scale[seen]
        info.mean[i] = np.array([s.mean for s in self.slots], np.float32)[seen]
        info.l0[i], info.l1[i], info.l2[i] = (level[seen] for level in self.levels)
        info.pages[i] = self.pages[seen]
        store_of[i] = which
        local_pages[i] = self.local_pages[seen]
        slots_of[i] = self.slot_objects[seen]


__all__ = ["BlockValues", "SlotTable", "ROWS", "COLS", "SHELL"]
