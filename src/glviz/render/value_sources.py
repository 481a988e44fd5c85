"""Where the value stores read a block's cells from: a model's weights, a trace, or arrays by block.

A source never computes: a trace value that is not published yet (or was dropped) reads as missing (None),
so the render thread never waits for the worker that computes the trace; it is read when it appears
(`changed_since` names it). `compute=True` asks the trace for it instead (what `upload_trace` always did).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.layout.blocks import Block, Kind, block_cells, block_values, part_of


class _Reader:
    """What layout.blocks.block_values reads: `weights[name]` for weights, `[name]` for trace values."""

    def __init__(self, weights, get) -> None:
        self.weights = weights
        self._get = get

    def __getitem__(self, name: str):
        value = self._get(name)
        if value is None:
            raise KeyError(name)
        return value

    def get(self, name: str):
        """The value `name`, or None where it is missing."""
        return self._get(name)


class BlockSource:
    """A block's values (rows, cols) and sub-rectangles of them, or None where they are not available."""

    grows = False  # whether values missing now may come later (a trace being computed)

    def __init__(self, reader) -> None:
        self.reader = reader

    def values(self, block: Block) -> np.ndarray | None:
        try:
            return block_values(block, self.reader)
        except (KeyError, IndexError, ValueError):
            return None

    def cells(self, block: Block, rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray | None:
        try:
            return block_cells(block, self.reader, rows, cols)
        except (KeyError, IndexError, ValueError):
            return None

    def values_of(self, blocks: list[Block]) -> list[np.ndarray | None]:
        """`values` of each block (a new token asks this of a thousand blocks of GPT-2 at once)."""
        return [self.values(block) for block in blocks]

    def version(self) -> int:
        """Changes when the values do (a trace's version; 0 for fixed values)."""
        return 0


class WeightSource(BlockSource):
    """The weight blocks of a model (Weights, or anything with `[name]` by canonical weight name)."""

    def __init__(self, weights) -> None:
        def get(name: str):
            try:
                return weights[name]
            except KeyError:
                return None

        super().__init__(_Reader(weights, get))
        self.weights = weights

    def values(self, block: Block) -> np.ndarray | None:
        return super().values(block) if block.kind == Kind.WEIGHT else None


class TraceSource(BlockSource):
    """A trace's values: published ones only (peek), unless `compute` (then trace[name] may compute).

    Anything with `[name]` works (a TraceSnapshot, a dict of trace names); without `peek`, `[name]` is
    used. `trace` is the trace the values belong to; `view` what is read (the trace itself, or the snapshot
    of it that the app shows, so that reads and the layout's T belong to the same instant)."""

    grows = True

    def __init__(self, trace, compute: bool = False, view=None) -> None:
        self.trace = trace
        self.view = trace if view is None else view

        def get(name: str):
            peek = getattr(self.view, "peek", None)
            if peek is not None and not compute:
                return peek(name)
            try:
                return self.view[name]
            except KeyError:
                return None

        super().__init__(_Reader(getattr(trace, "weights", None), get))

    def values(self, block: Block) -> np.ndarray | None:
        return super().values(block) if block.kind != Kind.WEIGHT else None

    def values_of(self, blocks: list[Block]) -> list[np.ndarray | None]:
        # Each trace value read once for all the blocks cut from it (a layer's heads): the same views as
        # `values`, without a lookup per block.
        tensors: dict[str, object] = {}
        out: list[np.ndarray | None] = []
        for block in blocks:
            if block.stack or block.kind == Kind.WEIGHT:
                out.append(self.values(block))
                continue
            tensor = tensors.get(block.source, tensors)
            if tensor is tensors:
                tensor = tensors[block.source] = self.reader.get(block.source)
            try:
                out.append(None if tensor is None else part_of(block, tensor))
            except (IndexError, ValueError):
                out.append(None)
        return out

    def version(self) -> int:
        return int(getattr(self.view, "version", 0))

    def stacked(self, parts: list[Part]) -> list[np.ndarray] | None:
        """Each part's blocks' values as one (count, rows, cols) view (stacked_part), each trace value read
        once; None when one is missing or does not have the parts' shape (then read block by block)."""
        views = []
        for part in parts:
            tensor = self.reader.get(part.source)
            view = None if tensor is None else stacked_part(np.asarray(tensor), part)
            if view is None:
                return None
            views.append(view)
        return views


@dataclass(frozen=True)
class Part:
    """Blocks of a group cut from one trace value: by consecutive leading indices `index` (a layer's heads),
    or the whole value (index None: one block); `places` are theirs in the group (a slice: a layer's heads
    lie every few places, among its other per-head values)."""

    source: str
    places: slice
    index: slice | None
    transpose: bool


def group_parts(blocks: list[Block]) -> list[Part] | None:
    """How blocks (a group's, in place order) are read a trace value at a time: blocks cut from one value by
    consecutive leading indices at evenly spaced places make one Part. None where a block is read otherwise
    (merged blocks, weights, other selections): such a group is read block by block."""
    parts: list[Part] = []
    runs: dict[tuple[str, bool], list[list[int]]] = {}  # per value: runs of [first place, step, count, index]
    for place, block in enumerate(blocks):
        select = block.select
        if block.stack or block.kind == Kind.WEIGHT:
            return None
        if select == ():
            parts.append(Part(block.source, slice(place, place + 1), None, block.transpose))
            continue
        if len(select) != 1 or not isinstance(select[0], int | np.integer) or select[0] < 0:
            return None
        i, key = int(select[0]), (block.source, block.transpose)
        run = runs[key][-1] if key in runs else None
        if run is not None and run[3] + run[2] == i and (run[2] == 1 or place == run[0] + run[1] * run[2]):
            run[1], run[2] = place - run[0] if run[2] == 1 else run[1], run[2] + 1
        else:
            runs.setdefault(key, []).append([place, 1, 1, i])
    for (source, transpose), found in runs.items():
        for first, step, count, i in found:
            parts.append(Part(source, slice(first, first + step * (count - 1) + 1, step), slice(i, i + count),
                              transpose))
    return parts


def stacked_part(tensor: np.ndarray, part: Part) -> np.ndarray | None:
    """(count, rows, cols): what part_of gives each block of `part`, stacked, as a view of `tensor`; None
    where the value does not hold the part's blocks."""
    batch = tensor[None] if part.index is None else tensor[part.index]
    count = len(range(*part.places.indices(1 << 62)))
    if batch.shape[0] != count:
        return None
    if batch.ndim == 1:
        return batch.reshape(count, 1, 1)
    if batch.ndim == 2:
        return batch[:, :, None] if part.transpose else batch[:, None, :]
    if batch.ndim == 3:
        return batch.swapaxes(1, 2) if part.transpose else batch
    return None


class ArraySource(BlockSource):
    """Arrays by block name (the tour's scale scene: the nano part's values)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        super().__init__(None)
        self.arrays = {name: np.asarray(a) for name, a in arrays.items()}

    def values(self, block: Block) -> np.ndarray | None:
        a = self.arrays.get(block.name)
        if a is None or a.size != block.rows * block.cols:
            return None
        return a.reshape(block.rows, block.cols)

    def cells(self, block: Block, rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray | None:
        a = self.values(block)
        return None if a is None else a[rows[0]:rows[1], cols[0]:cols[1]]


def token_axis(block: Block) -> int | None:
    """The axis of an activation block that runs over tokens: 0 rows, 1 columns, 2 both (attention), None."""
    if block.kind == Kind.WEIGHT:
        return None
    rows_t, cols_t = block.dims[0] == "T", block.dims[1] == "T"
    if rows_t and cols_t:
        return 2
    return 1 if cols_t else 0 if rows_t else None
