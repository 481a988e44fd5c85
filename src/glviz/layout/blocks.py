"""The layout: one Block per tensor of the network, where it sits and where its values come from.

Pure data, no GL. Every block is a flat grid of `rows x cols` cells lying in the x-y plane, one cell deep:
columns run along +x, rows run along -y (row 0 at the top), the front face looks towards +z.
World units: one cell is CELL world units wide. `position` is the block's min corner (x, y, z) and
`size` its extent (x, y, z); so row r, column c has its centre at
    x = position.x + (c + 0.5) * size.x / cols,   y = position.y + size.y - (r + 0.5) * size.y / rows.

CONTRACT (shared by layout/, render/, ui/): the field names below are the public interface. The layout
builder (build_layout, where each tensor of a GPT sits) lives in build.py; dependencies live in deps.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

from glviz.layout.memo import per_layout
from glviz.model.config import GPTConfig

CELL = 1.0  # world units per cell


class Kind(enum.IntEnum):
    """What a block holds; decides its colour (weights blue, intermediates green, aggregates yellow)."""

    WEIGHT = 0
    INTERMEDIATE = 1
    AGGREGATE = 2


@dataclass(slots=True)
class Block:
    """One tensor drawn as a grid of cells.

    Values: `source` names a weight (kind WEIGHT) or a trace tensor (otherwise). The block's cell values are
    `np.asarray(tensor[select])`, transposed when `transpose` is set, giving an array of shape (rows, cols).
    A 1-D slice becomes one row (rows == 1) unless `transpose`, which makes it one column.
    """

    name: str  # unique id, e.g. "layers.0.attn.h1.q"
    label: str  # short text drawn beside the block, e.g. "Q"
    kind: Kind
    rows: int
    cols: int
    dims: tuple[str, str]  # what rows and columns index, e.g. ("C", "T"), ("A", "C"), ("1", "T")
    position: tuple[float, float, float]  # min corner, world units
    size: tuple[float, float, float]  # extent, world units
    source: str  # weight name or trace name
    select: tuple = ()  # numpy index applied to the source tensor before the optional transpose
    transpose: bool = False
    section: str = ""  # e.g. "Transformer 0 / Self-attention / Head 1" (for labels and the panel)
    layer: int = -1  # transformer layer, -1 outside the stack
    head: int = -1  # attention head, -1 when not per head
    index: int = -1  # position in Layout.blocks
    # Added by the layout builder (defaults keep the contract above):
    role: str = ""  # what the block is, without layer and head: "attn.q", "ln1.mean", "mlp.wfc", "logits"
    stack: tuple[str, ...] = ()  # merged blocks: these sources, each read with `select`/`transpose`, stacked
    # along rows in equal parts (e.g. wq|wk|wv of one head); `source` is then stack[0]

    @property
    def sources(self) -> tuple[str, ...]:
        """Every weight or trace name the block shows: its stack's, or its one source."""
        return self.stack or (self.source,)


@dataclass(slots=True)
class Section:
    """A labelled region drawn as text in 3D (Embedding, Transformer i, Self-attention, Head i, MLP, ...)."""

    label: str
    position: tuple[float, float, float]  # where the label's baseline starts
    height: float  # text height in world units
    level: int  # 0 model-wide, 1 per layer, 2 inside a layer, 3 per head


@dataclass
class Layout:
    """All blocks of one model, plus per-block arrays that the renderer and picking read without loops."""

    config: GPTConfig
    blocks: list[Block]
    sections: list[Section] = field(default_factory=list)
    # Per-block arrays, built by `finish()`:
    mins: np.ndarray = field(default=None)  # (N, 3) float32
    maxs: np.ndarray = field(default=None)  # (N, 3) float32
    shapes: np.ndarray = field(default=None)  # (N, 2) int64 rows, cols
    kinds: np.ndarray = field(default=None)  # (N,) int32
    by_name: dict[str, int] = field(default_factory=dict)
    # Set by build_layout:
    n_tokens: int = 0  # T: the number of token columns of activation blocks
    gap: float = 4.0  # the spacing unit between blocks (world units); block labels fit in about half of it
    merged_qkv: bool = False  # per head one wqkv, bqkv and qkv block instead of three of each
    parts: list = field(default_factory=list)  # a scene of several models (layout.compose): its Parts
    # Set by build_layout: equal for the layouts of one model at any T (what its blocks are: layout/memo.py).
    structure: tuple | None = None

    def finish(self) -> Layout:
        """Fill the per-block arrays and indices from `blocks`."""
        n = len(self.blocks)
        self.mins = np.array([b.position for b in self.blocks], dtype=np.float32).reshape(n, 3)
        self.maxs = self.mins + np.array([b.size for b in self.blocks], dtype=np.float32).reshape(n, 3)
        self.shapes = np.array([(b.rows, b.cols) for b in self.blocks], dtype=np.int64).reshape(n, 2)
        self.kinds = np.array([int(b.kind) for b in self.blocks], dtype=np.int32)
        for i, b in enumerate(self.blocks):
            b.index = i
        self.by_name = {b.name: i for i, b in enumerate(self.blocks)}
        return self

    def __getitem__(self, name: str) -> Block:
        return self.blocks[self.by_name[name]]

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(min corner, max corner) of the whole model."""
        return self.mins.min(axis=0), self.maxs.max(axis=0)


def _part_values(block: Block, source: str, trace) -> np.ndarray:
    """One source of `block` read through its select and transpose: a 2-D array (a view where possible)."""
    return part_of(block, trace.weights[source] if block.kind == Kind.WEIGHT else trace[source])


def part_of(block: Block, tensor) -> np.ndarray:
    """`block`'s cells in `tensor`, the value its source names: (rows, cols), a view where possible."""
    values = np.asarray(tensor[block.select] if block.select != () else tensor)
    if values.ndim == 0:
        values = values.reshape(1, 1)
    elif values.ndim == 1:
        values = values[:, None] if block.transpose else values[None, :]
    elif block.transpose:
        values = values.T
    return values


def block_values(block: Block, trace) -> np.ndarray:
    """The (rows, cols) float array shown in `block`'s cells, read from a Trace (weights via trace.weights).

    Always use this (or `block_cells`) rather than `source`: merged blocks stack several sources.
    """
    if block.stack:
        return np.concatenate([_part_values(block, s, trace) for s in block.stack], axis=0)
    return _part_values(block, block.source, trace)


def block_cells(block: Block, trace, rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
    """`block_values(block, trace)[r0:r1, c0:c1]` without copying whole merged blocks (hover reads this)."""
    (r0, r1), (c0, c1) = rows, cols
    if not block.stack:
        return block_values(block, trace)[r0:r1, c0:c1]
    part_rows = block.rows // len(block.stack)
    pieces = []
    for p, source in enumerate(block.stack):
        lo, hi = max(r0, p * part_rows), min(r1, (p + 1) * part_rows)
        if lo < hi:
            pieces.append(_part_values(block, source, trace)[lo - p * part_rows:hi - p * part_rows, c0:c1])
    return np.concatenate(pieces, axis=0)


@per_layout
def cell_order(layout: Layout) -> np.ndarray:
    """(N,) float32 per block, the order its cells are computed in: 1 (column by column) where the drawn
    columns are tokens and the rows are not (one token after the other, each column top to bottom), else 0
    (row by row: attention's rows are one query each). What the tour's reveal and blocks.frag agree on."""
    return np.array([1.0 if b.dims[1] == "T" and b.dims[0] != "T" else 0.0 for b in layout.blocks],
                    dtype=np.float32)
