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
from glviz.render import texture_units as units
from glviz.render.chunks import ATLAS_WIDTH, pad_rows, texture_rows
from glviz.resources import read_shader, with_defines

DATA_COLOR = (0.20, 0.62, 0.26)  # values: green, as the intermediate blocks
WEIGHT_COLOR = (0.22, 0.36, 0.78)  # weights: blue
HEAD_LENGTH = 2.2  # arrow head length, in ribbon widths
HEAD_WIDTH = 2.4  # and its width


def _sides(directions: np.ndarray) -> np.ndarray:
    """(k, 3) unit vectors across segments (k, 3), in the plane facing the viewer where possible."""
    across = np.cross(directions, [0.0, 0.0, 1.0])
    flat = np.linalg.norm(across, axis=1) < 1e-6  # segments along z: turn about y instead
    across[flat] = np.cross(directions[flat], [0.0, 1.0, 0.0])
    return across / np.maximum(np.linalg.norm(across, axis=1, keepdims=True), 1e-12)


def _arrow_triangles(arrow: Arrow, k: int) -> np.ndarray:
    """(V, 8) vertices of one arrow: a quad per segment of its body, one triangle for its head."""
    pts = arrow.points
    seg = np.diff(pts, axis=0)
    lengths = np.linalg.norm(seg, axis=1)
    keep = lengths > 1e-9
    pts = np.concatenate([pts[:1], pts[1:][keep]])
    seg, lengths = seg[keep], lengths[keep]
    if len(pts) < 2:
        return np.zeros((0, 8), dtype=np.float32)
    w = arrow.width
    total = float(lengths.sum())
    head = min(HEAD_LENGTH * w, 0.6 * total)
    # The body stops where the head starts.
    cum = np.concatenate([[0.0], np.cumsum(lengths)])
    stop = total - head
    j = min(max(int(np.searchsorted(cum, stop, side="right")) - 1, 0), len(seg) - 1)
    base = pts[j] + seg[j] / lengths[j] * (stop - cum[j])
    body = np.concatenate([pts[: j + 1], [base]])  # (m, 3)
    along = np.concatenate([cum[: j + 1], [stop]]) / total  # (m,)
    a, b = body[:-1], body[1:]  # (m-1, 3)
    good = np.linalg.norm(b - a, axis=1) > 1e-9
    a, b, ta, tb = a[good], b[good], along[:-1][good], along[1:][good]
    # Square ends per segment: a dogleg's corners overlap by half a width, which the eye forgives.
    side = _sides(b - a) * (w / 2)  # (q, 3)
    corners = np.stack([a - side, a + side, b - side, b + side], axis=1)  # (q, 4, 3)
    across = np.array([-1.0, 1.0, -1.0, 1.0])
    t = np.stack([ta, ta, tb, tb], axis=1)  # (q, 4)
    order = [0, 1, 2, 2, 1, 3]
    quads = np.concatenate([corners[:, order], np.broadcast_to(across[order], (len(a), 6))[..., None],
                            np.full((len(a), 6, 1), k), t[:, order, None]], axis=2).reshape(-1, 6)
    tip = pts[-1]
    head_side = _sides((tip - base)[None])[0] * HEAD_WIDTH * w / 2
    head_t = stop / total
    tri = np.array([[*(base - head_side), -1.0, k, head_t], [*(base + head_side), 1.0, k, head_t],
                    [*tip, 0.0, k, 1.0]])
    out = np.concatenate([quads, tri])
    ends = np.broadcast_to(np.array([arrow.start_block, arrow.end_block], dtype=np.float64), (len(out), 2))
    return np.concatenate([out, ends], axis=1).astype(np.float32)


def tessellate(arrows: list[Arrow]) -> tuple[np.ndarray, np.ndarray]:
    """Triangles of every arrow: (V, 8) float32 vertices (x, y, z, across -1..1, arrow, along 0..1, start
    block, end block), arrow after arrow, and where each arrow's vertices start (len(arrows) + 1,). The
    ribbon stops where the head begins; the head is one triangle whose `across` runs to ±1 along its slanted
    sides."""
    parts = [_arrow_triangles(arrow, k) for k, arrow in enumerate(arrows)]
    starts = np.concatenate([[0], np.cumsum([len(p) for p in parts], dtype=np.int64)]).astype(np.int64)
    return (np.concatenate(parts) if parts else np.zeros((0, 8), dtype=np.float32)), starts


def shown_runs(opacity: np.ndarray, starts: np.ndarray) -> list[tuple[int, int]]:
    """(first vertex, vertices) of each run of consecutive arrows with an opacity over 0.01: only those
    are drawn (the Scale chapter's layout holds GPT-3's arrows too, ~9 ms of vertex work a frame on software
    GL though none of them shows)."""
    shown = np.concatenate([[False], opacity > 0.01, [False]])
    edges = np.flatnonzero(shown[1:] != shown[:-1])  # run starts and ends, alternately (arrow numbers)
    return [(int(starts[a]), int(starts[b] - starts[a]))
            for a, b in zip(edges[::2], edges[1::2], strict=True)]


class ArrowRenderer:
    """The arrows of one layout; `set_opacity({name: opacity})` chooses which show."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        vertex = with_defines(read_shader("arrows.vert"), units.unit_defines())
        self.program = ctx.program(vertex_shader=vertex, fragment_shader=read_shader("arrows.frag"))
        self.program["u_opacity"] = units.OPACITY
        self.program["Camera"].binding = 0
        self.program["u_colors"].value = [DATA_COLOR, WEIGHT_COLOR]
        self.vbo = self.vao = self.opacity_tex = None
        self.layout = None
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.kinds = np.zeros(0, np.int32)
        self.vertices = 0
        self._pending: list | None = None  # arrows named but not tessellated yet
        self._opacity = np.zeros(0, np.float32)
        self.any_visible = False
        self._starts = np.zeros(1, np.int64)  # where each arrow's vertices start
        self._runs: list[tuple[int, int]] | None = None  # the vertex runs of the arrows shown
        self.driver_seconds = 0.0

    def set_layout(self, layout) -> None:
        """The layout's arrows, all hidden: named when some are first asked for (`set_opacity`) and
        tessellated when first shown (GPT-3's 1,700 arrows take a while, and a layout is made for every new
        token, while most sessions never show them)."""
        self._release_layout()
        self.layout = layout
        self.names, self.index, self.kinds = [], {}, np.zeros(0, np.int32)
        self._pending = None
        self._opacity = np.zeros(0, np.float32)
        self._runs = None
        self.any_visible = False

    def _name(self) -> None:
        """Build the layout's arrows (their names and kinds) and their opacity texture."""
        arrows = build_arrows(self.layout)
        self.layout = None
        self._pending = arrows
        self.names = [a.name for a in arrows]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.kinds = np.array([0 if a.kind == Kind.INTERMEDIATE else 1 for a in arrows], dtype=np.int32)
        n = max(len(arrows), 1)
        self.opacity_tex = self.ctx.texture((ATLAS_WIDTH, texture_rows(n)), 2, dtype="f4")
        self.opacity_tex.filter = (self.ctx.NEAREST, self.ctx.NEAREST)
        self._opacity = np.full(len(arrows), -1.0, np.float32)  # nothing uploaded yet

    def _tessellate(self) -> None:
        data, self._starts = tessellate(self._pending)
        self._pending = None
        self._runs = None
        self.vertices = len(data)
        if self.vertices:
            self.vbo = self.ctx.buffer(data.tobytes())
            self.vao = self.ctx.vertex_array(self.program, [(self.vbo, "3f 1f 1f 1f 1f 1f", "in_position",
                                                             "in_across", "in_arrow", "in_along", "in_start",
                                                             "in_end")])

    def set_opacity(self, opacity: dict[str, float], everything: float = 0.0) -> None:
        """Each arrow's opacity: `opacity[name]`, else `everything` (the app's "show arrows" setting)."""
        if self.layout is not None:
            if not (everything > 0 or any(value > 0 for value in opacity.values())):
                return  # none shown: the arrows need not exist yet
            self._name()
        values = np.full(len(self.names), everything, np.float32)
        for name, value in opacity.items():
            i = self.index.get(name)
            if i is not None:
                values[i] = value
        if not np.array_equal(values, self._opacity) and len(values):
            data = np.stack([values, self.kinds.astype(np.float32)], axis=1)
            self.opacity_tex.write(pad_rows(data, len(values), 2).tobytes())
            self._opacity = values
            self._runs = None  # worked out again when drawn
        self.any_visible = bool((values > 0.01).any())

    def draw(self, blocks) -> int:
        """Draw the visible arrows (blended, over the blocks, under the labels); returns the draw calls."""
        if not self.any_visible or blocks.state is None:
            return 0
        if self._pending is not None:
            self._tessellate()
        if self.vao is None:
            return 0
        if self._runs is None:
            self._runs = shown_runs(self._opacity, self._starts)
        ctx = self.ctx
        t0 = time.thread_time()
        self.opacity_tex.use(units.OPACITY)
        blocks.state.use(units.STATE)
        ctx.enable(ctx.BLEND)
        ctx.blend_func = ctx.SRC_ALPHA, ctx.ONE_MINUS_SRC_ALPHA
        ctx.disable(ctx.CULL_FACE)
        fbo = ctx.fbo
        if fbo is not None:
            fbo.depth_mask = False
        for first, count in self._runs:
            self.vao.render(ctx.TRIANGLES, first=first, vertices=count)
        if fbo is not None:
            fbo.depth_mask = True
        ctx.disable(ctx.BLEND)
        self.driver_seconds += time.thread_time() - t0
        return len(self._runs)

    def _release_layout(self) -> None:
        for obj in (self.vao, self.vbo, self.opacity_tex):
            if obj is not None:
                obj.release()
        self.vao = self.vbo = self.opacity_tex = None
        self.vertices = 0

    def release(self) -> None:
        """Free every GL object."""
        self._release_layout()
        self.program.release()
