"""Labels in 3D: block and section labels and the model card, drawn with sdf_font.py's signed-distance atlas.

Labels are quads in the x-y plane; their glyph data lives in a texture fetched by instance number, ordered
along a Morton curve and culled per chunk like the blocks, so per-frame work does not grow with the model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from glviz.i18n import LANGUAGES, catalogue, tr
from glviz.i18n.labels import label
from glviz.layout.framing import OVERVIEW_AZIMUTH, OVERVIEW_ELEVATION, card_area, card_axes
from glviz.model.config import DISPLAY_NAMES, param_count
from glviz.render.chunks import (
    ATLAS_WIDTH,
    CHUNKS,
    ChunkCuller,
    QuadDraw,
    morton_order,
    pad_rows,
    texture_rows,
)
from glviz.render.sdf_font import CELL, FONT_PX, PAD, FontAtlas, load_atlas
from glviz.resources import read_shader, with_define

MIN_LABEL_PX = 6.0  # labels whose em height is smaller than this on screen are hidden
MAX_LABEL_PX = 140.0  # and those larger than this fade out: too big to read, and costly to draw
TEXT_SMALL, TEXT_LARGE = 0, 1  # the two text programs (text.frag's TEXT_SIZE)
LARGE_TEXT_PX = 32.0  # labels with an em at least this tall on screen are drawn with one sample a pixel
LABELLED_HEADS = 1  # block labels for the front head's blocks only (the stack behind would overlap them)

LABEL_COLOR = (0.16, 0.17, 0.22, 1.0)
SECTION_COLORS = {0: (0.10, 0.11, 0.16, 1.0), 1: (0.18, 0.20, 0.28, 1.0), 2: (0.28, 0.30, 0.38, 1.0),
                  3: (0.38, 0.40, 0.48, 1.0)}
CARD_COLOR = (0.80, 0.87, 0.97, 1.0)
CARD_BORDER = (0.40, 0.52, 0.78, 1.0)
PLATE_COLOR = (1.0, 1.0, 1.0, 0.72)  # behind labels drawn on a block's face
INSIDE_LABEL = 0.03  # a label on a block's face is this fraction of the block's larger side


@dataclass
class LabelSet:
    """Labels as arrays: text, baseline origin (world), em height (world), colour; a `box` (width, height
    in em, from the origin right and down) draws a filled rectangle instead of text; `facing` (azimuth,
    elevation in degrees) turns a label to face a camera at those angles (0, 0: in the x-y plane, facing
    +z like the blocks' faces)."""

    texts: list[str]
    origin: np.ndarray  # (L, 3) float32
    em: np.ndarray  # (L,) float32
    color: np.ndarray  # (L, 4) float32
    box: np.ndarray  # (L, 2) float32, NaN for text
    facing: np.ndarray  # (L, 2) float32
    block: np.ndarray  # (L,) int32: the block a label belongs to (it moves and fades with it), -1: none

    @staticmethod
    def of(texts, origin, em, color, box=None, facing=(0.0, 0.0), block=-1) -> LabelSet:
        """A LabelSet from sequences, broadcasting one colour, no boxes, one facing and one block to all."""
        n = len(texts)
        color = np.asarray(color, dtype=np.float32)
        color = np.broadcast_to(color.reshape(-1, 4) if color.size else np.zeros((0, 4), np.float32), (n, 4))
        box = np.full((n, 2), np.nan, dtype=np.float32) if box is None else np.asarray(box, dtype=np.float32)
        return LabelSet(list(texts), np.asarray(origin, dtype=np.float32).reshape(n, 3),
                        np.asarray(em, dtype=np.float32).reshape(n), color.copy(), box.reshape(n, 2),
                        np.broadcast_to(np.asarray(facing, dtype=np.float32), (n, 2)).copy(),
                        np.broadcast_to(np.asarray(block, dtype=np.int32), (n,)).copy())

    @staticmethod
    def concat(parts: list[LabelSet]) -> LabelSet:
        """The labels of `parts` one after the other."""
        return LabelSet([t for p in parts for t in p.texts], np.concatenate([p.origin for p in parts]),
                        np.concatenate([p.em for p in parts]), np.concatenate([p.color for p in parts]),
                        np.concatenate([p.box for p in parts]), np.concatenate([p.facing for p in parts]),
                        np.concatenate([p.block for p in parts]))

    def take(self, order: np.ndarray) -> LabelSet:
        """The labels in `order`."""
        return LabelSet([self.texts[i] for i in order], self.origin[order], self.em[order], self.color[order],
                        self.box[order], self.facing[order], self.block[order])


def _text_widths(texts: list[str], atlas: FontAtlas) -> np.ndarray:
    """Width in em of each text (each distinct text measured once)."""
    cache: dict[str, float] = {}
    out = np.empty(len(texts), dtype=np.float32)
    for i, text in enumerate(texts):
        width = cache.get(text)
        if width is None:
            width = cache[text] = atlas.text_width(text)
        out[i] = width
    return out


LABEL_MARGIN = 0.35  # gaps: room kept between a label's end and the next block to its right
LABEL_OVERHANG = 2.0  # gaps: how far a label may run past its block's right edge when nothing is there


def _room_to_the_right(layout, keep: np.ndarray, band: float) -> np.ndarray:
    """For each kept block, the x where the nearest other block starts to its right within the band of
    height `band` above its top edge (where its label goes), or +inf.

    Heads are stacked in depth at the same x and y, so the front head's blocks stand for all of them; the
    search runs per layer (layers repeat, and a label's neighbours are in its own layer), which keeps it
    linear in the model's size."""
    front = np.array([b.head <= 0 for b in layout.blocks], dtype=bool)
    layer = np.array([b.layer for b in layout.blocks], dtype=np.int64)
    limit = np.full(int(keep.sum()), np.inf)
    kept = np.flatnonzero(keep)
    for number in np.unique(layer[kept]):
        mine = np.flatnonzero(layer[kept] == number)
        others = np.flatnonzero(front & (layer == number))
        lo, top = layout.mins[kept[mine]].astype(np.float64), layout.maxs[kept[mine], 1].astype(np.float64)
        o_lo, o_hi = layout.mins[others].astype(np.float64), layout.maxs[others].astype(np.float64)
        # (labels, others): the other block starts right of the label's start and reaches into its band.
        # (A block whose top is within the band below has its own label in the band.)
        ahead = ((o_lo[None, :, 0] > lo[:, None, 0] + 1e-3) & (o_hi[None, :, 1] > top[:, None] - band)
                 & (o_lo[None, :, 1] < top[:, None] + band))
        limit[mine] = np.where(ahead, o_lo[None, :, 0], np.inf).min(axis=1)
    return limit


def block_labels(layout, atlas: FontAtlas) -> LabelSet:
    """One label per block just above its top-left corner, as large as the gap above allows, and narrower
    where the next block to the right (its label starts there) would otherwise be run into; never much
    larger than the block itself. Labels stay off the cells: only the vocabulary-wide tables of GPT-2 and
    GPT-3, whose label above would be too small to see whenever the table fills the view, carry theirs on
    their face."""
    gap = max(4.0, layout.config.n_embd / 12)  # the spacing build_layout leaves between blocks
    # Heads are stacked in depth and labelled alike; the "Head i" section labels tell them apart, so only
    # the front head's blocks get labels (overlapping copies behind it are noise, and for GPT-3 96 heads x
    # 96 layers of them would be ~700k glyphs).
    keep = np.array([bool(b.label) and b.head < LABELLED_HEADS for b in layout.blocks], dtype=bool)
    texts = [label(b.label) for b, k in zip(layout.blocks, keep, strict=True) if k]
    lo, hi = layout.mins[keep].astype(np.float64), layout.maxs[keep].astype(np.float64)
    width, height = hi[:, 0] - lo[:, 0], hi[:, 1] - lo[:, 1]
    text_w = _text_widths(texts, atlas)
    room = _room_to_the_right(layout, keep, 0.7 * gap) - LABEL_MARGIN * gap
    # Per-head blocks' labels run less far past their block: the heads stacked behind show up beside it,
    # shifted by the view's parallax, and would cross a long label.
    stacked = np.array([b.head >= 0 for b, k in zip(layout.blocks, keep, strict=True) if k], dtype=bool)
    room = np.minimum(room, hi[:, 0] + np.where(stacked, 1.0, LABEL_OVERHANG) * gap) - lo[:, 0]
    em = np.minimum(0.55 * gap, room / np.maximum(text_w, 0.5))
    em = np.minimum(em, np.maximum.reduce([0.4 * height, 0.15 * width, np.ones_like(width)]))  # not above
    origin = np.stack([lo[:, 0], hi[:, 1] + 0.25 * em, hi[:, 2] + 0.01], axis=1)
    # A block far bigger than the gap (GPT-2's 50257-row tables) would get a label too small to see
    # whenever the block fills the view: such labels go on the block's face instead, in its top-left
    # corner, on a translucent plate, lifted off the face by a fraction of their size (depth).
    vocabulary = np.array(["V" in b.dims for b, k in zip(layout.blocks, keep, strict=True) if k], dtype=bool)
    big = INSIDE_LABEL * np.maximum(width, height)
    inside = vocabulary & (big > 2.0 * em)
    em = np.where(inside, np.minimum(big, 0.8 * width / np.maximum(text_w + 0.6, 1.0)), em)
    lift = hi[:, 2] + np.where(inside, 0.02 * em, 0.01)
    origin = np.where(inside[:, None], np.stack([lo[:, 0] + 0.3 * em, hi[:, 1] - 1.15 * em, lift], axis=1),
                      origin)
    owners = np.flatnonzero(keep)
    labels = LabelSet.of(texts, origin, em, LABEL_COLOR, block=owners)
    k = np.flatnonzero(inside)
    plates = LabelSet.of([""] * len(k), np.stack([lo[k, 0] + 0.1 * em[k], hi[k, 1] - 0.1 * em[k],
                                                  lift[k] - 0.01 * em[k]], axis=1),
                         em[k], PLATE_COLOR, np.stack([text_w[k] + 0.4, np.full(len(k), 1.45)], axis=1),
                         block=owners[k])
    return LabelSet.concat([labels, plates])


def section_labels(layout) -> LabelSet:
    """The section titles (Transformer i, Self-attention, Head h, ...) where the layout placed them."""
    sections = layout.sections
    colors = [SECTION_COLORS.get(s.level, LABEL_COLOR) for s in sections]
    return LabelSet.of([label(s.label) for s in sections], [s.position for s in sections],
                       [s.height for s in sections], colors)


def model_card(layout, atlas: FontAtlas) -> LabelSet:
    """Name, C, T, layers, heads and parameter count on a card above the model, in the room that
    camera.card_area keeps for it (short lines, so that the text is as large as that room allows)."""
    cfg = layout.config
    centre_x, bottom, max_w, max_h = card_area(layout)
    right, up = card_axes()
    title = DISPLAY_NAMES.get(cfg.name, cfg.name)
    ink = (0.15, 0.18, 0.30, 1.0)
    small = 0.66
    lines = [(title, 1.0, (0.08, 0.10, 0.20, 1.0)),
             (tr("card.sizes", C=cfg.n_embd, T=layout.n_tokens or cfg.block_size), small, ink),
             (tr("card.layers", layers=cfg.n_layer, heads=cfg.n_head), small, ink),
             (tr("card.parameters", params=f"{param_count(cfg):,}"), small, ink)]
    text_w = max(atlas.text_width(t) * s for t, s, _ in lines)
    card_w = text_w + 1.2
    card_h = 0.3 + 1.0 + sum(small * 1.3 for _, s, _ in lines if s < 1) + 0.45
    em = min(max_w / card_w, max_h / card_h)  # the card's size follows the model's, not its text's
    left = centre_x - card_w * em / 2
    top = bottom + card_h * em
    z = float(layout.bounds[1][2]) + 0.01
    border = 0.06  # em
    texts = ["", ""]
    origins = [(left - border * em, top + border * em, z), (left, top, z)]
    ems = [em, em]
    colors = [CARD_BORDER, CARD_COLOR]
    boxes = [(card_w + 2 * border, card_h + 2 * border), (card_w, card_h)]
    y = top - 0.3 * em
    for text, scale, color in lines:
        y -= scale * em * 1.3 if scale < 1 else em
        tw = atlas.text_width(text) * scale * em
        texts.append(text)
        origins.append((centre_x - tw / 2, y, z))
        ems.append(scale * em)
        colors.append(color)
        boxes.append((np.nan, np.nan))
    # The card turns about the middle of its bottom edge to face the overview camera: left in the model's
    # plane, seen from the side and above, it would be a slanted trapezoid with text shrinking to one side.
    origins = np.asarray(origins, dtype=np.float64)
    pivot = np.array([centre_x, bottom, z])
    origins = pivot + (origins[:, :1] - centre_x) * right + (origins[:, 1:2] - bottom) * up
    return LabelSet.of(texts, origins, ems, colors, boxes, (OVERVIEW_AZIMUTH, OVERVIEW_ELEVATION))


def _label_axes(facing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L, 3) right and up directions of labels facing (azimuth, elevation) (L, 2) degrees, as text.vert."""
    az, el = np.radians(facing[:, 0]), np.radians(facing[:, 1])
    right = np.stack([np.cos(az), np.zeros_like(az), -np.sin(az)], axis=1)
    up = np.stack([-np.sin(el) * np.sin(az), np.cos(el), -np.sin(el) * np.cos(az)], axis=1)
    return right.astype(np.float32), up.astype(np.float32)


def glyph_table(labels: LabelSet, atlas: FontAtlas) -> tuple[np.ndarray, np.ndarray]:
    """Per glyph (G, 4) float32 (label, x0 em, atlas cell or -1 for a box, box height em or the label's
    text width em), and the number of glyphs of each label (L,). Glyphs come grouped by label, in label
    order."""
    left = -PAD / FONT_PX
    unique: dict[str, int] = {}
    tables_cell, tables_pen, text_width = [], [], []
    inverse = np.empty(len(labels.texts), dtype=np.int64)
    for k, text in enumerate(labels.texts):  # labels repeat a lot (Q, K, V per head): lay out each text once
        u = unique.get(text)
        if u is None:
            u = unique[text] = len(unique)
            idx = np.array([atlas.index.get(ch, atlas.index["?"]) for ch in text], dtype=np.int64)
            pen = np.concatenate([[0.0], np.cumsum(atlas.advance[idx])[:-1]]) if len(idx) else np.zeros(0)
            visible = np.array([ch != " " for ch in text], dtype=bool)
            tables_cell.append(idx[visible] if len(idx) else idx)  # atlas.index gives the glyph's cell
            tables_pen.append(pen[visible] + left if len(idx) else pen)
            text_width.append(float(atlas.advance[idx].sum()) if len(idx) else 0.0)
        inverse[k] = u
    lengths = np.array([len(c) for c in tables_cell], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    all_cell = np.concatenate(tables_cell) if tables_cell else np.zeros(0, dtype=np.int64)
    all_pen = np.concatenate(tables_pen) if tables_pen else np.zeros(0)

    is_box = ~np.isnan(labels.box[:, 0])
    counts = np.where(is_box, 1, lengths[inverse])
    owner = np.repeat(np.arange(len(counts)), counts)
    local = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    source = starts[inverse][owner] + local
    table = np.zeros((len(owner), 4), dtype=np.float32)
    table[:, 0] = owner
    text_glyph = ~is_box[owner]
    table[text_glyph, 1] = all_pen[source[text_glyph]]
    table[text_glyph, 2] = all_cell[source[text_glyph]]
    table[text_glyph, 3] = np.asarray(text_width, dtype=np.float32)[inverse][owner[text_glyph]]
    table[~text_glyph, 1] = labels.box[owner[~text_glyph], 0]
    table[~text_glyph, 2] = -1.0
    table[~text_glyph, 3] = labels.box[owner[~text_glyph], 1]
    return table, counts


def layout_labels(layout, atlas: FontAtlas) -> LabelSet:
    """Block labels, section labels and the model card of a layout; of each model of a composed scene, moved
    to where it sits (layout.compose)."""
    if not layout.parts:
        parts = [block_labels(layout, atlas), section_labels(layout), model_card(layout, atlas)]
        return LabelSet.concat(parts)
    sets = []
    for part in layout.parts:
        labels = layout_labels(part.layout, atlas)
        labels.origin += part.offset.astype(np.float32)
        labels.block = np.where(labels.block >= 0, labels.block + part.first, -1).astype(np.int32)
        sets.append(labels)
    return LabelSet.concat(sets)


def label_atlas() -> FontAtlas:
    """The atlas of every character the labels of the scene use in any language (baked once, cached)."""
    chars = {ch for lang in LANGUAGES for key, text in catalogue(lang).items()
             if key.startswith(("label.", "card.")) for ch in text}
    return load_atlas("".join(sorted(chars)))


class LabelRenderer:
    """Labels drawn as instanced SDF quads: a layout's block labels, section labels and model card
    (`set_layout`, culled by chunks), or a few labels changed often (`set_labels`, the tour's numbers).
    A label that belongs to a block moves, scales and fades with it (the block renderer's state)."""

    def __init__(self, ctx, atlas: FontAtlas | None = None, share=None) -> None:
        """`share`: another LabelRenderer whose atlas texture this one uses too."""
        self.ctx = ctx
        self.atlas = share.atlas if share is not None else atlas or label_atlas()
        # Two programs, one per size of text (text.frag): big glyphs cover many pixels and need one sample
        # each, small ones several; software GL would run both paths for every pixel of one program.
        vertex, fragment = read_shader("text.vert"), read_shader("text.frag")
        self.programs = [ctx.program(vertex_shader=with_define(vertex, "TEXT_SIZE", size),
                                     fragment_shader=with_define(fragment, "TEXT_SIZE", size))
                         for size in (TEXT_SMALL, TEXT_LARGE)]
        self.program = self.programs[TEXT_SMALL]
        h, w = self.atlas.image.shape
        units = (("u_glyphs", 5), ("u_labels", 6), ("u_atlas", 7), ("u_state", 3), ("u_box", 1))
        for program in self.programs:
            for name, unit in units:
                program[name] = unit
            program["Camera"].binding = 0
            program["u_min_px"] = MIN_LABEL_PX
            program["u_max_px"] = MAX_LABEL_PX
            program["u_large_px"] = LARGE_TEXT_PX
            program["u_cell"] = (CELL / FONT_PX, PAD / FONT_PX + self.atlas.ascent, CELL / w, CELL / h)
        self.owns_atlas = share is None
        if share is not None:
            self.atlas_texture = share.atlas_texture
        else:
            self.atlas_texture = ctx.texture((w, h), 1, self.atlas.image.tobytes(), dtype="f4")
            # Mipmaps average the distance field, so thin strokes of small text fade instead of breaking up.
            self.atlas_texture.build_mipmaps(max_level=2)  # coarser levels would mix neighbouring glyphs
            self.atlas_texture.filter = (ctx.LINEAR_MIPMAP_LINEAR, ctx.LINEAR)
            self.atlas_texture.repeat_x = self.atlas_texture.repeat_y = False
        self.quads = [QuadDraw(ctx, program) for program in self.programs]  # 4 vertices a glyph
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
        width = np.where(np.isnan(labels.box[:, 0]), _text_widths(labels.texts, self.atlas), labels.box[:, 0])
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
        for quads in self.quads:
            quads.reserve(self.count)
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
        for quads in self.quads:
            quads.release()
        owned = (self.glyphs, self.labels, *self.programs)
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
        for program in self.programs:
            program["u_follow"].value = int(follow)
        if follow:
            blocks.state.use(3)
            blocks.box.use(1)
        for quads in self.quads:
            for first, count in ranges:
                quads.render(first, count)
        if fbo is not None:
            fbo.depth_mask = True
        self.driver_seconds += time.thread_time() - t0
        return len(ranges)


LABEL_TEXELS = 4  # per label: (origin, em), (rgba), (turn), (block, 0, 0, 0)
