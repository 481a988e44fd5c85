"""ranges_within (no GL): the parts of visible instance ranges inside the chunks that hold decorated blocks,
against the plain loop over ranges times chunks it replaces, on random cases."""

from __future__ import annotations

import numpy as np

from glviz.render.chunks import chunk_starts, ranges_within


def loop_over_spans(ranges, starts, ends, n):
    out = []
    for first, count in ranges:
        if first >= n:  # slabs, whole
            out.append((first, count))
            continue
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            a, b = max(first, lo), min(first + count, hi)
            if a < b:
                out.append((a, b - a))
    return out


def test_matches_the_loop_over_ranges_and_chunks():
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(1, 400))
        all_starts = chunk_starts(n, int(rng.integers(1, 40)))
        all_ends = np.append(all_starts[1:], n)
        chunks = np.flatnonzero(rng.random(len(all_starts)) < 0.4)
        starts, ends = all_starts[chunks], all_ends[chunks]
        ranges = []
        for _ in range(int(rng.integers(0, 12))):  # visible runs, in any order, and a slab now and then
            if rng.random() < 0.15:
                ranges.append((n + int(rng.integers(0, 5)), int(rng.integers(1, 3))))
            else:
                first = int(rng.integers(0, n))
                ranges.append((first, int(rng.integers(1, n - first + 1))))
        assert ranges_within(ranges, starts, ends, n) == loop_over_spans(ranges, starts, ends, n)


def test_a_range_across_chunks_is_cut_at_their_edges():
    starts, ends = np.array([0, 10, 30]), np.array([10, 20, 40])  # chunks 0, 1 and 3 of four
    assert ranges_within([(5, 30), (45, 2)], starts, ends, 40) == [(5, 5), (10, 10), (30, 5), (45, 2)]
