"""Chapter 4, Layer norm: the input embedding slides down beside the first layer norm; one token's column
gives its mean, then its standard deviation (ε included); each cell is normalised, scaled by γ and shifted by
β, the three lined up in rows beside the output; then every column at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.formatting import plain_decimal
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.ch_a_common import (
    FOLLOW,
    INK_SOFT,
    LAYER,
    exact,
    exact_term,
)
from glviz.walkthrough.chapters.common import letters
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.timeline import ease_out

P = f"layers.{LAYER}.ln1."
MEAN, STD, GAMMA, BETA, OUT = (P + w for w in ("mean", "std", "gamma", "beta", "out"))
LN = [MEAN, STD, GAMMA, BETA, OUT]
MARK = 1.8  # em of the numbers said beside the mean and std rows, seen from afar
MARK_WIDTH = 50.0  # world units those numbers take
VISIBLE_ROWS = 14  # rows of the column the close-up shows: the × and + marks are drawn for these only


def column_numbers(stage: Stage) -> dict[str, float]:
    """The followed token's layer norm, step by step, from the trace (mean, variance, std, first cell)."""
    trace = stage.trace
    x = np.asarray(trace["embed"][FOLLOW], dtype=np.float64)  # (C,) the column normalised
    mean = float(trace[MEAN][FOLLOW])
    std = float(trace[STD][FOLLOW])
    eps = float(stage.layout.config.layer_norm_eps)
    gamma, beta = (float(trace.weights[P + w][0]) for w in ("gamma", "beta"))
    return {"x0": float(x[0]), "mean": mean, "var": std * std - eps, "eps": eps, "std": std,
            "std_raw": float(np.sqrt(max(std * std - eps, 0.0))), "n0": (float(x[0]) - mean) / std,
            "g0": gamma, "b0": beta, "y0": float(trace[OUT][FOLLOW, 0])}


def values(stage: Stage) -> dict[str, str]:
    n = column_numbers(stage)
    config = stage.layout.config
    return {"t": str(FOLLOW), "letter": letters(stage)[FOLLOW], "C": str(config.n_embd),
            "T": str(stage.trace.T),
            "x0": exact(n["x0"]), "mean": exact(n["mean"]), "mean_term": exact_term(n["mean"]),
            "var": exact(n["var"]), "eps": plain_decimal(n["eps"]), "std": exact(n["std"]),
            "std_raw": exact(n["std_raw"]), "n0": exact(n["n0"]), "g0": exact(n["g0"]),
            "b0_term": exact_term(n["b0"]), "y0": exact(n["y0"]), "layers": str(config.n_layer)}


def _embed_offset(s: Script) -> np.ndarray:
    """Where the input embedding moves: beside the layer norm's output, its rows level with the output's,
    with room between them for three columns lined up."""
    L = s.layout
    e, o = s.index("embed"), s.index(OUT)
    return np.array([L.maxs[o, 0] + 3.0 * L.gap - L.mins[e, 0], L.maxs[o, 1] - L.maxs[e, 1], 0.0])


def _marks_x(s: Script) -> float:
    """Where the numbers said beside the mean and std rows start: right of the rows."""
    i = s.index(MEAN)
    return float(s.layout.maxs[i, 0]) + 1.5 * s.cell_size(i)


def _whole_pose(s: Script, by: np.ndarray):
    """The layer norm, the moved input embedding and the numbers said beside them."""
    L = s.layout
    ids = [s.index(n) for n in LN]
    lo = L.mins[ids].min(axis=0).astype(np.float64) - (1.0, 0.0, 0.0)
    hi = L.maxs[ids].max(axis=0).astype(np.float64)
    e = s.index("embed")
    lo = np.minimum(lo, L.mins[e] + by)
    hi = np.maximum(hi, L.maxs[e] + by)
    hi[0] = max(hi[0], _marks_x(s) + MARK_WIDTH)
    return s.fit_boxes(lo, hi, (L.mins[ids], L.maxs[ids]), margin=1.05)


@dataclass(frozen=True)
class _Geometry:
    """What the script places that depends on the layout only (made once)."""

    by: np.ndarray  # where the input embedding moves
    poses: dict
    cell: float
    mean_cell: np.ndarray
    std_cell: np.ndarray
    top: np.ndarray  # the output's followed column, first cell
    right: float  # where the numbers said beside the mean and std rows start
    stage_x: list  # x of the lined-up columns: normalised x, ×, γ, +, β
    place: list  # (3,) top of each lined-up column


def _geometry(s: Script) -> _Geometry:
    L = s.layout
    cell = s.cell_size("embed")
    by = _embed_offset(s)
    out = s.index(OUT)
    top = s.cell_centre(out, 0, FOLLOW)
    x0 = s.cell_centre(out, 0, int(L.shapes[out, 1]) - 1)[0] + 3.5 * cell  # right of the output
    stage_x = [float(x0 + k * 1.6 * cell) for k in range(5)]
    place = [np.array([sx, top[1], top[2] + 2.0]) for sx in stage_x]
    right = _marks_x(s)
    near_lo = np.array([L.mins[s.index(GAMMA), 0] - 1.0, top[1] - VISIBLE_ROWS + 0.5, 0.0])
    near_hi = np.array([right + 30.0 * cell, L.maxs[s.index(MEAN), 1] + 1.0, 1.0])
    return _Geometry(
        by=by, cell=cell, mean_cell=s.cell_centre(MEAN, 0, FOLLOW), std_cell=s.cell_centre(STD, 0, FOLLOW),
        top=top, right=right, stage_x=stage_x, place=place,
        poses={"start": s.frame_blocks(["embed", *LN], margin=1.1, clear=("Transformer 0",)),
               "whole": _whole_pose(s, by),
               "close": poses.boxes_pose(near_lo, near_hi, s.aspect, azimuth=-8.0, elevation=4.0,
                                         margin=1.02)})


def script(s: Script) -> None:
    C = s.layout.config.n_embd
    v = s.values
    g = s.memo("layer_norm", lambda: _geometry(s))
    cell, top, right = g.cell, g.top, g.right
    start = s.now()
    s.hide_values([MEAN, STD, OUT], start)
    s.focus(["embed", *LN], start, glow=0.0)
    s.camera(g.poses["start"], start)

    # The input embedding slides down beside the layer norm, level with its output.
    s.para("intro")
    st = s.step(3.0)
    s.move(["embed"], st, by=g.by)
    s.camera(g.poses["whole"], st)
    s.glow([P + "*"], st.part(0.5, 1.0))
    s.pause()

    # The mean: the column's 48 cells fly up into one cell.
    s.para("mean")
    st = s.step(1.0)
    s.glow([P + "*"], st, 0.0)
    lit = st
    s.glow(["embed"], st, 0.5)
    fly = s.step(2.5, ease_out)
    s.ghosts("embed", (0, FOLLOW), (1, 0), C, fly, to=g.mean_cell, to_size=0.3 * cell, stagger=0.6)
    s.compute_cells(MEAN, FOLLOW, 1, fly.part(0.85, 1.0))
    s.glow([MEAN], fly.part(0.8, 1.0))
    mark_mean = s.step(0.5)
    mean_at = (right, g.mean_cell[1] - 0.35 * MARK, g.mean_cell[2])
    s.pause()

    # The standard deviation: the same cells again, each minus the mean, squared, averaged; then + ε and √.
    s.para("std")
    st = s.step(1.0)
    s.glow([MEAN], st, 0.0)
    fly = s.step(2.5, ease_out)
    s.ghosts("embed", (0, FOLLOW), (1, 0), C, fly, to=g.std_cell, to_size=0.3 * cell, stagger=0.6)
    s.compute_cells(STD, FOLLOW, 1, fly.part(0.85, 1.0))
    s.glow([STD], fly.part(0.8, 1.0))
    var_mark = s.step(2.0)
    sd_mark = s.step(1.0)
    std_at = (right, g.std_cell[1] - 0.35 * MARK, g.std_cell[2])
    s.mark(f"Var = Σ (x − μ)² / {C} = {v['var']}", std_at, MARK, var_mark, until=sd_mark)
    s.pause()

    # Normalise: the column flies across to stand beside the output, row by row; then γ and β join each row.
    s.para("normalise")
    st = s.step(1.5)
    s.glow([STD], st, 0.0)
    s.mark(f"μ = Σ x / {C} = {v['mean']}", mean_at, MARK, mark_mean, until=st)
    s.mark(f"σ = √(Var + ε) = √({v['var']} + {v['eps']}) = {v['std']}", std_at, MARK, sd_mark, until=st)
    s.camera(g.poses["close"], st)
    fly = s.step(2.5, ease_out)
    say = s.step(2.0)
    s.pause()

    s.para("scale")
    fly_g = s.step(2.5, ease_out)
    show = s.step(2.0)
    merge = s.step(2.0, ease_out)
    down = (0.0, -cell, 0.0)
    place, stage_x = g.place, g.stage_x
    s.ghosts("embed", (0, FOLLOW), (1, 0), C, fly, to=place[0], to_step=down, stagger=0.3,
             hold=merge.start - fly.end)
    header_y = top[1] + 0.9 * cell
    z = place[0][2]
    for k, source, header, st_k in ((0, "embed", "(x − μ) / σ", say), (2, GAMMA, "γ", fly_g),
                                    (4, BETA, "β", fly_g)):
        row0 = (0, FOLLOW) if source == "embed" else (0, 0)
        if k:
            s.ghosts(source, row0, (1, 0), C, fly_g, to=place[k], to_step=down, stagger=0.3,
                     hold=merge.start - fly_g.end)
        s.ghosts(source, row0, (1, 0), C, merge, origin=place[k], origin_step=down,
                 to=top + (0, 0, 0.3), to_step=down, to_size=0.35 * cell)
        s.mark(header, (stage_x[k], header_y, z), 0.8 * cell, st_k, until=merge, colour=INK_SOFT,
               centred=True)
    if show.started and not merge.started:
        for r in range(VISIBLE_ROWS):
            y_r = top[1] - r * cell
            s.mark("×", (stage_x[1], y_r, z), 0.8 * cell, show, centred=True)
            s.mark("+", (stage_x[3], y_r, z), 0.8 * cell, show, centred=True)
    s.compute_cells(OUT, *s.cells_of_column(OUT, FOLLOW), merge.part(0.5, 1.0))
    s.glow([OUT], merge.part(0.5, 1.0), 0.6)
    s.light("embed", (0, 1), (FOLLOW, FOLLOW + 1), say, until=merge)
    s.light(GAMMA, (0, 1), (0, 1), show, until=merge)
    s.light(BETA, (0, 1), (0, 1), show, until=merge)
    first_out = merge
    s.pause()

    # Every column at once; then the input embedding goes back to its place, the arrow into the layer norm.
    s.para("all")
    st = s.step(1.5)
    s.light("embed", *s.column("embed", FOLLOW), lit, until=st)
    s.light(OUT, (0, 1), (FOLLOW, FOLLOW + 1), first_out, until=st)
    # The first cell's arithmetic, written out where the mean and std were said, until every column goes.
    s.mark(f"(x − μ) / σ = ({v['x0']} − {v['mean_term']}) / {v['std']} = {v['n0']}",
           (right, g.mean_cell[1] - 0.35, g.mean_cell[2]), 1.0, say, until=st)
    s.mark(f"× γ + β = {v['n0']} × {v['g0']} + {v['b0_term']} = {v['y0']}",
           (right, g.std_cell[1] - 0.35, g.std_cell[2]), 1.0, show, until=st)
    s.camera(g.poses["whole"], st)
    s.glow([OUT, "embed"], st, 0.0)
    s.compute([MEAN, STD, OUT], s.sweep(6.0))
    back = s.step(2.5)
    s.move(["embed"], back, by=(0.0, 0.0, 0.0))
    s.camera(g.poses["start"], back)
    s.arrows([f"layers.{LAYER}.ln1"], back.part(0.6, 1.0))
    s.pause()


CHAPTER = Chapter("layer_norm", "nano", script, values)
