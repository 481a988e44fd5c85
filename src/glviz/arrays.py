"""Small array helpers shared by the scene, the renderer and the tour."""

from __future__ import annotations

import numpy as np


def unique(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an array (flattened), as np.unique gives them. np.unique's first call
    imports numpy's masked arrays (15 - 20 ms, on the app's way to its first frame) to check its argument is
    not one; this never does."""
    flat = np.sort(np.ravel(values))
    if flat.size < 2:
        return flat
    keep = np.empty(flat.size, dtype=bool)
    keep[0] = True
    np.not_equal(flat[1:], flat[:-1], out=keep[1:])
    return flat[keep]
