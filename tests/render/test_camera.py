"""Orbit camera, poses and chunk culling: pure numpy, no GL."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.layout.blocks import Block, Kind, Layout
from glviz.layout.build import build_layout
from glviz.model.config import PRESETS
from glviz.render.camera import (
    ELEVATION_LIMIT,
    OrbitCamera,
    Pose,
    block_pose,
    fit_points,
    input_pose,
    network_bounds,
    overview_pose,
    whole_pose,
)
from glviz.render.chunks import ChunkCuller, draw_order, morton_order

VIEWPORT = (800, 500)


def project(camera: OrbitCamera, point, viewport=VIEWPORT) -> np.ndarray:
    """Pixel (x right, y down) of a world point."""
    w, h = viewport
    view_projection = camera.view_projection(w / h).astype(np.float64)
    clip = np.append(np.asarray(point, dtype=np.float64), 1.0) @ view_projection
    ndc = clip[:3] / clip[3]
    return np.array([(ndc[0] + 1) / 2 * w, (1 - ndc[1]) / 2 * h])


def ndc_of_box(camera: OrbitCamera, lo, hi, aspect: float) -> np.ndarray:
    corners = np.array([[x, y, z, 1.0] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                        for z in (lo[2], hi[2])])
    clip = corners @ camera.view_projection(aspect).astype(np.float64)
    assert (clip[:, 3] > 0).all()
    return clip[:, :3] / clip[:, 3:]


def test_elevation_is_clamped():
    camera = OrbitCamera(Pose((0, 0, 0), 10, 89.5, 5))
    assert camera.elevation == pytest.approx(ELEVATION_LIMIT)
    camera.rotate(0, -400)
    assert camera.elevation == pytest.approx(-ELEVATION_LIMIT)
    camera.rotate(370, 10)
    assert camera.azimuth == pytest.approx(20.0)
    assert camera.elevation == pytest.approx(-ELEVATION_LIMIT + 10)


def test_azimuth_zero_looks_down_minus_z_from_plus_z():
    camera = OrbitCamera(Pose((1, 2, 3), 0, 0, 10))
    np.testing.assert_allclose(camera.eye, (1, 2, 13), atol=1e-9)
    view = camera.view_matrix().astype(np.float64)
    eye_space = np.append(camera.target, 1.0) @ view
    np.testing.assert_allclose(eye_space[:3], (0, 0, -10), atol=1e-4)


def test_ray_through_the_projection_of_a_point_passes_through_it():
    camera = OrbitCamera(Pose((3, -2, 0), -30, 20, 40))
    for point in ([0, 0, 0], [5, -7, 1], [-4, 3, -6]):
        px, py = project(camera, point)
        origin, direction = camera.ray(px, py, VIEWPORT)
        assert np.linalg.norm(direction) == pytest.approx(1.0)
        to_point = np.asarray(point, dtype=np.float64) - origin
        miss = np.linalg.norm(to_point - (to_point @ direction) * direction)
        assert miss < 1e-3 * np.linalg.norm(to_point)


def test_ray_accepts_an_offset_viewport():
    camera = OrbitCamera(Pose((0, 0, 0), 0, 0, 10))
    origin, direction = camera.ray(100 + 200, 50 + 150, (100, 50, 400, 300))
    np.testing.assert_allclose(direction, (0, 0, -1), atol=1e-9)
    np.testing.assert_allclose(origin, camera.eye)


def test_zoom_toward_a_point_keeps_it_under_the_cursor():
    camera = OrbitCamera(Pose((0, 0, 0), -20, 15, 50))
    point = np.array([6.0, -4.0, 0.0])
    before = project(camera, point)
    camera.zoom(0.5, point)
    assert camera.distance == pytest.approx(25.0)
    np.testing.assert_allclose(project(camera, point), before, atol=1e-3)


def test_pan_moves_the_scene_with_the_mouse():
    camera = OrbitCamera(Pose((0, 0, 0), 10, 10, 30))
    point = camera.target.copy()
    before = project(camera, point)
    camera.pan(40, -25, VIEWPORT[1])
    np.testing.assert_allclose(project(camera, point), before + (40, -25), atol=1e-2)


def test_fly_to_animates_smoothly_and_lands_exactly():
    camera = OrbitCamera(Pose((0, 0, 0), 350, 0, 10))
    end = Pose((10, 0, 0), 20, 30, 1000)
    camera.fly_to(end, duration=1.0)
    steps = []
    while camera.update(0.1):
        steps.append(camera.pose)
        assert len(steps) < 20
    assert 9 <= len(steps) <= 10  # 10 steps of 0.1 s may add up to a hair under 1 s
    middle = steps[4]
    assert 10 < middle.distance < 1000 and 0 < middle.target[0] < 10
    # The short way round: from 350° to 20° passes through 0°, never through 180°.
    assert all(a.azimuth % 360 > 340 or a.azimuth % 360 < 30 for a in steps)
    assert camera.pose == Pose((10.0, 0.0, 0.0), 20.0, 30.0, 1000.0)
    assert not camera.update(0.1)


def test_interaction_cancels_a_flight():
    camera = OrbitCamera(Pose((0, 0, 0), 0, 0, 10))
    camera.fly_to(Pose((5, 5, 5), 0, 0, 10))
    camera.rotate(5, 0)
    assert not camera.animating and not camera.update(0.1)


def small_layout() -> Layout:
    blocks = [Block("a", "A", Kind.WEIGHT, 4, 6, ("C", "T"), (0, 0, 0), (6, 4, 1), "a"),
              Block("b", "B", Kind.INTERMEDIATE, 20, 3, ("C", "T"), (10, -30, 0), (3, 20, 1), "b"),
              Block("c", "C", Kind.AGGREGATE, 1, 8, ("1", "T"), (-5, 10, -4), (8, 1, 1), "c")]
    return Layout(PRESETS["nano"], blocks).finish()


@pytest.mark.parametrize("seed", range(6))
def test_fit_points_centres_and_fills_the_view_at_an_angle(seed):
    """Wide and deep point clouds seen from the side: the projection's extremes sit symmetric about the
    middle and the larger of its two spans fills the view less the margin, to float32 precision (the
    matrices the GPU gets), whatever the perspective does to near and far points."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(-50, 50, (int(rng.integers(8, 40)), 3)) * rng.uniform(0.2, 3.0, 3)
    azimuth, elevation = rng.uniform(-60, 60), rng.uniform(-30, 40)
    aspect, margin = rng.uniform(0.7, 2.0), rng.uniform(1.02, 1.3)
    camera = OrbitCamera(fit_points(points, azimuth, elevation, margin, aspect))
    clip = np.c_[points, np.ones(len(points))] @ camera.view_projection(aspect).astype(np.float64)
    ndc = clip[:, :2] / clip[:, 3:]
    assert np.abs(ndc.max(axis=0) + ndc.min(axis=0)).max() / 2 < 1e-5
    assert abs((ndc.max(axis=0) - ndc.min(axis=0)).max() / 2 * margin - 1.0) < 1e-5


@pytest.mark.parametrize("aspect", [16 / 9, 4 / 3])
def test_block_pose_frames_the_block(aspect):
    layout = small_layout()
    for i in range(len(layout.blocks)):
        camera = OrbitCamera(block_pose(layout, i, aspect))
        ndc = ndc_of_box(camera, layout.mins[i], layout.maxs[i], aspect)
        assert np.abs(ndc[:, :2]).max() <= 1.0
        assert np.abs(ndc[:, :2]).max() > 0.5  # and fills a good part of the view


def test_overview_shows_the_whole_small_model_and_input_pose_the_embeddings():
    layout = small_layout()
    camera = OrbitCamera(overview_pose(layout))
    lo, hi = layout.bounds
    assert np.abs(ndc_of_box(camera, lo, hi, 16 / 9)[:, :2]).max() <= 1.0

    nano = build_layout(PRESETS["nano"])
    camera = OrbitCamera(input_pose(nano))
    for name in ("tokens", "embed", "wte", "wpe"):
        i = nano.by_name[name]
        assert np.abs(ndc_of_box(camera, nano.mins[i], nano.maxs[i], 16 / 9)[:, :2]).max() <= 1.0
    # The input view is a close-up: a transformer block far below is out of view.
    last = nano.by_name["layers.2.ln1.out"]
    clip = np.append((nano.mins[last] + nano.maxs[last]) / 2, 1) @ camera.view_projection(16 / 9)
    assert abs(clip[1] / clip[3]) > 1


@pytest.mark.parametrize("T", [9, 200])
def test_input_pose_of_a_gpt2_checkpoint_shows_its_tokens_cells_and_the_near_part_of_its_tables(T):
    """Key I on a GPT-2 checkpoint (2 layers, C = 64, GPT-2's vocabulary) framed the token table whole, 50,257
    columns: every cell, the prompt's too, fell below a pixel and the view showed an outline. The tables
    are now cut to the width the activations leave, so the input blocks fill the view, the tables beside."""
    from dataclasses import replace

    layout = build_layout(replace(PRESETS["gpt2"], n_layer=2, n_embd=64, n_head=4), n_tokens=T)
    viewport = (1280, 720)
    camera = OrbitCamera(input_pose(layout, aspect=viewport[0] / viewport[1]))
    for name in ("tokens", "tok_emb", "embed", "pos_emb"):
        i = layout.by_name[name]
        box = ndc_of_box(camera, layout.mins[i], layout.maxs[i], viewport[0] / viewport[1])
        assert np.abs(box[:, :2]).max() <= 1.0, name  # whole in view
        lo = layout.mins[i]
        cell = np.linalg.norm(project(camera, lo, viewport) - project(camera, lo + (1, 0, 0), viewport))
        assert cell >= (1.0 if T == 200 else 4.0), (name, cell)  # a cell is pixels wide, not a speck
    for name in ("wte", "wpe"):  # the tables' near ends are in view, beside the activations
        i = layout.by_name[name]
        near = layout.maxs[i] if name == "wte" else layout.mins[i]
        x, _ = project(camera, (near[0], (layout.mins[i][1] + layout.maxs[i][1]) / 2, 1.0), viewport)
        assert 0 <= x <= viewport[0], (name, x)


def test_overview_of_gpt3_fills_the_width_with_all_columns():
    layout = build_layout(PRESETS["gpt3"])
    lo, hi = network_bounds(layout)
    camera = OrbitCamera(overview_pose(layout))
    # The top of every column (the first block of layers 0, 12, ..., 84) is in view...
    firsts = [layout.by_name[f"layers.{i}.ln1.mean"] for i in range(0, 96, 12)]
    tops = np.stack([ndc_of_box(camera, layout.mins[i], layout.maxs[i], 16 / 9) for i in firsts])
    assert np.abs(tops[..., :2]).max() <= 1.0
    # ... and the network spans the view from side to side, with its lower part cut off below.
    top_row = ndc_of_box(camera, (lo[0], hi[1] - 1, 0), (hi[0], hi[1], 0), 16 / 9)
    assert top_row[:, 0].min() < -0.85 and top_row[:, 0].max() > 0.85
    assert ndc_of_box(camera, lo, hi, 16 / 9)[:, 1].min() < -1.0


@pytest.mark.parametrize("aspect", [16 / 9, 1.1])
def test_overview_of_nano_shows_card_embedding_and_heads_big_enough_to_see_values(aspect):
    from glviz.layout.framing import card_area, card_axes

    layout = build_layout(PRESETS["nano"])
    camera = OrbitCamera(overview_pose(layout, aspect))
    centre, bottom, width, height = card_area(layout)
    # The card faces the camera: on screen a level rectangle with upright sides, all of it in view.
    right, up = card_axes()
    base = np.array([centre, bottom, 0.0])
    world = [base + side * right * width / 2 + rise * up * height for side in (-1, 1) for rise in (0, 1)]
    corners = [project(camera, c) for c in world]  # bottom left, top left, bottom right, top right
    assert corners[0][1] == pytest.approx(corners[2][1]) and corners[1][1] == pytest.approx(corners[3][1])
    assert corners[0][0] == pytest.approx(corners[1][0]) and corners[2][0] == pytest.approx(corners[3][0])
    for corner in world:
        assert np.abs(ndc_of_box(camera, corner, corner, aspect)[:, :2]).max() <= 1.0
    for name in ("tokens", "embed", "layers.0.attn.h2.wq", "layers.0.attn.h0.heads"):
        i = layout.by_name[name]
        assert np.abs(ndc_of_box(camera, layout.mins[i], layout.maxs[i], aspect)[:, :2]).max() <= 1.0
    # The card is modest: narrower than the top part of the model it sits above.
    top = [layout.by_name[n] for n in ("tok_emb", "layers.0.attn.h0.wq", "wpe")]
    assert width <= layout.maxs[top, 0].max() - layout.mins[top, 0].min()
    # In a 720 pixel high view, a cell of the input embedding spans two pixels or more (values show).
    i = layout.by_name["embed"]
    embed = ndc_of_box(camera, layout.mins[i], layout.maxs[i], aspect)
    assert np.ptp(embed[:, 1]) / 2 * 720 / layout.blocks[i].rows >= 2.0


@pytest.mark.parametrize("preset", ["nano", "gpt2"])
def test_whole_pose_frames_every_block_and_the_card_from_the_overview_angle(preset):
    from glviz.layout.framing import OVERVIEW_AZIMUTH, OVERVIEW_ELEVATION
    from glviz.layout.framing import card_corners as _card_corners

    layout = build_layout(PRESETS[preset])
    pose = whole_pose(layout, 16 / 9)
    assert (pose.azimuth, pose.elevation) == (OVERVIEW_AZIMUTH, OVERVIEW_ELEVATION)
    camera = OrbitCamera(pose)
    lo, hi = layout.bounds
    ndc = ndc_of_box(camera, lo, hi, 16 / 9)
    assert np.abs(ndc[:, :2]).max() <= 1.0
    assert np.abs(ndc[:, :2]).max() > 0.9  # and fills the view
    for corner in _card_corners(layout):
        assert np.abs(ndc_of_box(camera, corner, corner, 16 / 9)[:, :2]).max() <= 1.0
    # The overview is a close-up of the top: the whole view is further away.
    assert pose.distance > overview_pose(layout, 16 / 9).distance


def test_morton_order_keeps_runs_compact():
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 100, size=(4096, 3)) * (1, 1, 0.01)
    order = morton_order(points)
    assert sorted(order.tolist()) == list(range(4096))
    run = points[order[:64]]
    shuffled = points[:64]
    assert np.ptp(run[:, :2], axis=0).prod() < 0.1 * np.ptp(shuffled[:, :2], axis=0).prod()


def test_chunk_culler_draws_only_what_the_camera_sees():
    # A row of 1000 unit blocks along x; the camera looks closely at the first few.
    n = 1000
    mins = np.stack([np.arange(n) * 2.0, np.zeros(n), np.zeros(n)], axis=1).astype(np.float32)
    maxs = mins + 1
    order = draw_order(mins, maxs)
    culler = ChunkCuller(mins[order], maxs[order], chunks=50)
    camera = OrbitCamera(Pose((5, 0.5, 0), 0, 0, 10))
    vp = camera.view_projection(1.0)
    ranges = culler.visible_ranges(vp, pixel_scale=500)
    drawn = np.concatenate([order[first:first + count] for first, count in ranges])
    assert {0, 1, 2, 3, 4} <= set(drawn.tolist())
    assert len(drawn) <= 60
    # From far away every block is below a pixel: nothing is drawn at all.
    far = OrbitCamera(Pose((1000, 0, 0), 0, 0, 1e7))
    assert culler.visible_ranges(far.view_projection(1.0), pixel_scale=500) == []
    # Looking the other way: nothing.
    away = OrbitCamera(Pose((5, 0.5, 0), 180, 0, 10))
    away.target = np.array([5.0, 0.5, 20.0])
    assert culler.visible_ranges(away.view_projection(1.0), pixel_scale=500) == []


def test_scene_state_dirty_flags():
    from glviz.layout.deps import CellRange
    from glviz.scene import SceneState

    scene = SceneState(small_layout())
    assert scene.instances_dirty and scene.hover_dirty
    scene.clean_instances()
    scene.clean_hover()
    scene.set_hover(None, [])
    assert not scene.hover_dirty  # nothing changed
    scene.set_hover((1, 2, 0), [CellRange(0, (0, 1), (0, 6))] * 10)
    assert scene.hover_dirty and len(scene.dependencies) == 8
    scene.set_highlight([1])
    assert scene.instances_dirty
    np.testing.assert_array_equal(scene.highlight, [0, 1, 0])
    scene.clean_instances()
    scene.set_highlight([1])
    assert not scene.instances_dirty  # the same highlight again: nothing to upload
    scene.set_opacity(np.array([1.0, 0.5, 0.0], dtype=np.float32))
    np.testing.assert_array_equal(scene.opacity, [1.0, 0.5, 0.0])


@pytest.mark.parametrize("pose", [Pose((3, -2, 1), -30, 20, 40), Pose((0, 0, 0), 170, -80, 4),
                                  Pose((1, 2, 3), 0, 0, 10), Pose((-5, 9, 2), 359, 87, 1e6)])
def test_matrices_match_pyrr(pose):
    """The per-frame matrices are written out with numpy for speed; pyrr is the reference."""
    from pyrr import matrix44

    camera = OrbitCamera(pose)
    forward = camera.target - camera.eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, (0.0, 1.0, 0.0))
    up = np.cross(right / np.linalg.norm(right), forward)
    view = matrix44.create_look_at(camera.eye, camera.target, up)
    projection = matrix44.create_perspective_projection(camera.fov_y, 1.5, *camera.near_far)
    np.testing.assert_allclose(camera.view_matrix(), view, rtol=1e-5, atol=1e-5 * pose.distance)
    np.testing.assert_allclose(camera.projection_matrix(1.5), projection, rtol=1e-6, atol=1e-9)
