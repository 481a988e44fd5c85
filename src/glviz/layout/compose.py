"""Several models in one scene, side by side (the tour's Scale chapter: nano, GPT-2 and GPT-3 together).

A composed Layout holds every block of its parts, named `<prefix>/<name>` and moved to the part's place, so
that the renderer draws them all in one draw, as any layout; `Layout.parts` says where each part's blocks are,
for what needs the parts one by one (labels and model cards, values, poses).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from glviz.layout.blocks import Layout, Section
from glviz.layout.framing import network_bounds


@dataclass
class Part:
    """One model of a composed scene: its own layout, where it sits, and where its blocks are in the scene."""

    prefix: str
    layout: Layout
    offset: np.ndarray  # (3,) world units added to the part's positions
    first: int  # index of its first block in the composed layout

    @property
    def indices(self) -> range:
        return range(self.first, self.first + len(self.layout.blocks))


def side_by_side(parts: list[tuple[str, Layout]], gap: float = 0.25) -> Layout:
    """The layouts left to right with their tops level, each `gap` times the next one's width apart. Widths
    are the networks' without the vocabulary-wide tables (framing.network_bounds), which stick out of
    GPT-2 and GPT-3 by 50,257 cells: a scene that shows them hides those."""
    placed: list[Part] = []
    x = 0.0
    first = 0
    for prefix, layout in parts:
        lo, hi = network_bounds(layout)
        width = float(hi[0] - lo[0])
        if placed:
            x += gap * width
        offset = np.array([x - float(lo[0]), -float(hi[1]), 0.0])
        placed.append(Part(prefix, layout, offset, first))
        x += width
        first += len(layout.blocks)
    blocks, sections = [], []
    for part in placed:
        dx, dy, dz = part.offset.tolist()
        for block in part.layout.blocks:
            px, py, pz = block.position
            blocks.append(dataclasses.replace(block, name=f"{part.prefix}/{block.name}",
                                              position=(px + dx, py + dy, pz + dz)))
        sections += [Section(s.label, (s.position[0] + dx, s.position[1] + dy, s.position[2] + dz), s.height,
                             s.level) for s in part.layout.sections]
    base = placed[0].layout
    composed = Layout(config=base.config, blocks=blocks, sections=sections, n_tokens=base.n_tokens,
                      gap=base.gap, parts=placed)
    return composed.finish()
