"""The GL side of the value stores: the resident texture, the page table and the pool of pages.

- resident (R32F, 4096 wide): every store's resident run (small blocks' cells, coarse levels), one after
  the other from whole texture rows; rewritten where the stores changed.
- pages (R32I, 4096 wide): every store's page table the same way: per page of a pooled block, its pool page.
- pool (R32F texture array, PAGE x LAYER_PAGES x layers): pages of PAGE cells, one per texture row, given to
  the pages wanted and taken back least recently wanted first, within a budget of pages. It grows by layers
  as needed (software GL commits a texture's memory when it is made, so it is never made bigger than used).
"""

from __future__ import annotations

import numpy as np

from glviz.render.chunks import ATLAS_WIDTH, texture_rows
from glviz.render.value_store import PAGE

LAYER_PAGES = 1024  # pool pages per texture layer (16 MB)


def _texture_rows_of(ranges: list[tuple[int, int]], base: int) -> np.ndarray:
    """The texture rows that ranges of a run placed at `base` touch (sorted, unique)."""
    if not ranges:
        return np.zeros(0, np.int64)
    spans = np.array(ranges, dtype=np.int64) + base  # (k, 2)
    first, last = spans[:, 0] // ATLAS_WIDTH, (spans[:, 1] - 1) // ATLAS_WIDTH
    count = np.maximum(last - first + 1, 0)
    rows = np.repeat(first, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    return np.unique(rows)


def _row_runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """Runs (first, count) of consecutive numbers in a sorted array."""
    if not len(rows):
        return []
    breaks = np.flatnonzero(np.diff(rows) > 1)
    firsts = rows[np.concatenate([[0], breaks + 1])]
    lasts = rows[np.concatenate([breaks, [len(rows) - 1]])]
    return [(int(a), int(b - a + 1)) for a, b in zip(firsts, lasts, strict=True)]


class RunTexture:
    """Several flat runs (numpy arrays) side by side in one ATLAS_WIDTH-wide single-channel texture, each
    from a whole row; re-made when the runs no longer fit, else only the rows that changed are written."""

    def __init__(self, ctx, dtype: str) -> None:
        self.ctx = ctx
        self.dtype = dtype
        self.texture = None
        self.bases: list[int] = []
        self.sizes: list[int] = []

    def sync(self, runs: list[np.ndarray], dirty: list[list[tuple[int, int]]]) -> list[int]:
        """Upload what changed; returns each run's base (first texel)."""
        sizes = [len(r) for r in runs]
        bases, at = [], 0
        for size in sizes:
            bases.append(at)
            at += texture_rows(size) * ATLAS_WIDTH if size else 0
        rows = texture_rows(max(at, 1))
        if self.texture is None or self.texture.height < rows or sizes != self.sizes:
            self._remake(runs, bases, rows)
        else:
            for run, base, ranges in zip(runs, bases, dirty, strict=True):
                for first, count in _row_runs(_texture_rows_of(ranges, base)):
                    self._write_rows(run, base, first, count)
        self.bases, self.sizes = bases, sizes
        return bases

    def _remake(self, runs, bases, rows) -> None:
        if self.texture is None or self.texture.height < rows:
            if self.texture is not None:
                self.texture.release()
            height = texture_rows(int(rows * 1.25) * ATLAS_WIDTH)  # room to grow without remaking
            height = min(height, int(self.ctx.info.get("GL_MAX_TEXTURE_SIZE", 16384)))
            self.texture = self.ctx.texture((ATLAS_WIDTH, max(height, rows)), 1, dtype=self.dtype)
            self.texture.filter = (self.ctx.NEAREST, self.ctx.NEAREST)
        for run, base in zip(runs, bases, strict=True):
            if len(run):
                self._write_rows(run, base, base // ATLAS_WIDTH, texture_rows(len(run)))

    def _write_rows(self, run: np.ndarray, base: int, first: int, count: int) -> None:
        """Write texture rows first..first+count of the run placed at `base` (zero past its end)."""
        a = first * ATLAS_WIDTH - base
        out = np.zeros(count * ATLAS_WIDTH, dtype=run.dtype)
        piece = run[max(a, 0): a + len(out)]
        out[max(-a, 0): max(-a, 0) + len(piece)] = piece
        self.texture.write(out.tobytes(), viewport=(0, first, ATLAS_WIDTH, count))

    def release(self) -> None:
        if self.texture is not None:
            self.texture.release()
            self.texture = None
        self.sizes = []


class PagePool:
    """Pages of the pool texture: which virtual page (global page-table index) each holds, and when it was
    last wanted; at most `max_pages`."""

    def __init__(self, ctx, max_pages: int) -> None:
        self.ctx = ctx
        self.max_pages = max(0, int(max_pages))
        self.texture = ctx.texture_array((1, 1, 1), 1, dtype="f4")  # a stand-in until pages are needed
        self.capacity = 0
        self.owner = np.zeros(0, np.int64)  # per pool page: its virtual page, -1 when free
        self.stamp = np.zeros(0, np.int64)  # per pool page: the last evaluation that wanted it

    @property
    def used(self) -> int:
        return int((self.owner >= 0).sum())

    def take(self, count: int, protect: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to `count` pool pages for new content: free ones, then new ones (growing the texture within
        the budget), then the least recently wanted (stamp < protect). Returns (pages, their evicted
        virtual pages, -1 where the page was free)."""
        usable = min(self.capacity, self.max_pages)  # a texture layer may hold more than the budget
        free = np.flatnonzero(self.owner[:usable] < 0)
        if len(free) < count and self.capacity < self.max_pages:
            self._grow(min(self.max_pages, max(2 * self.capacity, self.capacity + count - len(free))))
            usable = min(self.capacity, self.max_pages)
            free = np.flatnonzero(self.owner[:usable] < 0)
        pages = free[:count]
        if len(pages) < count:
            old = np.flatnonzero((self.owner[:usable] >= 0) & (self.stamp[:usable] < protect))
            old = old[np.argsort(self.stamp[old], kind="stable")][: count - len(pages)]
            pages = np.concatenate([pages, old])
        evicted = self.owner[pages].copy()
        return pages, evicted

    def _grow(self, pages: int) -> None:
        layers = -(-pages // LAYER_PAGES)
        capacity = layers * LAYER_PAGES
        if capacity <= self.capacity:
            return
        texture = self.ctx.texture_array((PAGE, LAYER_PAGES, layers), 1, dtype="f4")
        texture.filter = (self.ctx.NEAREST, self.ctx.NEAREST)
        if self.capacity:  # keep what the old layers hold (a read-back: this happens a few times at most)
            old_layers = self.capacity // LAYER_PAGES
            texture.write(self.texture.read(), viewport=(0, 0, 0, PAGE, LAYER_PAGES, old_layers))
        self.texture.release()
        self.texture = texture
        self.owner = np.concatenate([self.owner, np.full(capacity - self.capacity, -1, np.int64)])
        self.stamp = np.concatenate([self.stamp, np.zeros(capacity - self.capacity, np.int64)])
        self.capacity = capacity

    def write_pages(self, pages: np.ndarray, data: np.ndarray) -> None:
        """Write data (k, PAGE) into pool pages (k,), one call per run of consecutive pages in a layer."""
        order = np.argsort(pages, kind="stable")
        pages, data = pages[order], data[order]
        breaks = np.flatnonzero((np.diff(pages) != 1) | (np.diff(pages // LAYER_PAGES) != 0)) + 1
        for run in np.split(np.arange(len(pages)), breaks):
            if not len(run):
                continue
            first = int(pages[run[0]])
            self.texture.write(np.ascontiguousarray(data[run]).tobytes(),
                               viewport=(0, first % LAYER_PAGES, first // LAYER_PAGES, PAGE, len(run), 1))

    def write_at(self, page: int, offset: int, values: np.ndarray) -> None:
        """Write values into one pool page from `offset` on."""
        self.texture.write(np.ascontiguousarray(values, dtype=np.float32).tobytes(),
                           viewport=(offset, page % LAYER_PAGES, page // LAYER_PAGES, len(values), 1, 1))

    def release(self) -> None:
        self.texture.release()
        self.capacity = 0
        self.owner = self.owner[:0]
        self.stamp = self.stamp[:0]
