"""Data-flow arrows between blocks: the residual stream and its skips, into each head and out of them, into
and out of the MLP, the embeddings, the LM head to the logits. Pure data (no GL): centre lines in world units.

Each arrow is a polyline with a width, a kind (weights blue or values green) and the blocks at its two ends,
so that it follows blocks the tour moves (points blend from the start block's offset to the end block's by
their position along the line). Names are stable ("layers.0.skip1", "layers.1.head.2", "output.probs"): the
tour turns arrows on by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.layout.blocks import Kind, Layout

HEAD_ARROWS = 3  # arrows into and out of the first heads only: the heads behind are stacked at the same x, y
CURVE_POINTS = 16  # samples of a curve between planes


@dataclass
class Arrow:
    """One arrow: `points` (k, 3) along its centre line, ending at the head's tip."""

    name: str
    points: np.ndarray
    width: float
    kind: Kind  # WEIGHT (blue) or INTERMEDIATE (green)
    start_block: int
    end_block: int


def _box(layout: Layout, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    i = layout.by_name.get(name)
    if i is None:
        return None
    return layout.mins[i].astype(np.float64), layout.maxs[i].astype(np.float64)


def _curve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Points from a to b: straight in x and y, eased in z (an S between two planes)."""
    s = np.linspace(0.0, 1.0, CURVE_POINTS)[:, None]  # (k, 1)
    eased = s * s * (3.0 - 2.0 * s)
    line = a + (b - a) * s
    line[:, 2] = a[2] + (b[2] - a[2]) * eased[:, 0]
    return line


class _Builder:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.arrows: list[Arrow] = []
        g = layout.gap
        self.lift = 0.3  # in front of the blocks' faces
        self.data_width = 0.22 * g
        self.weight_width = 0.16 * g

    def add(self, name: str, points, start: str, end: str, kind: Kind = Kind.INTERMEDIATE) -> None:
        by_name = self.layout.by_name
        if start not in by_name or end not in by_name:
            return
        width = self.data_width if kind == Kind.INTERMEDIATE else self.weight_width
        self.arrows.append(Arrow(name, np.asarray(points, dtype=np.float64), width, kind, by_name[start],
                                 by_name[end]))

    def down(self, name: str, upper: str, lower: str, x: float | None = None) -> None:
        """From the bottom of `upper` to the top of `lower` (in one plane or curving between planes)."""
        a, b = _box(self.layout, upper), _box(self.layout, lower)
        if a is None or b is None:
            return
        xa = (a[0][0] + a[1][0]) / 2 if x is None else x
        xb = (b[0][0] + b[1][0]) / 2 if x is None else x
        start = np.array([xa, a[0][1], a[1][2] + self.lift])
        end = np.array([xb, b[1][1], b[1][2] + self.lift])
        bends = abs(end[2] - start[2]) > 1e-6 or abs(xa - xb) > 1e-6
        points = _curve(start, end) if bends else [start, end]
        self.add(name, points, upper, lower)

    def across(self, name: str, source: str, target: str, kind: Kind = Kind.INTERMEDIATE) -> None:
        """Sideways from a block's edge to the facing edge of the block beside it, at their shared middle."""
        a, b = _box(self.layout, source), _box(self.layout, target)
        if a is None or b is None:
            return
        y = (max(a[0][1], b[0][1]) + min(a[1][1], b[1][1])) / 2  # the middle of the rows they share
        z = max(a[1][2], b[1][2]) + self.lift
        if a[1][0] <= b[0][0]:
            points = [[a[1][0], y, z], [b[0][0], y, z]]
        else:
            points = [[a[0][0], y, z], [b[1][0], y, z]]
        self.add(name, points, source, target, kind)

    def skip(self, name: str, source: str, target: str) -> None:
        """The residual stream going round a branch: out of `source`'s right edge, down beside the column,
        into `target`'s right edge."""
        a, b = _box(self.layout, source), _box(self.layout, target)
        if a is None or b is None:
            return
        out = max(a[1][0], b[1][0]) + 1.5 * self.layout.gap
        z = a[1][2] + self.lift
        ya, yb = (a[0][1] + a[1][1]) / 2, (b[0][1] + b[1][1]) / 2
        self.add(name, [[a[1][0], ya, z], [out, ya, z], [out, yb, z], [b[1][0], yb, z]], source, target)


def build_arrows(layout: Layout) -> list[Arrow]:
    """The data-flow arrows of a layout (see the module docstring)."""
    b = _Builder(layout)
    config = layout.config
    b.across("embed.tok", "tok_emb", "embed")
    b.across("embed.pos", "pos_emb", "embed")
    b.across("embed.wte", "wte", "tok_emb", Kind.WEIGHT)
    b.across("embed.wpe", "wpe", "pos_emb", Kind.WEIGHT)
    previous = "embed"
    for i in range(config.n_layer):
        p = f"layers.{i}."
        b.down(p + "ln1", previous, p + "ln1.mean")
        for h in range(min(config.n_head, HEAD_ARROWS)):
            first = p + f"attn.h{h}." + ("qkv" if layout.merged_qkv else "q")
            b.down(p + f"head.{h}", p + "ln1.out", first)
            b.down(p + f"head_out.{h}", p + f"attn.h{h}.heads", p + "attn.proj")
        b.down(p + "resid1", p + "attn.proj", p + "resid1")
        b.skip(p + "skip1", previous, p + "resid1")
        b.down(p + "ln2", p + "resid1", p + "ln2.mean")
        b.down(p + "mlp_in", p + "ln2.out", p + "mlp.fc")
        b.across(p + "gelu", p + "mlp.fc", p + "mlp.gelu")
        b.down(p + "mlp_out", p + "mlp.gelu", p + "mlp.proj")
        b.down(p + "resid2", p + "mlp.proj", p + "resid2")
        b.skip(p + "skip2", p + "resid1", p + "resid2")
        for w, out in (("attn.wproj", "attn.proj"), ("mlp.wfc", "mlp.fc"), ("mlp.wproj", "mlp.proj")):
            b.across(p + w, p + w, p + out, Kind.WEIGHT)
        previous = p + "resid2"
    b.down("output.ln_f", previous, "ln_f.mean")
    b.down("output.logits", "ln_f.out", "logits")
    b.across("output.lm_head", "lm_head", "logits", Kind.WEIGHT)
    b.across("output.probs", "logits", "probs")
    return b.arrows
