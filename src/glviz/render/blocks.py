"""BlockRenderer: every block of a layout as a box whose front face's cells the fragment shader draws.

Draws per frame: the front faces of all visible blocks as one indexed, non-instanced draw (4 vertices per
block; software GL shades big vertex batches much faster than 4-vertex instances), plus the side walls,
instanced, only where a block's thickness covers a pixel. Blocks that the tour fades are drawn in blended
passes (a faded block in front must not hide a focused one behind it): the faintest flat, by a program of
their own, the others with their cells; blocks it focuses on get a glow in a last pass. Each pass is its own
program, the pass fixed when compiled (software GL runs every side of a branch). Per-block data lives in
textures fetched by block number, so any contiguous range of blocks can be drawn (moderngl has no
base-instance draw), and the tour's per-block state (opacity, glow, offset, scale, cells computed so far) is
one small texture that changes without touching the rest.

Blocks are ordered along a Morton curve of their centres and cut into a fixed number of chunks, nearest to
the front first inside each chunk (the depth test rejects hidden heads before shading); the chunk boxes are
tested against the view each frame, so per-frame work does not grow with the number of blocks. Chunks
holding moved blocks are always drawn. The vertex shader collapses blocks smaller than a pixel, and stacks
of per-head blocks smaller than a few pixels or thinner than half a pixel give way to one slab per stack
(GPT-3's level of detail).
"""

from __future__ import annotations

import time

import numpy as np

from glviz.arrays import unique
from glviz.layout import blocks as layout_blocks
from glviz.layout.blocks import Layout
from glviz.render import texture_units as units
from glviz.render.block_plan import INFO_TEXELS, STACK_LOD_PX, STACK_THIN_PX, block_plan, block_rows
from glviz.render.block_programs import BlockPrograms
from glviz.render.block_state import (
    HOVER_UBO_BYTES,
    STATE_TEXELS,
    StateCopy,
    hover_block,
    hover_key,
    layout_cells,
)
from glviz.render.buffer_texture import BufferTexture
from glviz.render.chunks import (
    ATLAS_WIDTH,
    ChunkCuller,
    ranges_within,
    texture_rows,
)
from glviz.render.values import ValueLevels
from glviz.scene import HIDDEN_BELOW, MAX_DEPENDENCY_RANGES
from glviz.walkthrough.frame import at_rest

MIN_WALL_PX = 0.5  # walls are drawn for chunks whose blocks' thickness reaches this many pixels
PASSES = tuple(range(8))  # passes.glsl
(PASS_OPAQUE, PASS_TRANSLUCENT, PASS_GLOW, PASS_FADED, PASS_DECORATED, PASS_HOVERED, PASS_LIT,
 PASS_REVEALED) = PASSES
OPAQUE_FROM = 0.995  # blocks at least this opaque are drawn in the opaque pass
GLOW_PX = 14.0  # how far a focused block's glow reaches, in pixels
GLOW_DEPTH_OFFSET = (1.0, 4.0)  # glPolygonOffset (factor, units) of the glow, behind its block's face

class BlockRenderer:
    """GPU resources for one layout's blocks; `draw` issues the draws of its passes."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        # One program per pass, the pass fixed when compiled: software GL runs every side of a branch, so a
        # faded block drawn flat costs only what its own program holds (block_programs).
        constants = dict(u_glow_px=GLOW_PX, u_hidden_below=HIDDEN_BELOW,  # the cut picking uses too
                         u_opaque_from=OPAQUE_FROM, u_stack_px=STACK_LOD_PX, u_stack_thin_px=STACK_THIN_PX)
        # (Their samplers are buffer textures, bound by layout: blocks.vert, values.glsl.)
        self.gl = BlockPrograms(ctx, PASSES, constants)
        self.hover_ubo = ctx.buffer(reserve=HOVER_UBO_BYTES)
        self.layout: Layout | None = None
        self.order_tex = self.box = self.info = self.state = None
        self._counts = (-1, -1)  # (blocks, blocks and slabs) the index buffer and per-block textures hold
        self.levels = ValueLevels(ctx)  # the values, in two stores at levels of detail (render/values.py)
        self._levels_version = -1  # the version of levels.info written into box and info
        self.uploaded_state: StateCopy | None = None  # the per-block state as on the GPU
        self.translucent = self.glowing = False  # whether the blended passes have anything to draw
        # The blocks with decorations: partly computed by the tour (its reveal), lit by one or two ranges
        # (the hover's dependencies, the tour's); the passes that draw them and the chunks holding their
        # blocks (None: to be worked out again); the hovered block's chunks (the hovered program's).
        self._partly = self._lit = np.zeros(0, np.int64)
        self._decoration: list[tuple[int, np.ndarray]] | None = []
        self._hovered_chunks = np.zeros(0, np.int64)
        self.moved = np.zeros(0, np.int64)  # blocks away from their place (their labels follow)
        self.forced_chunks = np.zeros(0, np.int64)  # chunks holding moved blocks: always drawn
        self.forced_wall_chunks = np.zeros(0, np.int64)
        self.order = np.zeros(0, dtype=np.int64)
        self.culler: ChunkCuller | None = None
        self.slab_culler: ChunkCuller | None = None
        self._scene_id = None
        self.driver_seconds = 0.0  # CPU time of this thread inside draw calls (software GL shades here)
        self.write_hover(None, ())

    @property
    def value_texels(self) -> int:
        """Values on the GPU (resident cells and coarse levels, and pool pages in use); 0: none."""
        return self.levels.texels

    # --- layout and values ----------------------------------------------------------------------------------
    def set_layout(self, layout: Layout) -> None:
        """Upload a layout's blocks (no values yet: every block shows its kind colour and grid). What they
        are, in draw order, may have been worked out off this thread (block_plan.block_plan); a layout with
        as many blocks as the last (one more token) keeps its GL objects and rewrites them."""
        plan = block_plan(layout)
        n, total = len(layout.blocks), plan.total
        self.layout = layout
        self.stacks, self.order, self.position = plan.stacks, plan.order, plan.position
        self.culler, self.wall_culler, self.slab_culler = plan.culler, plan.wall_culler, plan.slab_culler
        if self._counts != (n, total):  # the index buffer and per-block textures hold (n, total)
            self.release_textures()
            self.gl.set_quads(total)
            self.order_tex = self._texture(total, 1, "i4")
            self.box = self._texture(2 * total, 4, "f4")
            self.info = self._texture(INFO_TEXELS * total, 4, "i4")
            self.state = self._texture(STATE_TEXELS * n, 4, "f4")
            self._counts = (n, total)
        self.order_tex.write(plan.ids)  # (buffer textures: no padding rows, unlike a 2-D texture)
        self.uploaded_state = None
        self.levels.set_layout(layout)
        # The per-id rows are written by the next draw (stream), once: a new token's values, uploaded after
        # the layout, change them again before it (GPT-2: block_rows 0.7 ms a time).
        self._levels_version = -1
        self._scene_id = None
        self._decoration = None  # (the chunks are the new layout's)

    def _texture(self, texels: int, components: int, dtype: str) -> BufferTexture:
        """A per-id table for blocks.vert: a buffer texture (software GL shades every vertex with ten fetches
        from these: from a buffer texture each costs about half a 2-D texture's)."""
        return BufferTexture(self.ctx, texture_rows(texels) * ATLAS_WIDTH, dtype, components)

    def _write_blocks(self) -> None:
        """Upload the per-id rows (block_plan.block_rows) into the box and info textures."""
        f, i = block_rows(self.layout, self.stacks, self.levels.info)
        self.gl.use(paged=bool((i[:, 2, 2] >= 0).any()))  # programs with the page lookup where it is needed
        self.box.write(f.reshape(-1, 4))  # (2 per id, 4)
        self.info.write(i.reshape(-1, 4))  # (INFO_TEXELS per id, 4)
        self._levels_version = self.levels.version

    # --- values ---------------------------------------------------------------------------------------------
    def upload_trace(self, trace) -> int:
        """Show a trace's values and its weights' (every value it offers: computed now where it is lazy);
        returns the values' texels on the GPU."""
        self.levels.set_weights(getattr(trace, "weights", None))
        self.levels.set_trace(trace, compute=True)
        return self.value_texels

    def upload_values(self, arrays: dict[int, np.ndarray]) -> int:
        """Show exactly these (rows, cols) arrays by block index (the others without values); returns the
        values' texels on the GPU."""
        self.levels.set_arrays(arrays)
        return self.value_texels

    # --- per-frame state -----------------------------------------------------------------------------------
    def write_state(self, highlight, opacity, offset=None, scale=None, reveal=None, order=None) -> None:
        """Upload the per-block state ((N,) arrays; offset (N, 3); reveal (N, 3)): only the texture rows
        holding blocks that changed, nothing when nothing did (block_state.StateCopy)."""
        n = len(opacity)
        rest = at_rest(n)  # (opacity, highlight, offset, scale, reveal) of blocks shown as they are
        if offset is None:
            offset, scale = rest[2:4]
        if reveal is None:
            reveal = rest[4]
        if order is None:
            order = layout_blocks.cell_order(self.layout)
        inputs = tuple(np.asarray(a, dtype=np.float32)
                       for a in (highlight, opacity, scale, order, offset, reveal))  # StateCopy.FIELDS
        copy = self.uploaded_state
        if copy is None or not copy.fits(inputs):
            copy = self.uploaded_state = StateCopy(inputs)
            self.state.write(copy.flat.tobytes())
        elif copy.same(inputs):
            return  # the flags below follow from the inputs: unchanged too
        else:
            for row in copy.update(inputs).tolist():
                self.state.write(copy.row(row), at=row * ATLAS_WIDTH)
        highlight, opacity, scale, order, offset, reveal = copy.inputs
        drawn = opacity >= HIDDEN_BELOW
        self.translucent = bool((drawn & (opacity < OPAQUE_FROM)).any())
        self.glowing = bool((drawn & (highlight > 0.01)).any())
        partly = (reveal[:, 0] > 0) | (reveal[:, 1] < layout_cells(self.layout)) | (reveal[:, 2] >= 0)
        none_computed = (reveal[:, 1] <= reveal[:, 0]) & (reveal[:, 2] < 0)  # kind colour only: plain too
        # (A highlight alone, or nothing computed yet: the plain program draws it; blocks.vert's
        # partly_computed.)
        self._partly = np.flatnonzero(drawn & partly & ~none_computed)
        self._decoration = None
        moved = (offset[:, 0] != 0) | (offset[:, 1] != 0) | (offset[:, 2] != 0) | (scale != 1.0)
        moved = self.moved = np.flatnonzero(moved)
        # The wall culler has the block culler's chunks (block_plan), so one list serves both.
        self.forced_chunks = self.forced_wall_chunks = self._chunks_of(moved)

    def write_hover(self, hovered, dependencies, lit=()) -> None:
        """Upload the hovered (block, row, col) or None, up to 8 dependency CellRanges and up to 8 ranges
        the tour lights."""
        raw, lit_blocks, counts = hover_block(hovered, dependencies, lit)
        self.hover_ubo.write(raw)
        # The lit and decorated programs unroll a block's two ranges; blocks with more go to the hovered
        # program, which loops.
        self._lit = lit_blocks[counts <= 2]
        self._decoration = None
        looped = [*lit_blocks[counts > 2].tolist(), *([] if hovered is None else [hovered[0]])]
        self._hovered_chunks = self._chunks_of(np.array(looped, np.int64))
        self._hover = hover_key(hovered, dependencies, lit)  # what the block holds (sync_scene compares)

    def sync_scene(self, scene) -> None:
        """Upload what changed in the scene since the last frame (everything for a new scene)."""
        fresh = self._scene_id != id(scene)
        self._scene_id = id(scene)
        if fresh or scene.instances_dirty:
            tour = scene.tour
            if tour is None:
                self.write_state(scene.drawn_highlight, scene.drawn_opacity)
            else:
                self.write_state(scene.drawn_highlight, scene.drawn_opacity, tour.offset, tour.scale,
                                 tour.reveal)
            scene.clean_instances()
        if fresh or scene.hover_dirty:
            hover = (scene.hovered, list(scene.dependencies)[:MAX_DEPENDENCY_RANGES], scene.tour_ranges)
            if fresh or hover_key(*hover) != self._hover:  # tour frames light the same ranges for a while
                self.write_hover(*hover)
            scene.clean_hover()

    def draw(self, view_projection: np.ndarray, pixel_scale: float, settle: bool = False) -> int:
        """Stream the values the view wants (`settle`: all of them, for a single picture), then draw the
        visible chunks in the opaque, faded, translucent and glow passes; returns the draw calls."""
        if self.layout is None or not len(self.order):
            return 0
        outside = self.culler.outside(view_projection)  # the wall culler has the same chunk boxes
        ranges = self.culler.visible_ranges(view_projection, pixel_scale, outside=outside,
                                            force=self.forced_chunks, nearest_first=True)
        walls = self.wall_culler.visible_ranges(view_projection, pixel_scale, MIN_WALL_PX, outside=outside,
                                                force=self.forced_wall_chunks) if ranges else []
        ctx = self.ctx
        self.stream(ranges, view_projection, pixel_scale, settle)
        t0 = time.thread_time()
        if self.slab_culler is not None:
            slabs = self.slab_culler.visible_ranges(view_projection, pixel_scale)
            ranges, walls = ranges + slabs, walls + slabs
        if not ranges:
            self.driver_seconds += time.thread_time() - t0
            return 0
        for unit, tex in ((units.ORDER, self.order_tex), (units.BOX, self.box), (units.INFO, self.info),
                          (units.STATE, self.state)):
            tex.use(unit)
        self.levels.bind(units.VALUES, units.PAGES)
        self.hover_ubo.bind_to_uniform_block(1)
        calls = self._pass(PASS_OPAQUE, ranges, walls)
        for which, chunks in self._decoration_passes():
            calls += self._pass(which, self._ranges_in(ranges, chunks), [])
        if len(self._hovered_chunks):
            calls += self._pass(PASS_HOVERED, self._ranges_in(ranges, self._hovered_chunks), [])
        if self.translucent or self.glowing:
            fbo = ctx.fbo
            ctx.enable(ctx.BLEND)
            ctx.blend_func = ctx.SRC_ALPHA, ctx.ONE_MINUS_SRC_ALPHA
            if fbo is not None:
                fbo.depth_mask = False  # translucent blocks must not hide what is behind them
            back_first = ranges[::-1]  # blended: the farthest first
            if self.translucent:  # the faintest first: flat, behind the translucent blocks' cells
                calls += self._pass(PASS_FADED, back_first, walls)
                calls += self._pass(PASS_TRANSLUCENT, back_first, walls)
            if self.glowing:
                # Pushed back a little in depth, so that the block's own face hides the inside of the
                # glow's quad for certain and those pixels are not shaded (blocks.frag tests depth first).
                ctx.polygon_offset = GLOW_DEPTH_OFFSET
                calls += self._pass(PASS_GLOW, back_first, [])
                ctx.polygon_offset = (0.0, 0.0)
            if fbo is not None:
                fbo.depth_mask = True
            ctx.disable(ctx.BLEND)
        self.driver_seconds += time.thread_time() - t0
        return calls

    def stream(self, ranges, view_projection: np.ndarray, pixel_scale: float, settle: bool = False) -> None:
        """Upload the full cells the view wants among the blocks of the visible chunk `ranges` (a per-frame
        budget; `settle`: all that fit in the memory budget), and rewrite the per-block data if it changed."""
        n = len(self.layout.blocks)

        def blocks() -> np.ndarray:  # asked for only when the view changed (none in view: none wanted)
            found = np.concatenate([self.order[first:first + count] for first, count in ranges] or
                                   [np.zeros(0, np.int64)])
            return found[found < n]

        if settle:
            self.levels.settle(blocks, view_projection, pixel_scale)
        else:
            self.levels.stream(blocks, view_projection, pixel_scale)
        if self._levels_version != self.levels.version:
            self._write_blocks()

    def _decoration_passes(self) -> list[tuple[int, np.ndarray]]:
        """(pass, chunks) for the blocks partly computed only, lit only, and both: each of their programs
        holds only that work (software GL runs every side of a branch; a lit range and the reveal's ring
        cost 1 - 2 ms of the tour's busiest frames), and draws only the chunks holding its blocks."""
        if self._decoration is None:
            lit, partly = self._lit, self._partly
            size = max(int(lit.max(initial=-1)), int(partly.max(initial=-1))) + 1
            is_lit, is_partly = np.zeros(size, bool), np.zeros(size, bool)
            is_lit[lit], is_partly[partly] = True, True
            groups = ((PASS_REVEALED, is_partly & ~is_lit), (PASS_LIT, is_lit & ~is_partly),
                      (PASS_DECORATED, is_lit & is_partly))
            self._decoration = [(which, chunks) for which, mask in groups
                                if len(chunks := self._chunks_of(np.flatnonzero(mask)))]
        return self._decoration

    def _chunks_of(self, blocks: np.ndarray) -> np.ndarray:
        """The chunks (of the block culler) holding these blocks, sorted (none before a layout)."""
        if self.culler is None or not len(blocks):
            return np.zeros(0, np.int64)
        blocks = blocks[(blocks >= 0) & (blocks < len(self.position))]
        return unique(self.culler.chunk_of(self.position[blocks]))

    def _ranges_in(self, ranges, chunks: np.ndarray) -> list[tuple[int, int]]:
        """The parts of the visible instance `ranges` in these chunks (holding the decorated blocks, or the
        hovered one), and the slabs' (a slab follows its first member's state): the decorated and hovered
        programs' vertices are not spent on the rest."""
        return ranges_within(ranges, self.culler.starts[chunks], self.culler.ends[chunks], len(self.order))

    def _pass(self, which: int, ranges, walls) -> int:
        ctx = self.ctx
        gl = self.gl
        program, walls_vao, front = gl.of(which)
        # Front faces stay visible from behind (the back face is not drawn): no culling for them.
        ctx.disable(ctx.CULL_FACE)
        program["u_walls"].value = 0
        for first, count in ranges:
            front.render(first=6 * first, vertices=6 * count)
        ctx.enable(ctx.CULL_FACE)
        program["u_walls"].value = 1
        for first, count in walls:
            program["u_first"].value = first
            walls_vao.render(instances=count)
        return len(ranges) + len(walls)

    @property
    def programs(self) -> list:
        """The passes' programs compiled so far (block_programs compiles each as its pass is first drawn)."""
        return self.gl.programs

    @property
    def front_vaos(self) -> list:
        """The passes' vertex arrays of front faces (none before a layout)."""
        return self.gl.front_vaos

    def release(self) -> None:
        """Free every GL object of this renderer; it cannot draw afterwards."""
        self.release_textures()
        self.levels.release()
        self.gl.release()
        self.hover_ubo.release()
        self.layout = None

    def release_textures(self) -> None:
        """Free the per-layout textures (order, boxes, info, state, values)."""
        for name in ("order_tex", "box", "info", "state"):
            tex = getattr(self, name)
            if tex is not None:
                tex.release()
                setattr(self, name, None)
        self.uploaded_state = None
        self._counts = (-1, -1)

