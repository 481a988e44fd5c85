"""The GL side of the value stores: one buffer texture of values, and one of the page table.

- values (R32F buffer texture, texel t; render/buffer_texture.py): its first layers (LAYER_PAGES rows of
  ATLAS_WIDTH texels each) hold every store's resident run (small blocks' cells, coarse levels), one after
  the other from whole rows, rewritten where the stores changed; the layers after them are the pool: pages of
  PAGE cells, one per row, given to the pages wanted and taken back least recently wanted first, within a
  budget. One texture, so that a cell costs the fragment shader two fetches at most (software GL fetches
  on every path of a branch): its page-table entry and its value. It grows by layers as needed (software
  GL commits a buffer's memory when it is made, so it is never made bigger than used); when the resident
  runs need more layers, the pool's pages are given back (they stream in again).
- pages (R32I buffer texture): every store's page table the same way: per page of a pooled block, the global
  row of the values texture holding it, -1.
"""

from __future__ import annotations

import numpy as np

from glviz.arrays import unique
from glviz.render.buffer_texture import BufferTexture, max_texels
from glviz.render.chunks import ATLAS_WIDTH, texture_rows
from glviz.render.value_store import PAGE

LAYER_PAGES = 1024  # pool pages per layer (16 MB): the unit the values texture grows by


def _texture_rows_of(ranges: list[tuple[int, int]], base: int) -> np.ndarray:
    """The texture rows that ranges of a run placed at `base` touch (sorted, unique)."""
    if not ranges:
        return np.zeros(0, np.int64)
    spans = np.array(ranges, dtype=np.int64) + base  # (k, 2)
    first, last = spans[:, 0] // ATLAS_WIDTH, (spans[:, 1] - 1) // ATLAS_WIDTH
    count = np.maximum(last - first + 1, 0)
    rows = np.repeat(first, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    return unique(rows)


def _row_runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """Runs (first, count) of consecutive numbers in a sorted array."""
    if not len(rows):
        return []
    breaks = np.flatnonzero(np.diff(rows) > 1)
    firsts = rows[np.concatenate([[0], breaks + 1])]
    lasts = rows[np.concatenate([breaks, [len(rows) - 1]])]
    return [(int(a), int(b - a + 1)) for a, b in zip(firsts, lasts, strict=True)]


def _run_bases(sizes: list[int]) -> tuple[list[int], int]:
    """Runs of these sizes one after the other from whole texture rows: each one's first texel, and the rows
    they take in all (at least one)."""
    bases, at = [], 0
    for size in sizes:
        bases.append(at)
        at += texture_rows(size) * ATLAS_WIDTH if size else 0
    return bases, texture_rows(max(at, 1))

class RunTexture:
    """Several flat runs (numpy arrays) one after the other in one single-channel buffer texture, each from
    a whole row of ATLAS_WIDTH texels; re-made when the runs no longer fit, else only the rows that changed
    are written."""

    def __init__(self, ctx, dtype: str) -> None:
        self.ctx = ctx
        self.dtype = dtype
        self.texture: BufferTexture | None = None
        self.bases: list[int] = []
        self.sizes: list[int] = []

    def sync(self, runs: list[np.ndarray], dirty: list[list[tuple[int, int]]]) -> list[int]:
        """Upload what changed; returns each run's base (first texel)."""
        sizes = [len(r) for r in runs]
        bases, rows = _run_bases(sizes)
        if self.texture is None or self.texture.texels < rows * ATLAS_WIDTH or sizes != self.sizes:
            self._remake(runs, bases, rows)
        else:
            for run, base, ranges in zip(runs, bases, dirty, strict=True):
                for first, count in _row_runs(_texture_rows_of(ranges, base)):
                    self._write_rows(run, base, first, count)
        self.bases, self.sizes = bases, sizes
        return bases

    def _remake(self, runs, bases, rows) -> None:
        if self.texture is None or self.texture.texels < rows * ATLAS_WIDTH:
            if self.texture is not None:
                self.texture.release()
            texels = texture_rows(int(rows * 1.25) * ATLAS_WIDTH) * ATLAS_WIDTH  # room to grow
            self.texture = BufferTexture(self.ctx, min(texels, max_texels(self.ctx)), self.dtype)
        for run, base in zip(runs, bases, strict=True):
            if len(run):
                self._write_rows(run, base, base // ATLAS_WIDTH, texture_rows(len(run)))

    def _write_rows(self, run: np.ndarray, base: int, first: int, count: int) -> None:
        """Write rows first..first+count of the run placed at `base` (zero past its end)."""
        self.texture.write(_rows_of(run, base, first, count), first * ATLAS_WIDTH)

    def release(self) -> None:
        if self.texture is not None:
            self.texture.release()
            self.texture = None
        self.sizes = []


def _rows_of(run: np.ndarray, base: int, first: int, count: int) -> np.ndarray:
    """Rows first..first+count (of ATLAS_WIDTH texels) of a run placed at texel `base`, zero outside it."""
    a = first * ATLAS_WIDTH - base
    out = np.zeros(count * ATLAS_WIDTH, dtype=run.dtype)
    piece = run[max(a, 0): a + len(out)]
    out[max(-a, 0): max(-a, 0) + len(piece)] = piece
    return out


def _whole(run: np.ndarray, base: int) -> np.ndarray:
    """Every texture row of a run placed at `base`."""
    first = base // ATLAS_WIDTH
    return np.arange(first, first + texture_rows(len(run))) if len(run) else np.zeros(0, np.int64)


class PagePool:
    """The values texture: `resident_layers` layers of resident runs, then the pool's pages (row
    resident_layers * LAYER_PAGES + p is pool page p), which virtual page (owner) each holds and when it
    was last wanted; at most `max_pages` pool pages."""

    def __init__(self, ctx, max_pages: int) -> None:
        self.ctx = ctx
        self.max_pages = max(0, int(max_pages))
        self.texture = None
        self.resident_layers = 0
        self.capacity = 0  # pool pages in the texture
        self.owner = np.zeros(0, np.int64)  # per pool page: its virtual page, -1 when free
        self.stamp = np.zeros(0, np.int64)  # per pool page: the last evaluation that wanted it
        self.bases: list[int] = []
        self.sizes: list[int] = []

    @property
    def used(self) -> int:
        return int((self.owner >= 0).sum())

    @property
    def first_row(self) -> int:
        """The global row of pool page 0."""
        return self.resident_layers * LAYER_PAGES

    @property
    def nbytes(self) -> int:
        return (self.resident_layers * LAYER_PAGES + self.capacity) * PAGE * 4

    def set_resident(self, runs: list[np.ndarray],
                     dirty: list[list[tuple[int, int]]]) -> tuple[list[int], bool]:
        """Upload the resident runs (only the rows that changed, if they still fit); returns each run's
        base texel and whether the pool's pages were given back (the runs needed more layers)."""
        sizes = [len(r) for r in runs]
        bases, rows = _run_bases(sizes)
        layers = max(1, -(-rows // LAYER_PAGES))
        dropped = False
        # A remake when the runs need more layers, or more rows than a single short layer has.
        if (self.texture is None or layers > self.resident_layers
                or (layers == 1 and rows * PAGE > self.texture.texels)):
            dropped = self.used > 0
            self._make(layers + layers // 4, 0, rows)  # room to grow a quarter without remaking
            changed = [_whole(run, base) for run, base in zip(runs, bases, strict=True)]
        elif sizes != self.sizes:  # the runs moved within their layers: write them whole
            changed = [_whole(run, base) for run, base in zip(runs, bases, strict=True)]
        else:
            changed = [_texture_rows_of(ranges, base) for ranges, base in zip(dirty, bases, strict=True)]
        for run, base, rows in zip(runs, bases, changed, strict=True):
            for first, count in _row_runs(rows):
                self._write_rows(run, base, first, count)
        self.bases, self.sizes = bases, sizes
        return bases, dropped

    def take(self, count: int, protect: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `count` pool pages for new content: free ones, then new ones (growing the texture within
        the budget), then the least recently wanted (stamp < protect). Returns (pages, their evicted
        virtual pages, -1 where the page was free)."""
        usable = min(self.capacity, self.page_limit)  # a layer may hold more than the budget
        free = np.flatnonzero(self.owner[:usable] < 0)
        if len(free) < count and self.capacity < self.page_limit:
            self._grow(min(self.page_limit, max(2 * self.capacity, self.capacity + count - len(free))))
            usable = min(self.capacity, self.page_limit)
            free = np.flatnonzero(self.owner[:usable] < 0)
        pages = free[:count]
        if len(pages) < count:
            old = np.flatnonzero((self.owner[:usable] >= 0) & (self.stamp[:usable] < protect))
            old = old[np.argsort(self.stamp[old], kind="stable")][: count - len(pages)]
            pages = np.concatenate([pages, old])
        evicted = self.owner[pages].copy()
        return pages, evicted

    @property
    def page_limit(self) -> int:
        """The most pool pages: the budget's, and what the values texture may hold after the resident
        layers (GL_MAX_TEXTURE_BUFFER_SIZE)."""
        return min(self.max_pages, max_texels(self.ctx) // PAGE - self.first_row)

    def _grow(self, pages: int) -> None:
        capacity = -(-pages // LAYER_PAGES) * LAYER_PAGES
        capacity = min(capacity, max_texels(self.ctx) // PAGE - self.first_row)  # whole layers but the last
        if capacity > self.capacity:
            self._make(self.resident_layers, capacity, keep=True)

    def _make(self, resident_layers: int, capacity: int, rows: int = LAYER_PAGES, keep: bool = False) -> None:
        """(Re)make the texture; `keep`: with what the old one holds (same resident layers; a copy on the
        GPU, a few times at most), else every pool page is free. Without pool pages and with one layer of
        resident runs needing `rows` rows, the layer is only as tall as a power of two above them (a model
        without weights, or nano, then takes kilobytes, not 16 MB)."""
        rows_made = resident_layers * LAYER_PAGES + capacity
        if resident_layers == 1 and capacity == 0:
            rows_made = min(LAYER_PAGES, max(16, 1 << (max(rows, 1) - 1).bit_length()))
        texture = BufferTexture(self.ctx, rows_made * PAGE, "f4")
        if keep and self.texture is not None:
            texture.copy_from(self.texture, min(self.texture.texels, texture.texels))
            self.owner = np.concatenate([self.owner, np.full(capacity - self.capacity, -1, np.int64)])
            self.stamp = np.concatenate([self.stamp, np.zeros(capacity - self.capacity, np.int64)])
        else:
            self.owner = np.full(capacity, -1, np.int64)
            self.stamp = np.zeros(capacity, np.int64)
        if self.texture is not None:
            self.texture.release()
        self.texture, self.resident_layers, self.capacity = texture, resident_layers, capacity

    def _write_rows(self, run: np.ndarray, base: int, first: int, count: int) -> None:
        """Write global rows first..first+count of the run placed at texel `base` (zero past its end)."""
        self.texture.write(_rows_of(run.astype(np.float32, copy=False), base, first, count), first * PAGE)

    def write_pages(self, pages: np.ndarray, data: np.ndarray) -> None:
        """Write data (k, PAGE) into pool pages (k,), one call per run of consecutive pages."""
        order = np.argsort(pages, kind="stable")
        pages, data = pages[order] + self.first_row, data[order]
        breaks = np.flatnonzero(np.diff(pages) != 1) + 1
        for run in np.split(np.arange(len(pages)), breaks):
            if len(run):
                self.texture.write(data[run[0]: run[-1] + 1], int(pages[run[0]]) * PAGE)

    def write_at(self, row: int, offset: int, values: np.ndarray) -> None:
        """Write values into global row `row` from `offset` on."""
        self.texture.write(values, row * PAGE + offset)

    def release(self) -> None:
        if self.texture is not None:
            self.texture.release()
            self.texture = None
        self.resident_layers = self.capacity = 0
        self.owner = self.owner[:0]
        self.stamp = self.stamp[:0]
        self.sizes = []
