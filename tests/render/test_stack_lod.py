"""Head stacks from afar, on a real EGL context: per-head blocks too thin to show (under STACK_THIN_PX
across, however long) give way to their stack's slab, which draws the stack as one box; thicker ones are
drawn one by one."""

from __future__ import annotations

import numpy as np

from glviz.layout.blocks import Block, Kind, Layout
from glviz.model.config import PRESETS
from glviz.render.block_plan import STACK_LOD_PX, STACK_THIN_PX
from glviz.render.camera import OrbitCamera, Pose
from glviz.scene import SceneState

SIZE = (240, 160)  # the offscreen fixture's (conftest)
HEADS = 24
GAP_PX = 3.0  # from one member to the next, on screen


def px_per_unit(cam: OrbitCamera) -> float:
    """Pixels a world unit across, at the target (measured through the camera's own projection)."""
    vp = cam.view_projection(SIZE[0] / SIZE[1]).astype(np.float64)
    x = [np.array([p, 0.0, 0.0, 1.0]) @ vp for p in (0.0, 1.0)]
    return abs(x[1][0] / x[1][3] - x[0][0] / x[0][3]) / 2 * SIZE[0]


def stack_image(offscreen, thickness_px: float) -> tuple[np.ndarray, tuple[slice, slice]]:
    """The picture of a stack of HEADS long per-head blocks (100 px long, `thickness_px` thick, GAP_PX
    apart), and where the stack is in it (rows, cols)."""
    cam = OrbitCamera(Pose((0.0, 0.0, 0.0), 0.0, 0.0, 20.0))
    unit = px_per_unit(cam)
    long, thick, gap = 100.0 / unit, thickness_px / unit, GAP_PX / unit
    top = HEADS * gap / 2
    blocks = [Block(f"layers.0.attn.h{h}.q", "Q", Kind.INTERMEDIATE, 1, 400, ("1", "C"),
                    (-long / 2, top - h * gap - thick, 0.0), (long, thick, 0.01), f"q{h}", layer=0, head=h,
                    role="attn.q") for h in range(HEADS)]
    layout = Layout(PRESETS["nano"], blocks).finish()
    offscreen.frame.set_layout(layout)
    scene = SceneState(layout)
    scene.show_labels = False
    image = offscreen.render(scene, cam)
    rows = slice(int(SIZE[1] / 2 - top * unit) + 2, int(SIZE[1] / 2 + top * unit) - 2)
    cols = slice(SIZE[0] // 2 - 40, SIZE[0] // 2 + 40)
    return image, (rows, cols)


def test_members_thinner_than_the_threshold_give_way_to_their_slab(offscreen):
    assert STACK_THIN_PX < 1.0 < GAP_PX and STACK_LOD_PX < 100.0
    background = None
    covered = {}
    for thickness in (0.3, 1.2):  # under STACK_THIN_PX, then over it (both far longer than STACK_LOD_PX)
        image, (rows, cols) = stack_image(offscreen, thickness)
        background = image[2, 2].astype(int)
        ink = (np.abs(image.astype(int) - background) > 12).any(axis=2)
        covered[thickness] = ink[rows, cols].mean()
    # Too thin: the slab, one box over the whole stack (slivers alone would colour a few pixels in ten).
    assert covered[0.3] > 0.95
    # Thick enough: each member on its own, the gaps between them showing the background.
    assert 0.2 < covered[1.2] < 0.75
