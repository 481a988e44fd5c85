"""Chapter 6, Softmax: one row of attention scores becomes probabilities: its max, exp(x − max) cell by
cell, their sum, the division; why the max is subtracted (exp of the raw scores shown beside); the row adding
up to 1; then every row of every head at once."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glviz.formatting import fmt
from glviz.i18n import tr_in
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.ch_a_common import FOLLOW, HEAD, INK_SOFT, LAYER
from glviz.walkthrough.chapters.common import forward_order, number, number_term
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.timeline import ease_out

HP = f"layers.{LAYER}.attn.h{HEAD}."
SCORES, PROBS, MAX, EXPSUM = (HP + w for w in ("scores", "probs", "max", "expsum"))
SOFTMAX = [SCORES, PROBS, MAX, EXPSUM]
BIG = 100.0  # a score large enough to overflow exp in float32
LINE = 1.6  # world units between the lines of the worked row
EM = 0.9  # em of the worked row's numbers


def numbers(stage: Stage) -> dict:
    """The followed row of head 0's scores and its softmax, step by step, from the trace."""
    trace = stage.trace
    p = f"layers.{LAYER}.attn."
    x = np.asarray(trace[p + "scores"][HEAD, FOLLOW, : FOLLOW + 1], np.float64)  # the computed scores
    peak = float(trace[p + "max"][HEAD, FOLLOW])
    return {"x": x, "max": peak, "exps": np.exp(x - peak), "raw": np.exp(x),
            "expsum": float(trace[p + "expsum"][HEAD, FOLLOW]),
            "probs": np.asarray(trace[p + "probs"][HEAD, FOLLOW], np.float64)}


def values(stage: Stage) -> dict[str, str]:
    n = numbers(stage)
    T = stage.trace.T
    f32 = float(np.finfo(np.float32).max)
    probs = n["probs"][: FOLLOW + 1]
    comma = tr_in(stage.lang, "list.comma")
    return {"t": str(FOLLOW), "n": str(FOLLOW + 1), "T": str(T), "t1": str(FOLLOW + 1), "tmax": str(T - 1),
            "row": comma.join(number(v) for v in n["x"]), "max": number(n["max"]),
            "x0": number(n["x"][0]), "max_term": number_term(n["max"]), "e0": number(n["exps"][0]),
            "expsum": number(n["expsum"]), "raw": comma.join(number(v) for v in n["raw"]),
            "rawsum": number(n["raw"].sum()), "p0": number(n["probs"][0]),
            "probs": " + ".join(number(v) for v in probs), "total": number(n["probs"].sum()),
            "big": f"{BIG:g}", "exp_big": fmt(math.exp(BIG)), "f32max": fmt(f32),
            "limit": number(math.log(f32))}


@dataclass(frozen=True)
class _Geometry:
    later: tuple[str, ...]  # computed blocks from the probabilities on: not computed yet
    heads: tuple[str, ...]  # every head's scores, max, expsum and probs
    poses: dict
    cell: float
    z: float
    sources: np.ndarray  # (n, 3) the row's computed score cells
    lines: np.ndarray  # (n + 1, 3) the worked lines: one per score, then the sum
    raw_x: float  # where the column "exp of the raw score" starts
    max_cell: np.ndarray
    expsum_cell: np.ndarray
    probs_cells: np.ndarray  # (T, 3) the row of probabilities
    masked_probs: np.ndarray  # (T - n, 3)
    header_y: float
    texts: dict  # the worked row's texts
    offsets: np.ndarray  # (H, 3) where each head's softmax moves to stand beside head 0's
    titles: list  # where "Head h" is written over each head's scores, moved


def _geometry(s: Script) -> _Geometry:
    L = s.layout
    config = L.config
    T = s.trace.T
    n = FOLLOW + 1
    order = forward_order(config.n_layer, config.n_head)
    later = tuple(order[order.index(f"layers.{LAYER}.attn.h0.max"):])
    heads = tuple(f"layers.{LAYER}.attn.h{h}.{w}" for h in range(config.n_head)
                  for w in ("scores", "max", "expsum", "probs"))
    cell = s.cell_size(SCORES)
    z = float(s.cell_centre(SCORES, 0, 0)[2])
    right = float(L.maxs[s.index(EXPSUM), 0]) + 2.0 * cell
    top = float(s.cell_centre(SCORES, 0, 0)[1])
    lines = np.array([[right, top - k * LINE * cell, z + 1.0] for k in range(n + 1)])
    raw_x = right + 17.0 * EM * cell
    num = numbers(s.stage)
    v = s.values
    texts = {
        "max": f"max({v['row']}) = {v['max']}",
        "exp": [f"exp({number(x)} − {v['max_term']}) = {number(e)}" for x, e in zip(num["x"], num["exps"],
                                                                                     strict=True)],
        "raw": [f"exp({number(x)}) = {number(e)}" for x, e in zip(num["x"], num["raw"], strict=True)],
        "sum": f"Σ = {v['expsum']}", "rawsum": f"Σ = {v['rawsum']}",
        "div": [f"{number(e)} / {v['expsum']} = {number(p)}" for e, p in zip(num["exps"], num["probs"][:n],
                                                                            strict=True)],
        "rawdiv": [f"{number(e)} / {v['rawsum']} = {number(e / num['raw'].sum())}" for e in num["raw"]],
        "total": f"{v['probs']} = {v['total']}",
    }
    lo = L.mins[s.ids(*SOFTMAX)].min(axis=0).astype(np.float64) - (1.0, 1.0, 0.0)
    hi = L.maxs[s.ids(*SOFTMAX)].max(axis=0).astype(np.float64) + (0.0, 2.5, 0.0)
    hi[0] = raw_x + 13.0 * EM * cell
    close = poses.boxes_pose(lo, hi, s.aspect, azimuth=-4.0, elevation=3.0, margin=1.03)
    # Every head's softmax beside head 0's, in the front plane.
    H = config.n_head
    width = float(L.maxs[s.index(EXPSUM), 0] - L.mins[s.index(SCORES), 0]) + 2.0 * L.gap
    depth = float(L.mins[s.index(SCORES), 2] - L.mins[s.index(f"layers.{LAYER}.attn.h1.scores"), 2])
    offsets = np.array([[h * width, 0.0, h * depth] for h in range(H)])
    side = [f"layers.{LAYER}.attn.h{h}.{w}" for h in range(H) for w in ("scores", "probs", "max", "expsum")]
    ids = s.ids(*side)
    moved = np.repeat(offsets, 4, axis=0)
    lo_h = (L.mins[ids] + moved).min(axis=0).astype(np.float64)
    hi_h = (L.maxs[ids] + moved).max(axis=0).astype(np.float64)
    title_y = float(L.mins[s.index(PROBS), 1]) - 0.8 * L.gap  # under each head's probabilities
    lo_h[1] = title_y - 0.5 * L.gap
    heads_pose = poses.boxes_pose(lo_h, hi_h, s.aspect, azimuth=-4.0, elevation=4.0, margin=1.06)
    mid_x = float(L.mins[s.index(SCORES), 0] + L.maxs[s.index(EXPSUM), 0]) / 2
    titles = [(mid_x + offsets[h][0], title_y, z) for h in range(H)]
    return _Geometry(
        later=later, heads=heads, cell=cell, z=z,
        poses={"close": close, "heads": heads_pose}, offsets=offsets, titles=titles,
        sources=np.array([s.cell_centre(SCORES, FOLLOW, j) for j in range(n)]), lines=lines, raw_x=raw_x,
        max_cell=s.cell_centre(MAX, FOLLOW, 0), expsum_cell=s.cell_centre(EXPSUM, FOLLOW, 0),
        probs_cells=np.array([s.cell_centre(PROBS, FOLLOW, j) for j in range(T)]),
        masked_probs=np.array([s.cell_centre(PROBS, FOLLOW, j) for j in range(n, T)]).reshape(-1, 3),
        header_y=float(lines[0][1]) + 1.2 * cell, texts=texts)


def script(s: Script) -> None:
    T = s.trace.T
    n = FOLLOW + 1
    g = s.memo("softmax", lambda: _geometry(s))
    cell, z = g.cell, g.z
    em = EM * cell
    start = s.now()
    s.hide_values(g.later, start)
    s.focus(SOFTMAX, start, glow=0.0, others=0.05)
    s.camera(g.poses["close"], start)

    s.para("intro")
    st = s.step(1.5)
    lit = st
    s.glow([SCORES], st, 0.5)
    s.pause()

    # The max: the row's scores fly into one cell.
    s.para("max")
    fly = s.step(2.0, ease_out)
    s.glow([SCORES], fly, 0.0)
    s.ghosts(SCORES, (FOLLOW, 0), (0, 1), n, fly, to=g.max_cell + (0, 0, 0.3), to_size=0.4 * cell,
             stagger=0.3)
    s.compute_cells(MAX, FOLLOW, 1, fly.part(0.8, 1.0))
    s.glow([MAX], fly.part(0.7, 1.0), 0.6)
    said = s.step(0.5)
    s.pause()

    # exp(x − max), cell by cell: each score comes out to its own line.
    s.para("exp")
    out = [s.step(1.0, ease_out) for _ in range(n)]
    total = s.step(1.0)
    s.glow([MAX], out[0], 0.0)
    s.mark(g.texts["max"], (g.lines[0][0], g.max_cell[1] - 0.35 * em, z), em, said, until=out[-1])
    gather = s.step(1.5, ease_out)
    s.compute_cells(EXPSUM, FOLLOW, 1, gather.part(0.8, 1.0))
    s.pause()

    # Why the max: exp of the raw scores, beside.
    s.para("why")
    raw = s.step(2.0)
    raw_div = s.step(2.0)
    s.pause()

    # The division: every exp by the sum, into the row of probabilities.
    s.para("divide")
    divide = s.step(1.5)
    land = s.step(2.0, ease_out)
    s.compute_cells(PROBS, FOLLOW * T, T, land.part(0.6, 1.0))
    s.pause()

    # The row adds up to 1.
    s.para("total")
    total_st = s.step(1.5)
    s.pause()

    # Every row of every head.
    s.para("all")
    st = s.step(2.0)
    s.focus(g.heads, st, glow=0.0)
    s.fade([f"layers.{LAYER}.attn.h*.heads"], st, 0.0)  # its label would run into "Head 0"
    s.camera(g.poses["heads"], st)
    H = s.layout.config.n_head
    for h in range(1, H):
        s.move([f"layers.{LAYER}.attn.h{h}.{w}" for w in ("scores", "probs", "max", "expsum")], st,
               by=g.offsets[h])
    with s.together():
        for h in range(H):
            p = f"layers.{LAYER}.attn.h{h}."
            s.compute([p + "max", p + "expsum", p + "probs"], s.sweep(5.0))
    back = s.step(1.5)
    for h in range(H):
        s.mark(s.say("mark.head", n=h), g.titles[h], 2.0, st.part(0.6, 1.0), until=back, centred=True)
        s.move([f"layers.{LAYER}.attn.h{h}.{w}" for w in ("scores", "probs", "max", "expsum")], back,
               by=(0.0, 0.0, 0.0))
    s.pause()

    # --- what the steps above show, line by line ---------------------------------------------------------
    header_at = (g.lines[0][0] + 1.5 * cell, g.header_y, z)
    s.mark("exp(x − max)", header_at, 0.7 * em, out[0], until=divide, colour=INK_SOFT)
    s.mark("exp(x − max) / Σ", header_at, 0.7 * em, divide, until=total_st, colour=INK_SOFT)
    s.mark(s.say("mark.without_max"), (g.raw_x, g.header_y, z), 0.7 * em, raw, until=divide, colour=INK_SOFT)
    s.light(SCORES, (FOLLOW, FOLLOW + 1), (0, n), lit, until=st)
    for j in range(n):
        line = g.lines[j]
        still = (0.0, 0.0, 0.0)
        s.ghosts(SCORES, (FOLLOW, j), (0, 1), 1, out[j], to=line, to_size=0.8 * cell,
                 hold=land.start - out[j].end)  # each exp stays on its line until it is divided
        s.ghosts(SCORES, (FOLLOW, j), (0, 1), 1, gather, origin=line, origin_step=still,
                 to=g.expsum_cell + (0, 0, 0.3), size=0.8 * cell, to_size=0.3 * cell)
        s.ghosts(SCORES, (FOLLOW, j), (0, 1), 1, land, origin=line, origin_step=still,
                 to=g.probs_cells[j] + (0, 0, 0.3), size=0.8 * cell, to_size=0.4 * cell)
        text_at = (line[0] + 1.5 * cell, line[1] - 0.35 * em, z)
        s.mark(g.texts["exp"][j], text_at, em, out[j], until=divide)
        s.mark(g.texts["div"][j], text_at, em, divide, until=total_st)
        raw_at = (g.raw_x, line[1] - 0.35 * em, z)
        s.mark(g.texts["raw"][j], raw_at, em, raw.part(j / n, 1.0), until=raw_div)
        s.mark(g.texts["rawdiv"][j], raw_at, em, raw_div, until=divide)
    sum_at = (g.lines[n][0] + 1.5 * cell, g.lines[n][1] - 0.35 * em, z)
    s.mark(g.texts["sum"], sum_at, em, total, until=total_st)
    s.mark(g.texts["rawsum"], (g.raw_x, sum_at[1], z), em, raw, until=divide)
    if land.started and not st.started:
        for centre in g.masked_probs:
            s.mark("0", centre, 0.5 * cell, land.part(0.8, 1.0), centred=True)
    s.light(PROBS, (FOLLOW, FOLLOW + 1), (0, n), total_st, until=st)
    s.mark(g.texts["total"], (g.lines[0][0], g.probs_cells[0][1] - 0.35 * em, z), em, total_st, until=st)


CHAPTER = Chapter("softmax", "nano", script, values)
