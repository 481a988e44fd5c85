"""Which pages of the pooled blocks are wanted at full resolution from a camera (vectorised numpy, no GL).

A page (PAGE cells of a block's run) is wanted when its cells are at least `min_px` pixels wide on screen
and its box is not outside the view. Only blocks of the chunks already found visible are looked at, and
the page boxes are computed only for blocks that could reach `min_px` at their nearest corner, so the
work follows what is on screen, not the size of the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.render.value_order import COLS, ROWS
from glviz.render.value_store import PAGE

LEVEL0_PX = 0.5  # full cells are drawn (and wanted) from this many pixels a cell; blocks.frag agrees
MAX_PAGES_TESTED = 1 << 18  # a bound on one evaluation's work: the nearest blocks' pages come first


@dataclass
class PagedBlocks:
    """Per block of a layout (N,): what the streamer needs of its pooled values."""

    pages: np.ndarray  # (N,) int64 first page-table entry (store-local), -1 when not pooled
    store: np.ndarray  # (N,) int64 which store
    order: np.ndarray  # (N,) int64 storage order
    filled: np.ndarray  # (N,) int64 cells of its own run that hold values


def _frustum_planes(view_projection: np.ndarray) -> np.ndarray:
    """(4, 6): plane i of the view volume is column i (inside where p @ plane >= 0), row vectors."""
    m = np.asarray(view_projection, dtype=np.float64)
    return np.stack([m[:, 3] + m[:, 0], m[:, 3] - m[:, 0], m[:, 3] + m[:, 1], m[:, 3] - m[:, 1],
                     m[:, 3] + m[:, 2], m[:, 3] - m[:, 2]], axis=1)


def _visible(lo: np.ndarray, hi: np.ndarray, view_projection: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For boxes (K, 3): whether each may be in view, and the smallest clip w over the box (its nearest
    depth; <= 0 where it reaches behind the eye)."""
    m = np.asarray(view_projection, dtype=np.float64)
    centre = np.concatenate([(lo + hi) / 2, np.ones((len(lo), 1))], axis=1)
    half = (hi - lo) / 2
    planes = _frustum_planes(m)
    reach = centre @ planes + half @ np.abs(planes[:3])
    near_w = centre @ m[:, 3] - half @ np.abs(m[:3, 3])
    return ~(reach < 0).any(axis=1), near_w


def wanted_pages(blocks: np.ndarray, paged: PagedBlocks, mins: np.ndarray, maxs: np.ndarray,
                 shapes: np.ndarray, view_projection: np.ndarray, pixel_scale: float,
                 min_px: float = LEVEL0_PX) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(block, page, pixels a cell) of the pages wanted among `blocks`, the most pixels first."""
    empty = np.zeros(0, np.int64)
    blocks = np.asarray(blocks, dtype=np.int64)
    blocks = blocks[(paged.pages[blocks] >= 0) & (paged.filled[blocks] > 0)]
    if not len(blocks):
        return empty, empty, np.zeros(0)
    lo, hi = mins[blocks].astype(np.float64), maxs[blocks].astype(np.float64)
    rows, cols = shapes[blocks, 0], shapes[blocks, 1]
    cell = np.maximum((hi[:, 0] - lo[:, 0]) / cols, (hi[:, 1] - lo[:, 1]) / rows)  # world units a cell
    inside, near_w = _visible(lo, hi, view_projection)
    best_px = np.where(near_w > 0, cell * pixel_scale / np.maximum(near_w, 1e-9), np.inf)
    keep = inside & (best_px >= min_px)
    blocks, lo, hi, rows, cols, cell = blocks[keep], lo[keep], hi[keep], rows[keep], cols[keep], cell[keep]
    if not len(blocks):
        return empty, empty, np.zeros(0)
    n_pages = -(-paged.filled[blocks] // PAGE)
    nearest = np.argsort(-best_px[keep], kind="stable")
    within = nearest[np.cumsum(n_pages[nearest]) <= MAX_PAGES_TESTED]
    if not len(within):
        within = nearest[:1]
    k = np.sort(within)
    blocks, lo, hi, rows, cols, cell, n_pages = blocks[k], lo[k], hi[k], rows[k], cols[k], cell[k], n_pages[k]

    which = np.repeat(np.arange(len(blocks)), n_pages)  # per page: its block's place in these arrays
    page = np.arange(len(which)) - np.repeat(np.cumsum(n_pages) - n_pages, n_pages)
    a = page * PAGE
    b = np.minimum(a + PAGE, paged.filled[blocks][which]) - 1  # the page's last cell
    r, c, order = rows[which], cols[which], paged.order[blocks][which]
    # The page's cells as a rectangle of the block: rows (or columns) a..b, whole lines between.
    line_len = np.where(order == ROWS, c, r)
    first_line, last_line = a // line_len, b // line_len
    one_line = first_line == last_line
    lo_in, hi_in = np.where(one_line, a % line_len, 0), np.where(one_line, b % line_len, line_len - 1)
    r0 = np.where(order == ROWS, first_line, np.where(order == COLS, lo_in, 0))
    r1 = np.where(order == ROWS, last_line, np.where(order == COLS, hi_in, np.sqrt(b).astype(np.int64)))
    c0 = np.where(order == ROWS, lo_in, np.where(order == COLS, first_line, 0))
    c1 = np.where(order == ROWS, hi_in, np.where(order == COLS, last_line, np.sqrt(b).astype(np.int64)))
    size = hi - lo
    cw, ch = size[which, 0] / c, size[which, 1] / r
    page_lo = np.stack([lo[which, 0] + c0 * cw, hi[which, 1] - (r1 + 1) * ch, lo[which, 2]], axis=1)
    page_hi = np.stack([lo[which, 0] + (c1 + 1) * cw, hi[which, 1] - r0 * ch, hi[which, 2]], axis=1)
    inside, near_w = _visible(page_lo, page_hi, view_projection)
    px = np.where(near_w > 0, cell[which] * pixel_scale / np.maximum(near_w, 1e-9), np.inf)
    want = np.flatnonzero(inside & (px >= min_px))
    want = want[np.argsort(-px[want], kind="stable")]
    return blocks[which[want]], page[want], px[want]
