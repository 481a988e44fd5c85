"""A block's side walls and a faded block on a real EGL context: each wall in its own shade of the kind
colour, and a faded block's face in its flat colour, blended over what is behind it (blocks.vert works both
out once a vertex)."""

from __future__ import annotations

import numpy as np

from glviz.layout.blocks import Block, Kind, Layout
from glviz.model.config import PRESETS
from glviz.render.camera import OrbitCamera, Pose
from glviz.render.palette import BACKGROUND, KIND_COLORS
from glviz.scene import SceneState

SIZE = (240, 160)  # the offscreen fixture's (conftest)


def thick_block() -> Layout:
    """One intermediate block of 4 x 4 cells, 4 units deep, at the origin."""
    block = Block("x", "X", Kind.INTERMEDIATE, 4, 4, ("4", "4"), (0.0, 0.0, 0.0), (4.0, 4.0, 4.0), "x")
    return Layout(PRESETS["nano"], [block]).finish()


def pixel_of(camera: OrbitCamera, point) -> tuple[int, int]:
    """(row, col) in a read-back image (top row first) of a world point."""
    w, h = SIZE
    view_projection = camera.view_projection(w / h).astype(np.float64)
    clip = np.append(np.asarray(point, dtype=np.float64), 1.0) @ view_projection
    return int((1 - clip[1] / clip[3]) / 2 * h), int((clip[0] / clip[3] + 1) / 2 * w)


def render(offscreen, camera: OrbitCamera, opacity: float = 1.0) -> tuple[Layout, np.ndarray]:
    layout = thick_block()
    offscreen.frame.set_layout(layout)
    scene = SceneState(layout)
    scene.show_labels = False
    scene.set_opacity(np.array([opacity], np.float32))
    return layout, offscreen.render(scene, camera).astype(int)


def rgb(colour) -> np.ndarray:
    return np.round(np.asarray(colour)[:3] * 255)


def test_each_side_wall_has_its_axis_shade_of_the_kind_colour(offscreen):
    # Seen from the right (+x), above (+y) and in front: the right wall and the top wall both show.
    camera = OrbitCamera(Pose((2.0, 2.0, 2.0), 35.0, 30.0, 16.0))
    layout, image = render(offscreen, camera)
    kind = np.asarray(KIND_COLORS[Kind.INTERMEDIATE])
    for point, shade in (((4.0, 2.0, 2.0), 0.70), ((2.0, 4.0, 2.0), 0.82)):  # the x wall, the y wall
        r, c = pixel_of(camera, point)
        np.testing.assert_allclose(image[r, c], rgb(kind * shade), atol=3, err_msg=f"wall at {point}")


def test_a_faded_block_is_its_flat_colour_blended_over_the_background(offscreen):
    # A block without values, faded to 0.3: its face is the kind colour halfway to white, at 30 % over the
    # background; its walls are their shades at 30 %.
    camera = OrbitCamera(Pose((2.0, 2.0, 2.0), 35.0, 30.0, 16.0))
    layout, image = render(offscreen, camera, opacity=0.3)
    kind = np.asarray(KIND_COLORS[Kind.INTERMEDIATE])
    background = np.asarray(BACKGROUND[:3])
    face = 0.5 * kind + 0.5
    probes = (((2.0, 2.0, 4.0), face), ((4.0, 2.0, 2.0), kind * 0.70), ((2.0, 4.0, 2.0), kind * 0.82))
    for point, colour in probes:
        r, c = pixel_of(camera, point)
        np.testing.assert_allclose(image[r, c], rgb(0.3 * colour + 0.7 * background), atol=3,
                                   err_msg=f"faded at {point}")
