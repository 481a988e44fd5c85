"""GhostRenderer: the tour's flying copies of cells, a draw a group (4 vertices a ghost).

Each group of ghosts (walkthrough.frame.GhostGroup) is a few uniforms; the vertex shader places every ghost
from its group's lines of places and progress, and the fragment shader colours it from the blocks' values
(values.glsl), so a ghost looks like the cell it copies. No per-ghost work in Python.
"""

from __future__ import annotations

import time

import numpy as np

from glviz.render import texture_units as units
from glviz.render.block_plan import block_rows
from glviz.render.chunks import QuadDraw
from glviz.render.ghost_plan import RimBar, drawn_groups, visible_ghost_ranges
from glviz.render.palette import shader_defines
from glviz.resources import read_shader, with_defines

MAX_GROUPS = 256  # groups drawn a frame (each its own draw)
# Up to this many ghosts a frame are drawn as they are: thinning and culling them (ghost_plan, ~0.5 ms of
# Python for a dot product's five groups) would cost more than the vertices they save.
PLANNED_GHOSTS = 2048
GROUP_TEXELS = 6


def group_texels(groups) -> tuple[np.ndarray, int]:
    """(G, 6, 4) float32 of the groups as ghosts.vert takes them (u_group), and the number of ghosts."""
    out = np.zeros((len(groups), GROUP_TEXELS, 4), dtype=np.float32)
    for k, g in enumerate(groups):  # (a ghost is counted in its own group's draw)
        out[k] = ((*g.start, g.start_size), (*g.start_step, g.end_size), (*g.end, g.progress),
                  (*g.end_step, g.opacity), (g.block, g.row0, g.col0, g.count),
                  (g.drow, g.dcol, float(isinstance(g, RimBar)), g.stagger))
    return out, sum(g.count for g in groups)


def split_by_group(ranges, counts: list[int]) -> list[tuple[int, int, int]]:
    """(group, first, count) pieces of `ranges` ((first, count) in the ghosts of all groups, numbered one
    group after another), first counted in its group."""
    starts = np.cumsum([0, *counts])
    out = []
    for first, count in ranges:
        end = first + count
        k = int(np.searchsorted(starts, first, side="right")) - 1
        while first < end and k < len(counts):
            piece = min(end, int(starts[k + 1])) - first
            if piece > 0:
                out.append((k, first - int(starts[k]), piece))
            first += max(piece, 0)
            k += 1
    return out


class GhostRenderer:
    """Draws ghost groups with the colours and values of a BlockRenderer's blocks."""

    def __init__(self, ctx, blocks) -> None:
        self.ctx = ctx
        self.blocks = blocks
        self.program = self.quads = None
        self.paged: bool | None = None
        self._use(paged=False)
        self.count = 0
        self._groups: list = []
        self._rows: dict[int, tuple[bytes, float]] = {}  # block -> its uniforms (_block_uniforms)
        self._rows_key: tuple = (None, -1)
        self.driver_seconds = 0.0

    def _use(self, paged: bool) -> None:
        """The program with the page lookup of big blocks' cells or without, as the blocks' programs are
        (block_programs: software GL would fetch a page for every pixel of every ghost): compiled again only
        when that changes."""
        if paged == self.paged:
            return
        self.release()
        colours = shader_defines()  # compiled in (render/palette.py)
        defines = {**colours, **units.unit_defines(), "PAGES": int(paged)}
        fragment = with_defines(read_shader("ghosts.frag"), defines)
        self.program = self.ctx.program(vertex_shader=with_defines(read_shader("ghosts.vert"), colours),
                                        fragment_shader=fragment)
        self.program["Camera"].binding = 0
        self.quads = QuadDraw(self.ctx, self.program)  # 4 vertices a ghost
        self.paged = paged

    def set_groups(self, groups) -> None:
        """The ghosts of this frame (at most MAX_GROUPS groups; those with no ghost or opacity left out)."""
        self._groups = [g for g in list(groups)[:MAX_GROUPS] if g.count > 0 and g.opacity > 0]

    def draw(self, view_projection: np.ndarray | None = None, pixel_scale: float = 0.0) -> int:
        """Draw the ghosts (blended, so that they can fade); returns the draw calls. Seen by
        `view_projection` (pixel_scale: as for ChunkCuller), more than PLANNED_GHOSTS of them: only those
        that may be in view, rows of overlapping ghosts thinned where they are under a pixel apart
        (ghost_plan); else all of them.
        A group is a draw with its place and its block's data as uniforms: software GL shades a vertex that
        looks them up in textures (a search for its group, a dozen fetches) several times more slowly."""
        blocks = self.blocks
        if not self._groups or blocks.box is None:
            return 0
        groups, ranges = self._groups, None
        if view_projection is not None and sum(g.count for g in groups) > PLANNED_GHOSTS:
            groups = drawn_groups(groups, view_projection, pixel_scale)
            ranges = visible_ghost_ranges(groups, view_projection)
        data, self.count = group_texels(groups)
        ranges = [(0, self.count)] if ranges is None else ranges
        if not self.count or not ranges:
            return 0
        ctx = self.ctx
        t0 = time.thread_time()
        self._use(bool(blocks.gl.paged))
        blocks.levels.bind(units.VALUES, units.PAGES)
        ctx.enable(ctx.BLEND)
        ctx.blend_func = ctx.SRC_ALPHA, ctx.ONE_MINUS_SRC_ALPHA
        ctx.disable(ctx.CULL_FACE)
        program, calls, current = self.program, 0, -1
        for k, first, count in split_by_group(ranges, [g.count for g in groups]):
            if k != current:
                info, inv_scale = self._block_uniforms(groups[k].block)
                program["u_group"].write(data[k].tobytes())
                program["u_info"].write(info)
                program["u_inv_scale"].value = inv_scale
                current = k
            self.quads.render(first, count)
            calls += 1
        ctx.disable(ctx.BLEND)
        self.driver_seconds += time.thread_time() - t0
        return calls

    def _block_uniforms(self, block: int) -> tuple[bytes, float]:
        """A block's info rows and 1/value scale as blocks.vert has them (block_plan.block_rows), kept
        until the layout or the values' levels change (a chapter's ghosts come from a few blocks)."""
        blocks = self.blocks
        key = (blocks.layout, blocks.levels.version)
        if self._rows_key[0] is not key[0] or self._rows_key[1] != key[1]:
            self._rows, self._rows_key = {}, key
        rows = self._rows.get(block)
        if rows is None:
            f, i = block_rows(blocks.layout, blocks.stacks, blocks.levels.info, np.array([block]))
            rows = self._rows[block] = (i[0].tobytes(), float(f[0, 0, 3]))
        return rows

    def release(self) -> None:
        """Free the GL objects."""
        for obj in (self.quads, self.program):
            if obj is not None:
                obj.release()
        self.program = self.quads = None
        self.paged = None
