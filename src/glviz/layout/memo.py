"""Per-layout memoisation of facts derived from a layout (no GL): several callers ask for the same ones, and
finding them costs a pass over every block (76k for GPT-3)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import numpy as np

LAYOUTS = 8  # layouts remembered per function: one per model the app shows, and a few more
T = TypeVar("T")


def per_layout(function: Callable[[object], T]) -> Callable[[object], T]:
    """Memoise `function(layout)` by the layout's identity; array results are made read-only, as every
    caller shares them."""
    cache: dict[int, tuple[object, T]] = {}

    @functools.wraps(function)
    def cached(layout) -> T:
        hit = cache.get(id(layout))
        if hit is None or hit[0] is not layout:  # a new layout, or another one at a freed one's address
            if len(cache) >= LAYOUTS:
                cache.pop(next(iter(cache)))  # the oldest
            value = function(layout)
            for array in value if isinstance(value, tuple) else (value,):
                if isinstance(array, np.ndarray):
                    array.setflags(write=False)
            hit = cache[id(layout)] = (layout, value)
        return hit[1]

    return cached
