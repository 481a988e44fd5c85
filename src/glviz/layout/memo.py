"""Per-layout memoisation of facts derived from a layout (no GL): several callers ask for the same ones, and
finding them costs a pass over every block (76k for GPT-3). Facts about which blocks are which (names,
labels, dims, heads: not where they are nor their token count) are kept per structure, shared by the layouts
of one model at every T (the app makes one per new token)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import numpy as np

LAYOUTS = 8  # layouts remembered per function: one per model the app shows, and a few more
T = TypeVar("T")


def _frozen(value):
    """`value` with its arrays (or the arrays of a tuple) made read-only."""
    for array in value if isinstance(value, tuple) else (value,):
        if isinstance(array, np.ndarray):
            array.setflags(write=False)
    return value


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
            hit = cache[id(layout)] = (layout, _frozen(function(layout)))
        return hit[1]

    return cached



class _Structure:
    """A hashable name for what a layout's blocks are, its hash computed once (a tuple of thousands of
    entries would be hashed again at every lookup)."""

    __slots__ = ("items", "hash")

    def __init__(self, items: tuple) -> None:
        self.items, self.hash = items, hash(items)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other) -> bool:
        return self is other or (isinstance(other, _Structure) and self.hash == other.hash
                                 and self.items == other.items)


_CANONICAL: dict[_Structure, _Structure] = {}  # one object per structure: later lookups compare by identity


@per_layout
def structure(layout) -> _Structure:
    """What the blocks of `layout` are, without where they are or their size: equal for the layouts of one
    model at any T. build_layout names it by the model (`layout.structure`); other layouts by their
    blocks' names, labels, kinds, dims, shapes, layers, heads, roles and stacks."""
    items = getattr(layout, "structure", None)
    if items is None:
        items = tuple([(b.name, b.label, int(b.kind), b.dims, b.rows, b.cols, b.layer, b.head, b.role,
                        b.stack) for b in layout.blocks])
    key = _Structure(items)
    if key not in _CANONICAL and len(_CANONICAL) >= LAYOUTS:
        _CANONICAL.pop(next(iter(_CANONICAL)))
    return _CANONICAL.setdefault(key, key)


def per_structure(function: Callable[[object], T]) -> Callable[[object], T]:
    """Memoise `function(layout)`, which reads only what `structure` holds, by the layout's structure; array
    results are made read-only, as every caller shares them."""
    cache: dict[_Structure, T] = {}

    @functools.wraps(function)
    def cached(layout) -> T:
        key = structure(layout)
        value = cache.get(key)
        if value is None:
            if len(cache) >= LAYOUTS:
                cache.pop(next(iter(cache)))
            value = cache[key] = _frozen(function(layout))
        return value

    return cached
