"""Scene state: what the renderer shows on top of the layout, in two layers.

The tour's frame (walkthrough.frame.TourFrame) is the base layer: which blocks are faded, glowing, moved or
computed so far, lit cell ranges, flying cells, arrows, floating numbers. The user's layer sits on top: the
hovered cell and the cells it depends on, blocks hidden by a fly-to, highlights the panel asks for. The two
combine (opacity multiplies, highlight takes the larger), so neither erases the other.

No GL. The app, picking and the tour write it; the renderer reads it once per frame and uploads only the
parts whose dirty flag is set, then clears the flag (`clean_instances`, `clean_hover`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glviz.layout.blocks import cell_order

MAX_DEPENDENCY_RANGES = 8  # hover ranges in the renderer's uniform block (and as many for the tour)
HIDDEN_BELOW = 0.01  # blocks with a lower opacity are not drawn (blocks.vert gets it) and not picked
# A block is seen from the front (+z) and a little from the side (block_pose: 8° azimuth, 5° elevation):
# a block in front shifts sideways by up to this fraction of the depth between them, so it can still cover.
OCCLUSION_SLANT = 0.2


def occluders(layout, block: int) -> np.ndarray:
    """Indices of the blocks that hide `block` seen from the front: entirely nearer to a camera on the +z side
    (e.g. lower-numbered heads of the same layer) and overlapping it in x and y, allowing a slight slant."""
    mins, maxs = layout.mins, layout.maxs  # (N, 3)
    depth = mins[:, 2] - maxs[block, 2]  # (N,) > 0: in front
    margin = np.maximum(depth, 0.0) * OCCLUSION_SLANT  # (N,)
    overlap_x = (mins[:, 0] < maxs[block, 0] + margin) & (maxs[:, 0] > mins[block, 0] - margin)
    overlap_y = (mins[:, 1] < maxs[block, 1] + margin) & (maxs[:, 1] > mins[block, 1] - margin)
    return np.flatnonzero((depth >= 0.0) & overlap_x & overlap_y)


def moved_boxes(layout, offset: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mins, maxs) (N, 3) of blocks moved by `offset` (N, 3) and scaled by `scale` (N,) about their centre,
    as blocks.vert draws them."""
    centre = (layout.mins + layout.maxs) / 2
    half = (layout.maxs - layout.mins) / 2 * scale[:, None]
    return (centre + offset - half).astype(np.float32), (centre + offset + half).astype(np.float32)


@dataclass
class SceneState:
    """The user's layer (below) over the tour's frame (`tour`, or None outside the tour).

    highlight: (N,) float32 in 0..1, lights a block (e.g. the blocks of a term the mouse is over).
    opacity: (N,) float32 in 0..1, fades a block (fly-to hides the blocks in front with 0).
    hovered: (block, row, col) or None; dependencies: CellRange-like objects (block, rows, cols), at most 8.
    """

    layout: object
    highlight: np.ndarray = field(default=None)
    opacity: np.ndarray = field(default=None)
    hovered: tuple[int, int, int] | None = None
    dependencies: list = field(default_factory=list)
    tour: object = None  # walkthrough.frame.TourFrame
    show_labels: bool = True
    show_arrows: bool = False  # the data-flow arrows outside the tour
    instances_dirty: bool = True  # per-block state changed since the last upload
    hover_dirty: bool = True  # hovered, dependencies or the tour's cell ranges changed since the last upload
    _boxes: tuple | None = None  # (tour frame, boxes) cache

    def __post_init__(self) -> None:
        n = len(self.layout.blocks)
        if self.highlight is None:
            self.highlight = np.zeros(n, dtype=np.float32)
        if self.opacity is None:
            self.opacity = np.ones(n, dtype=np.float32)
        self.highlight = np.asarray(self.highlight, dtype=np.float32)
        self.opacity = np.asarray(self.opacity, dtype=np.float32)

    # --- the tour's layer ---------------------------------------------------------------------------------
    def set_tour(self, frame) -> None:
        """The tour's frame as the base layer (None: no tour)."""
        if frame is self.tour:
            return
        if frame is not None and len(frame.opacity) != len(self.layout.blocks):
            raise ValueError("the tour's frame is for another layout")
        self.tour = frame
        self.instances_dirty = True
        self.hover_dirty = True

    @property
    def tour_ranges(self) -> list:
        """The cell ranges the tour lights."""
        return [] if self.tour is None else self.tour.ranges[:MAX_DEPENDENCY_RANGES]

    # --- what is drawn: the layers combined -------------------------------------------------------------
    @property
    def drawn_opacity(self) -> np.ndarray:
        """(N,) the opacity blocks are drawn with: the tour's times the user's."""
        return self.opacity if self.tour is None else self.opacity * self.tour.opacity

    @property
    def drawn_highlight(self) -> np.ndarray:
        """(N,) the highlight blocks are drawn with: the larger of the tour's and the user's."""
        return self.highlight if self.tour is None else np.maximum(self.highlight, self.tour.highlight)

    @property
    def boxes(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(mins, maxs) (N, 3) of the blocks where they are drawn when the tour moved some, else None."""
        frame = self.tour
        if frame is None or not frame.moved:
            return None
        if self._boxes is None or self._boxes[0] is not frame:
            self._boxes = (frame, moved_boxes(self.layout, frame.offset, frame.scale))
        return self._boxes[1]

    def tour_computed(self, block: int, row: int, col: int) -> bool:
        """Whether the tour shows cell (row, col) of `block` computed (its value drawn), as blocks.frag
        decides it; always True outside the tour."""
        frame = self.tour
        if frame is None:
            return True
        first, end, _ = (float(v) for v in frame.reveal[block])
        rows, cols = (int(v) for v in self.layout.shapes[block])
        by_column = cell_order(self.layout)[block] > 0.5
        index = col * rows + row if by_column else row * cols + col  # the cell's place in the block's order
        return first <= index < end

    @property
    def hidden(self) -> np.ndarray | None:
        """(N,) bool of the blocks not drawn (opacity ~0), for picking; None when all are drawn."""
        mask = self.drawn_opacity < HIDDEN_BELOW
        return mask if mask.any() else None

    # --- the user's layer ---------------------------------------------------------------------------------
    def set_highlight(self, values) -> None:
        """Replace the user's highlights: an (N,) array, or block indices to light fully (others 0)."""
        highlight = self._per_block(values, 0.0)
        if not np.array_equal(highlight, self.highlight):  # hovering calls this every mouse move
            self.highlight = highlight
            self.instances_dirty = True

    def set_opacity(self, values) -> None:
        """Replace the user's opacities: an (N,) array, or block indices to keep opaque (others 0.25)."""
        opacity = self._per_block(values, 0.25)
        if not np.array_equal(opacity, self.opacity):
            self.opacity = opacity
            self.instances_dirty = True

    def reveal(self, block: int) -> np.ndarray:
        """Hide the blocks in front of `block` (see `occluders`), show all others; returns the hidden ones."""
        hidden = occluders(self.layout, block)
        opacity = np.ones(len(self.layout.blocks), dtype=np.float32)
        opacity[hidden] = 0.0
        self.set_opacity(opacity)
        return hidden

    def show_all(self) -> None:
        """Undo `reveal`: every block opaque (as far as the user's layer goes)."""
        self.set_opacity(np.ones(len(self.layout.blocks), dtype=np.float32))

    def set_hover(self, hovered: tuple[int, int, int] | None, dependencies=()) -> None:
        """The cell under the mouse and the cell ranges it depends on (first 8 kept)."""
        hovered = None if hovered is None else tuple(int(v) for v in hovered)
        dependencies = list(dependencies)[:MAX_DEPENDENCY_RANGES]
        if hovered != self.hovered or dependencies != self.dependencies:
            self.hovered = hovered
            self.dependencies = dependencies
            self.hover_dirty = True

    def clean_instances(self) -> None:
        """The renderer uploaded the per-block state."""
        self.instances_dirty = False

    def clean_hover(self) -> None:
        """The renderer uploaded the hovered cell, its dependency ranges and the tour's ranges."""
        self.hover_dirty = False

    def _per_block(self, values, rest: float) -> np.ndarray:
        n = len(self.layout.blocks)
        values = np.asarray(values)
        if values.shape == (n,) and values.dtype.kind == "f":
            return values.astype(np.float32, copy=True)
        out = np.full(n, rest, dtype=np.float32)
        out[values.astype(np.int64)] = 1.0
        return out
