"""Chapter 7, Attention output: one row of a head's attention weights scales the V columns, which merge into
the head's output column; the heads' outputs stack into C channels; the projection (a weight row times the
stacked column, plus the bias); the residual add; then every head, token and channel at once."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from glviz.i18n import tr_in
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.ch_b_common import (
    LIFT,
    add_place,
    dot_product,
    finish_column,
    near_pose,
    residual_add,
)
from glviz.walkthrough.chapters.common import letters, number, number_term
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.timeline import ease_out

FOLLOW = 3  # the token followed, as in the Embedding chapter
HEAD = 0  # the head whose weighted sum is shown (the front one)
LAYER = "layers.0."
P = LAYER + "attn."


def values(stage: Stage) -> dict[str, str]:
    trace, config = stage.trace, stage.layout.config
    t = FOLLOW
    probs = np.asarray(trace[P + "probs"][HEAD, t, :t + 1], dtype=np.float64)  # weights of V columns 0..t
    v = np.asarray(trace[P + "v"][HEAD, :t + 1, 0], dtype=np.float64)  # first cell of those columns
    weights = [number(p) for p in probs]
    listed = tr_in(stage.lang, "list.and", first=tr_in(stage.lang, "list.comma").join(weights[:-1]),
                   last=weights[-1])
    terms = " + ".join(f"{number(p)} × {number_term(x)}" for p, x in zip(probs, v, strict=True))
    proj = float(trace[P + "proj"][t, 0])
    heads = np.asarray(trace[P + "heads"][:, t, :], dtype=np.float64).reshape(-1)  # (C,) the stacked column
    products = float(heads @ np.asarray(trace.weights[P + "wproj"][:, 0], dtype=np.float64))  # Σ w·x
    return {
        "t": str(t), "letter": letters(stage)[t], "A": str(config.head_size), "H": str(config.n_head),
        "C": str(config.n_embd), "weights": listed, "terms": terms,
        "h0": number(trace[P + "heads"][HEAD, t, 0]),
        "b0": number(trace.weights[P + "bproj"][0]), "a0": number(proj), "s0": number_term(products),
        "e0": number(trace["embed"][t, 0]), "a0_term": number_term(proj),
        "r0": number(trace[LAYER + "resid1"][t, 0]),
    }


def _heads(h: int, what: str) -> str:
    return f"{P}h{h}.{what}"


def _geometry(s: Script) -> SimpleNamespace:
    """The chapter's places and poses (the same every frame: made once per stage)."""
    config = s.layout.config
    H, t = config.n_head, FOLLOW
    g = SimpleNamespace()
    v, heads = _heads(HEAD, "v"), _heads(HEAD, "heads")
    g.cell = cell = s.cell_size(heads)
    g.head_view = s.frame_blocks([v, _heads(HEAD, "probs"), heads], margin=1.15)
    # The weighted sum: left of the head's blocks, level with its scores and probabilities, the V columns in
    # a row 4 cells apart, each under its weight; they merge into the head output's column.
    top = s.cell_centre(v, 0, 0) + (-4.0 * (t + 1) * cell, -14.0 * cell, 0.0)
    g.place = [top + (4.0 * k * cell, 0.0, 0.0) for k in range(t + 1)]
    g.above = [p + (0.0, 2.5 * cell, 0.0) for p in g.place]
    g.into = s.cell_centre(heads, 0, t) + (0.0, 0.0, 0.3)
    weights = np.asarray(s.trace[P + "probs"][HEAD, t, :t + 1], dtype=np.float64)
    bright = weights / max(float(weights.max()), 1e-9)
    g.sizes = cell * (0.45 + 0.55 * bright)  # the heavier the weight, the larger and brighter its column
    g.alphas = 0.3 + 0.7 * bright
    g.weights = [number(w) for w in weights]
    middle = (g.place[0] + g.place[-1]) / 2
    half = 2.0 * t + 3.0
    g.sum_view = near_pose(s, middle + (0.0, 3.0 * cell, 0.0), 20.0, half, half, margin=1.0)
    i = s.index(heads)
    g.merged_view = poses.boxes_pose(s.layout.mins[i], s.layout.maxs[i] + (8.0 * cell, 8.0 * cell, 0.0),
                                     s.aspect, margin=1.1)  # the head output, and room for its first sum
    g.first_sum = s.cell_centre(heads, 0, s.layout.n_tokens - 1) + (1.2 * cell, -0.4 * cell, 0.0)
    g.others = [_heads(h, w) for h in range(H) for w in ("v", "probs", "heads")]
    g.others_view = s.frame_blocks(g.others, margin=1.05, azimuth=-40.0, elevation=12.0)
    # The stack beside the attention output, and the projection.
    g.all_heads = [_heads(h, "heads") for h in range(H)]
    proj = P + "proj"
    g.shift = _stack_offsets(s, g.all_heads, proj)
    g.projection = [P + "wproj", P + "bproj", proj, *g.all_heads]
    g.stack_view = s.frame_blocks(g.projection, margin=1.1,
                                  moved_by=_moves_of(s, g.projection, g.all_heads, g.shift))
    g.proj_place = s.cell_centre(proj, 3, t) + (-1.0 * cell, 0.0, LIFT / 2)  # its label stays clear
    g.proj_near = near_pose(s, g.proj_place, 18.0, 5.0, 14.0)
    resid = LAYER + "resid1"
    g.skip_view = s.frame_blocks(["embed", resid], margin=1.05)
    g.resid_near = near_pose(s, add_place(s, resid, t), 16.0, 18.0, 6.0)  # the sum is written on the left
    g.region = [*g.others, P + "wproj", proj, resid]
    g.region_view = s.frame_blocks(g.region, margin=1.05)
    return g


def script(s: Script) -> None:
    config = s.layout.config
    H, A, C, t = config.n_head, config.head_size, config.n_embd, FOLLOW
    g = s.memo("attention_output", lambda: _geometry(s))
    cell = g.cell
    v, probs, heads = _heads(HEAD, "v"), _heads(HEAD, "probs"), _heads(HEAD, "heads")
    all_heads, proj, resid = g.all_heads, P + "proj", LAYER + "resid1"
    start = s.now()
    s.hide_values([*all_heads, proj, resid], start)
    s.focus([v, probs, heads], start, glow=0.0)
    s.camera(g.head_view, start)

    # The row of weights and the columns they weigh.
    s.para("intro")
    lit = s.step(2.0)
    s.glow([probs], lit)
    s.pause()

    # The V columns fly out side by side, each under its weight, bright as its weight; they merge into the
    # head's output column.
    s.para("weights")
    out = s.step(2.5, ease_out)
    pair = s.step(3.0)
    s.pause()  # the weighted columns are read while they stand apart, before they merge
    s.para("sum")
    merge = s.step(2.5, ease_out)
    s.camera(g.sum_view, out)
    s.glow([v], out)
    s.glow([probs], out, 0.4)
    down = (0.0, -cell, 0.0)
    hold = merge.start - out.end  # through the pause
    text = 0.8 * cell
    for k in range(t + 1):
        size, alpha = float(g.sizes[k]), float(g.alphas[k])
        s.ghosts(v, (0, k), (1, 0), A, out, to=g.place[k], to_step=down, to_size=size, opacity=alpha,
                 hold=hold, stagger=0.3)
        s.ghosts(v, (0, k), (1, 0), A, merge, origin=g.place[k], origin_step=down, to=g.into, to_step=down,
                 size=size, to_size=0.4 * cell, opacity=alpha)
        s.ghosts(probs, (t, k), (0, 1), 1, out, to=g.above[k], hold=hold)
        s.ghosts(probs, (t, k), (0, 1), 1, merge, origin=g.above[k], origin_step=down, to=g.into,
                 to_size=0.3 * cell)
        if pair.started and not merge.started:
            s.mark(g.weights[k], g.above[k] + (0.0, 1.3 * cell, 0.0), text, pair, until=merge, centred=True)
            s.mark("×", g.place[k] + (0.0, 1.25 * cell, 0.0), text, pair, until=merge, centred=True)
            if k:
                s.mark("+", g.place[k] + (-2.0 * cell, -7.5 * cell, 0.0), 1.5 * text, pair, until=merge,
                       centred=True)
    s.light(probs, (t, t + 1), (0, t + 1), lit, until=merge)
    s.light(v, (0, A), (0, t + 1), lit, until=merge)
    s.compute_cells(heads, *s.cells_of_column(heads, t), merge.part(0.5, 1.0))
    s.glow([v], merge, 0.0)
    s.glow([heads], merge)
    s.camera(g.merged_view, merge)
    summed = merge.part(0.6, 1.0)
    s.pause()

    # The other heads do the same, behind; then the three outputs stack into one column of C channels,
    # right of the attention output.
    s.para("heads")
    st = s.step(2.0)
    s.mark(f"= {s.values['h0']}", g.first_sum, 1.2 * cell, summed, until=st)
    s.light(heads, (0, 1), (t, t + 1), summed, until=st)
    s.focus(g.others, st, glow=0.0)
    s.camera(g.others_view, st)
    fill = s.sweep(2.0)
    stack = s.step(3.0)
    for h in range(H):
        if h != HEAD:
            s.compute_cells(all_heads[h], *s.cells_of_column(all_heads[h], t), fill)
        s.light(_heads(h, "probs"), (t, t + 1), (0, t + 1), st, until=stack)
    s.glow(all_heads, fill)
    for h, name in enumerate(all_heads):
        s.move(name, stack, by=g.shift[h])
    s.focus(g.projection, stack, glow=0.0)
    s.glow(all_heads, stack)
    s.camera(g.stack_view, stack)
    s.pause()

    # The projection of channel 0: a weight row times the stacked column, plus the bias.
    s.para("projection")
    st = s.step(1.5)
    s.glow(all_heads, st, 0.0)
    s.glow([P + "wproj"], st)
    out, pair, merge = s.step(2.5, ease_out), s.step(3.0), s.step(2.0, ease_out)
    s.light(P + "wproj", (0, 1), (0, C), st, until=merge)
    s.camera(g.proj_near, out)
    dot_product(s, weight=P + "wproj", row=0, inputs=[(name, 0, A) for name in all_heads], col=t,
                bias=P + "bproj", target=proj, place=g.proj_place, out=out, pair=pair, merge=merge,
                marks=(0, 20), result=f"= {s.values['b0']} + Σ = {s.values['a0']}")
    finish_column(s, P + "wproj", proj, t, s.sweep(3.0), g.stack_view)
    s.pause()

    # The residual add: the embedding comes down the skip arrow and meets the attention output.
    s.para("residual")
    residual_add(s, "embed", proj, resid, t, [LAYER + "skip1", LAYER + "resid1"], (g.skip_view, g.resid_near),
                 (2.5, 2.5, 2.5, 2.0), f"{s.values['e0']} + {s.values['a0_term']} = {s.values['r0']}")
    s.pause()

    # Everything at once: the heads go back, and every head, token and channel is computed.
    s.para("all")
    st = s.step(2.0)
    for name in all_heads:
        s.move(name, st, by=(0.0, 0.0, 0.0))
    s.focus(g.region, st, others=0.25, glow=0.0)
    s.camera(g.region_view, st)
    s.arrows([LAYER + "skip1", LAYER + "resid1", *(f"{LAYER}head_out.{h}" for h in range(H))], st)
    with s.together():
        for name in all_heads:
            s.compute([name], s.sweep(3.0))
    s.compute([proj, resid], s.sweep(3.0))
    s.pause()


def _stack_offsets(s: Script, heads: list[str], proj: str) -> np.ndarray:
    """(H, 3) moves that stack the heads' outputs into one column beside `proj`: head h's top at proj's top
    less h·A rows, all in proj's plane, left of them room for proj's label."""
    layout = s.layout
    p = s.index(proj)
    out = np.zeros((len(heads), 3))
    height = 0.0
    for h, name in enumerate(heads):
        i = s.index(name)
        out[h] = (layout.maxs[p, 0] + 2.5 * layout.gap - layout.mins[i, 0],
                  layout.maxs[p, 1] - height - layout.maxs[i, 1], layout.mins[p, 2] - layout.mins[i, 2])
        height += float(layout.maxs[i, 1] - layout.mins[i, 1])
    return out



def _moves_of(s: Script, names: list[str], moved: list[str], by: np.ndarray) -> np.ndarray:
    """(k, 3) offsets of the blocks `names` in the order frame_blocks takes them (layout order): `by[j]` for
    `moved[j]`, zero for the others."""
    where = {s.index(name): j for j, name in enumerate(moved)}
    return np.array([by[where[i]] if i in where else (0.0, 0.0, 0.0) for i in s.ids(*names)])


CHAPTER = Chapter("attention_output", "nano", script, values)
