"""ArrowRenderer: the layout's data-flow arrows as antialiased ribbons with flat heads, one draw for all.

Ribbons are tessellated once per layout (layout.arrows gives centre lines); per frame only the arrows'
opacities (a small texture, written when they change) and the blocks' offsets (the block renderer's state
texture, for arrows whose blocks the tour moved) reach the GPU.
"""

from __future__ import annotations

import time

import numpy as np

from glviz.layout.arrows import Arrow, build_arrows
from glviz.layout.blocks import Kind
from glviz.render.chunks import ATLAS_WIDTH, pad_rows, texture_rows
from glviz.resources import read_shader

DATA_COLOR = (0.20, 0.62, 0.26)  # values: green, as the intermediate blocks
WEIGHT_COLOR = (0.22, 0.36, 0.78)  # weights: blue
HEAD_LENGTH = 2.2  # arrow head length, in ribbon widths
HEAD_WIDTH = 2.4  # and its width


def _side(direction: np.ndarray) -> np.ndarray:
    """A unit vector across a segment, in the plane facing the viewer where possible."""
    across = np.cross(direction, [0.0, 0.0, 1.0])
    if np.linalg.norm(across) < 1e-6:
        across = np.cross(direction, [0.0, 1.0, 0.0])
    return across / max(np.linalg.norm(across), 1e-12)


def tessellate(arrows: list[Arrow]) -> np.ndarray:
    """Triangles of every arrow: (V, 8) float32 vertices (x, y, z, across -1..1, arrow, along 0..1, start
    block, end block). The ribbon stops where the head begins; the head is one triangle whose `across`
    runs to ±1 along its slanted sides."""
    out: list[np.ndarray] = []
    for k, arrow in enumerate(arrows):
        pts = arrow.points
        seg = np.diff(pts, axis=0)
        lengths = np.linalg.norm(seg, axis=1)
        keep = lengths > 1e-9
        pts = np.concatenate([pts[:1], pts[1:][keep]])
        seg, lengths = seg[keep], lengths[keep]
        if len(pts) < 2:
            continue
        w = arrow.width
        total = float(lengths.sum())
        head = min(HEAD_LENGTH * w, 0.6 * total)
        # Cut the line where the head starts.
        cum = np.concatenate([[0.0], np.cumsum(lengths)])
        stop = total - head
        j = int(np.searchsorted(cum, stop, side="right")) - 1
        j = min(max(j, 0), len(seg) - 1)
        base = pts[j] + seg[j] / lengths[j] * (stop - cum[j])
        body = np.concatenate([pts[: j + 1], [base]])
        along = np.concatenate([cum[: j + 1], [stop]]) / total
        for i in range(len(body) - 1):
            a, b = body[i], body[i + 1]
            if np.linalg.norm(b - a) < 1e-9:
                continue
            # Square ends per segment: a dogleg's corners overlap by half a width, which the eye forgives.
            s = _side(b - a) * w / 2
            quad = [(a - s, -1, along[i]), (a + s, 1, along[i]), (b - s, -1, along[i + 1]),
                    (b + s, 1, along[i + 1])]
            for idx in (0, 1, 2, 2, 1, 3):
                p, c, t = quad[idx]
                out.append(np.array([*p, c, k, t, arrow.start_block, arrow.end_block], dtype=np.float32))
        tip = pts[-1]
        side = _side(tip - base) * HEAD_WIDTH * w / 2
        for p, c, t in ((base - side, -1, stop / total), (base + side, 1, stop / total), (tip, 0, 1.0)):
            out.append(np.array([*p, c, k, t, arrow.start_block, arrow.end_block], dtype=np.float32))
    return np.stack(out) if out else np.zeros((0, 8), dtype=np.float32)


class ArrowRenderer:
    """The arrows of one layout; `set_opacity({name: opacity})` chooses which show."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.program = ctx.program(vertex_shader=read_shader("arrows.vert"),
                                   fragment_shader=read_shader("arrows.frag"))
        self.program["u_opacity"] = 8
        self.program["u_state"] = 3
        self.program["Camera"].binding = 0
        self.program["u_colors"].value = [DATA_COLOR, WEIGHT_COLOR]
        self.vbo = self.vao = self.opacity_tex = None
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.kinds = np.zeros(0, np.int32)
        self.vertices = 0
        self._opacity = np.zeros(0, np.float32)
        self.any_visible = False
        self.driver_seconds = 0.0

    def set_layout(self, layout) -> None:
        """Tessellate the layout's arrows (all hidden until `set_opacity`)."""
        self._release_layout()
        arrows = build_arrows(layout)
        self.names = [a.name for a in arrows]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.kinds = np.array([0 if a.kind == Kind.INTERMEDIATE else 1 for a in arrows], dtype=np.int32)
        data = tessellate(arrows)
        self.vertices = len(data)
        n = max(len(arrows), 1)
        self.opacity_tex = self.ctx.texture((ATLAS_WIDTH, texture_rows(n)), 2, dtype="f4")
        self.opacity_tex.filter = (self.ctx.NEAREST, self.ctx.NEAREST)
        self._opacity = np.full(len(arrows), -1.0, np.float32)  # nothing uploaded yet
        self.set_opacity({})
        if self.vertices:
            self.vbo = self.ctx.buffer(data.tobytes())
            self.vao = self.ctx.vertex_array(self.program, [(self.vbo, "3f 1f 1f 1f 1f 1f", "in_position",
                                                             "in_across", "in_arrow", "in_along", "in_start",
                                                             "in_end")])

    def set_opacity(self, opacity: dict[str, float], everything: float = 0.0) -> None:
        """Each arrow's opacity: `opacity[name]`, else `everything` (the app's "show arrows" setting)."""
        values = np.full(len(self.names), everything, np.float32)
        for name, value in opacity.items():
            i = self.index.get(name)
            if i is not None:
                values[i] = value
        if not np.array_equal(values, self._opacity) and len(values):
            data = np.stack([values, self.kinds.astype(np.float32)], axis=1)
            self.opacity_tex.write(pad_rows(data, len(values), 2).tobytes())
            self._opacity = values
        self.any_visible = bool((values > 0.01).any())

    def draw(self, blocks) -> int:
        """Draw the visible arrows (blended, over the blocks, under the labels); returns the draw calls."""
        if self.vao is None or not self.any_visible or blocks.state is None:
            return 0
        ctx = self.ctx
        t0 = time.thread_time()
        self.opacity_tex.use(8)
        blocks.state.use(3)
        ctx.enable(ctx.BLEND)
        ctx.blend_func = ctx.SRC_ALPHA, ctx.ONE_MINUS_SRC_ALPHA
        ctx.disable(ctx.CULL_FACE)
        fbo = ctx.fbo
        if fbo is not None:
            fbo.depth_mask = False
        self.vao.render(ctx.TRIANGLES, vertices=self.vertices)
        if fbo is not None:
            fbo.depth_mask = True
        ctx.disable(ctx.BLEND)
        self.driver_seconds += time.thread_time() - t0
        return 1

    def _release_layout(self) -> None:
        for obj in (self.vao, self.vbo, self.opacity_tex):
            if obj is not None:
                obj.release()
        self.vao = self.vbo = self.opacity_tex = None

    def release(self) -> None:
        """Free every GL object."""
        self._release_layout()
        self.program.release()
