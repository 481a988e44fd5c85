"""Values at levels of detail on a real EGL context: a GPT-2-shaped weight block shows value colours from afar
(its tiles' values) and close up (its cells); the coarse levels hold each tile's value of largest magnitude;
a trace that grows by a token uploads only the new column; streaming keeps to its budgets, and looks for
the pages a moving view wants every few frames and at once when it stops."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.layout.blocks import Block, Kind, Layout, block_values
from glviz.layout.build import build_layout
from glviz.model.config import PRESETS, GPTConfig
from glviz.render.camera import OrbitCamera, Pose, fit_pose
from glviz.render.palette import KIND_COLORS, VALUE_NEGATIVE, VALUE_POSITIVE, VALUE_ZERO
from glviz.render.values import LOOK_EVERY
from glviz.scene import SceneState
from value_probe import PAGE, brute_tiles, gpu_cells, run_index

SIZE = (320, 200)


@pytest.fixture
def offscreen(gl_ctx):
    from glviz.render.offscreen import OffscreenRenderer

    renderer = OffscreenRenderer(SIZE, ctx=gl_ctx)
    yield renderer
    renderer.frame.release()
    renderer.release()
    assert gl_ctx.error == "GL_NO_ERROR"


def tile_index(frame, index: int, level: int, r, c):
    """Resident-texture index of tiles (r, c) of `level` of block `index`."""
    info = frame.blocks.levels.info
    size = 16 ** level
    rows, cols = (-(-int(v) // size) for v in frame.layout.shapes[index])
    offset = (info.l1, info.l2)[level - 1][index]
    assert offset >= 0
    return offset + run_index(int(info.order[index]), rows, cols, r, c, int(info.count[index]),
                              int(info.place[index]))


def gpu_tiles(frame, index: int, level: int) -> np.ndarray:
    """Level 1 (16 x 16 tiles) or 2 (256 x 256) of block `index` as the resident texture holds it."""
    size = 16 ** level
    rows, cols = (-(-int(v) // size) for v in frame.layout.shapes[index])
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    resident = np.frombuffer(frame.blocks.levels.pool.texture.read(), np.float32)
    return resident[tile_index(frame, index, level, r, c)]


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal, NaN matching NaN."""
    return a.shape == b.shape and bool(np.array_equal(np.nan_to_num(a, nan=1e30), np.nan_to_num(b, nan=1e30)))


# --- a real-shaped GPT-2 weight block ---------------------------------------------------------------------

ROWS, COLS = 768, 3072  # GPT-2 small's MLP projection, as drawn (out rows x in columns)


def structured_weights(seed: int = 0) -> np.ndarray:
    """Small noise, and in every 16 x 16 tile two strong cells (so that 1 is the colour scale: more than
    0.5% of the cells): +1 in the left half, -1 in the right half."""
    rng = np.random.default_rng(seed)
    w = rng.uniform(-0.01, 0.01, (ROWS, COLS)).astype(np.float32)
    tr, tc = np.meshgrid(np.arange(ROWS // 16), np.arange(COLS // 16), indexing="ij")
    for _ in range(2):
        r = tr * 16 + rng.integers(0, 16, tr.shape)
        c = tc * 16 + rng.integers(0, 16, tc.shape)
        w[r, c] = np.where(c < COLS // 2, 1.0, -1.0)
    return w


def weight_layout(*shapes: tuple[int, int]) -> Layout:
    """Weight blocks named w0, w1, ... side by side, one cell one world unit."""
    blocks, x = [], 0.0
    for k, (rows, cols) in enumerate(shapes):
        blocks.append(Block(f"w{k}", f"W{k}", Kind.WEIGHT, rows, cols, ("C", "4C"), (x, 0.0, 0.0),
                            (float(cols), float(rows), 1.0), f"w{k}"))
        x += cols + 64
    return Layout(PRESETS["nano"], blocks).finish()


def pixel_of(camera: OrbitCamera, point) -> tuple[int, int]:
    """(row, col) in a read-back image of a world point."""
    w, h = SIZE
    view_projection = camera.view_projection(w / h).astype(np.float64)
    clip = np.append(np.asarray(point, dtype=np.float64), 1.0) @ view_projection
    return int((1 - clip[1] / clip[3]) / 2 * h), int((clip[0] / clip[3] + 1) / 2 * w)


def draw(offscreen, layout: Layout, camera: OrbitCamera, settle: bool = True) -> np.ndarray:
    scene = SceneState(layout)
    scene.show_labels = False
    return offscreen.render(scene, camera, settle=settle).astype(int)


def rgb(colour) -> np.ndarray:
    return np.round(np.asarray(colour) * 255)


def kind_light(kind: int) -> np.ndarray:
    """A cell without a value: its kind colour mixed halfway with white."""
    return rgb(0.5 * np.asarray(KIND_COLORS[kind]) + 0.5)


def close_to_corner() -> OrbitCamera:
    """About 8 pixels a cell, around the top-left corner of the big block (weight_layout((ROWS, COLS)))."""
    lo = np.array([0.0, ROWS - 25.0, 0.0])
    return OrbitCamera(fit_pose(lo, lo + np.array([40.0, 25.0, 1.0]), aspect=SIZE[0] / SIZE[1], margin=1.0))


def show_big_block(offscreen) -> tuple[Layout, np.ndarray]:
    """The real-shaped weight block with structured_weights, set on the offscreen renderer."""
    layout, values = weight_layout((ROWS, COLS)), structured_weights()
    offscreen.frame.set_layout(layout)
    offscreen.frame.set_weights({"w0": values})
    return layout, values


@pytest.mark.parametrize("distance", [5000.0, 15000.0])  # 16 x 16 tiles of ~0.8 px; 256 x 256 of ~4 px
def test_a_far_weight_block_reads_as_a_heat_map_of_its_values(offscreen, distance):
    layout, values = show_big_block(offscreen)
    camera = OrbitCamera(Pose((COLS / 2, ROWS / 2, 0.0), 0.0, 0.0, distance))
    image = draw(offscreen, layout, camera)
    cells_px = SIZE[1] / 2 / np.tan(np.radians(camera.fov_y) / 2) / distance
    assert cells_px < 0.1  # every pixel covers many cells: no cell can be drawn one by one
    for x, colour in ((COLS * 0.25, VALUE_POSITIVE), (COLS * 0.75, VALUE_NEGATIVE)):
        r, c = pixel_of(camera, (x, ROWS / 2, 1.0))
        patch = image[r - 1:r + 2, c - 1:c + 2].reshape(-1, 3)
        # Each tile's strongest value shows (the noise around it would read as grey, the kind as blue).
        assert np.abs(patch - rgb(colour)).max(axis=1).min() < 24, (patch, colour)
        assert np.abs(patch - kind_light(0)).max() > 40
    assert offscreen.frame.blocks.levels.pool.used == 0  # nothing streamed from afar


def test_a_close_weight_block_shows_its_cells(offscreen):
    layout, values = show_big_block(offscreen)
    camera = close_to_corner()
    image = draw(offscreen, layout, camera)
    seen = 0
    for row in range(0, 25):
        for col in range(0, 40):
            r, c = pixel_of(camera, (col + 0.5, ROWS - row - 0.5, 1.0))
            if not (0 <= r < SIZE[1] and 0 <= c < SIZE[0]):
                continue
            expected = VALUE_POSITIVE if values[row, col] == 1.0 else VALUE_ZERO
            np.testing.assert_allclose(image[r, c], rgb(expected), atol=12, err_msg=f"cell {row, col}")
            seen += values[row, col] == 1.0
    assert seen >= 3  # strong cells among the probes (one per 16 x 16 tile)
    assert offscreen.frame.blocks.levels.pool.used > 0  # the cells came through the pool


def test_zooming_in_cross_fades_the_tiles_into_the_cells(offscreen):
    """Between half a pixel and a pixel a cell, cells pass from their tile's largest value to their own one
    by one: the share of the left half showing +1 (every tile's largest value there; 2 cells in 256) falls
    step by step as the camera closes in, instead of all at once at half a pixel."""
    layout, values = show_big_block(offscreen)
    fov = OrbitCamera(Pose((0.0, 0.0, 0.0), 0.0, 0.0, 1.0)).fov_y
    strong_share = []
    for cell_px in (0.45, 0.6, 0.75, 0.9, 1.05):
        distance = SIZE[1] / 2 / np.tan(np.radians(fov) / 2) / cell_px
        camera = OrbitCamera(Pose((COLS / 4, ROWS / 2, 0.0), 0.0, 0.0, distance))
        image = draw(offscreen, layout, camera)
        strong = np.abs(image - rgb(VALUE_POSITIVE)).max(axis=2) < 24
        strong_share.append(strong.mean())
    assert strong_share[0] > 0.85, strong_share  # tiles only
    assert strong_share[-1] < 0.05, strong_share  # cells only: about 2 in 256 are +1
    assert 0.2 < strong_share[2] < 0.8, strong_share  # half way: some of each
    steps = np.diff(strong_share)
    assert (steps < -0.05).all(), strong_share  # step by step


def test_a_ghost_of_a_big_blocks_cell_shows_the_cells_own_value(offscreen):
    """A ghost of a paged block's weak cell, in a tile whose largest value is +1: the cell's own grey, read
    from its page as the block's programs read it, not the tile's purple."""
    from glviz.walkthrough.frame import GhostGroup, TourFrame

    layout, values = show_big_block(offscreen)
    camera = close_to_corner()
    draw(offscreen, layout, camera)  # the close view brings the pages
    assert offscreen.frame.blocks.gl.paged is True
    row, col = next((r, c) for r in range(16) for c in range(16) if values[r, c] != 1.0)
    assert values[:16, :16].max() == 1.0  # its tile's largest value
    place = (20.0, ROWS - 12.0, 3.0)  # in front of the block's face
    frame = TourFrame.base("nano", len(layout.blocks), camera.pose)
    frame.ghosts.append(GhostGroup(0, row, col, 0, 0, 1, place, (0.0, 0.0, 0.0), place, (0.0, 0.0, 0.0), 1.0,
                                   3.0, 3.0))
    scene = SceneState(layout)
    scene.show_labels = False
    scene.set_tour(frame)
    image = offscreen.render(scene, camera, settle=True).astype(int)
    r, c = pixel_of(camera, place)
    np.testing.assert_allclose(image[r, c], rgb(VALUE_ZERO), atol=12)


def test_the_programs_look_up_pages_only_where_a_block_has_them(offscreen):
    # Small blocks keep every cell resident: their programs are compiled without the page lookup; a big
    # block's pages bring the programs that have it, and the small blocks' picture is the same after.
    small = weight_layout((4, 6))
    camera = OrbitCamera(fit_pose(np.zeros(3), np.array([6.0, 4.0, 1.0]), aspect=SIZE[0] / SIZE[1]))
    ramp = np.linspace(-1.0, 1.0, 24, dtype=np.float32).reshape(4, 6)
    pictures, big = [], (weight_layout((ROWS, COLS)), structured_weights())
    for layout, weights in ((small, ramp), big, (small, ramp)):
        offscreen.frame.set_layout(layout)
        offscreen.frame.set_weights({"w0": weights})
        if layout is small:
            pictures.append(draw(offscreen, layout, camera))
            assert offscreen.frame.blocks.gl.paged is False
        else:
            draw(offscreen, layout, close_to_corner())
            assert offscreen.frame.blocks.gl.paged is True and offscreen.frame.blocks.levels.pool.used > 0
    np.testing.assert_array_equal(pictures[0], pictures[1])
    r, c = pixel_of(camera, (0.5, 3.5, 1.0))  # the first cell: -1, orange
    np.testing.assert_allclose(pictures[0][r, c], rgb(VALUE_NEGATIVE), atol=12)


def test_coarse_levels_hold_each_tiles_largest_magnitude(offscreen):
    rng = np.random.default_rng(3)
    wide = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    odd = rng.standard_normal((1000, 70)).astype(np.float32)  # partial tiles at the edges
    transposed = rng.standard_normal((COLS, ROWS)).astype(np.float32).T  # as wte is drawn
    layout = weight_layout(wide.shape, odd.shape, transposed.shape)
    offscreen.frame.set_layout(layout)
    offscreen.frame.set_weights({"w0": wide, "w1": odd, "w2": transposed})
    offscreen.render(SceneState(layout), OrbitCamera(Pose((0, 0, 0), 0, 0, 1e5)))
    for index, values in enumerate((wide, odd, transposed)):
        assert same(gpu_tiles(offscreen.frame, index, 1), brute_tiles(values, 16)), index
    assert same(gpu_tiles(offscreen.frame, 0, 2), brute_tiles(wide, 256))


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
