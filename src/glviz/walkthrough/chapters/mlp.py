"""Chapter 8, MLP: the second layer norm; one token's column expanded to 4C (a weight row times the column,
plus the bias), bent cell by cell by GELU, projected back to C and added to the residual stream; then every
token at once."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.ch_b_common import (
    LIFT,
    add_place,
    compute_on,
    dot_product,
    finish_column,
    near_pose,
    residual_add,
)
from glviz.walkthrough.chapters.common import number, number_term
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.timeline import ease_out, linear

FOLLOW = 3  # the token followed, as in the chapters before
LAYER = 0
P = f"layers.{LAYER}."
M = P + "mlp."
SLOW = 3  # GELU's first cells one by one, slowly enough to read their numbers


def values(stage: Stage) -> dict[str, str]:
    trace, config = stage.trace, stage.layout.config
    t = FOLLOW
    fc, gelu = (np.asarray(trace[M + name][t], dtype=np.float64) for name in ("fc", "gelu"))
    top, bottom = int(fc.argmax()), int(fc.argmin())
    out = float(trace[M + "proj"][t, 0])
    ln = np.asarray(trace[P + "ln2.out"][t], dtype=np.float64)  # (C,) the normalised column
    fc_sum = float(ln @ np.asarray(trace.weights[M + "wfc"][:, 0], dtype=np.float64))  # Σ w·x of fc's cell 0
    proj_sum = float(gelu @ np.asarray(trace.weights[M + "wproj"][:, 0], dtype=np.float64))  # and of proj's
    return {
        "t": str(t), "C": str(config.n_embd), "F": str(4 * config.n_embd),
        "bfc0": number(trace.weights[M + "bfc"][0]), "fc0": number(fc[0]), "sfc0": number_term(fc_sum),
        "pos": number(fc[top]), "gpos": number(gelu[top]),
        "neg": number(fc[bottom]), "gneg": number(gelu[bottom]),
        "bp0": number(trace.weights[M + "bproj"][0]), "mp0": number(out), "mp0_term": number_term(out),
        "sp0": number_term(proj_sum),
        "r1": number(trace[P + "resid1"][t, 0]), "r2": number(trace[P + "resid2"][t, 0]),
    }


def _geometry(s: Script) -> SimpleNamespace:
    """The chapter's places, poses and the followed column's numbers (made once per stage)."""
    C, t = s.layout.config.n_embd, FOLLOW
    F = 4 * C
    fc, gelu, proj = M + "fc", M + "gelu", M + "proj"
    g = SimpleNamespace()
    g.cell = cell = s.cell_size(fc)
    g.norm = [P + "resid1", P + "ln2.*"]
    g.norm_view = s.frame_blocks(g.norm, margin=1.15)
    g.expand_view = s.frame_blocks([P + "ln2.out", M + "wfc", fc], margin=1.0)
    g.fc_place = s.cell_centre(fc, 3, t) + (-1.0 * cell, 0.0, LIFT / 2)  # a few rows down: the label clear
    g.fc_near = near_pose(s, g.fc_place, 18.0, 5.0, 14.0)
    g.fc_sweep = s.sweep_poses([M + "wfc", fc], 64.0)
    # GELU: close on the first rows with room for the numbers right of it, then down the column.
    g.gelu_sweep = s.sweep_poses([fc, gelu], 40.0)
    corner = s.cell_centre(fc, 0, 0)
    right = float(s.layout.maxs[s.index(gelu), 0])
    far = np.array([right + 18.0 * cell, corner[1] + 3.0 * cell, corner[2]])
    g.gelu_near = poses.boxes_pose(corner + (-1.0, -12.0 * cell, -1.0), far, s.aspect, margin=1.0)
    g.gelu_cells = np.array([s.cell_centre(gelu, r, t) for r in range(F)])  # (F, 3)
    g.beside = np.array([right + 1.0, 0.0, 0.0]) - (g.gelu_cells[0, 0], 0.35 * cell, 0.0)
    x, y = (np.asarray(s.trace[M + name][t], dtype=np.float64) for name in ("fc", "gelu"))
    g.gelu_texts = [f"gelu({number(a)}) = {number(b)}" for a, b in zip(x, y, strict=True)]
    # Projecting back: the pairs in front of the GELU column, the camera at their bottom end.
    project = [gelu, M + "wproj", M + "bproj", proj]
    g.project = project
    g.project_view = s.frame_blocks(project, margin=1.05)
    g.proj_place = s.cell_centre(gelu, 0, t) + (-2.0 * cell, 0.0, LIFT / 2)
    g.low = F - 22
    g.proj_near = near_pose(s, g.proj_place + (0.0, -g.low * cell, 0.0), 26.0, 6.0, 16.0)
    g.proj_merge = poses.boxes_pose(s.cell_centre(proj, 14, 0) + (-2.0 * cell, 0.0, -LIFT),
                                    s.cell_centre(gelu, F - 20, 0) + (14.0 * cell, 0.0, LIFT), s.aspect,
                                    margin=1.05)  # the bottom of the lines and the output's top
    g.proj_view = s.frame_blocks([M + "wproj", M + "bproj", proj], margin=1.05)
    g.skip_view = s.frame_blocks([P + "resid1", P + "resid2"], margin=1.05)
    g.resid_near = near_pose(s, add_place(s, P + "resid2", t), 16.0, 18.0, 6.0)  # the sum on the left
    g.region = [*g.norm, M + "*", P + "resid2"]
    g.region_view = s.frame_blocks(g.region, margin=1.02)
    return g


def script(s: Script) -> None:
    C, t = s.layout.config.n_embd, FOLLOW
    F = 4 * C
    g = s.memo("mlp", lambda: _geometry(s))
    cell = g.cell
    ln2 = [P + "ln2.mean", P + "ln2.std", P + "ln2.out"]
    fc, gelu, proj, resid1, resid2 = M + "fc", M + "gelu", M + "proj", P + "resid1", P + "resid2"
    start = s.now()
    s.hide_values([*ln2, fc, gelu, proj, resid2], start)
    s.focus(g.norm, start, glow=0.0)
    s.camera(g.norm_view, start)

    # The second layer norm, every token at once (as the Layer Norm chapter showed).
    s.para("intro")
    st = s.step(1.0)
    s.arrows([P + "ln2"], st)
    s.compute(ln2, s.sweep(2.5))
    s.pause()

    # Expand: row 0 of the MLP weights times the normalised column, then the rest of the column.
    s.para("expand")
    st = s.step(1.5)
    s.focus([P + "ln2.out", M + "wfc", M + "bfc", fc], st, glow=0.0)
    s.glow([M + "wfc"], st)
    s.camera(g.expand_view, st)
    s.arrows([P + "mlp_in", P + "mlp.wfc"], st)
    out, pair, merge = s.step(2.0, ease_out), s.step(2.5), s.step(1.5, ease_out)
    s.light(M + "wfc", (0, 1), (0, C), st, until=merge)
    s.camera(g.fc_near, out)
    dot_product(s, weight=M + "wfc", row=0, inputs=[(P + "ln2.out", 0, C)], col=t, bias=M + "bfc", target=fc,
                place=g.fc_place, out=out, pair=pair, merge=merge, marks=(0, 20),
                result=f"= {s.values['bfc0']} + Σ = {s.values['fc0']}")
    rest = s.sweep(3.0)
    finish_column(s, M + "wfc", fc, t, rest, g.fc_sweep[0])
    s.camera_along(g.fc_sweep, rest)  # down the column, following the row in play
    s.pause()

    # GELU, cell by cell: the first few slowly with their numbers, then the rest of the column.
    s.para("gelu")
    st = s.step(1.5)
    s.focus([fc, gelu], st, glow=0.0)
    s.arrows([P + "gelu"], st)
    slow, fast = s.step(1.6 * SLOW, linear), s.sweep(5.0)
    s.camera(g.gelu_near, st)
    s.camera(g.gelu_sweep[0], fast.part(0.0, 0.15))
    first, _ = s.cells_of_column(gelu, t)
    size = 1.1 * cell
    lift = (0.0, 0.0, 0.3)
    for r in range(SLOW):
        one = slow.part(r / SLOW, (r + 1) / SLOW)
        s.ghosts(fc, (r, t), (1, 0), 1, one.part(0.0, 0.5, ease_out), to=g.gelu_cells[r] + lift)
        landing = one.part(0.4, 1.0)  # shown from its ghost's landing to the next one's
        until = slow.part((r + 1.4) / SLOW, 1.0) if r < SLOW - 1 else fast
        s.mark(g.gelu_texts[r], g.gelu_cells[r] + g.beside, size, landing, until=until)
    compute_on(s, gelu, first, 0, SLOW, slow)
    s.ghosts(fc, (SLOW, t), (1, 0), F - SLOW, fast, to=g.gelu_cells[SLOW] + lift, to_step=(0.0, -cell, 0.0),
             to_size=0.15 * cell, stagger=20.0)  # absorbed as they land
    landed = fast.part(1.0 / 21.0, 1.0)  # each ghost flies for 1/(1 + stagger) of the step
    compute_on(s, gelu, first, SLOW, F, landed)
    s.camera_along(g.gelu_sweep, fast.part(0.15, 1.0, linear))
    if landed.active:  # the cell being computed, with its numbers
        r = min(SLOW + int(landed.raw * (F - SLOW)), F - 1)
        s.mark(g.gelu_texts[r], g.gelu_cells[r] + g.beside, size, landed)
    s.pause()

    # Project back: row 0 of the projection's 192 weights pairs with the GELU column; then the rest.
    s.para("project")
    st = s.step(1.5)
    s.focus(g.project, st, glow=0.0)
    s.glow([M + "wproj"], st)
    s.camera(g.project_view, st)
    s.arrows([P + "mlp.wproj"], st)
    out, pair, merge = s.step(2.5, ease_out), s.step(2.5), s.step(1.5, ease_out)
    s.light(M + "wproj", (0, 1), (0, F), st, until=merge)
    s.camera(g.proj_near, pair.part(0.0, 0.3))
    dot_product(s, weight=M + "wproj", row=0, inputs=[(gelu, 0, F)], col=t, bias=M + "bproj", target=proj,
                place=g.proj_place, out=out, pair=pair, merge=merge, marks=(g.low, F), at_bottom=True,
                result=f"= {s.values['bp0']} + Σ = {s.values['mp0']}")
    s.camera(g.proj_merge, merge)
    rest = s.sweep(2.5)
    s.arrows([P + "mlp_out"], rest)
    finish_column(s, M + "wproj", proj, t, rest, g.proj_view)
    s.pause()

    # The residual add: resid1 comes down the skip arrow and meets the MLP output.
    s.para("residual")
    residual_add(s, resid1, proj, resid2, t, [P + "skip2", P + "resid2"], (g.skip_view, g.resid_near),
                 (1.5, 2.0, 2.0, 1.5), f"{s.values['r1']} + {s.values['mp0_term']} = {s.values['r2']}")
    s.pause()

    # Every token at once.
    s.para("all")
    st = s.step(2.0)
    s.focus(g.region, st, others=0.25, glow=0.0)
    s.camera(g.region_view, st)
    s.arrows([P + "ln2", P + "mlp_in", P + "gelu", P + "mlp_out", P + "resid2", P + "skip2"], st)
    s.compute([fc, gelu, proj, resid2], s.sweep(5.0))
    s.pause()


CHAPTER = Chapter("mlp", "nano", script, values)
