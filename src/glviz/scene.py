"""Scene state: what the renderer should show on top of the layout (highlights, fading, the hovered cell).

No GL. The app, picking and the walkthrough write it; the renderer reads it once per frame and uploads
only the parts whose dirty flag is set, then clears the flag (`clean_instances`, `clean_hover`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_DEPENDENCY_RANGES = 8  # size of the renderer's uniform block
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


@dataclass
class SceneState:
    """Per-block highlight and opacity, the hovered cell and up to 8 highlighted dependency cell ranges.

    highlight: (N,) float32 in 0..1, tints a block (e.g. the hovered cell's block, a walkthrough focus).
    opacity: (N,) float32 in 0..1, fades a block towards the background; 0 hides it.
    hovered: (block, row, col) or None.
    dependencies: CellRange-like objects (block, rows=(r0, r1), cols=(c0, c1), half-open), at most 8.
    """

    layout: object
    highlight: np.ndarray = field(default=None)
    opacity: np.ndarray = field(default=None)
    hovered: tuple[int, int, int] | None = None
    dependencies: list = field(default_factory=list)
    show_labels: bool = True
    instances_dirty: bool = True  # highlight or opacity changed since the last upload
    hover_dirty: bool = True  # hovered or dependencies changed since the last upload

    def __post_init__(self) -> None:
        n = len(self.layout.blocks)
        if self.highlight is None:
            self.highlight = np.zeros(n, dtype=np.float32)
        if self.opacity is None:
            self.opacity = np.ones(n, dtype=np.float32)
        self.highlight = np.asarray(self.highlight, dtype=np.float32)
        self.opacity = np.asarray(self.opacity, dtype=np.float32)

    def set_highlight(self, values) -> None:
        """Replace all highlights: an (N,) array, or block indices to light fully (others 0)."""
        highlight = self._per_block(values, 0.0)
        if not np.array_equal(highlight, self.highlight):  # hovering calls this every mouse move
            self.highlight = highlight
            self.instances_dirty = True

    def set_opacity(self, values) -> None:
        """Replace all opacities: an (N,) array, or block indices to keep opaque (others faded to 0.25)."""
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
        """Undo `reveal`: every block opaque."""
        self.set_opacity(np.ones(len(self.layout.blocks), dtype=np.float32))

    @property
    def boxes(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(mins, maxs) (N, 3) of the blocks where they are drawn, when some have moved; None otherwise."""
        return None

    @property
    def hidden(self) -> np.ndarray | None:
        """(N,) bool of the blocks not drawn (opacity ~0), for picking; None when all are drawn."""
        mask = self.opacity < HIDDEN_BELOW
        return mask if mask.any() else None

    def set_hover(self, hovered: tuple[int, int, int] | None, dependencies=()) -> None:
        """The cell under the mouse and the cell ranges it depends on (first 8 kept)."""
        hovered = None if hovered is None else tuple(int(v) for v in hovered)
        dependencies = list(dependencies)[:MAX_DEPENDENCY_RANGES]
        if hovered != self.hovered or dependencies != self.dependencies:
            self.hovered = hovered
            self.dependencies = dependencies
            self.hover_dirty = True

    def clean_instances(self) -> None:
        """The renderer uploaded highlight and opacity."""
        self.instances_dirty = False

    def clean_hover(self) -> None:
        """The renderer uploaded the hovered cell and its dependency ranges."""
        self.hover_dirty = False

    def _per_block(self, values, rest: float) -> np.ndarray:
        n = len(self.layout.blocks)
        values = np.asarray(values)
        if values.shape == (n,) and values.dtype.kind == "f":
            return values.astype(np.float32, copy=True)
        out = np.full(n, rest, dtype=np.float32)
        out[values.astype(np.int64)] = 1.0
        return out
