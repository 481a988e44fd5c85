"""Cell values on the GPU: one R32F atlas, each block with values a contiguous run of texels.

Cell (r, c) of a block is at offset + r * cols + c. Blocks are placed smallest first until the budget is
spent (so for huge checkpoints the largest matrices show their kind colour only); each block also gets the
|value| that maps to full colour (its scale) and its mean, for the colour seen from afar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.render.chunks import ATLAS_WIDTH, texture_rows

MAX_VALUE_TEXELS = 64 * 2**20  # 256 MB of float32
ROBUST_SCALE_CELLS = 256  # above this many cells a block's colour scale is the 99.5th percentile of |v|
SCALE_SAMPLE = 1 << 20  # cells sampled for that percentile


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


@dataclass
class ValueAtlas:
    """The packed values (flat float32, whole texture rows) and, per block, where they start (-1: none),
    1 / colour scale and mean / scale."""

    data: np.ndarray
    offsets: np.ndarray  # (N,) int32
    inv_scale: np.ndarray  # (N,) float32
    mean: np.ndarray  # (N,) float32
    texels: int  # values stored


def pack_values(n_blocks: int, sizes: dict[int, int], read, max_texels: int) -> ValueAtlas:
    """Place the blocks `sizes` names (index -> cells) smallest first within `max_texels` and copy
    `read(index)` ((rows, cols) values) of each into the atlas, one block at a time (a big checkpoint never
    has all of its tensors copied at once). Blocks whose values cannot be read keep offset -1."""
    offsets = np.full(n_blocks, -1, dtype=np.int32)
    inv_scale = np.zeros(n_blocks, dtype=np.float32)
    mean = np.zeros(n_blocks, dtype=np.float32)
    planned, total = [], 0
    for index in sorted(sizes, key=sizes.__getitem__):  # smallest first: most blocks fit
        if total + sizes[index] <= max_texels:
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
        offsets[index] = offset
        inv_scale[index] = 1.0 / scale
        finite = values[np.isfinite(values)]
        mean[index] = float(finite.mean()) / scale if finite.size else 0.0
        used = max(used, offset + values.size)
        texels += values.size
    return ValueAtlas(atlas[: texture_rows(used) * ATLAS_WIDTH] if used else atlas[:0], offsets, inv_scale,
                      mean, texels)
