"""Attention heatmaps: which layer and head the panel shows, the tokens in its window, and the link with the
3D view (a heatmap cell hovered lights the same cell of the layer's `attn.h{h}.probs` block, and a probs
cell hovered in 3D marks its heatmap cell). No imgui: sections/attention.py draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_TOKENS = 64  # a heatmap shows at most this many query and key positions (the last ones)
MAX_GRID_TOKENS = 32  # ... and each of the grid's small ones this many


@dataclass(frozen=True)
class Cell:
    """A cell of a layer's attention probabilities: head, query position t, key position t'."""

    layer: int
    head: int
    row: int
    col: int


def window(T: int, limit: int) -> tuple[int, int]:
    """The positions a heatmap shows: all of them, or the last `limit`."""
    return max(T - limit, 0), T


def probs_name(layer: int) -> str:
    return f"layers.{layer}.attn.probs"


def block_of(layout, layer: int, head: int) -> int | None:
    """The 3D block of one head's attention probabilities."""
    return layout.by_name.get(f"layers.{layer}.attn.h{head}.probs")


def cell_of_block(layout, cell: tuple[int, int, int] | None) -> Cell | None:
    """The heatmap cell of a hovered 3D cell (block, row, col), if it is in an attention probs block."""
    if cell is None:
        return None
    block = layout.blocks[cell[0]]
    if block.role != "attn.probs":
        return None
    return Cell(block.layer, block.head, int(cell[1]), int(cell[2]))


class AttentionMaps:
    """The heatmap section's choices and what it asked the worker for."""

    def __init__(self) -> None:
        self.layer = 0
        self.head = 0
        self.grid = False  # all heads of the layer
        self.hovered: Cell | None = None  # the heatmap cell under the mouse this frame
        self._followed: Cell | None = None  # the 3D hover the section last went to (it goes once)
        self._asked: tuple | None = None  # (trace id, name) asked of the worker, once

    def probs(self, view) -> np.ndarray | None:
        """(H, T, T) of the chosen layer from the trace's published values; when they were let go (long
        prompts keep a few layers' attention), the worker is asked to compute them and None is returned."""
        if view is None or view.trace is None:
            return None
        self.layer = min(self.layer, view.config.n_layer - 1)
        self.head = min(self.head, view.config.n_head - 1)
        name = probs_name(self.layer)
        value = view.trace.peek(name)
        asked = self._asked
        if value is None and view.worker is not None and not (asked and asked[0] is view.trace
                                                                and asked[1] == name):
            self._asked = (view.trace, name)
            view.worker.ensure(name)
        return value

    def hover(self, app, cell: Cell | None) -> None:
        """A heatmap cell under the mouse (None: none): the same cell is hovered in 3D (ringed, its inputs
        lit, explained in the panel)."""
        if cell == self.hovered:
            return
        self.hovered = cell
        if cell is None:
            return
        block = block_of(app.scene.layout, cell.layer, cell.head)
        if block is not None:
            app.hovering.set((block, cell.row, cell.col))

    def marked(self, app) -> Cell | None:
        """The heatmap cell to mark: the 3D hovered cell when it is an attention probability. The section
        follows a new one to its layer (and head, showing one), once: the hover stays while the pointer is
        in the panel, and following it every frame undid the learner's choice of another layer or head."""
        cell = cell_of_block(app.scene.layout, app.hovering.cell) if app.scene is not None else None
        if cell is not None and cell != self.hovered and cell != self._followed:
            self.layer = cell.layer
            if not self.grid:
                self.head = cell.head
        self._followed = cell
        return cell
