"""Values at levels of detail on a real EGL context: a GPT-2-shaped weight block shows value colours from afar
(its tiles' values) and close up (its cells); the coarse levels hold each tile's value of largest magnitude.
Growing traces and streaming: test_value_streaming.py."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.render.camera import OrbitCamera, Pose, fit_pose
from glviz.render.palette import VALUE_NEGATIVE, VALUE_POSITIVE, VALUE_ZERO
from glviz.scene import SceneState
from value_probe import brute_tiles

from .value_views import (
    COLS,
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
    structured_weights,
    weight_layout,
)

OFFSCREEN_SIZE = SIZE  # the size of the offscreen fixture's renderer (conftest)


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
