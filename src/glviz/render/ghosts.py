"""GhostRenderer: the tour's flying copies of cells, one draw for all of them (4 vertices a ghost).

Each frame uploads a few texels per group of ghosts (walkthrough.frame.GhostGroup); the vertex shader places
every ghost from its group's lines of places and progress, and the fragment shader colours it from the blocks'
values (values.glsl), so a ghost looks like the cell it copies. No per-ghost work in Python.
"""

from __future__ import annotations

import time

import numpy as np

from glviz.render.blocks import KIND_COLORS, UNIT_PAGES, UNIT_VALUES, VALUE_COLORS
from glviz.render.chunks import QuadDraw, pad_rows, texture_rows
from glviz.render.ghost_plan import drawn_groups, visible_ghost_ranges
from glviz.resources import read_shader

MAX_GROUPS = 256
GROUP_TEXELS = 6


def group_texels(groups) -> tuple[np.ndarray, int]:
    """(G, 6, 4) float32 of the groups as ghosts.vert reads them, and the number of ghosts in all."""
    out = np.zeros((len(groups), GROUP_TEXELS, 4), dtype=np.float32)
    first = 0
    for k, g in enumerate(groups):
        out[k] = ((*g.start, g.start_size), (*g.start_step, g.end_size), (*g.end, g.progress),
                  (*g.end_step, g.opacity), (g.block, g.row0, g.col0, g.count),
                  (g.drow, g.dcol, first, g.stagger))
        first += g.count
    return out, first


class GhostRenderer:
    """Draws ghost groups with the colours and values of a BlockRenderer's blocks."""

    def __init__(self, ctx, blocks) -> None:
        self.ctx = ctx
        self.blocks = blocks
        self.program = ctx.program(vertex_shader=read_shader("ghosts.vert"),
                                   fragment_shader=read_shader("ghosts.frag"))
        for name, unit in (("u_groups", 5), ("u_box", 1), ("u_info", 2), ("u_values", UNIT_VALUES),
                           ("u_pages", UNIT_PAGES)):
            if name in self.program:  # a sampler the compiler found unused is absent
                self.program[name] = unit
        self.program["Camera"].binding = 0
        self.program["u_kind_color"].value = [KIND_COLORS[kind] for kind in range(3)]
        self.program["u_value_color"].value = list(VALUE_COLORS)
        self.quads = QuadDraw(ctx, self.program)  # 4 vertices a ghost
        self.groups = ctx.texture((4096, texture_rows(GROUP_TEXELS * MAX_GROUPS)), 4, dtype="f4")
        self.groups.filter = (ctx.NEAREST, ctx.NEAREST)
        self.count = 0
        self.n_groups = 0
        self._groups: list = []
        self._uploaded: bytes = b""
        self.driver_seconds = 0.0

    def set_groups(self, groups) -> None:
        """The ghosts of this frame (at most MAX_GROUPS groups)."""
        self._groups = [g for g in list(groups)[:MAX_GROUPS] if g.count > 0]

    def _upload(self, groups: list) -> None:
        """The groups' texels, when they changed."""
        data, self.count = group_texels(groups)
        self.n_groups = len(groups)
        raw = data.tobytes()
        if raw != self._uploaded and len(groups):
            t0 = time.thread_time()
            self.groups.write(pad_rows(data.reshape(-1, 4), GROUP_TEXELS * len(groups), 4).tobytes(),
                              viewport=(0, 0, 4096, texture_rows(GROUP_TEXELS * len(groups))))
            self.driver_seconds += time.thread_time() - t0
        self._uploaded = raw

    def draw(self, view_projection: np.ndarray | None = None, pixel_scale: float = 0.0) -> int:
        """Draw the ghosts (blended, so that they can fade); returns the draw calls. Seen by
        `view_projection` (pixel_scale: as for ChunkCuller), only those that may be in view, rows of
        overlapping ghosts thinned where they are under a pixel apart (ghost_plan); else all of them."""
        blocks = self.blocks
        if not self._groups or blocks.box is None:
            return 0
        if view_projection is None:
            self._upload(self._groups)
            ranges = [(0, self.count)]
        else:
            groups = drawn_groups(self._groups, view_projection, pixel_scale)
            if len(groups) > MAX_GROUPS:  # a thinned group can bring its last ghost as a group of its own
                groups = self._groups
            self._upload(groups)
            ranges = visible_ghost_ranges(groups, view_projection)
        if not self.count or not ranges:
            return 0
        ctx = self.ctx
        t0 = time.thread_time()
        self.groups.use(5)
        blocks.box.use(1)
        blocks.info.use(2)
        blocks.levels.bind(UNIT_VALUES, UNIT_PAGES)
        self.program["u_group_count"] = self.n_groups
        ctx.enable(ctx.BLEND)
        ctx.blend_func = ctx.SRC_ALPHA, ctx.ONE_MINUS_SRC_ALPHA
        ctx.disable(ctx.CULL_FACE)
        for first, count in ranges:
            self.quads.render(first, count)
        ctx.disable(ctx.BLEND)
        self.driver_seconds += time.thread_time() - t0
        return len(ranges)

    def release(self) -> None:
        """Free the GL objects."""
        self.quads.release()
        for obj in (self.groups, self.program):
            obj.release()
