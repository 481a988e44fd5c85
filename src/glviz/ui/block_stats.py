"""A block's statistics for the hover's panel: min, max, mean, std and a histogram of the values it
describes (an attention block's masked cells left out), computed in pieces. No imgui, no GL."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glviz.i18n import tr, tr_count
from glviz.layout.blocks import Block

HISTOGRAM_BINS = 32
STATS_CHUNK = 1 << 20  # values per piece: the statistics of a big block take no copy of it in float64


@dataclass
class BlockStats:
    """Summary of one block's values, with a histogram (counts over HISTOGRAM_BINS equal bins)."""

    count: int
    min: float
    max: float
    mean: float
    std: float
    counts: np.ndarray  # (bins,) float64 (implot plots float64)
    centres: np.ndarray  # (bins,) float64, bin centres
    bin_width: float
    finite: int = -1  # how many values the statistics describe (min … histogram); -1: all of them

    @property
    def count_text(self) -> str:
        """"121 values", or "66 values (55 masked)" when the statistics leave the masked cells out."""
        finite = self.count if self.finite < 0 else self.finite
        if finite == self.count:
            return tr_count("hover.values", self.count, n=f"{self.count:,}")  # a one-token prompt: 1 value
        return tr("hover.unmasked_values", kept=f"{finite:,}", masked=f"{self.count - finite:,}")

    @property
    def shares(self) -> np.ndarray:
        """The histogram as percentages of the values it counts (bins,): the panel's bars ("10%" reads at
        a glance where a count of a GPT-2 block's values would be written "4e+06")."""
        return self.counts * (100.0 / max(float(self.counts.sum()), 1.0))


def _pieces(values: np.ndarray):
    """`values` in pieces of about STATS_CHUNK values (views along the first axis, whatever the strides)."""
    values = np.asarray(values)
    if values.ndim == 0:
        values = values.reshape(1)
    if not values.flags.c_contiguous and values.T.flags.c_contiguous:
        values = values.T  # a transposed view (the token embedding as drawn): pieces along its memory
    per_row = max(1, values.size // max(len(values), 1))
    step = max(1, STATS_CHUNK // per_row)
    for start in range(0, len(values), step):
        yield values[start:start + step]


def unmasked(block: Block, values: np.ndarray) -> np.ndarray:
    """`values` as the statistics take them: an attention probabilities block's masked cells (a key after
    its query: 0 by the mask, not by the softmax) as NaN, left out as the scores' −∞ are; a copy then.
    Rows are queries and columns keys, head after head where a block stacks heads."""
    if block.role != "attn.probs":
        return values
    kept = np.array(values, dtype=np.float32)  # (rows, T)
    T = kept.shape[1]
    query = np.arange(kept.shape[0]) % T
    kept[np.arange(T)[None, :] > query[:, None]] = np.nan
    return kept


def block_stats(values: np.ndarray, bins: int = HISTOGRAM_BINS) -> BlockStats:
    """min, max, mean, std and a histogram of the finite values (masked attention scores are −∞; masked
    probabilities NaN, from `unmasked`).

    Two passes over the block in pieces (sums in float64): GPT-2's token embedding (38.6 M values) took
    seconds and 300 MB as one float64 copy."""
    count = int(np.asarray(values).size)
    finite, total, lo, hi = 0, 0.0, math.inf, -math.inf
    pieces = []  # (piece, whether all of it is finite)
    for piece in _pieces(values) if count else ():
        p_lo, p_hi = piece.min(), piece.max()
        whole = bool(np.isfinite(p_lo) and np.isfinite(p_hi))  # a NaN or an infinity shows in min or max
        kept = piece if whole else piece[np.isfinite(piece)]
        pieces.append((piece, whole))
        if kept.size:
            finite += int(kept.size)
            total += float(np.add.reduce(kept, axis=None, dtype=np.float64))
            lo, hi = min(lo, float(kept.min())), max(hi, float(kept.max()))
    if finite == 0:
        empty = np.zeros(bins)
        return BlockStats(count, math.nan, math.nan, math.nan, math.nan, empty, empty, 1.0, 0)
    mean = total / finite
    top = hi if hi > lo else lo + 1e-6
    counts, squares = np.zeros(bins, dtype=np.int64), 0.0
    for piece, whole in pieces:
        kept = (piece if whole else piece[np.isfinite(piece)]).astype(np.float64).ravel()
        kept -= lo
        bin_of = kept * (bins / (top - lo))  # equal bins over [lo, top], the last one closed
        counts += np.bincount(np.minimum(bin_of.astype(np.int64), bins - 1), minlength=bins)
        kept -= mean - lo  # centred on the mean
        squares += float(np.dot(kept, kept))
    edges = np.linspace(lo, top, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    return BlockStats(count, lo, hi, mean, math.sqrt(squares / finite), counts.astype(np.float64), centres,
                      float(edges[1] - edges[0]), finite)
