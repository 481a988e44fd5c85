"""BlockRenderer: every block of a layout as a box whose front face's cells the fragment shader draws.

Draws per frame: the front faces of all visible blocks as one indexed, non-instanced draw (4 vertices per
block; software GL shades big vertex batches much faster than 4-vertex instances), plus the side walls,
instanced, only where a block's thickness covers a pixel. Per-block data lives in textures fetched by
block number, so any contiguous range of blocks can be drawn: moderngl has no base-instance draw.

Blocks are ordered along a Morton (Z-order) curve of their centres and cut into a fixed number of chunks,
nearest-to-the-front first inside each chunk (so the depth test rejects hidden heads before shading); the
chunk boxes are tested against the view each frame (vectorised numpy), so per-frame work does not grow with
the number of blocks. The vertex shader collapses blocks smaller than a pixel, and stacks of per-head blocks
smaller than a few pixels give way to one slab per stack (the level of detail that makes GPT-3 fast).

Cell values: one R32F atlas 4096 texels wide; a block with values occupies a contiguous texel range,
cell (r, c) at offset + r * cols + c. Only blocks with data get texels; at most MAX_VALUE_TEXELS texels
in total (64 M = 256 MB), filled smallest block first, so for huge real checkpoints the largest matrices
(e.g. the embedding tables) show their kind colour and grid only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from glviz.layout import blocks as layout_blocks
from glviz.layout.blocks import Layout
from glviz.render.picking import morton_codes
from glviz.resources import read_shader
from glviz.scene import HIDDEN_BELOW

ATLAS_WIDTH = 4096  # texels; the shaders index with `& 4095` and `>> 12`
MAX_VALUE_TEXELS = 64 * 2**20
CHUNKS = 128  # coarse culling granularity: fixed, so per-frame work is independent of the model size
MIN_BLOCK_PX = 0.75  # blocks smaller than this on screen are not drawn
ROBUST_SCALE_CELLS = 256  # above this many cells a block's colour scale is the 99.5th percentile of |v|
SCALE_SAMPLE = 1 << 20  # cells sampled for that percentile

# Unit cube corners and the four side walls (the front face is drawn separately, see blocks.vert),
# wound counter-clockwise seen from outside.
CUBE_CORNERS = np.array([[x, y, z] for z in (0, 1) for y in (0, 1) for x in (0, 1)], dtype=np.float32)
WALL_INDICES = np.array([
    0, 1, 4, 1, 5, 4,  # -y
    2, 6, 3, 3, 6, 7,  # +y
    0, 4, 2, 2, 4, 6,  # -x
    1, 3, 5, 3, 7, 5,  # +x
], dtype=np.int32)
FRONT_INDICES = np.array([0, 1, 2, 2, 1, 3], dtype=np.int32)  # per block, on vertex ids 4 * block + corner
STATE_TEXEL_WRITES = 16  # per-block state changes up to this many blocks are uploaded texel by texel
MIN_WALL_PX = 0.5  # walls are drawn for chunks whose blocks' thickness reaches this many pixels
LOD_PLAIN, LOD_MEMBER, LOD_SLAB = 0, 1, 2  # how a block's instance takes part in stack level of detail


# Colours of blocks.frag, set as its uniforms by BlockRenderer; tests and the UI's legend read them here.
KIND_COLORS = {0: (0.30, 0.47, 0.85), 1: (0.30, 0.66, 0.38), 2: (0.93, 0.73, 0.15)}  # by Kind
VALUE_NEGATIVE = (0.70, 0.30, 0.02)  # value -scale: orange
VALUE_ZERO = (0.94, 0.94, 0.94)  # value 0: light grey
VALUE_POSITIVE = (0.33, 0.17, 0.55)  # value +scale: purple
VALUE_COLORS = (VALUE_NEGATIVE, VALUE_ZERO, VALUE_POSITIVE)  # the diverging map's -scale, 0, +scale (legend)
# Hover and highlight marks: cyan, on neither side of the value map nor a kind colour.
HIGHLIGHT_ACCENT = (0.00, 0.82, 0.95)  # hovered/highlighted block frame, dependency ranges (40% wash)
HOVER_RING = (0.00, 0.30, 0.40)  # the hovered cell's ring
HIGHLIGHT_LIGHTEN = 0.12  # a hovered/highlighted block's cells are mixed this much with white
DEPENDENCY_WASH = 0.40  # dependency cells are mixed this much with HIGHLIGHT_ACCENT


def texture_rows(texels: int) -> int:
    """Rows of an ATLAS_WIDTH-wide data texture that hold `texels` texels (at least one)."""
    return max(1, -(-texels // ATLAS_WIDTH))


def pad_rows(flat: np.ndarray, texels: int, components: int) -> np.ndarray:
    """`flat` (n, components) zero-padded to the texture_rows(texels) full rows a texture write needs."""
    out = np.zeros((texture_rows(texels) * ATLAS_WIDTH, components), dtype=flat.dtype)
    out[: len(flat)] = flat
    return out


def morton_order(centres: np.ndarray) -> np.ndarray:
    """Indices sorting points (N, 3) along a Z-order curve, so contiguous runs are spatially compact.

    The grid is isotropic (one scale for all axes), so thin axes (the depth of the head stacks) take few
    of the curve's bits and chunks stay compact where it matters for culling, in x and y."""
    lo, hi = centres.min(axis=0), centres.max(axis=0)
    q = ((centres - lo) / max(float((hi - lo).max()), 1e-9) * 1023).astype(np.uint64)  # 10 bits per axis
    return np.argsort(morton_codes(q), kind="stable")


def chunk_starts(n: int, chunks: int = CHUNKS) -> np.ndarray:
    """First item of each of the (at most `chunks`) equal contiguous chunks of n items."""
    return np.linspace(0, n, min(chunks, n) + 1).astype(np.int64)[:-1]


def draw_order(mins: np.ndarray, maxs: np.ndarray, chunks: int = CHUNKS) -> np.ndarray:
    """Block indices in drawing order: Morton order cut into chunks, and inside each chunk the nearest
    to a viewer in front (+z) first, so that the depth test rejects the hidden part of the head stacks
    before the fragment shader runs."""
    n = len(mins)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    order = morton_order((mins + maxs) / 2)
    chunk = np.searchsorted(chunk_starts(n, chunks), np.arange(n), side="right") - 1
    return order[np.lexsort((-maxs[order, 2], chunk))]


STACK_LOD_PX = 3.0  # per-head blocks smaller than this on screen are drawn as one slab per stack
MIN_STACK = 2  # heads a stack needs to get a slab


@dataclass
class Stacks:
    """Slabs standing in for stacks of per-head blocks (same layer and role, one per head) seen from afar.

    Drawing 96 one-pixel blocks per stack is what costs most at GPT-3 scale; a slab (a box around the
    stack, drawn with its walls) looks the same from there. `members` (S, k) block indices, -1 padded."""

    mins: np.ndarray  # (S, 3)
    maxs: np.ndarray  # (S, 3)
    first_member: np.ndarray  # (S,) block index whose shape, kind and state the slab shows
    member_extent: np.ndarray  # (S,) typical member size (world units) that decides the switch
    is_member: np.ndarray  # (N,) bool over blocks


def head_stacks(layout: Layout) -> Stacks:
    """Group per-head blocks into stacks by (layer, role or label, kind, shape)."""
    n = len(layout.blocks)
    groups: dict[tuple, list[int]] = {}
    for block in layout.blocks:
        if block.head >= 0:
            role = getattr(block, "role", "") or block.label
            key = (block.layer, role, int(block.kind), block.rows, block.cols)
            groups.setdefault(key, []).append(block.index)
    stacks = [np.array(members) for members in groups.values() if len(members) >= MIN_STACK]
    is_member = np.zeros(n, dtype=bool)
    if not stacks:
        empty = np.zeros((0, 3), dtype=np.float32)
        return Stacks(empty, empty, np.zeros(0, np.int64), np.zeros(0, np.float32), is_member)
    for members in stacks:
        is_member[members] = True
    extent = np.maximum(layout.maxs[:, 0] - layout.mins[:, 0], layout.maxs[:, 1] - layout.mins[:, 1])
    return Stacks(np.array([layout.mins[m].min(axis=0) for m in stacks], dtype=np.float32),
                  np.array([layout.maxs[m].max(axis=0) for m in stacks], dtype=np.float32),
                  np.array([m[0] for m in stacks], dtype=np.int64),
                  np.array([np.median(extent[m]) for m in stacks], dtype=np.float32), is_member)


def value_scale(values: np.ndarray) -> float:
    """The |value| that maps to full colour: max |v|, or a high percentile for big blocks (outliers)."""
    flat = np.asarray(values).ravel()
    if flat.size > SCALE_SAMPLE:  # a strided sample is plenty for a percentile
        flat = flat[:: flat.size // SCALE_SAMPLE]
    finite = np.abs(flat[np.isfinite(flat)])
    if finite.size == 0:
        return 1.0
    scale = float(np.percentile(finite, 99.5)) if finite.size > ROBUST_SCALE_CELLS else float(finite.max())
    return scale if scale > 0 else 1.0


class ChunkCuller:
    """Splits instances into a fixed number of contiguous chunks and finds the visible ones each frame."""

    def __init__(self, mins: np.ndarray, maxs: np.ndarray, chunks: int = CHUNKS,
                 sizes: np.ndarray | None = None, offsets: np.ndarray | None = None,
                 offset: int = 0) -> None:
        """Items (N) with boxes mins..maxs (N, 3), in draw order; `sizes` (N,) replaces the chunk box's
        extent in the too-small test by the largest item size of the chunk (e.g. label heights);
        `offsets` (N + 1,) maps items to instance numbers when an item has several instances (glyphs);
        `offset` is added to every instance number."""
        n = len(mins)
        self.starts = chunk_starts(n, chunks)
        self.ends = np.append(self.starts[1:], n)
        if offsets is not None:
            self.first, self.last = offsets[self.starts], offsets[self.ends]
        else:
            self.first, self.last = self.starts, self.ends
        self.first, self.last = self.first + offset, self.last + offset
        lo = np.minimum.reduceat(mins, self.starts, axis=0).astype(np.float64)
        hi = np.maximum.reduceat(maxs, self.starts, axis=0).astype(np.float64)
        self.extent = (hi - lo)[:, :2].max(axis=1)  # (K,)
        if sizes is not None:
            self.extent = np.maximum.reduceat(np.asarray(sizes, dtype=np.float64), self.starts)
        self.centres = np.concatenate([(lo + hi) / 2, np.ones((len(lo), 1))], axis=1)  # (K, 4)
        self.half = (hi - lo) / 2  # (K, 3)

    def outside(self, view_projection: np.ndarray) -> np.ndarray:
        """(K,) bool: chunk boxes entirely outside one of the six clip planes."""
        m = np.asarray(view_projection, dtype=np.float64)
        # Row vectors: clip = p @ m, so plane i of the frustum is column 3 ± column j (inside when >= 0).
        planes = np.stack([m[:, 3] + m[:, 0], m[:, 3] - m[:, 0], m[:, 3] + m[:, 1], m[:, 3] - m[:, 1],
                           m[:, 3] + m[:, 2], m[:, 3] - m[:, 2]], axis=1)  # (4, 6)
        # The box corner farthest inside each plane: centre + half-extent along the plane's normal.
        reach = self.centres @ planes + self.half @ np.abs(planes[:3])  # (K, 6)
        return (reach < 0).any(axis=1)

    def visible_ranges(self, view_projection: np.ndarray, pixel_scale: float, min_px: float = MIN_BLOCK_PX,
                       outside: np.ndarray | None = None) -> list[tuple[int, int]]:
        """Contiguous (first, count) instance ranges whose chunks intersect the view and exceed `min_px`.

        `pixel_scale` = projection scale * viewport height / 2: pixels per world unit at unit depth.
        `outside` reuses a frustum test of the same boxes (`outside(view_projection)`).
        """
        if outside is None:
            outside = self.outside(view_projection)
        centre_w = self.centres @ np.asarray(view_projection, dtype=np.float64)[:, 3]
        too_small = (centre_w > 0) & (self.extent * pixel_scale < min_px * np.maximum(centre_w, 1e-9))
        visible = np.flatnonzero(~(outside | too_small))
        if not len(visible):
            return []
        # Merge runs of consecutive visible chunks into single draws.
        breaks = np.flatnonzero(np.diff(visible) > 1)
        run_first = visible[np.concatenate([[0], breaks + 1])]
        run_last = visible[np.concatenate([breaks, [len(visible) - 1]])]
        firsts, counts = self.first[run_first], self.last[run_last] - self.first[run_first]
        return [(int(f), int(c)) for f, c in zip(firsts, counts, strict=True) if c > 0]


class BlockRenderer:
    """GPU resources for one layout's blocks; `draw` issues the instanced draw(s)."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.program = ctx.program(vertex_shader=read_shader("blocks.vert"),
                                   fragment_shader=read_shader("blocks.frag"))
        self.program["u_inst_f"] = 0
        self.program["u_inst_i"] = 1
        self.program["u_state"] = 2
        self.program["u_values"] = 3
        self.program["Camera"].binding = 0
        self.program["Hover"].binding = 1
        self.program["u_kind_color"].value = [KIND_COLORS[kind] for kind in range(3)]
        self.program["u_value_color"].value = list(VALUE_COLORS)
        self.program["u_accent"] = HIGHLIGHT_ACCENT
        self.program["u_hover_ring"] = HOVER_RING
        self.program["u_lighten"] = HIGHLIGHT_LIGHTEN
        self.program["u_wash"] = DEPENDENCY_WASH
        self.program["u_hidden_below"] = HIDDEN_BELOW  # the cut picking uses too
        self.u_first = self.program["u_first"]
        self.u_walls = self.program["u_walls"]
        self.walls_buffers = (ctx.buffer(CUBE_CORNERS.tobytes()), ctx.buffer(WALL_INDICES.tobytes()))
        vbo, ibo = self.walls_buffers
        self.walls_vao = ctx.vertex_array(self.program, [(vbo, "3f", "in_corner")], index_buffer=ibo,
                                          index_element_size=4)
        self.front_vao = self.front_ibo = None  # built per layout: the index buffer grows with the blocks
        self.hover_ubo = ctx.buffer(reserve=16 + 8 * 16 + 2 * 16)
        self.layout: Layout | None = None
        self.inst_f = self.inst_i = self.state = self.values = None
        self.uploaded_state: tuple[np.ndarray, np.ndarray] | None = None  # (highlight, opacity) on the GPU
        self.value_texels = 0  # texels allocated in the value atlas (0: no per-cell data on the GPU)
        self.order = np.zeros(0, dtype=np.int64)
        self.culler: ChunkCuller | None = None
        self.slab_culler: ChunkCuller | None = None
        self._scene_id = None
        self.driver_seconds = 0.0  # CPU time of this thread inside draw calls (software GL shades here)
        self.write_hover(None, ())

    # --- layout and values ----------------------------------------------------------------------------------
    def set_layout(self, layout: Layout) -> None:
        """Upload a layout's blocks (no values yet: every block shows its kind colour and grid)."""
        self.release_textures()
        self.layout = layout
        n = len(layout.blocks)
        self.stacks = head_stacks(layout)
        n_slabs = len(self.stacks.first_member)
        self.order = draw_order(layout.mins, layout.maxs)
        mins, maxs = layout.mins[self.order], layout.maxs[self.order]
        self.culler = ChunkCuller(mins, maxs)
        self.wall_culler = ChunkCuller(mins, maxs, sizes=maxs[:, 2] - mins[:, 2])
        # Slabs are instances n .. n + S - 1, culled on their own.
        self.slab_culler = ChunkCuller(self.stacks.mins, self.stacks.maxs, chunks=32, offset=n) \
            if n_slabs else None
        if self.front_vao is not None:
            self.front_vao.release()
            self.front_ibo.release()
        total = n + n_slabs
        indices = (4 * np.arange(total, dtype=np.int64)[:, None] + FRONT_INDICES[None, :]).astype(np.int32)
        self.front_ibo = self.ctx.buffer(indices.tobytes())
        self.front_vao = self.ctx.vertex_array(self.program, [], index_buffer=self.front_ibo,
                                               index_element_size=4)

        self.inv_scale = np.zeros(n, dtype=np.float32)
        self.mean = np.zeros(n, dtype=np.float32)
        self.offsets = np.full(n, -1, dtype=np.int32)
        self.inst_f = self.ctx.texture((ATLAS_WIDTH, texture_rows(2 * total)), 4, dtype="f4")
        self.inst_i = self.ctx.texture((ATLAS_WIDTH, texture_rows(2 * total)), 4, dtype="i4")
        self.state = self.ctx.texture((ATLAS_WIDTH, texture_rows(n)), 2, dtype="f4")
        self.uploaded_state = None  # the texture's contents: a new one is written whole
        for tex in (self.inst_f, self.inst_i, self.state):
            tex.filter = (self.ctx.NEAREST, self.ctx.NEAREST)
        self._write_instances()
        self.write_state(np.zeros(n, dtype=np.float32), np.ones(n, dtype=np.float32))
        self._scene_id = None

    def _write_instances(self) -> None:
        layout, order, stacks = self.layout, self.order, self.stacks
        n, n_slabs = len(order), len(stacks.first_member)
        f = np.zeros((n + n_slabs, 2, 4), dtype=np.float32)
        f[:n, 0, :3] = layout.mins[order]
        f[:n, 0, 3] = self.inv_scale[order]
        f[:n, 1, :3] = layout.maxs[order] - layout.mins[order]
        f[:n, 1, 3] = self.mean[order]
        f[n:, 0, :3] = stacks.mins
        f[n:, 1, :3] = stacks.maxs - stacks.mins
        i = np.zeros((n + n_slabs, 2, 4), dtype=np.int32)
        i[:n, 0, :2] = layout.shapes[order]
        i[:n, 0, 2] = layout.kinds[order]
        i[:n, 0, 3] = order
        i[:n, 1, 0] = self.offsets[order]
        i[:n, 1, 1] = np.where(stacks.is_member[order], LOD_MEMBER, LOD_PLAIN)
        i[n:, 0, :2] = layout.shapes[stacks.first_member]
        i[n:, 0, 2] = layout.kinds[stacks.first_member]
        i[n:, 0, 3] = stacks.first_member
        i[n:, 1, 0] = -1
        i[n:, 1, 1] = LOD_SLAB
        i[n:, 1, 2] = np.ceil(stacks.member_extent)
        self.inst_f.write(pad_rows(f.reshape(-1, 4), 2 * (n + n_slabs), 4).tobytes())
        self.inst_i.write(pad_rows(i.reshape(-1, 4), 2 * (n + n_slabs), 4).tobytes())

    def upload_trace(self, trace, max_texels: int = MAX_VALUE_TEXELS) -> int:
        """Upload the values of every block the trace (and its weights) can fill; returns texels used.

        Blocks are placed smallest first until `max_texels`; each block's values are read and copied into
        the atlas one at a time, so a big checkpoint never has all of its tensors copied at once."""
        layout = self.layout
        return self._upload({b.index: int(b.rows) * int(b.cols) for b in layout.blocks},
                            lambda i: layout_blocks.block_values(layout.blocks[i], trace), max_texels)

    def upload_values(self, arrays: dict[int, np.ndarray], max_texels: int = MAX_VALUE_TEXELS) -> int:
        """Upload (rows, cols) arrays by block index into a new value atlas; returns texels used."""
        return self._upload({i: int(np.size(a)) for i, a in arrays.items()}, arrays.__getitem__, max_texels)

    def _upload(self, sizes: dict[int, int], read, max_texels: int) -> int:
        limit = min(max_texels, ATLAS_WIDTH * int(self.ctx.info.get("GL_MAX_TEXTURE_SIZE", 16384)))
        self.offsets[:] = -1
        self.inv_scale[:] = 0
        self.mean[:] = 0
        if self.values is not None:
            self.values.release()
            self.values = None
        self.value_texels = 0
        planned, total = [], 0
        for index in sorted(sizes, key=sizes.__getitem__):  # smallest first: most blocks fit
            if total + sizes[index] <= limit:
                planned.append((index, total))
                total += sizes[index]
        atlas = np.zeros(texture_rows(max(total, 1)) * ATLAS_WIDTH, dtype=np.float32)
        used = texels = 0
        for index, offset in planned:
            try:
                values = np.asarray(read(index), dtype=np.float32)
            except (KeyError, IndexError):  # tensor not in this trace (e.g. a weight set without it)
                continue
            if values.size != sizes[index]:
                continue
            atlas[offset: offset + values.size] = values.ravel()
            scale = value_scale(values)
            self.offsets[index] = offset
            self.inv_scale[index] = 1.0 / scale
            finite = values[np.isfinite(values)]
            self.mean[index] = float(finite.mean()) / scale if finite.size else 0.0
            used = max(used, offset + values.size)
            texels += values.size
        if used:
            rows = texture_rows(used)
            self.values = self.ctx.texture((ATLAS_WIDTH, rows), 1, atlas[: rows * ATLAS_WIDTH].tobytes(),
                                           dtype="f4")
            self.values.filter = (self.ctx.NEAREST, self.ctx.NEAREST)
            self.value_texels = texels
        self._write_instances()
        return self.value_texels

    # --- per-frame state -----------------------------------------------------------------------------------
    def write_state(self, highlight: np.ndarray, opacity: np.ndarray) -> None:
        """Upload per-block (highlight, opacity), each (N,) float32: only the blocks that changed when they
        are few (a hover lights one block and unlights another), else the whole texture."""
        n = len(highlight)
        old = self.uploaded_state
        fresh = old is None or len(old[0]) != n
        # Column by column: comparing an (N, 2) array with .any(axis=1) costs ten times more.
        changed = None if fresh else np.flatnonzero((old[0] != highlight) | (old[1] != opacity))  # (k,)
        if changed is not None and len(changed) <= STATE_TEXEL_WRITES:
            for i in changed.tolist():
                texel = np.array([highlight[i], opacity[i]], dtype=np.float32)
                self.state.write(texel.tobytes(), viewport=(i % ATLAS_WIDTH, i // ATLAS_WIDTH, 1, 1))
        else:
            data = np.stack([highlight, opacity], axis=1).astype(np.float32)  # (N, 2)
            self.state.write(pad_rows(data, n, 2).tobytes())
        # Copies: the texture holds these values even if the caller's arrays are later changed in place.
        self.uploaded_state = (np.array(highlight, dtype=np.float32), np.array(opacity, dtype=np.float32))

    def write_hover(self, hovered, dependencies) -> None:
        """Upload the hovered (block, row, col) or None and up to 8 dependency CellRanges."""
        head = np.array([-1, -1, -1, 0], dtype=np.int32)
        rc = np.zeros((8, 4), dtype=np.int32)
        blocks = np.full(8, -2, dtype=np.int32)
        if hovered is not None:
            head[:3] = hovered
        for k, rng in enumerate(list(dependencies)[:8]):
            blocks[k] = rng.block
            rc[k] = (*rng.rows, *rng.cols)
        head[3] = min(len(dependencies), 8)
        self.hover_ubo.write(head.tobytes() + rc.tobytes() + blocks.tobytes())

    def sync_scene(self, scene) -> None:
        """Upload what changed in the scene since the last frame (everything for a new scene)."""
        fresh = self._scene_id != id(scene)
        self._scene_id = id(scene)
        if fresh or scene.instances_dirty:
            self.write_state(scene.highlight, scene.opacity)
            scene.clean_instances()
        if fresh or scene.hover_dirty:
            self.write_hover(scene.hovered, scene.dependencies)
            scene.clean_hover()

    def draw(self, view_projection: np.ndarray, pixel_scale: float, background) -> int:
        """Draw the visible chunks; returns the number of draw calls."""
        if self.layout is None or not len(self.order):
            return 0
        outside = self.culler.outside(view_projection)  # the wall culler has the same chunk boxes
        ranges = self.culler.visible_ranges(view_projection, pixel_scale, outside=outside)
        walls = self.wall_culler.visible_ranges(view_projection, pixel_scale, MIN_WALL_PX, outside=outside) \
            if ranges else []
        if self.slab_culler is not None:
            slabs = self.slab_culler.visible_ranges(view_projection, pixel_scale)
            ranges, walls = ranges + slabs, walls + slabs
        if not ranges:
            return 0
        ctx = self.ctx
        t0 = time.thread_time()
        self.inst_f.use(0)
        self.inst_i.use(1)
        self.state.use(2)
        (self.values or self.inst_f).use(3)  # without values the atlas is never sampled (offsets are -1)
        self.hover_ubo.bind_to_uniform_block(1)
        self.program["u_background"] = tuple(background[:3])
        self.program["u_stack_px"] = STACK_LOD_PX
        # Front faces stay visible from behind (the back face is not drawn): no culling for them.
        ctx.disable(ctx.CULL_FACE)
        self.u_walls.value = 0
        for first, count in ranges:
            self.front_vao.render(first=6 * first, vertices=6 * count)
        ctx.enable(ctx.CULL_FACE)
        self.u_walls.value = 1
        for first, count in walls:
            self.u_first.value = first
            self.walls_vao.render(instances=count)
        self.driver_seconds += time.thread_time() - t0
        return len(ranges) + len(walls)

    def release(self) -> None:
        """Free every GL object of this renderer; it cannot draw afterwards."""
        self.release_textures()
        for obj in (self.front_vao, self.front_ibo, self.walls_vao, *self.walls_buffers, self.hover_ubo,
                    self.program):
            if obj is not None:
                obj.release()
        self.front_vao = self.front_ibo = self.layout = None

    def release_textures(self) -> None:
        """Free the per-layout textures (instances, state, values)."""
        for name in ("inst_f", "inst_i", "state", "values"):
            tex = getattr(self, name)
            if tex is not None:
                tex.release()
                setattr(self, name, None)
        self.value_texels = 0


