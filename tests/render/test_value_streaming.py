"""Values as a trace grows and as the view moves, on a real EGL context: a trace that grows by a token
uploads only the new column; streaming keeps to its budgets, and looks for the pages a moving view wants
every few frames and at once when it stops; a nano trace fills every block."""

from __future__ import annotations

import numpy as np

from glviz.layout.blocks import Kind, block_values
from glviz.layout.build import build_layout
from glviz.model.config import PRESETS, GPTConfig
from glviz.render.camera import OrbitCamera, Pose, fit_pose
from glviz.render.palette import VALUE_POSITIVE, VALUE_ZERO
from glviz.render.values import LOOK_EVERY
from value_probe import PAGE, brute_tiles, gpu_cells, run_index

from .value_views import (
    ROWS,
    SIZE,
    close_to_corner,
    draw,
    gpu_tiles,
    kind_light,
    pixel_of,
    rgb,
    same,
    show_big_block,
    tile_index,
    weight_layout,
)

OFFSCREEN_SIZE = SIZE  # the size of the offscreen fixture's renderer (conftest)


def small_config() -> GPTConfig:
    """A model whose logits (2048 x T) are big enough to be streamed through the pool."""
    return GPTConfig(n_layer=1, n_head=2, n_embd=32, vocab_size=2048, block_size=64)


def test_a_new_token_uploads_only_its_new_column(offscreen):
    from glviz.model.forward import Trace
    from glviz.model.weights import random_weights

    config = small_config()
    weights = random_weights(config, seed=0, std=0.3)
    tokens = np.random.default_rng(0).integers(0, config.vocab_size, 12)
    trace = Trace(weights, tokens[:9], capacity=config.block_size)
    trace.full()
    frame = offscreen.frame
    frame.set_layout(build_layout(config, n_tokens=9))
    frame.set_weights(weights)
    frame.set_trace(trace)
    logits = frame.layout.by_name["logits"]
    lo, hi = frame.layout.mins[logits], frame.layout.maxs[logits]
    camera = OrbitCamera(fit_pose(np.array([lo[0], hi[1] - 40, lo[2]]), hi, aspect=SIZE[0] / SIZE[1]))
    draw(offscreen, frame.layout, camera)  # the top of the logits streams into the pool (2048 x 9 cells: the
    # last page is half full, and position 9's column goes there)
    assert frame.blocks.levels.pool.used > 0
    weights_store, packed = frame.blocks.levels.stores[0], frame.blocks.levels.stores[0].packed
    before = np.frombuffer(frame.blocks.levels.pool.texture.read(), np.float32).copy()
    pool_from = frame.blocks.levels.pool.first_row * PAGE  # resident runs before it, pool pages after

    trace.append(tokens[9:10])
    frame.set_layout(build_layout(config, n_tokens=10))  # the app rebuilds the layout for T + 1
    frame.trace_grew(trace)
    layout = frame.layout
    assert frame.blocks.levels.stores[0] is weights_store and weights_store.packed == packed  # weights stay

    after = np.frombuffer(frame.blocks.levels.pool.texture.read(), np.float32)
    assert len(after) == len(before) and frame.blocks.levels.pool.first_row * PAGE == pool_from
    # Every texel that may change: the cells of position 9 (a new column; attention: a new row and
    # column) and the tiles holding them.
    allowed_resident, allowed_pool = set(), set()
    info = frame.blocks.levels.info
    table = np.frombuffer(frame.blocks.levels.table.texture.read(), np.int32)
    for block in layout.blocks:
        if block.kind == Kind.WEIGHT or info.lines[block.index] == 0:
            continue
        rows, cols = block.rows, block.cols
        new = np.zeros((rows, cols), bool)
        if block.dims[1] == "T":
            new[:, 9] = True
        if block.dims[0] == "T":
            new[9, :] = True
        r, c = np.nonzero(new)
        order = int(info.order[block.index])
        if info.l0[block.index] >= 0:
            i = run_index(order, rows, cols, r, c, int(info.count[block.index]), int(info.place[block.index]))
            allowed_resident.update((info.l0[block.index] + i).tolist())
        else:
            i = run_index(order, rows, cols, r, c)
            pages = table[info.pages[block.index] + i // PAGE]
            allowed_pool.update((pages[pages >= 0] * PAGE + i[pages >= 0] % PAGE).tolist())
        for level, offset in enumerate((info.l1[block.index], info.l2[block.index]), start=1):
            if offset >= 0:
                size = 16 ** level
                tiles = np.unique(np.stack([r // size, c // size], axis=1), axis=0)
                at = tile_index(frame, block.index, level, tiles[:, 0], tiles[:, 1])
                allowed_resident.update(at.tolist())
    changed = np.flatnonzero((before != after) & ~(np.isnan(before) & np.isnan(after)))
    changed_resident = set(changed[changed < pool_from].tolist())
    changed_pool = set(changed[changed >= pool_from].tolist())
    assert changed_resident and changed_resident <= allowed_resident
    assert changed_pool and changed_pool <= allowed_pool
    # And what the GPU holds is the grown trace's values: in every block (a new column, row, or attention
    # row and column, written group by group).
    shown = [b for b in layout.blocks if b.kind != Kind.WEIGHT and info.lines[b.index] > 0]
    names = {b.name for b in shown}
    assert {"layers.0.mlp.fc", "layers.0.attn.h1.scores", "logits", "layers.0.ln1.mean"} <= names
    for block in shown:
        name = block.name
        got, expected = gpu_cells(frame, block.index), np.asarray(block_values(block, trace), np.float32)
        present = ~np.isnan(got)
        assert present[:, 9].any() if block.dims[1] == "T" else present[9].any(), name
        np.testing.assert_array_equal(got[present], expected[present], err_msg=name)
        if info.l1[block.index] >= 0:
            assert same(gpu_tiles(frame, block.index, 1), brute_tiles(expected, 16)), name


def test_streaming_keeps_to_its_budgets_and_far_blocks_keep_their_tiles(offscreen):
    shape = (64, 8192)  # 128 pages each
    layout = weight_layout(shape, shape)
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)
    frame = offscreen.frame
    levels = frame.blocks.levels
    levels.set_budget(memory_bytes=levels.fixed_bytes() + 40 * PAGE * 4, upload_texels=8 * PAGE)
    frame.set_layout(layout)
    frame.set_weights({"w0": a, "w1": b})
    levels.set_budget(memory_bytes=levels.fixed_bytes() + 40 * PAGE * 4, upload_texels=8 * PAGE)

    def close_on(index: int) -> OrbitCamera:
        """1.25 pixels a cell, 256 columns of the block's 64 rows in view: a page is half a row (4096
        cells), so 64 pages are wanted, more than the pool's 40."""
        lo, hi = layout.mins[index], layout.maxs[index]
        camera = OrbitCamera(Pose((lo[0] + 2000.0, (lo[1] + hi[1]) / 2, hi[2]), 0.0, 0.0, 1.0))
        camera.distance = SIZE[1] / 2 / np.tan(np.radians(camera.fov_y) / 2) / 1.25
        return camera

    used = []
    for _ in range(3):  # a frame uploads at most 8 pages
        draw(offscreen, layout, close_on(0), settle=False)
        used.append(levels.pool.used)
    assert used == [8, 16, 24]
    draw(offscreen, layout, close_on(0))  # settled: as many of its pages as the budget holds
    assert levels.pool.used == 40
    assert (gpu_cells(frame, 0)[~np.isnan(gpu_cells(frame, 0))] == a[~np.isnan(gpu_cells(frame, 0))]).all()
    draw(offscreen, layout, close_on(1))
    assert levels.pool.used == 40
    assert np.isnan(gpu_cells(frame, 0)).all()  # the first block's pages were given back
    assert (~np.isnan(gpu_cells(frame, 1))).sum() == 40 * PAGE
    # Seen from afar again, the first block shows its tiles' values, not its kind colour.
    camera = OrbitCamera(Pose(tuple((layout.mins[0] + layout.maxs[0]) / 2), 0.0, 0.0, 20000.0))
    image = draw(offscreen, layout, camera)
    r, c = pixel_of(camera, (layout.mins[0] + layout.maxs[0]) / 2 + np.array([0, 0, 0.5]))
    assert np.abs(image[r, c] - kind_light(0)).max() > 40



def panned(rows: float) -> OrbitCamera:
    """close_to_corner moved `rows` rows down the block (new pages come into view: a page is 1.3 rows)."""
    camera = close_to_corner()
    camera.target = camera.target - np.array([0.0, rows, 0.0])
    return camera


def test_a_moving_view_looks_for_pages_every_few_frames_and_at_once_when_it_stops(offscreen):
    layout, values = show_big_block(offscreen)
    levels = offscreen.frame.blocks.levels
    draw(offscreen, layout, panned(0.0))  # settled: every page of this view there
    looks = levels._evaluation
    moving_frames = 2 * LOOK_EVERY + 1
    for step in range(1, moving_frames + 1):
        draw(offscreen, layout, panned(3.0 * step), settle=False)
    assert levels._evaluation - looks == moving_frames // LOOK_EVERY
    assert offscreen.frame.values_pending  # the last frames' views were not looked at: a window draws on

    still = panned(3.0 * moving_frames)
    draw(offscreen, layout, still, settle=False)  # the view held still: looked for at once
    assert levels._evaluation - looks == moving_frames // LOOK_EVERY + 1
    assert not offscreen.frame.values_pending  # all it wanted came in that frame (within the budget)
    image = draw(offscreen, layout, still, settle=False)
    top = int(3.0 * moving_frames)  # the first row of the block in view
    seen = 0
    for row in range(top, top + 25):
        for col in range(40):
            r, c = pixel_of(still, (col + 0.5, ROWS - row - 0.5, 1.0))
            if not (0 <= r < SIZE[1] and 0 <= c < SIZE[0]):
                continue
            expected = VALUE_POSITIVE if values[row, col] == 1.0 else VALUE_ZERO
            np.testing.assert_allclose(image[r, c], rgb(expected), atol=12, err_msg=f"cell {row, col}")
            seen += 1
    assert seen > 500


def test_a_nano_trace_fills_every_block(offscreen):
    """upload_trace (the callers' one call) shows every block of nano: weights and activations, all cells
    resident, each as its block's values."""
    from glviz.model.forward import Trace
    from glviz.model.weights import random_weights

    weights = random_weights(PRESETS["nano"], seed=0, std=0.5)
    trace = Trace(weights, np.array([2, 1, 0, 1, 1, 2, 0, 1, 1, 2, 2]))
    layout = build_layout(PRESETS["nano"], n_tokens=trace.T)
    frame = offscreen.frame
    frame.set_layout(layout)
    assert frame.upload_trace(trace) >= int(layout.shapes.prod(axis=1).sum())
    info = frame.blocks.levels.info
    assert info.present.all() and (info.l0 >= 0).all()
    for block in layout.blocks:
        np.testing.assert_array_equal(gpu_cells(frame, block.index), block_values(block, trace),
                                      err_msg=block.name)
