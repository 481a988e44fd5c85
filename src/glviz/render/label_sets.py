"""What the labels of a layout are (no GL): block and section labels and the model card as a LabelSet, and the
glyph table that render/text.py's LabelRenderer uploads.

Which blocks carry a label and what it says (in the current language) does not change with the token count:
those facts are kept per layout structure (layout/memo.py), so that a layout made for one more token only
places its labels again.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numpy as np

from glviz.arrays import unique
from glviz.i18n import LANGUAGES, catalogue, language, tr
from glviz.i18n.labels import label
from glviz.layout.framing import (
    LABEL_EM_OF_GAP,
    LABEL_LIFT_EM,
    OVERVIEW_AZIMUTH,
    OVERVIEW_ELEVATION,
    block_gap,
    card_area,
    card_axes,
)
from glviz.layout.memo import per_structure
from glviz.model.config import DISPLAY_NAMES, param_count
from glviz.render.chunks import CHUNKS, ChunkCuller, morton_order
from glviz.render.sdf_font import FONT_PX, PAD, FontAtlas, load_atlas

LABELLED_HEADS = 1  # block labels for the front head's blocks only (the stack behind would overlap them)

LABEL_COLOR = (0.16, 0.17, 0.22, 1.0)
SECTION_COLORS = {0: (0.10, 0.11, 0.16, 1.0), 1: (0.18, 0.20, 0.28, 1.0), 2: (0.28, 0.30, 0.38, 1.0),
                  3: (0.38, 0.40, 0.48, 1.0)}
CARD_COLOR = (0.80, 0.87, 0.97, 1.0)
CARD_BORDER = (0.40, 0.52, 0.78, 1.0)
PLATE_COLOR = (1.0, 1.0, 1.0, 0.72)  # behind labels drawn on a block's face
INSIDE_LABEL = 0.03  # a label on a block's face is this fraction of the block's larger side
LABEL_TEXELS = 4  # per label: (origin, em), (rgba), (turn), (block, 0, 0, 0): text.vert


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


def text_widths(texts: list[str], atlas: FontAtlas) -> np.ndarray:
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
    front, layer = _front_and_layer(layout)
    limit = np.full(int(keep.sum()), np.inf)
    kept = np.flatnonzero(keep)
    for number in unique(layer[kept]):
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


@per_structure
def _front_and_layer(layout) -> tuple[np.ndarray, np.ndarray]:
    """(N,) whether each block is in front of its stack of heads (or in none), and its layer."""
    return (np.array([b.head <= 0 for b in layout.blocks], dtype=bool),
            np.array([b.layer for b in layout.blocks], dtype=np.int64))


@per_structure
def _labelled(layout) -> tuple[np.ndarray, tuple[str, ...], np.ndarray, np.ndarray]:
    """Which blocks carry a label (N,) bool, and of those their label (English), whether they are per head
    and whether they are vocabulary-wide: what does not change with T."""
    # Heads are stacked in depth and labelled alike; the "Head i" section labels tell them apart, so only
    # the front head's blocks get labels (overlapping copies behind it are noise, and for GPT-3 96 heads x
    # 96 layers of them would be ~700k glyphs).
    keep = np.array([bool(b.label) and b.head < LABELLED_HEADS for b in layout.blocks], dtype=bool)
    kept = [layout.blocks[i] for i in np.flatnonzero(keep)]
    return (keep, tuple(b.label for b in kept), np.array([b.head >= 0 for b in kept], dtype=bool),
            np.array(["V" in b.dims for b in kept], dtype=bool))


_TRANSLATED: dict[tuple[str, str], str] = {}  # (language, layout label) -> what is shown


def translated(texts) -> list[str]:
    """The layout's labels `texts` in the current language (i18n.labels.label, each text once)."""
    lang, out = language(), []
    for text in texts:
        shown = _TRANSLATED.get((lang, text))
        if shown is None:
            shown = _TRANSLATED[(lang, text)] = label(text)
        out.append(shown)
    return out


def block_labels(layout, atlas: FontAtlas) -> LabelSet:
    """One label per block just above its top-left corner, as large as the gap above allows, and narrower
    where the next block to the right (its label starts there) would otherwise be run into; never much
    larger than the block itself. Labels stay off the cells: only the vocabulary-wide tables of GPT-2 and
    GPT-3, whose label above would be too small to see whenever the table fills the view, carry theirs on
    their face."""
    gap = block_gap(layout.config)
    keep, english, stacked, vocabulary = _labelled(layout)
    texts = translated(english)
    lo, hi = layout.mins[keep].astype(np.float64), layout.maxs[keep].astype(np.float64)
    width, height = hi[:, 0] - lo[:, 0], hi[:, 1] - lo[:, 1]
    text_w = text_widths(texts, atlas)
    room = _room_to_the_right(layout, keep, 0.7 * gap) - LABEL_MARGIN * gap
    # Per-head blocks' labels run less far past their block: the heads stacked behind show up beside it,
    # shifted by the view's parallax, and would cross a long label.
    room = np.minimum(room, hi[:, 0] + np.where(stacked, 1.0, LABEL_OVERHANG) * gap) - lo[:, 0]
    em = np.minimum(LABEL_EM_OF_GAP * gap, room / np.maximum(text_w, 0.5))
    em = np.minimum(em, np.maximum.reduce([0.4 * height, 0.15 * width, np.ones_like(width)]))  # not above
    origin = np.stack([lo[:, 0], hi[:, 1] + LABEL_LIFT_EM * em, hi[:, 2] + 0.01], axis=1)
    # A block far bigger than the gap (GPT-2's 50257-row tables) would get a label too small to see
    # whenever the block fills the view: such labels go on the block's face instead, in its top-left
    # corner, on a translucent plate, lifted off the face by a fraction of their size (depth).
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
    return LabelSet.of(translated([s.label for s in sections]), [s.position for s in sections],
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
    body = [(tr("card.sizes", C=cfg.n_embd, T=layout.n_tokens or cfg.block_size), small, ink),
            (tr("card.layers", layers=cfg.n_layer, heads=cfg.n_head), small, ink),
            (tr("card.parameters", params=f"{param_count(cfg):,}"), small, ink)]
    body_w = max(atlas.text_width(t) * s for t, s, _ in body)
    # A long name ("openai-community/gpt2") is set smaller, down to the lines' size, before it widens the
    # card: the card's width sets every line's size, and a wide title left the others unreadable.
    title_scale = max(small, min(1.0, body_w / max(atlas.text_width(title), 1e-6)))
    lines = [(title, title_scale, (0.08, 0.10, 0.20, 1.0)), *body]
    text_w = max(body_w, atlas.text_width(title) * title_scale)
    card_w = text_w + 1.2
    card_h = 0.3 + title_scale + len(body) * small * 1.3 + 0.45
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
    for i, (text, scale, color) in enumerate(lines):
        y -= scale * em * (1.3 if i else 1.0)
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


@functools.cache
def label_atlas() -> FontAtlas:
    """The atlas of every character the labels of the scene and the tour's marks use in any language (baked
    once, cached on disk; one object per process, which label plans are kept by). The marks join numbers
    with the catalogue's list words (`list.*`: Japanese 、)."""
    chars = {ch for lang in LANGUAGES for key, text in catalogue(lang).items()
             if key.startswith(("label.", "card.", "mark.", "list.")) for ch in text}
    return load_atlas("".join(sorted(chars)))


@dataclass
class LabelPlan:
    """What LabelRenderer uploads for a LabelSet (no GL): glyphs and per-label data in draw order (a Morton
    curve of the labels' boxes, boxes first), and the chunks that cull them."""

    count: int  # glyphs
    glyphs: np.ndarray | None  # (count, 4) float32: glyph_table
    per_label: np.ndarray | None  # (L * LABEL_TEXELS, 4) float32
    label_block: np.ndarray  # (L,) per label (sorted), its block or -1
    label_chunk: np.ndarray  # (L,) per label (sorted), its chunk
    culler: ChunkCuller | None


def plan_labels(labels: LabelSet, atlas: FontAtlas, cull: bool) -> LabelPlan:
    """The plan of `labels` (culled by chunks when `cull`, else one chunk: all drawn)."""
    n = len(labels.texts)
    empty = LabelPlan(0, None, None, np.zeros(0, np.int32), np.zeros(0, np.int64), None)
    if not n:
        return empty
    # Sort labels along a Morton curve of their boxes so that chunks of them are compact in space.
    width = np.where(np.isnan(labels.box[:, 0]), text_widths(labels.texts, atlas), labels.box[:, 0])
    right, up = _label_axes(labels.facing)
    # Corners of each label's rectangle: width along `right`, an em up and a box's height down.
    across = right * (width * labels.em)[:, None]
    rise, drop = up * labels.em[:, None], -up * (np.nan_to_num(labels.box[:, 1]) * labels.em)[:, None]
    corners = [labels.origin + a + b for a in (0.0, across) for b in (rise, drop)]
    lo, hi = np.minimum.reduce(corners), np.maximum.reduce(corners)
    order = morton_order((lo + hi) / 2) if n > 1 and cull else np.arange(n)
    # Boxes (the card) first, in their own order, so that the text drawn over them comes later.
    is_box = ~np.isnan(labels.box[order, 0])
    order = np.concatenate([np.sort(order[is_box]), order[~is_box]])
    labels = labels.take(order)
    table, counts = glyph_table(labels, atlas)
    if not len(table):
        return empty
    offsets = np.concatenate([[0], np.cumsum(counts)])
    culler = ChunkCuller(lo[order], hi[order], sizes=labels.em, offsets=offsets, chunks=CHUNKS if cull else 1)
    az, el = np.radians(labels.facing[:, 0]), np.radians(labels.facing[:, 1])
    turn = np.stack([np.cos(az), np.sin(az), np.cos(el), np.sin(el)], axis=1).astype(np.float32)
    owner = np.zeros((n, 4), dtype=np.float32)
    owner[:, 0] = labels.block
    per_label = np.concatenate([labels.origin, labels.em[:, None], labels.color, turn, owner], axis=1)
    return LabelPlan(len(table), table, per_label.reshape(-1, 4).astype(np.float32), labels.block,
                     culler.chunk_of(np.arange(n)), culler)


PLANS = 4  # layout plans kept: the one shown, the next token's (made by the trace worker), a few more
_plans: dict[tuple, tuple[object, LabelPlan]] = {}
_plans_lock = threading.Lock()


def layout_plan(layout, atlas: FontAtlas) -> LabelPlan:
    """The plan of `layout`'s labels (layout_labels, culled) in the current language, kept per layout, atlas
    and language: the trace worker makes the next token's while it appends it (ui/tracing.prepare_layout),
    and the window's thread only uploads it."""
    lang = language()
    key = (id(layout), id(atlas), lang)
    with _plans_lock:
        hit = _plans.get(key)
    if hit is not None and hit[0] is layout:
        return hit[1]
    plan = plan_labels(layout_labels(layout, atlas), atlas, cull=True)
    if language() == lang:  # not switched meanwhile (the texts would be mixed)
        with _plans_lock:
            if len(_plans) >= PLANS:
                _plans.pop(next(iter(_plans)))
            _plans[key] = (layout, plan)
    return plan
