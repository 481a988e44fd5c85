"""What a layout's blocks are to the block renderer, worked out without GL: the stacks of per-head blocks
that give way to slabs from afar, the draw order (Morton curve cut into chunks, nearest first inside each)
and the chunk boxes that cull them. Kept per layout, so that the trace worker can make the next token's
while it appends it (ui/tracing.prepare_layout) and the window's thread only uploads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.layout.blocks import Layout
from glviz.layout.memo import per_layout, per_structure
from glviz.render.chunks import MIN_BLOCK_PX, ChunkCuller, chunk_starts, draw_order

LOD_PLAIN, LOD_MEMBER, LOD_SLAB = 0, 1, 2  # how a block's instance takes part in stack level of detail
STACK_LOD_PX = 3.0  # per-head blocks smaller than this on screen are drawn as one slab per stack
STACK_THIN_PX = 0.5  # and so are those thinner than this: 96 slices under half a pixel look like their slab
MIN_STACK = 2  # heads a stack needs to get a slab
INFO_TEXELS = 4  # per id: (rows, cols, kind, state block), (cells, lod, slab member size, order), (tiles,
# big tiles, page table, lines filled), (blocks interleaved, place, slab member thickness): blocks.vert
BLOCK_CHUNKS = 1024  # chunks of blocks culled each frame: fine enough to skip far heads (a fixed count)


@dataclass
class Stacks:
    """Slabs standing in for stacks of per-head blocks (same layer and role, one per head) seen from afar.

    Drawing 96 one-pixel blocks per stack is what costs most at GPT-3 scale; a slab (a box around the
    stack, drawn with its walls) looks the same from there. `members` (S, k) block indices, -1 padded."""

    mins: np.ndarray  # (S, 3)
    maxs: np.ndarray  # (S, 3)
    first_member: np.ndarray  # (S,) block index whose shape, kind and state the slab shows
    member_extent: np.ndarray  # (S,) typical member size (world units) that decides the switch
    member_thickness: np.ndarray  # (S,) and its shorter side (world units), which decides it too
    is_member: np.ndarray  # (N,) bool over blocks


@per_structure
def _stack_members(layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """(every member, stack after stack; where each stack starts in it): per-head blocks grouped by (model,
    layer, role or label, kind, shape), stacks of at least MIN_STACK. The model is the name's prefix in a
    composed scene (layout.compose), whose models share layers and shapes. A layout for another T groups
    alike (the heads of a stack change shape together)."""
    groups: dict[tuple, list[int]] = {}
    for block in layout.blocks:
        if block.head >= 0:
            role = getattr(block, "role", "") or block.label
            model = block.name.split("/", 1)[0] if "/" in block.name else ""
            key = (model, block.layer, role, int(block.kind), block.rows, block.cols)
            groups.setdefault(key, []).append(block.index)
    stacks = [members for members in groups.values() if len(members) >= MIN_STACK]
    if not stacks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(stacks).astype(np.int64), np.cumsum([0] + [len(m) for m in stacks[:-1]])


def head_stacks(layout: Layout) -> Stacks:
    """Group per-head blocks into stacks (_stack_members), with their boxes in this layout."""
    n = len(layout.blocks)
    members, starts = _stack_members(layout)
    is_member = np.zeros(n, dtype=bool)
    if not len(starts):
        empty = np.zeros((0, 3), dtype=np.float32)
        return Stacks(empty, empty, np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.float32),
                      is_member)
    is_member[members] = True
    first = members[starts]
    # Members of a stack have one shape, so the first one's size is the stack's typical member size.
    size = layout.maxs[first] - layout.mins[first]
    extent, thickness = np.maximum(size[:, 0], size[:, 1]), np.minimum(size[:, 0], size[:, 1])
    return Stacks(np.minimum.reduceat(layout.mins[members], starts).astype(np.float32),
                  np.maximum.reduceat(layout.maxs[members], starts).astype(np.float32),
                  first.astype(np.int64), extent.astype(np.float32), thickness.astype(np.float32), is_member)


@dataclass
class BlockPlan:
    """The draw order of a layout's blocks and slabs, and their cullers (see the module docstring)."""

    stacks: Stacks
    order: np.ndarray  # (N,) blocks in draw order
    position: np.ndarray  # (N,) block -> its place in the draw order
    ids: np.ndarray  # (N + S,) int32 instance -> id: blocks in draw order, then the slabs
    culler: ChunkCuller
    wall_culler: ChunkCuller
    slab_culler: ChunkCuller | None

    @property
    def total(self) -> int:
        """Instances: blocks and slabs."""
        return len(self.ids)


@per_layout
def block_plan(layout: Layout) -> BlockPlan:
    """The plan of `layout`'s blocks (kept per layout)."""
    n = len(layout.blocks)
    stacks = head_stacks(layout)
    n_slabs = len(stacks.first_member)
    order, starts = _grouped_order(layout, stacks.is_member)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    mins, maxs = layout.mins[order], layout.maxs[order]
    # The too-small test by each chunk's largest block; a stack member counts as smaller by the ratio of the
    # thresholds (its size's to STACK_LOD_PX, its thickness's to STACK_THIN_PX), so that a chunk of members
    # that all give way is skipped (their slabs stand in).
    sizes = (maxs - mins)[:, :2].max(axis=1)
    thin = (maxs - mins)[:, :2].min(axis=1) * (MIN_BLOCK_PX / STACK_THIN_PX)
    sizes = np.where(stacks.is_member[order], np.minimum(sizes * (MIN_BLOCK_PX / STACK_LOD_PX), thin), sizes)
    # Slabs are instances n .. n + S - 1 (and ids n .. n + S - 1), culled on their own.
    slab_culler = ChunkCuller(stacks.mins, stacks.maxs, chunks=32, offset=n) if n_slabs else None
    ids = np.concatenate([order, np.arange(n, n + n_slabs)]).astype(np.int32)
    return BlockPlan(stacks, order, position, ids, ChunkCuller(mins, maxs, sizes=sizes, starts=starts),
                     ChunkCuller(mins, maxs, sizes=maxs[:, 2] - mins[:, 2], starts=starts), slab_culler)


def _grouped_order(layout: Layout, is_member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The draw order (N,) and its chunks' first items: the blocks that are no stack member, then the
    members, each group in chunks of its own (draw_order), BLOCK_CHUNKS in all shared by the groups' sizes.
    From afar a chunk of members is skipped whole on the CPU, where the vertex shader would have collapsed
    each of GPT-3's 55,000 head blocks one by one."""
    n = len(layout.blocks)
    groups = [np.flatnonzero(~is_member), np.flatnonzero(is_member)]
    orders, starts, first = [], [], 0
    for group in groups:
        if not len(group):
            continue
        chunks = max(1, round(BLOCK_CHUNKS * len(group) / n))
        orders.append(group[draw_order(layout.mins[group], layout.maxs[group], chunks)])
        starts.append(first + chunk_starts(len(group), chunks))
        first += len(group)
    if not orders:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(orders), np.concatenate(starts)


def block_rows(layout: Layout, stacks: Stacks, values, blocks: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """The per-id rows blocks.vert reads (blocks, then slabs; `values`: the value levels' info): (K, 2, 4)
    float32 box and inverse value scale, size and mean; (K, INFO_TEXELS, 4) int32 shape, kind, the block whose
    state it follows, level of detail, where its values are (a slab shows its first member's). With `blocks`,
    the rows of those blocks only (no slab)."""
    own = np.arange(len(layout.blocks)) if blocks is None else np.asarray(blocks, dtype=np.int64)
    first = stacks.first_member if blocks is None else np.zeros(0, np.int64)  # the slabs' first members
    n, n_slabs = len(own), len(first)
    every = np.concatenate([own, first])  # the block whose values each id shows
    f = np.zeros((n + n_slabs, 2, 4), dtype=np.float32)
    f[:n, 0, :3], f[:, 0, 3] = layout.mins[own], values.inv_scale[every]
    f[:n, 1, :3], f[:, 1, 3] = layout.maxs[own] - layout.mins[own], values.mean[every]
    i = np.zeros((n + n_slabs, INFO_TEXELS, 4), dtype=np.int32)
    i[:n, 0, :2], i[:n, 0, 2], i[:n, 0, 3] = layout.shapes[own], layout.kinds[own], own
    i[:n, 1, 1] = np.where(stacks.is_member[own], LOD_MEMBER, LOD_PLAIN)
    i[:, 1, 0], i[:, 1, 3] = values.l0[every], values.order[every]
    i[:, 2, 0], i[:, 2, 1], i[:, 2, 2] = values.l1[every], values.l2[every], values.pages[every]
    i[:, 2, 3] = np.where(values.present[every], values.lines[every], 0)
    i[:, 3, 0], i[:, 3, 1] = values.count[every], values.place[every]
    if n_slabs:
        f[n:, 0, :3] = stacks.mins
        f[n:, 1, :3] = stacks.maxs - stacks.mins
        i[n:, 0, :2], i[n:, 0, 2], i[n:, 0, 3] = layout.shapes[first], layout.kinds[first], first
        # A slab's members' size and thickness, as float bits (blocks.vert: intBitsToFloat).
        i[n:, 1, 1], i[n:, 1, 2] = LOD_SLAB, stacks.member_extent.astype(np.float32).view(np.int32)
        i[n:, 3, 2] = stacks.member_thickness.astype(np.float32).view(np.int32)
    return f, i
