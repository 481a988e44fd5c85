"""Storage orders and coarse levels of values (no GL): every cell has one place, a new token only appends,
interleaved blocks never collide, and each tile holds the value of largest magnitude of its cells."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.render.value_order import (
    COLS,
    ROWS,
    SHELL,
    cell_of,
    read_range,
    stacked_tile_extremes,
    storage_index,
    tile_extremes,
)
from value_probe import brute_tiles  # tests/value_probe.py


@pytest.mark.parametrize("order, shape", [(ROWS, (5, 7)), (COLS, (5, 7)), (SHELL, (6, 6))])
@pytest.mark.parametrize("count", [1, 3])
def test_interleaved_runs_place_every_cell_of_every_block_once(order, shape, count):
    rows, cols = shape
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    places = np.concatenate([storage_index(order, rows, cols, r, c, count, q).ravel() for q in range(count)])
    assert sorted(places.tolist()) == list(range(count * rows * cols))  # no gaps, no collisions
    alone = storage_index(order, rows, cols, r, c)
    back = cell_of(order, rows, cols, alone.ravel())
    np.testing.assert_array_equal(back[0], r.ravel())
    np.testing.assert_array_equal(back[1], c.ravel())


@pytest.mark.parametrize("order, grow", [(COLS, "cols"), (ROWS, "rows"), (SHELL, "both")])
def test_a_new_token_appends_at_the_end_of_every_interleaved_run(order, grow):
    """The cells of position t are exactly the places t_start .. t_end of the group: nothing moves."""
    count, fixed = 3, 4
    for t in range(1, 6):
        rows = t + 1 if grow in ("rows", "both") else fixed
        cols = t + 1 if grow in ("cols", "both") else fixed
        r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        new = (c == t) if grow == "cols" else (r == t) if grow == "rows" else ((r == t) | (c == t))
        before = (~new).sum() * count
        at = np.concatenate([storage_index(order, rows, cols, r[new], c[new], count, q)
                             for q in range(count)])
        assert sorted(at.tolist()) == list(range(before, before + new.sum() * count))


def test_tiles_hold_the_largest_magnitude_with_sign_and_skip_what_is_not_finite():
    rng = np.random.default_rng(0)
    values = rng.standard_normal((37, 50)).astype(np.float32)
    values[3, 4] = -np.inf  # a masked attention score
    values[20:, 32:] = np.nan
    values[0, 0] = -9.0
    grid = tile_extremes(values)
    np.testing.assert_array_equal(np.isnan(grid), np.isnan(brute_tiles(values)))
    np.testing.assert_array_equal(grid[~np.isnan(grid)], brute_tiles(values)[~np.isnan(grid)])
    assert grid[0, 0] == -9.0
    transposed = np.ascontiguousarray(values.T).T  # a transposed view, as wte is drawn
    assert np.array_equal(tile_extremes(transposed), grid, equal_nan=True)


def test_stacked_tiles_of_rectangles_inside_blocks_match_the_whole_blocks():
    rng = np.random.default_rng(1)
    blocks = rng.standard_normal((4, 40, 70)).astype(np.float32)
    r0, c0 = 17, 35  # not on a tile boundary: the rectangles' tiles are the blocks' tiles 1.. and 2..
    rect = blocks[:, r0:, c0:]
    grid = stacked_tile_extremes(rect, r0, c0)
    for k in range(4):
        masked = np.full_like(blocks[k], np.nan)
        masked[r0:, c0:] = rect[k]
        expected = brute_tiles(masked)[r0 // 16:, c0 // 16:]
        assert np.array_equal(grid[k], expected, equal_nan=True)


@pytest.mark.parametrize("rect", [(17, 40, 35, 36), (0, 32, 48, 49), (21, 22, 3, 70), (16, 17, 0, 32)])
def test_stacked_tiles_of_one_new_column_or_row_match_the_whole_blocks(rect):
    """A token's column (or an attention row): the thin rectangles take a path of their own."""
    rng = np.random.default_rng(2)
    blocks = rng.standard_normal((3, 40, 70)).astype(np.float32)
    blocks[1, 20:, 30:] = -np.inf  # masked scores: ignored
    blocks[2, 16:32] = np.nan  # no value
    r0, r1, c0, c1 = rect
    grid = stacked_tile_extremes(blocks[:, r0:r1, c0:c1], r0, c0)
    for k in range(3):
        masked = np.full_like(blocks[k], np.nan)
        masked[r0:r1, c0:c1] = np.where(np.isfinite(blocks[k, r0:r1, c0:c1]), blocks[k, r0:r1, c0:c1], np.nan)
        expected = brute_tiles(masked)[r0 // 16:-(-r1 // 16), c0 // 16:-(-c1 // 16)]
        assert np.array_equal(grid[k], expected, equal_nan=True)


@pytest.mark.parametrize("order", [ROWS, COLS, SHELL])
def test_a_range_of_a_run_reads_those_cells(order):
    values = np.arange(36, dtype=np.float32).reshape(6, 6)
    r, c = cell_of(order, 6, 6, np.arange(36))
    whole = values[r, c]
    for a, b in ((0, 36), (5, 17), (30, 36)):
        got = read_range(order, 6, 6, lambda rows, cols: values[rows[0]:rows[1], cols[0]:cols[1]], a, b)
        np.testing.assert_array_equal(got, whole[a:b])


def test_a_traces_values_read_for_many_blocks_at_once_are_each_blocks_own():
    from glviz.layout.build import build_layout
    from glviz.model.config import GPTConfig
    from glviz.model.trace import Trace
    from glviz.model.weights import random_weights
    from glviz.render.value_sources import TraceSource

    config = GPTConfig(n_layer=2, n_head=3, n_embd=12, vocab_size=40, block_size=16)
    trace = Trace(random_weights(config, seed=1), np.arange(9) % 40, capacity=16)
    trace["layers.0.attn.probs"]  # some values computed, the rest missing
    layout = build_layout(config, n_tokens=9)
    source = TraceSource(trace, view=trace.snapshot())
    together = source.values_of(layout.blocks)
    assert sum(v is not None for v in together) > 10 and any(v is None for v in together)
    for block, value in zip(layout.blocks, together, strict=True):
        alone = source.values(block)
        assert (value is None) == (alone is None), block.name
        if alone is not None:
            assert value.shape == (block.rows, block.cols), block.name
            np.testing.assert_array_equal(value, alone)
