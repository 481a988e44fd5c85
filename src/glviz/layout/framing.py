"""Framing that is layout, not camera: where the model's card goes, which part the overview shows, the
network's extent without the vocabulary-wide tables. Pure geometry of a Layout (no GL, no camera)."""

from __future__ import annotations

import math

import numpy as np

from glviz.layout.memo import per_layout, per_structure

OVERVIEW_AZIMUTH = -25.0  # degrees: from the left, so that the heads stacked behind each other show
OVERVIEW_ELEVATION = 15.0  # and from a little above, as in LLM Visualization
CARD_WIDTH = 0.9  # model card width at most, as a multiple of the width of the model's top part
CARD_OF_TOP = 0.35  # and at most this fraction of the height from the model's top to its first heads' end
CARD_MIN_WIDTH = 0.15  # and at least this fraction of the model's width (GPT-3's 8 columns)
CARD_HEIGHT = 0.5  # model card height at most, as a fraction of its greatest width
CARD_GAP = 0.1  # between the model (with its labels) and the card, as a fraction of the card's width
INPUT_BLOCKS = ("tokens", "tok_emb", "pos_emb", "embed", "wte", "wpe")  # the model's top row
# How far a label's glyphs reach around its baseline, in em: descenders 0.2 below it, capitals 0.7 and kanji
# 0.84 above it (the label atlas's ink).
TEXT_BELOW_EM, TEXT_ABOVE_EM = 0.22, 0.86
# A block's label stands above its top edge (render/label_sets.block_labels): its baseline this many em up,
# its em at most this fraction of the gap the layout leaves between blocks.
LABEL_LIFT_EM, LABEL_EM_OF_GAP = 0.25, 0.55


def block_gap(config) -> float:
    """The spacing between blocks that block labels are sized by (world units): build_layout's, before it
    rounds it to whole cells (Layout.gap)."""
    return max(4.0, config.n_embd / 12)


def label_headroom(config) -> float:
    """How far above a block's top edge its label's ink reaches at most (world units)."""
    return (LABEL_LIFT_EM + TEXT_ABOVE_EM) * LABEL_EM_OF_GAP * block_gap(config)


@per_layout
def network_bounds(layout) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) float64 corners of the network without the vocabulary-wide blocks (embedding tables, logits)
    that stick out far to the side in GPT-2 and GPT-3: what the overview frames."""
    narrow = _narrow(layout)
    return (layout.mins[narrow].min(axis=0).astype(np.float64),
            layout.maxs[narrow].max(axis=0).astype(np.float64))


@per_structure
def _narrow(layout) -> np.ndarray:
    narrow = np.array(["V" not in b.dims for b in layout.blocks], dtype=bool)
    if not narrow.any():
        narrow[:] = True
    return narrow


@per_layout
def model_top(layout) -> float:
    """Highest world y of the model's blocks and section labels (the card goes above it)."""
    top = float(layout.bounds[1][1])
    for section in layout.sections:
        top = max(top, float(section.position[1] + section.height))
    return top


@per_layout
def card_area(layout) -> tuple[float, float, float, float]:
    """(centre x, bottom y, width, height) in world units of the room for the model card (render/text.py)
    above the model: as wide as the top of the model (input row and first attention layer), as in LLM
    Visualization, or less where that part is short (GPT-2's), so that it stays modest; no narrower than a
    tenth of the whole network, so that it can be read in GPT-3's overview; centred over the residual stream
    (the input embedding's column)."""
    lo, hi = network_bounds(layout)
    top_part = _top_part(layout)
    width = float(layout.maxs[top_part, 0].max() - layout.mins[top_part, 0].min()) if len(top_part) else 0.0
    width = min(CARD_WIDTH * width, CARD_OF_TOP * (model_top(layout) - first_heads_bottom(layout)))
    width = max(width, CARD_MIN_WIDTH * float(hi[0] - lo[0]), 1.0)
    centre = float(lo[0] + hi[0]) / 2
    if "embed" in layout.by_name:
        i = layout.by_name["embed"]
        centre = float(layout.mins[i, 0] + layout.maxs[i, 0]) / 2
    centre = max(centre, float(lo[0]) + width / 2)  # a wide card does not stick out past the model's left
    return centre, model_top(layout) + CARD_GAP * width, width, CARD_HEIGHT * width


@per_structure
def _top_part(layout) -> np.ndarray:
    """The blocks of the model's top part (input row and first attention layer, without the tables)."""
    top = [i for i, b in enumerate(layout.blocks)
           if (b.name in INPUT_BLOCKS or b.name.startswith("layers.0.attn.")) and "V" not in b.dims]
    return np.array(top, dtype=np.int64)


def card_axes() -> tuple[np.ndarray, np.ndarray]:
    """(right, up) unit vectors of the model card: it faces the overview camera, so that it looks the same
    (a level rectangle, not a slanted trapezoid) wherever it lies in the overview."""
    return facing_axes(OVERVIEW_AZIMUTH, OVERVIEW_ELEVATION)


def facing_axes(azimuth: float, elevation: float) -> tuple[np.ndarray, np.ndarray]:
    """(right, up) unit vectors of an orbit camera at these angles in degrees (render.camera's basis)."""
    az, el = math.radians(azimuth), math.radians(elevation)
    right = np.array([math.cos(az), 0.0, -math.sin(az)])
    up = np.array([-math.sin(el) * math.sin(az), math.cos(el), -math.sin(el) * math.cos(az)])
    return right, up


def card_corners(layout) -> np.ndarray:
    """(4, 3) corners of the room card_area keeps for the model card, turned like the card (render/text.py)
    about the middle of its bottom edge."""
    centre, bottom, width, height = card_area(layout)
    right, up = card_axes()
    base = np.array([centre, bottom, float(layout.bounds[1][2])])
    return np.array([base + side * right * width / 2 + rise * up
                     for side in (-1, 1) for rise in (0.0, height)])


@per_layout
def first_heads_bottom(layout) -> float:
    """Lowest y of the first layer's attention heads (or of the network, without them)."""
    heads = _first_heads(layout)
    return float(layout.mins[heads, 1].min()) if heads.any() else float(network_bounds(layout)[0][1])


@per_structure
def _first_heads(layout) -> np.ndarray:
    return np.array([b.name.startswith("layers.0.attn.h") for b in layout.blocks], dtype=bool)


def slice_box(layout, bottom: float) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of the network's blocks that reach above `bottom`, cut at `bottom`, up to the model's top."""
    narrow = _narrow(layout)
    inside = narrow & (layout.maxs[:, 1] >= bottom)
    if not inside.any():
        inside = narrow
    lo = np.array([layout.mins[inside, 0].min(), bottom, layout.mins[inside, 2].min()], dtype=np.float64)
    hi = np.array([layout.maxs[inside, 0].max(), model_top(layout), layout.maxs[inside, 2].max()],
                  dtype=np.float64)
    # Section labels ("Transformer 0") start left of their blocks: keep their first letters in view.
    starts = [s.position[0] for s in layout.sections if s.position[1] >= bottom]
    if starts:
        lo[0] = min(lo[0], float(min(starts)))
    return lo, hi


def overview_box(layout, aspect: float = 16 / 9) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of the network part the overview frames (with the model card above it): from the model's top
    down to the end of the first layer's attention heads at least, further down as far as the viewport's
    shape leaves room for when the model is framed across its whole width (all columns of GPT-3), and all of
    it when it fits."""
    lo, _ = network_bounds(layout)
    top = float(card_corners(layout)[:, 1].max())
    bottom = first_heads_bottom(layout)
    for _ in range(2):  # the width of the slice shown decides how far down the view reaches, and back
        box_lo, box_hi = slice_box(layout, bottom)
        bottom = max(float(lo[1]), min(bottom, top - (box_hi[0] - box_lo[0]) / aspect))
    return slice_box(layout, bottom)


def nearest_section(layout, label: str, near):
    """The section labelled `label` (its layout name) nearest the point `near`; None if there is none."""
    found = [sec for sec in layout.sections if sec.label == label]
    near = np.asarray(near, dtype=np.float64)
    return min(found, key=lambda sec: float(np.sum((np.asarray(sec.position) - near) ** 2)), default=None)


def section_text_box(section, width: float) -> tuple[np.ndarray, np.ndarray]:
    """(min corner, max corner) float64 of the box a section label's text covers, `width` world units wide
    (labels lie in the x-y plane from their baseline's start, as render/label_sets draws them)."""
    start = np.asarray(section.position, dtype=np.float64)
    return (start + (0.0, -TEXT_BELOW_EM * section.height, 0.0),
            start + (width, TEXT_ABOVE_EM * section.height, 0.0))


TABLES = ("wte", "wpe")  # the embedding tables: as wide as the vocabulary and the context


def input_box(layout, aspect: float = 16 / 9) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of what the input view frames: the tokens, the token and position embeddings and the input
    embedding, the section label above them, and the embedding tables beside them up to the width the view
    has room for at the activations' height (at least a little of each beside a long prompt). GPT-2's token
    table is 50,257 columns wide: framed whole, every cell (the prompt's too) fell below a pixel."""
    found = [layout.by_name[n] for n in INPUT_BLOCKS if n in layout.by_name and n not in TABLES]
    tables = [layout.by_name[n] for n in TABLES if n in layout.by_name]
    if found:
        lo = np.array(layout.mins[found].min(axis=0), dtype=np.float64)
        hi = np.array(layout.maxs[found].max(axis=0), dtype=np.float64)
        if tables:
            width = hi[0] - lo[0]
            side = max((1.3 * aspect * (hi[1] - lo[1]) - width) / 2, 0.15 * width)
            lo[0] = min(lo[0], max(layout.mins[tables, 0].min(), lo[0] - side))
            hi[0] = max(hi[0], min(layout.maxs[tables, 0].max(), hi[0] + side))
            lo[2], hi[2] = min(lo[2], layout.mins[tables, 2].min()), max(hi[2], layout.maxs[tables, 2].max())
    else:  # no named input blocks: the top tenth of the model
        lo, hi = (np.array(v, dtype=np.float64) for v in layout.bounds)
        lo[1] = hi[1] - (hi[1] - lo[1]) * 0.1
    hi[1] += 0.2 * (hi[1] - lo[1])  # the section label above ("Embedding")
    return lo, hi
