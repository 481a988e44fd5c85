"""The layout: one Block per tensor of the network, where it sits and where its values come from.

Pure data, no GL. Every block is a flat grid of `rows x cols` cells lying in the x-y plane, one cell deep:
columns run along +x, rows run along -y (row 0 at the top), the front face looks towards +z.
World units: one cell is CELL world units wide. `position` is the block's min corner (x, y, z) and
`size` its extent (x, y, z); so row r, column c has its centre at
    x = position.x + (c + 0.5) * size.x / cols,   y = position.y + size.y - (r + 0.5) * size.y / rows.

CONTRACT (shared by layout/, render/, ui/): the field names below are the public interface. The layout
builder (build_layout) lives in this module; dependencies live in deps.py.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

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


def block_values(block: Block, trace) -> np.ndarray:
    """The (rows, cols) float array shown in `block`'s cells, read from a Trace (weights via trace.weights)."""
    tensor = trace.weights[block.source] if block.kind == Kind.WEIGHT else trace[block.source]
    values = np.asarray(tensor[block.select] if block.select != () else tensor)
    if values.ndim == 0:
        values = values.reshape(1, 1)
    elif values.ndim == 1:
        values = values[:, None] if block.transpose else values[None, :]
    elif block.transpose:
        values = values.T
    return values


def build_layout(config: GPTConfig) -> Layout:
    """One Block per tensor of `config`'s network, arranged as in LLM Visualization. See module docstring."""
    raise NotImplementedError("layout agent fills this in")
