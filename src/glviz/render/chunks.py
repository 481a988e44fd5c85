"""Helpers for per-item data in textures and for culling items by chunks, shared by the renderers.

Data textures are ATLAS_WIDTH texels wide: item i's texel is (i mod width, i div width), fetched by number
in the shaders. Items are ordered along a Morton (Z-order) curve and cut into a fixed number of chunks whose
boxes are tested against the view each frame (vectorised numpy), so per-frame work does not grow with the
number of items.
"""

from __future__ import annotations

import numpy as np

from glviz.render.picking import morton_codes

ATLAS_WIDTH = 4096  # texels; the shaders index with `& 4095` and `>> 12`
CHUNKS = 128  # coarse culling granularity: fixed, so per-frame work is independent of the model size
MIN_BLOCK_PX = 0.75  # blocks smaller than this on screen are not drawn
RANGES_KEPT = 4  # visible_ranges answers a culler keeps (for the last view's few questions)


def texture_rows(texels: int) -> int:
    """Rows of an ATLAS_WIDTH-wide data texture that hold `texels` texels (at least one)."""
    return max(1, -(-texels // ATLAS_WIDTH))


def pad_rows(flat: np.ndarray, texels: int, components: int) -> np.ndarray:
    """`flat` (n, components) zero-padded to the texture_rows(texels) full rows a texture write needs."""
    out = np.zeros((texture_rows(texels) * ATLAS_WIDTH, components), dtype=flat.dtype)
    out[: len(flat)] = flat
    return out


QUAD_INDICES = np.array([0, 1, 2, 2, 1, 3], dtype=np.int64)  # two triangles on vertex ids 4 * quad + corner


def quad_indices(n: int) -> bytes:
    """Index buffer bytes (int32) of n quads, 4 vertices each: the vertex shader finds its quad as
    gl_VertexID / 4 (software GL shades big vertex batches far faster than 4-vertex instances)."""
    return (4 * np.arange(n, dtype=np.int64)[:, None] + QUAD_INDICES[None, :]).astype(np.int32).tobytes()


class QuadDraw:
    """One indexed draw of quads for a program without vertex attributes, its index buffer grown as needed."""

    def __init__(self, ctx, program) -> None:
        self.ctx, self.program = ctx, program
        self.ibo = self.vao = None
        self.capacity = 0

    def reserve(self, count: int) -> None:
        """Room for at least `count` quads (the next power of two, at least 1024)."""
        if count <= self.capacity:
            return
        self.capacity = max(1024, 1 << (count - 1).bit_length())
        self.release()
        self.ibo = self.ctx.buffer(quad_indices(self.capacity))
        self.vao = self.ctx.vertex_array(self.program, [], index_buffer=self.ibo, index_element_size=4)

    def render(self, first: int, count: int) -> None:
        """Draw quads first .. first + count - 1."""
        self.reserve(first + count)
        self.vao.render(self.ctx.TRIANGLES, first=6 * first, vertices=6 * count)

    def release(self) -> None:
        for obj in (self.vao, self.ibo):
            if obj is not None:
                obj.release()
        self.ibo = self.vao = None


def ranges_within(ranges: list[tuple[int, int]], starts: np.ndarray, ends: np.ndarray, n: int
                  ) -> list[tuple[int, int]]:
    """The parts of instance `ranges` (first, count; in drawing order) inside the spans [starts, ends)
    (sorted, disjoint), each range's parts in order of their first instance; ranges from `n` on (the slabs,
    after the blocks) whole. Vectorised: a loop over ranges times spans took 2.7 ms of a tour frame with 24
    ranges and 57 chunks."""
    if not len(starts):  # no span: the slabs only
        return [(first, count) for first, count in ranges if first >= n]
    if not ranges:
        return []
    r = np.asarray(ranges, dtype=np.int64).reshape(-1, 2)
    firsts, lasts = r[:, 0], r[:, 0] + r[:, 1]
    slab = firsts >= n
    lo = np.where(slab, 0, np.searchsorted(ends, firsts, side="right"))  # the first span ending after it
    hi = np.where(slab, 1, np.searchsorted(starts, lasts, side="left"))  # past the last span starting in it
    counts = np.maximum(hi - lo, 0)
    which = np.repeat(np.arange(len(r)), counts)  # per part: its range
    span = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    whole = slab[which]
    a = np.where(whole, firsts[which], np.maximum(firsts[which], starts[np.where(whole, 0, span)]))
    b = np.where(whole, lasts[which], np.minimum(lasts[which], ends[np.where(whole, 0, span)]))
    keep = a < b
    return list(zip(a[keep].tolist(), (b - a)[keep].tolist(), strict=True))


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


_FRUSTUM: tuple[bytes, tuple[np.ndarray, np.ndarray]] = (b"", (np.zeros((4, 6)), np.zeros((3, 6))))


def frustum_planes(m: np.ndarray, key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The six clip planes (4, 6) of the float64 view-projection `m` (whose bytes are `key`), and their
    normals' absolute values (3, 6); every culler of a frame shares the last view's."""
    global _FRUSTUM
    hit = _FRUSTUM
    if hit[0] != key:
        # Row vectors: clip = p @ m, so plane i of the frustum is column 3 ± column j (inside when >= 0).
        planes = np.stack([m[:, 3] + m[:, 0], m[:, 3] - m[:, 0], m[:, 3] + m[:, 1], m[:, 3] - m[:, 1],
                           m[:, 3] + m[:, 2], m[:, 3] - m[:, 2]], axis=1)  # (4, 6)
        hit = _FRUSTUM = (key, (planes, np.abs(planes[:3])))
    return hit[1]


def boxes_outside(centres: np.ndarray, half: np.ndarray, m: np.ndarray, key: bytes) -> np.ndarray:
    """(K,) bool: boxes (centres (K, 4) with w = 1, half extents (K, 3)) entirely outside one of the six clip
    planes of the float64 view-projection `m` (whose bytes are `key`)."""
    planes, reach_planes = frustum_planes(m, key)
    # The box corner farthest inside each plane: centre + half-extent along the plane's normal.
    return ((centres @ planes + half @ reach_planes) < 0).any(axis=1)


class ChunkCuller:
    """Splits instances into a fixed number of contiguous chunks and finds the visible ones each frame."""

    def __init__(self, mins: np.ndarray, maxs: np.ndarray, chunks: int = CHUNKS,
                 sizes: np.ndarray | None = None, offsets: np.ndarray | None = None,
                 offset: int = 0, starts: np.ndarray | None = None) -> None:
        """Items (N) with boxes mins..maxs (N, 3), in draw order; `sizes` (N,) replaces the chunk box's
        extent in the too-small test by the largest item size of the chunk (e.g. label heights);
        `offsets` (N + 1,) maps items to instance numbers when an item has several instances (glyphs);
        `offset` is added to every instance number; `starts` gives the chunks' first items (else
        `chunks` equal ones)."""
        n = len(mins)
        self.starts = chunk_starts(n, chunks) if starts is None else np.asarray(starts, dtype=np.int64)
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
        # The last view's answers: a still camera (most of a tour, every paused frame) asks the same again.
        self._outside: tuple[bytes, np.ndarray] = (b"", np.zeros(0, bool))
        # One answer per question asked of a view (the labels ask two: the small and the large text's).
        self._ranges: dict[tuple, list[tuple[int, int]]] = {}

    def outside(self, view_projection: np.ndarray) -> np.ndarray:
        """(K,) bool: chunk boxes entirely outside one of the six clip planes."""
        m = np.asarray(view_projection, dtype=np.float64)
        key = m.tobytes()
        if self._outside[0] != key:
            outside = boxes_outside(self.centres, self.half, m, key)
            outside.setflags(write=False)  # shared by the calls for this view
            self._outside = (key, outside)
        return self._outside[1]

    def chunk_of(self, items: np.ndarray) -> np.ndarray:
        """The chunk of each item number (in draw order)."""
        return np.searchsorted(self.starts, np.asarray(items), side="right") - 1

    def visible_ranges(self, view_projection: np.ndarray, pixel_scale: float, min_px: float = MIN_BLOCK_PX,
                       outside: np.ndarray | None = None, force: np.ndarray | None = None,
                       nearest_first: bool = False) -> list[tuple[int, int]]:
        """Contiguous (first, count) instance ranges whose chunks intersect the view and exceed `min_px`.

        `pixel_scale` = projection scale * viewport height / 2: pixels per world unit at unit depth.
        `outside` reuses a frustum test of the same boxes (`outside(view_projection)`). `force` lists chunks
        drawn whatever their boxes say (their items have moved out of them). `nearest_first`: chunk by chunk
        in the order of their nearest depth, for opaque draws (software GL then skips the shading of what
        nearer blocks already hide: a tour frame of stacked heads shaded 1.7x the pixels it showed).
        """
        m = np.asarray(view_projection, dtype=np.float64)
        key = (m.tobytes(), pixel_scale, min_px, None if force is None else np.asarray(force).tobytes(),
               nearest_first)
        ranges = self._ranges.get(key)
        if ranges is None:
            ranges = self._visible(m, pixel_scale, min_px, outside, force, nearest_first)
            if len(self._ranges) >= RANGES_KEPT:  # a moving camera: the answers of earlier views go
                self._ranges.clear()
            self._ranges[key] = ranges
        return list(ranges)

    def _visible(self, m: np.ndarray, pixel_scale: float, min_px: float, outside: np.ndarray | None,
                 force: np.ndarray | None, nearest_first: bool = False) -> list[tuple[int, int]]:
        """visible_ranges for the float64 view-projection `m`, computed."""
        if outside is None:
            outside = self.outside(m)
        # Judged at the chunk box's nearest depth: no item of it can look bigger than that says.
        near_w = self.centres @ m[:, 3] - self.half @ np.abs(m[:3, 3])
        too_small = (near_w > 0) & (self.extent * pixel_scale < min_px * np.maximum(near_w, 1e-9))
        skip = outside | too_small
        if force is not None and len(force):
            skip[force] = False
        visible = np.flatnonzero(~skip)
        if not len(visible):
            return []
        if nearest_first:
            # Chunk by chunk, nearest first; a chunk that follows its predecessor in this order and in the
            # instances too joins its draw. (Whole runs of consecutive chunks sorted by their nearest one
            # drew a far chunk of a run before the near chunks of the next: the Overview's stacked heads
            # at 87.6 s shaded 855K pixels for 447K shown, 17 against 11 ms a frame.)
            visible = visible[np.argsort(near_w[visible], kind="stable")]
        # Merge runs of consecutive visible chunks into single draws.
        breaks = np.flatnonzero(np.diff(visible) != 1)
        run_first = visible[np.concatenate([[0], breaks + 1])]
        run_last = visible[np.concatenate([breaks, [len(visible) - 1]])]
        firsts, counts = self.first[run_first], self.last[run_last] - self.first[run_first]
        return [(int(f), int(c)) for f, c in zip(firsts, counts, strict=True) if c > 0]
