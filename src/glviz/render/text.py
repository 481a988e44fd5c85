"""Labels in 3D: block and section labels and the model card (render/label_sets.py says what they are),
drawn with sdf_font.py's signed-distance atlas.

Labels are quads in the x-y plane; their glyph data lives in a texture fetched by instance number, ordered
along a Morton curve and culled per chunk like the blocks, so per-frame work does not grow with the model.
"""

from __future__ import annotations

import time

import numpy as np

from glviz.arrays import unique
from glviz.render import texture_units as units
from glviz.render.buffer_texture import BufferTexture
from glviz.render.chunks import (
    ATLAS_WIDTH,
    ChunkCuller,
    QuadDraw,
    texture_rows,
)
from glviz.render.label_sets import LABEL_TEXELS, LabelPlan, LabelSet, label_atlas, layout_plan, plan_labels
from glviz.render.sdf_font import CELL, FONT_PX, PAD, FontAtlas, ink_boxes
from glviz.resources import read_shader, with_define, with_defines

MIN_LABEL_PX = 6.0  # labels whose em height is smaller than this on screen are hidden
MAX_LABEL_PX = 140.0  # and those larger than this fade out: too big to read, and costly to draw
TEXT_SMALL, TEXT_LARGE, TEXT_BOXES = 0, 1, 2  # the three text programs (text.frag's TEXT_SIZE)
# Labels with an em at least this tall on screen are drawn with one sample a pixel (text.frag): the atlas's
# 30 texels an em then fall at most 1.5 to a pixel, which one sample reads as crisply as four (the tour's
# formulas, ~20 - 30 px an em, were four samples a pixel: 1 - 3 ms of its closest frames).
LARGE_TEXT_PX = 20.0


class LabelRenderer:
    """Labels drawn as instanced SDF quads: a layout's block labels, section labels and model card
    (`set_layout`, culled by chunks), or a few labels changed often (`set_labels`, the tour's numbers).
    A label that belongs to a block moves, scales and fades with it (the block renderer's state)."""

    def __init__(self, ctx, atlas: FontAtlas | None = None, share=None, mipmaps: bool = True) -> None:
        """`share`: another LabelRenderer whose atlas texture this one uses too. `mipmaps=False`: the atlas
        is sampled without them until `make_mipmaps()` (software GL compiles a shader to make the first
        mipmaps of a process, ~0.1 s: the app's first frame does not wait for it)."""
        self.ctx = ctx
        self.atlas = share.atlas if share is not None else atlas or label_atlas()
        # Three programs, drawn in this order (text.frag): boxes (the model card's, flat, under its text),
        # small text (several samples a pixel) and large text (one): software GL would run every path for
        # every pixel of one program, and a card box filling a fifth of the view cost 9 ms with the small
        # text's four samples.
        vertex = with_defines(read_shader("text.vert"), units.unit_defines())
        fragment = read_shader("text.frag")
        self.programs = [ctx.program(vertex_shader=with_define(vertex, "TEXT_SIZE", size),
                                     fragment_shader=with_define(fragment, "TEXT_SIZE", size))
                         for size in (TEXT_BOXES, TEXT_SMALL, TEXT_LARGE)]
        h, w = self.atlas.image.shape
        # (The glyphs', labels' and ink boxes' tables and the blocks' are buffer textures, bound by layout:
        # text.vert.)
        constants = {"u_atlas": units.ATLAS, "u_min_px": MIN_LABEL_PX, "u_max_px": MAX_LABEL_PX,
                     "u_large_px": LARGE_TEXT_PX,
                     "u_cell": (CELL / FONT_PX, PAD / FONT_PX + self.atlas.ascent, CELL / w, CELL / h)}
        for program in self.programs:
            program["Camera"].binding = 0
            for name, value in constants.items():
                if name in program:  # (the boxes' program reads no atlas, nor the large text's size)
                    program[name] = value
        self.owns_atlas = share is None
        if share is not None:
            self.atlas_texture, self.ink_texture = share.atlas_texture, share.ink_texture
        else:
            # Each glyph's quad cut to its ink (sdf_font.ink_boxes): half the pixels of a whole cell to shade.
            ink = ink_boxes(self.atlas)
            self.ink_texture = BufferTexture(ctx, len(ink), "f4", 4)
            self.ink_texture.write(ink)
            self.atlas_texture = ctx.texture((w, h), 1, self.atlas.image.tobytes(), dtype="f4")
            self.atlas_texture.filter = (ctx.LINEAR, ctx.LINEAR)
            self.atlas_texture.repeat_x = self.atlas_texture.repeat_y = False
            self._mipmaps_pending = True
            if mipmaps:
                self.make_mipmaps()
        self.quads = [QuadDraw(ctx, program) for program in self.programs]  # 4 vertices a glyph
        self.glyphs = self.labels = None
        self.culler: ChunkCuller | None = None
        self.count = 0
        self.boxes = 0  # the glyphs that are boxes: the first ones (label_sets.plan_labels puts boxes first)
        self.label_chunk = np.zeros(0, np.int64)  # per label (sorted), its chunk
        self.label_block = np.zeros(0, np.int32)  # per label (sorted), its block or -1
        self._forced: tuple[bytes, np.ndarray] = (b"", np.zeros(0, np.int64))
        self._uploaded: tuple | None = None  # what set_labels uploaded last
        self.driver_seconds = 0.0  # CPU time of this thread in GL calls (software GL shades there)

    def make_mipmaps(self) -> None:
        """The atlas's mipmaps, once (a renderer made with mipmaps=False)."""
        if self.owns_atlas and self._mipmaps_pending:
            self._mipmaps_pending = False
            # Mipmaps average the distance field, so thin strokes of small text fade instead of breaking up.
            self.atlas_texture.build_mipmaps(max_level=2)  # coarser levels would mix neighbouring glyphs
            self.atlas_texture.filter = (self.ctx.LINEAR_MIPMAP_LINEAR, self.ctx.LINEAR)

    def set_layout(self, layout) -> None:
        """Build the labels of `layout` (blocks, sections, model card) and upload their glyphs (what they
        are may have been worked out off this thread: label_sets.layout_plan)."""
        self._upload(layout_plan(layout, self.atlas))
        self._uploaded = None

    def set_labels(self, labels: LabelSet, cull: bool = False) -> None:
        """Upload these labels (all drawn every frame unless `cull`; unchanged labels are not uploaded)."""
        key = (tuple(labels.texts), labels.origin.tobytes(), labels.em.tobytes(), labels.color.tobytes(),
               labels.block.tobytes(), labels.facing.tobytes())
        if not cull and key == self._uploaded:
            return
        self._upload(plan_labels(labels, self.atlas, cull))
        self._uploaded = None if cull else key

    def _upload(self, plan: LabelPlan) -> None:
        """Show a plan's labels: its glyph and per-label data into the textures (kept while their size
        holds: a layout for one more token has as many labels)."""
        self.count, self.culler = plan.count, plan.culler
        self.boxes = 0 if plan.glyphs is None else int((plan.glyphs[:, 2] < 0).sum())
        self._forced = (b"", np.zeros(0, np.int64))
        if not self.count:
            self.glyphs = self._fill(self.glyphs, None, 0)
            self.labels = self._fill(self.labels, None, 0)
            self.culler = None
            return
        for quads, count in zip(self.quads, (self.boxes, self.count, self.count), strict=True):
            quads.reserve(count)
        self.label_block, self.label_chunk = plan.label_block, plan.label_chunk
        self.labels = self._fill(self.labels, plan.per_label, LABEL_TEXELS * len(plan.label_block))
        self.glyphs = self._fill(self.glyphs, plan.glyphs, self.count)

    def _fill(self, texture: BufferTexture | None, data: np.ndarray | None, texels: int):
        """`texture` holding `data` ((texels, 4) float32), made anew only when its room (whole rows of
        ATLAS_WIDTH texels: a layout for one more token keeps it) changes (no data: freed, None)."""
        if data is None:
            if texture is not None:
                texture.release()
            return None
        room = texture_rows(texels) * ATLAS_WIDTH
        if texture is None or texture.texels != room:
            if texture is not None:
                texture.release()
            texture = BufferTexture(self.ctx, room, "f4", 4)
        texture.write(data[:texels])
        return texture

    def release(self) -> None:
        """Free every GL object of this renderer; it cannot draw afterwards."""
        for quads in self.quads:
            quads.release()
        owned = (self.glyphs, self.labels, *self.programs)
        for obj in owned + ((self.atlas_texture, self.ink_texture) if self.owns_atlas else ()):
            if obj is not None:
                obj.release()
        self.glyphs = self.labels = self.culler = None

    def _forced_chunks(self, moved: np.ndarray) -> np.ndarray:
        """The chunks holding labels of moved blocks (they may have left their chunk's box)."""
        key = moved.tobytes()
        if key != self._forced[0]:
            self._forced = (key, unique(self.label_chunk[np.isin(self.label_block, moved)]))
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
            ranges = large = [(0, self.count)]
        else:
            # The large-text program only for chunks with a label that large: its vertices are not spent on
            # the many small labels of a big model.
            force = self._forced_chunks(blocks.moved) if follow else None
            ranges = self.culler.visible_ranges(view_projection, pixel_scale, MIN_LABEL_PX, force=force)
            large = self.culler.visible_ranges(view_projection, pixel_scale, LARGE_TEXT_PX, force=force)
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
        self.glyphs.use(units.GLYPHS)
        self.labels.use(units.LABELS)
        self.atlas_texture.use(units.ATLAS)
        self.ink_texture.use(units.INK)
        for program in self.programs:
            program["u_follow"].value = int(follow)
        if follow:
            blocks.state.use(units.STATE)
            blocks.box.use(units.BOX)
        boxes = [(first, min(first + count, self.boxes) - first)
                 for first, count in ranges if first < self.boxes]
        for quads, drawn in zip(self.quads, (boxes, ranges, large), strict=True):  # boxes, small, large text
            for first, count in drawn:
                quads.render(first, count)
        if fbo is not None:
            fbo.depth_mask = True
        self.driver_seconds += time.thread_time() - t0
        return len(boxes) + len(ranges) + len(large)

