"""Labels in 3D: block and section labels and the model card (render/label_sets.py says what they are),
drawn with sdf_font.py's signed-distance atlas.

Labels are quads in the x-y plane; their glyph data lives in a texture fetched by instance number, ordered
along a Morton curve and culled per chunk like the blocks, so per-frame work does not grow with the model.
"""

from __future__ import annotations

import time

import numpy as np

from glviz.render.chunks import (
    ATLAS_WIDTH,
    CHUNKS,
    ChunkCuller,
    QuadDraw,
    morton_order,
    pad_rows,
    texture_rows,
)
from glviz.render.label_sets import LabelSet, glyph_table, label_atlas, layout_labels, text_widths
from glviz.render.sdf_font import CELL, FONT_PX, PAD, FontAtlas
from glviz.resources import read_shader

MIN_LABEL_PX = 6.0  # labels whose em height is smaller than this on screen are hidden
MAX_LABEL_PX = 140.0  # and those larger than this fade out: too big to read, and costly to draw


def _label_axes(facing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L, 3) right and up directions of labels facing (azimuth, elevation) (L, 2) degrees, as text.vert."""
    az, el = np.radians(facing[:, 0]), np.radians(facing[:, 1])
    right = np.stack([np.cos(az), np.zeros_like(az), -np.sin(az)], axis=1)
    up = np.stack([-np.sin(el) * np.sin(az), np.cos(el), -np.sin(el) * np.cos(az)], axis=1)
    return right.astype(np.float32), up.astype(np.float32)


class LabelRenderer:
    """Labels drawn as instanced SDF quads: a layout's block labels, section labels and model card
    (`set_layout`, culled by chunks), or a few labels changed often (`set_labels`, the tour's numbers).
    A label that belongs to a block moves, scales and fades with it (the block renderer's state)."""

    def __init__(self, ctx, atlas: FontAtlas | None = None, share=None) -> None:
        """`share`: another LabelRenderer whose atlas texture this one uses too."""
        self.ctx = ctx
        self.atlas = share.atlas if share is not None else atlas or label_atlas()
        self.program = ctx.program(vertex_shader=read_shader("text.vert"),
                                   fragment_shader=read_shader("text.frag"))
        for name, unit in (("u_glyphs", 5), ("u_labels", 6), ("u_atlas", 7), ("u_state", 3), ("u_box", 1)):
            self.program[name] = unit
        self.program["Camera"].binding = 0
        self.program["u_min_px"] = MIN_LABEL_PX
        self.program["u_max_px"] = MAX_LABEL_PX
        h, w = self.atlas.image.shape
        self.program["u_cell"] = (CELL / FONT_PX, PAD / FONT_PX + self.atlas.ascent, CELL / w,
                                  CELL / h)
        self.u_follow = self.program["u_follow"]
        self.owns_atlas = share is None
        if share is not None:
            self.atlas_texture = share.atlas_texture
        else:
            self.atlas_texture = ctx.texture((w, h), 1, self.atlas.image.tobytes(), dtype="f4")
            # Mipmaps average the distance field, so thin strokes of small text fade instead of breaking up.
            self.atlas_texture.build_mipmaps(max_level=2)  # coarser levels would mix neighbouring glyphs
            self.atlas_texture.filter = (ctx.LINEAR_MIPMAP_LINEAR, ctx.LINEAR)
            self.atlas_texture.repeat_x = self.atlas_texture.repeat_y = False
        self.quads = QuadDraw(ctx, self.program)  # 4 vertices a glyph
        self.glyphs = self.labels = None
        self.culler: ChunkCuller | None = None
        self.count = 0
        self.label_chunk = np.zeros(0, np.int64)  # per label (sorted), its chunk
        self.label_block = np.zeros(0, np.int32)  # per label (sorted), its block or -1
        self._forced: tuple[bytes, np.ndarray] = (b"", np.zeros(0, np.int64))
        self._uploaded: tuple | None = None  # what set_labels uploaded last
        self.driver_seconds = 0.0  # CPU time of this thread in GL calls (software GL shades there)

    def set_layout(self, layout) -> None:
        """Build the labels of `layout` (blocks, sections, model card) and upload their glyphs."""
        self.set_labels(layout_labels(layout, self.atlas), cull=True)

    def set_labels(self, labels: LabelSet, cull: bool = False) -> None:
        """Upload these labels (all drawn every frame unless `cull`; unchanged labels are not uploaded)."""
        key = (tuple(labels.texts), labels.origin.tobytes(), labels.em.tobytes(), labels.color.tobytes(),
               labels.block.tobytes(), labels.facing.tobytes())
        if not cull and key == self._uploaded:
            return
        self._uploaded = None if cull else key
        for tex in (self.glyphs, self.labels):
            if tex is not None:
                tex.release()
        self.glyphs = self.labels = self.culler = None
        self.count = 0
        if not labels.texts:
            return
        # Sort labels along a Morton curve of their boxes so that chunks of them are compact in space.
        width = np.where(np.isnan(labels.box[:, 0]), text_widths(labels.texts, self.atlas), labels.box[:, 0])
        right, up = _label_axes(labels.facing)
        # Corners of each label's rectangle: width along `right`, an em up and a box's height down.
        across = right * (width * labels.em)[:, None]
        rise, drop = up * labels.em[:, None], -up * (np.nan_to_num(labels.box[:, 1]) * labels.em)[:, None]
        corners = [labels.origin + a + b for a in (0.0, across) for b in (rise, drop)]
        lo, hi = np.minimum.reduce(corners), np.maximum.reduce(corners)
        n = len(labels.texts)
        order = morton_order((lo + hi) / 2) if n > 1 and cull else np.arange(n)
        # Boxes (the card) first, in their own order, so that the text drawn over them comes later.
        is_box = ~np.isnan(labels.box[order, 0])
        order = np.concatenate([np.sort(order[is_box]), order[~is_box]])
        labels = labels.take(order)
        table, counts = glyph_table(labels, self.atlas)
        self.count = len(table)
        self.quads.reserve(self.count)
        if not self.count:
            return
        offsets = np.concatenate([[0], np.cumsum(counts)])
        self.culler = ChunkCuller(lo[order], hi[order], sizes=labels.em, offsets=offsets,
                                  chunks=CHUNKS if cull else 1)
        self.label_block = labels.block
        self.label_chunk = self.culler.chunk_of(np.arange(n))
        self._forced = (b"", np.zeros(0, np.int64))
        az, el = np.radians(labels.facing[:, 0]), np.radians(labels.facing[:, 1])
        turn = np.stack([np.cos(az), np.sin(az), np.cos(el), np.sin(el)], axis=1).astype(np.float32)
        owner = np.zeros((n, 4), dtype=np.float32)
        owner[:, 0] = labels.block
        per_label = np.concatenate([labels.origin, labels.em[:, None], labels.color, turn, owner], axis=1)
        self.labels = self.ctx.texture((ATLAS_WIDTH, texture_rows(LABEL_TEXELS * n)), 4, dtype="f4")
        self.labels.write(pad_rows(per_label.reshape(-1, 4), LABEL_TEXELS * n, 4).tobytes())
        self.glyphs = self.ctx.texture((ATLAS_WIDTH, texture_rows(self.count)), 4, dtype="f4")
        self.glyphs.write(pad_rows(table, self.count, 4).tobytes())
        for tex in (self.glyphs, self.labels):
            tex.filter = (self.ctx.NEAREST, self.ctx.NEAREST)

    def release(self) -> None:
        """Free every GL object of this renderer; it cannot draw afterwards."""
        self.quads.release()
        owned = (self.glyphs, self.labels, self.program)
        for obj in owned + ((self.atlas_texture,) if self.owns_atlas else ()):
            if obj is not None:
                obj.release()
        self.glyphs = self.labels = self.culler = None

    def _forced_chunks(self, moved: np.ndarray) -> np.ndarray:
        """The chunks holding labels of moved blocks (they may have left their chunk's box)."""
        key = moved.tobytes()
        if key != self._forced[0]:
            self._forced = (key, np.unique(self.label_chunk[np.isin(self.label_block, moved)]))
        return self._forced[1]

    def draw(self, view_projection: np.ndarray, pixel_scale: float, blocks=None) -> int:
        """Draw the labels that are on screen and large enough; returns the number of draw calls. With
        `blocks` (a BlockRenderer), labels of blocks follow their block's place, size and opacity."""
        if self.culler is None:
            return 0
        follow = blocks is not None and blocks.state is not None
        if self._uploaded is not None:
            # A few labels set every frame (the tour's marks): all drawn, each hides itself when too small
            # (one chunk's box and size would judge marks at the top and the bottom of the model as one).
            ranges = [(0, self.count)]
        else:
            force = self._forced_chunks(blocks.moved) if follow else None
            ranges = self.culler.visible_ranges(view_projection, pixel_scale, MIN_LABEL_PX, force=force)
        if not ranges:
            return 0
        ctx = self.ctx
        t0 = time.thread_time()
        ctx.enable(ctx.BLEND)
        ctx.blend_func = ctx.SRC_ALPHA, ctx.ONE_MINUS_SRC_ALPHA
        ctx.disable(ctx.CULL_FACE)
        # Labels test depth against the blocks but do not write it: overlapping glyph quads and the card
        # would otherwise hide each other depending on draw order.
        fbo = ctx.fbo
        if fbo is not None:
            fbo.depth_mask = False
        self.glyphs.use(5)
        self.labels.use(6)
        self.atlas_texture.use(7)
        self.u_follow.value = int(follow)
        if follow:
            blocks.state.use(3)
            blocks.box.use(1)
        for first, count in ranges:
            self.quads.render(first, count)
        if fbo is not None:
            fbo.depth_mask = True
        self.driver_seconds += time.thread_time() - t0
        return len(ranges)


LABEL_TEXELS = 4  # per label: (origin, em), (rgba), (turn), (block, 0, 0, 0)
