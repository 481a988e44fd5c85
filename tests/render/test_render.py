"""The renderer on a real EGL context: pixel probes at known cells, kinds, highlights, a small golden image,
render-only presets without per-cell data, and the `glviz render` command."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from glviz.layout.blocks import Block, Kind, Layout
from glviz.layout.build import build_layout
from glviz.layout.deps import CellRange
from glviz.model.config import PRESETS
from glviz.render.camera import OrbitCamera, Pose, overview_pose
from glviz.render.palette import (
    DEPENDENCY_WASH,
    GLOW_COLOR,
    HIGHLIGHT_ACCENT,
    HIGHLIGHT_LIGHTEN,
    KIND_COLORS,
    VALUE_COLORS,
    VALUE_NEGATIVE,
    VALUE_POSITIVE,
    VALUE_ZERO,
)
from glviz.scene import SceneState

from .conftest import rendering

GOLDEN = Path(__file__).parent / "golden" / "nano_overview_160x120.png"
OUT_DIR = Path(os.environ.get("GLVIZ_TEST_OUT", Path(tempfile.gettempdir()) / "glviz-test-out"))
SIZE = (240, 160)  # the offscreen fixture's (conftest)


def probe_layout() -> Layout:
    """A weight block of 1 x 3 cells (values -1, 0, +1), an intermediate and an aggregate block below it."""
    blocks = [Block("w", "W", Kind.WEIGHT, 1, 3, ("1", "C"), (0.0, 0.0, 0.0), (3.0, 1.0, 1.0), "w"),
              Block("x", "X", Kind.INTERMEDIATE, 1, 3, ("1", "C"), (0.0, -2.0, 0.0), (3.0, 1.0, 1.0), "x"),
              Block("a", "", Kind.AGGREGATE, 1, 3, ("1", "C"), (0.0, -4.0, 0.0), (3.0, 1.0, 1.0), "a")]
    return Layout(PRESETS["nano"], blocks).finish()


def front_camera() -> OrbitCamera:
    return OrbitCamera(Pose((1.5, -1.5, 1.0), 0.0, 0.0, 8.0))


def pixel_of(camera: OrbitCamera, point) -> tuple[int, int]:
    """(row, col) in a read-back image (top row first) of a world point."""
    w, h = SIZE
    view_projection = camera.view_projection(w / h).astype(np.float64)
    clip = np.append(np.asarray(point, dtype=np.float64), 1.0) @ view_projection
    x, y = clip[0] / clip[3], clip[1] / clip[3]
    return int((1 - y) / 2 * h), int((x + 1) / 2 * w)


def cell_centre(layout: Layout, block: int, row: int, col: int) -> tuple[float, float, float]:
    lo, hi = layout.mins[block], layout.maxs[block]
    rows, cols = layout.shapes[block]
    return (lo[0] + (col + 0.5) * (hi[0] - lo[0]) / cols, hi[1] - (row + 0.5) * (hi[1] - lo[1]) / rows, hi[2])


def render_probe(offscreen, values: bool = True, scene: SceneState | None = None):
    layout = scene.layout if scene is not None else probe_layout()
    offscreen.frame.set_layout(layout)
    if values:
        offscreen.frame.blocks.upload_values({0: np.array([[-2.0, 0.0, 2.0]], dtype=np.float32)})
    camera = front_camera()
    scene = scene or SceneState(layout)
    scene.show_labels = False  # the probes look at cells only
    return layout, camera, offscreen.render(scene, camera)


def rgb(color) -> np.ndarray:
    return np.round(np.asarray(color) * 255)


def test_cell_centres_show_their_value_colour(offscreen):
    layout, camera, image = render_probe(offscreen)
    for col, expected in enumerate((VALUE_NEGATIVE, VALUE_ZERO, VALUE_POSITIVE)):
        r, c = pixel_of(camera, cell_centre(layout, 0, 0, col))
        np.testing.assert_allclose(image[r, c], rgb(expected), atol=4, err_msg=f"cell {col}")
    negative, zero, positive = (image[pixel_of(camera, cell_centre(layout, 0, 0, k))].astype(int)
                                for k in range(3))
    assert negative[0] > negative[2] + 100  # orange
    assert positive[2] > positive[0] + 40  # purple
    assert zero.min() > 200 and np.ptp(zero) < 10  # light grey


def test_kind_colours_without_values(offscreen):
    layout, camera, image = render_probe(offscreen, values=False)
    weight, intermediate, aggregate = (image[pixel_of(camera, cell_centre(layout, b, 0, 1))].astype(int)
                                       for b in range(3))
    assert weight[2] > weight[0] + 40 and weight[2] > weight[1] + 20  # blue
    assert intermediate[1] > intermediate[0] + 30 and intermediate[1] > intermediate[2] + 30  # green
    assert min(aggregate[0], aggregate[1]) > aggregate[2] + 60  # yellow
    background = image[2, 2].astype(int)
    assert background.min() > 235
    # The cells show the kind colour itself, lightened (mixed halfway with white).
    for kind, pixel in zip((0, 1, 2), (weight, intermediate, aggregate), strict=True):
        np.testing.assert_allclose(pixel, rgb(0.5 * np.asarray(KIND_COLORS[kind]) + 0.5), atol=4)


def test_hover_and_dependency_highlights(offscreen, gl_ctx):
    layout, camera, plain = render_probe(offscreen)
    scene = SceneState(layout)
    scene.set_hover((2, 0, 2), [CellRange(1, (0, 1), (0, 1))])
    _, _, lit = render_probe(offscreen, scene=scene)
    dep = pixel_of(camera, cell_centre(layout, 1, 0, 0))
    other = pixel_of(camera, cell_centre(layout, 1, 0, 2))
    # The dependency cell is washed with the cyan accent; a cell outside the range is untouched.
    accent = rgb(HIGHLIGHT_ACCENT)
    np.testing.assert_allclose(lit[dep], plain[dep] + DEPENDENCY_WASH * (accent - plain[dep]), atol=4)
    np.testing.assert_array_equal(lit[other], plain[other])
    hovered = pixel_of(camera, cell_centre(layout, 2, 0, 2))
    lightened = plain[hovered] + HIGHLIGHT_LIGHTEN * (255 - plain[hovered])
    np.testing.assert_allclose(lit[hovered], lightened + 0.5 * (accent - lightened), atol=4)
    # The other cells of the hovered block are only lightened, keeping their hue (no tint that could read
    # as a value), and its edge is a cyan frame.
    neighbour = pixel_of(camera, cell_centre(layout, 2, 0, 0))
    lightened = plain[neighbour] + HIGHLIGHT_LIGHTEN * (255 - plain[neighbour])
    np.testing.assert_allclose(lit[neighbour], lightened, atol=4)
    lo, hi = layout.mins[2], layout.maxs[2]
    r, c = pixel_of(camera, ((lo[0] + hi[0]) / 2, hi[1], hi[2]))
    edge = lit[r - 1: r + 2, c].astype(int)  # the frame is a few pixels wide around the top edge
    assert any(np.abs(px - accent).max() < 40 for px in edge), edge
    # Clearing the hover restores the plain picture: only the dirty flag triggered an upload.
    scene.set_hover(None, [])
    assert scene.hover_dirty
    _, _, cleared = render_probe(offscreen, scene=scene)
    assert not scene.hover_dirty
    np.testing.assert_array_equal(cleared, plain)


def test_highlight_accent_is_not_a_value_colour():
    """Hover marks must not be read as values: the accent is far in hue from every colour on the map."""
    import colorsys

    accent_hue = colorsys.rgb_to_hsv(*HIGHLIGHT_ACCENT)[0]
    for color in (*VALUE_COLORS, *KIND_COLORS.values()):
        hue, saturation, _ = colorsys.rgb_to_hsv(*color)
        if saturation > 0.1:  # grey has no hue to confuse
            distance = min(abs(hue - accent_hue), 1 - abs(hue - accent_hue))
            assert distance > 0.07, color


def test_opacity_fades_and_hides(offscreen):
    layout, camera, plain = render_probe(offscreen)
    scene = SceneState(layout)
    scene.set_opacity(np.array([0.0, 0.5, 1.0], dtype=np.float32))
    _, _, faded = render_probe(offscreen, scene=scene)
    hidden = pixel_of(camera, cell_centre(layout, 0, 0, 0))
    np.testing.assert_allclose(faded[hidden], faded[2, 2], atol=2)  # shows the background
    half = pixel_of(camera, cell_centre(layout, 1, 0, 1))
    assert faded[half].astype(int).sum() > plain[half].astype(int).sum() + 30  # lighter, towards background


def random_nano_trace():
    from glviz.model.forward import Trace
    from glviz.model.weights import random_weights

    weights = random_weights(PRESETS["nano"], seed=0, std=0.5)
    return Trace(weights, np.array([2, 1, 0, 1, 1, 2, 0, 1, 1, 2, 2]))


def test_golden_nano_overview(gl_ctx):
    """The nano overview at 160 x 120 (random weights, seed 0) against a stored image, with a tolerance.

    GLVIZ_UPDATE_GOLDEN=1 rewrites the stored image."""
    from PIL import Image

    trace = random_nano_trace()
    layout = build_layout(PRESETS["nano"], n_tokens=trace.T)
    with rendering(gl_ctx, (160, 120)) as renderer:
        renderer.frame.set_layout(layout)
        assert renderer.frame.upload_trace(trace) > 0
        image = renderer.render(SceneState(layout), OrbitCamera(overview_pose(layout, 160 / 120)))
    if os.environ.get("GLVIZ_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(GOLDEN)
    golden = np.asarray(Image.open(GOLDEN).convert("RGB"))
    diff = np.abs(image.astype(int) - golden.astype(int)).max(axis=2)
    bad = float((diff > 32).mean())
    if bad > 0.01 or diff.mean() > 3:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(OUT_DIR / "nano_overview_actual.png")
        Image.fromarray(np.clip(diff * 4, 0, 255).astype(np.uint8)).save(OUT_DIR / "nano_overview_diff.png")
        pytest.fail(f"nano overview differs from {GOLDEN.name}: {bad:.1%} of pixels off by > 32, mean "
                    f"{diff.mean():.2f}; actual and diff images in {OUT_DIR}")
    # The picture is not empty: weight blue and intermediate green are both on screen.
    pixels = image.reshape(-1, 3).astype(int)
    assert (pixels[:, 2] > pixels[:, 0] + 40).sum() > 50
    assert ((pixels[:, 1] > pixels[:, 0] + 30) & (pixels[:, 1] > pixels[:, 2] + 20)).sum() > 50


def test_render_only_presets_allocate_no_cell_data(offscreen, gl_ctx):
    layout = build_layout(PRESETS["gpt2"])
    offscreen.frame.set_layout(layout)
    image = offscreen.render(SceneState(layout), OrbitCamera(overview_pose(layout, SIZE[0] / SIZE[1])))
    assert offscreen.frame.blocks.value_texels == 0
    # Per-block textures only: a few bytes per block, nothing per cell (GPT-2 has ~10^8 cells).
    blocks = offscreen.frame.blocks
    textures = (blocks.order_tex, blocks.box, blocks.info, blocks.state)
    per_block_bytes = sum(t.nbytes for t in textures)
    assert per_block_bytes < 200 * len(layout.blocks) + 4 * 4096 * 16
    assert (image.reshape(-1, 3).min(axis=1) < 200).sum() > 100  # something was drawn
    assert gl_ctx.error == "GL_NO_ERROR"


def glviz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glviz", *args], capture_output=True, text=True, timeout=120)


def test_render_command_writes_a_png(tmp_path, gl_ctx):
    from PIL import Image

    from glviz.model.weights import random_weights, save_npz

    weights_path = tmp_path / "nano.npz"
    save_npz(random_weights(PRESETS["nano"], seed=1, std=0.3), weights_path)
    out = tmp_path / "shot.png"
    result = glviz("render", "--weights", str(weights_path), "--view", "input", "--size", "200x120",
                   "--out", str(out))
    assert result.returncode == 0, result.stderr
    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape == (120, 200, 3)
    assert np.ptp(image.reshape(-1, 3), axis=0).max() > 100  # not a blank image


@pytest.mark.parametrize("args, message", [
    (("--size", "big"), "--size must look like 1280x720 (big)"),
    (("--size", "4x4"), "--size sides must be"),
    (("--model", "gpt2", "--view", "nowhere"), "--view must be overview, whole, input or a block name"),
])
def test_render_command_rejects_bad_options(tmp_path, args, message, gl_ctx):
    result = glviz("render", *args, "--out", str(tmp_path / "x.png"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glviz: error: ") and message in lines[0]
    assert not (tmp_path / "x.png").exists()


def test_frame_renderer_release_frees_its_gl_objects(offscreen, gl_ctx):
    """release() frees the blocks' and labels' programs, buffers and textures (the app calls it on exit)."""
    from glviz.render.frame import FrameRenderer

    frame = FrameRenderer(gl_ctx)
    frame.set_layout(probe_layout())
    offscreen.fbo.use()
    frame.render(SceneState(frame.layout), front_camera(), (0, 0, *SIZE))
    owned = [frame.camera_ubo, *frame.blocks.programs, *frame.blocks.front_vaos, frame.blocks.hover_ubo,
             frame.blocks.state, *frame.labels.programs, frame.labels.atlas_texture,
             *(quads.vao for quads in frame.labels.quads)]
    frame.release()
    assert [type(obj.mglo).__name__ for obj in owned] == ["InvalidObject"] * len(owned)
    assert gl_ctx.error == "GL_NO_ERROR"


def test_highlight_changes_on_the_same_layout_show_and_clear(offscreen):
    """Highlight and opacity set after the first frame (a few blocks: uploaded texel by texel) show, and
    clearing them gives back the plain picture."""
    layout, camera, plain = render_probe(offscreen)
    scene = SceneState(layout)
    scene.show_labels = False
    np.testing.assert_array_equal(offscreen.render(scene, camera), plain)
    scene.set_highlight([1])
    lit = offscreen.render(scene, camera)
    cell = pixel_of(camera, cell_centre(layout, 1, 0, 2))
    np.testing.assert_allclose(lit[cell], plain[cell] + HIGHLIGHT_LIGHTEN * (255 - plain[cell]), atol=4)
    untouched = pixel_of(camera, cell_centre(layout, 0, 0, 2))
    np.testing.assert_array_equal(lit[untouched], plain[untouched])
    scene.set_highlight([])
    np.testing.assert_array_equal(offscreen.render(scene, camera), plain)
    scene.set_opacity(np.zeros(len(layout.blocks), dtype=np.float32))
    hidden = offscreen.render(scene, camera)
    np.testing.assert_allclose(hidden[cell], hidden[2, 2], atol=2)  # the background


def test_opaque_ranges_come_nearest_first():
    from glviz.render.camera import OrbitCamera, Pose
    from glviz.render.chunks import ChunkCuller

    # Ten unit blocks one behind the other along z, one chunk each, in draw order from the farthest; every
    # other one far off to the side (outside the view), so that the visible ones are separate draws.
    z = np.arange(10, dtype=np.float64)
    x = np.where(np.arange(10) % 2 == 0, 0.0, 1000.0)
    mins = np.c_[x, np.zeros(10), z - 10.0]
    culler = ChunkCuller(mins, mins + 1.0, chunks=10)
    vp = OrbitCamera(Pose((0.5, 0.5, -5.0), 0.0, 0.0, 30.0)).view_projection(1.0).astype(np.float64)
    assert culler.visible_ranges(vp, 500.0) == [(0, 1), (2, 1), (4, 1), (6, 1), (8, 1)]  # draw order
    assert culler.visible_ranges(vp, 500.0, nearest_first=True) == [(8, 1), (6, 1), (4, 1), (2, 1), (0, 1)]


def test_nearest_first_orders_chunks_not_runs_of_them():
    from glviz.render.camera import OrbitCamera, Pose
    from glviz.render.chunks import ChunkCuller

    # Six unit blocks, one chunk each, all in view (one run of consecutive chunks), at depths that do not
    # follow their order: a run drawn whole would draw the far chunks 1 and 3 before the nearer 2 and 4.
    # Chunks next to each other in both orders (4, 5) share a draw.
    z = np.array([-3.0, -9.0, -2.0, -8.0, -1.0, -1.5])
    mins = np.c_[np.arange(6) * 1.5 - 4.0, np.zeros(6), z]
    culler = ChunkCuller(mins, mins + 1.0, chunks=6)
    vp = OrbitCamera(Pose((0.0, 0.5, -5.0), 0.0, 0.0, 40.0)).view_projection(1.0).astype(np.float64)
    assert culler.visible_ranges(vp, 500.0) == [(0, 6)]  # draw order: one draw
    assert culler.visible_ranges(vp, 500.0, nearest_first=True) == [(4, 2), (2, 1), (0, 1), (3, 1), (1, 1)]

@pytest.mark.parametrize("n_ranges", [1, 2, 3, 4])
def test_every_range_lit_in_a_block_is_washed(offscreen, n_ranges):
    # One or two ranges in a block are drawn by the decorated program, more by the hovered one (blocks.vert):
    # either way every range is washed and the cells between them are not.
    blocks = [Block("x", "X", Kind.INTERMEDIATE, 1, 7, ("1", "C"), (0.0, 0.0, 0.0), (7.0, 1.0, 1.0), "x"),
              Block("y", "Y", Kind.INTERMEDIATE, 1, 1, ("1", "C"), (3.0, -2.0, 0.0), (1.0, 1.0, 1.0), "y")]
    layout = Layout(PRESETS["nano"], blocks).finish()
    camera = OrbitCamera(Pose((3.5, -0.5, 1.0), 0.0, 0.0, 10.0))
    images = []
    for lit in (0, n_ranges):
        offscreen.frame.set_layout(layout)
        scene = SceneState(layout)
        scene.show_labels = False
        if lit:
            scene.set_hover((1, 0, 0), [CellRange(0, (0, 1), (2 * k, 2 * k + 1)) for k in range(lit)])
        images.append(offscreen.render(scene, camera).astype(int))
    plain, washed = images
    accent = rgb(HIGHLIGHT_ACCENT)
    for col in range(7):
        at = pixel_of(camera, cell_centre(layout, 0, 0, col))
        if col % 2 == 0 and col // 2 < n_ranges:
            np.testing.assert_allclose(washed[at], plain[at] + DEPENDENCY_WASH * (accent - plain[at]), atol=4,
                                       err_msg=f"cell {col}")
        else:
            np.testing.assert_array_equal(washed[at], plain[at], err_msg=f"cell {col}")


def test_a_highlighted_block_is_lightened_and_framed_in_the_glow_colour(offscreen):
    layout, camera, plain = render_probe(offscreen)
    scene = SceneState(layout)
    scene.set_highlight([2])
    _, _, lit = render_probe(offscreen, scene=scene)
    cell = pixel_of(camera, cell_centre(layout, 2, 0, 1))
    np.testing.assert_allclose(lit[cell], plain[cell] + HIGHLIGHT_LIGHTEN * (255 - plain[cell]), atol=4)
    other = pixel_of(camera, cell_centre(layout, 1, 0, 1))
    np.testing.assert_array_equal(lit[other], plain[other])  # the other blocks as they were
    lo, hi = layout.mins[2], layout.maxs[2]
    r, c = pixel_of(camera, ((lo[0] + hi[0]) / 2, hi[1], hi[2]))
    edge = lit[r - 1: r + 2, c].astype(int)  # the frame, a few pixels wide around the top edge
    assert any(np.abs(px - rgb(GLOW_COLOR)).max() < 40 for px in edge), edge


def test_a_pass_is_compiled_when_first_drawn(gl_ctx):
    """Start-up compiles only what the first frame draws: a plain overview needs the plain pass alone; a
    highlighted block brings the glow's pass, with the uniforms set before it was compiled."""
    from glviz.render.blocks import GLOW_PX, PASS_GLOW, PASS_OPAQUE

    trace = random_nano_trace()
    layout = build_layout(PRESETS["nano"], n_tokens=trace.T)
    scene = SceneState(layout)
    camera = OrbitCamera(overview_pose(layout, 160 / 120))
    with rendering(gl_ctx, (160, 120)) as renderer:
        renderer.frame.set_layout(layout)
        renderer.frame.upload_trace(trace)
        renderer.render(scene, camera)
        gl = renderer.frame.blocks.gl
        assert gl.programs == [gl.of(PASS_OPAQUE)[0]]
        highlight = np.zeros(len(layout.blocks), np.float32)
        highlight[layout.by_name["embed"]] = 1.0
        scene.set_highlight(highlight)
        renderer.render(scene, camera)
        assert len(gl.programs) == 2
        assert gl.of(PASS_GLOW)[0]["u_glow_px"].value == pytest.approx(GLOW_PX)
