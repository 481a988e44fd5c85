"""Chapter 5, Self-attention: the heads; Q, K and V of one token, one of their cells as a dot product of a
weight row and the layer norm's column drawn term by term; one row of attention scores q·k/√A with the
causal mask; then the three heads side by side, every column of every head at once."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glviz.i18n import tr_in
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.ch_a_common import (
    FOLLOW,
    HEAD,
    LAYER,
    Cells,
    dot_product,
    dot_steps,
    exact,
    exact_term,
)
from glviz.walkthrough.chapters.common import forward_order, letters, number
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.timeline import ease_out

LN_OUT = f"layers.{LAYER}.ln1.out"
HP = f"layers.{LAYER}.attn.h{HEAD}."  # the followed head's blocks
Q, K, V, SCORES = HP + "q", HP + "k", HP + "v", HP + "scores"
QKV = [HP + p for p in ("wq", "bq", "q", "wk", "bk", "k", "wv", "bv", "v")]
STAGE_LIFT = 2.0  # world units in front of the blocks where cells line up
CLOSE_ROWS = 14  # rows of a lined-up dot product the close-up shows
PRODUCTS = 3  # products written out beside the first pairs


def numbers(stage: Stage) -> dict:
    """What the chapter quotes, from the trace: the first cell of the followed token's query as a dot
    product, and the followed query's row of scores."""
    trace, config = stage.trace, stage.layout.config
    A, h = config.head_size, HEAD
    x = np.asarray(trace[LN_OUT][FOLLOW], np.float64)  # (C,) the input column
    w = np.asarray(trace.weights[f"layers.{LAYER}.attn.wq"][:, h * A], np.float64)  # (C,) query weight row 0
    q = np.asarray(trace[f"layers.{LAYER}.attn.q"][h], np.float64)  # (T, A)
    k = np.asarray(trace[f"layers.{LAYER}.attn.k"][h], np.float64)
    scores = np.asarray(trace[f"layers.{LAYER}.attn.scores"][h, FOLLOW], np.float64)  # (T,)
    return {"w": w[:PRODUCTS], "x": x[:PRODUCTS], "wx": float(w @ x),
            "b": float(trace.weights[f"layers.{LAYER}.attn.bq"][h * A]), "q0": float(q[FOLLOW, 0]),
            "qk": float(q[FOLLOW] @ k[0]), "scores": scores[: FOLLOW + 1], "A": A}


def values(stage: Stage) -> dict[str, str]:
    n = numbers(stage)
    config = stage.layout.config
    T = stage.trace.T
    return {"t": str(FOLLOW), "letter": letters(stage)[FOLLOW], "C": str(config.n_embd), "A": str(n["A"]),
            "H": str(config.n_head), "T": str(T), "sqrtA": number(math.sqrt(n["A"])),
            "w0": exact(n["w"][0]), "x0": exact_term(n["x"][0]), "p0": exact(n["w"][0] * n["x"][0]),
            "wx": exact(n["wx"]), "b": exact_term(n["b"]), "q0": exact(n["q0"]),
            "qk": number(n["qk"]), "s0": number(n["scores"][0]),
            "row": tr_in(stage.lang, "list.comma").join(number(v) for v in n["scores"]),
            "masked": str(T - 1 - FOLLOW), "last": str(FOLLOW + 1), "t1": str(FOLLOW + 1),
            "tmax": str(T - 1)}


def _head_offset(s: Script, h: int) -> np.ndarray:
    """Where head h moves so that the heads stand side by side in the front plane."""
    L = s.layout
    ids = s.ids(f"layers.{LAYER}.attn.h0.*")
    width = float(L.maxs[ids, 0].max() - L.mins[ids, 0].min()) + L.gap
    z0, z1 = (float(L.mins[s.index(f"layers.{LAYER}.attn.h{k}.q"), 2]) for k in (0, 1))
    depth = z0 - z1
    return np.array([h * width, 0.0, h * depth])


def _box(s: Script, names, pad=(0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """The corners of blocks' union, widened by pad (x, y) world units."""
    ids = s.ids(*names)
    lo = s.layout.mins[ids].min(axis=0).astype(np.float64) - (pad[0], pad[1], 0.0)
    hi = s.layout.maxs[ids].max(axis=0).astype(np.float64) + (pad[0], pad[1], 0.0)
    return lo, hi


def _pose(lo, hi, s: Script, margin: float = 1.03):
    return poses.boxes_pose(lo, hi, s.aspect, azimuth=-5.0, elevation=3.5, margin=margin)


@dataclass(frozen=True)
class _Geometry:
    """Everything the script places that depends on the layout and the trace only (made once)."""

    later: tuple[str, ...]  # computed blocks from the heads on: not computed yet
    heads: tuple[str, ...]  # "layers.0.attn.h{h}.*"
    per_head: tuple[str, ...]  # every head's blocks up to the scores
    offsets: np.ndarray  # (H, 3) where each head moves to stand beside head 0
    moved: np.ndarray  # (len(per_head), 3) the offset of each of per_head
    cell: float
    z: float  # the blocks' front face
    poses: dict  # name -> Pose
    q_stage: np.ndarray  # top of the lined-up pairs of the query's dot product
    q_target: np.ndarray
    sum_at: tuple[float, float, float]
    products: tuple[str, ...]
    k_stage: np.ndarray
    score_targets: np.ndarray  # (t + 1, 3) cells of the followed query's row of scores
    scores_right: float
    row_y: float
    masked: np.ndarray  # (T - t - 1, 3) centres of the masked cells of that row
    title: tuple[float, float]  # where "Head h" is written over head 0 (x centre, baseline y)


def _geometry(s: Script) -> _Geometry:
    L = s.layout
    config = L.config
    H, T = config.n_head, s.trace.T
    order = forward_order(config.n_layer, H)
    later = tuple(order[order.index(f"layers.{LAYER}.attn.h0.q"):])
    heads = tuple(f"layers.{LAYER}.attn.h{h}.*" for h in range(H))
    parts = ("wq", "bq", "q", "wk", "bk", "k", "wv", "bv", "v", "scores")
    per_head = tuple(f"layers.{LAYER}.attn.h{h}.{p}" for h in range(H) for p in parts)
    offsets = np.array([_head_offset(s, h) for h in range(H)])
    moved = np.repeat(offsets, len(parts), axis=0)
    cell = s.cell_size(LN_OUT)
    top = s.cell_centre(LN_OUT, 0, FOLLOW)
    z = float(top[2])
    gamma_left = float(L.mins[s.index(f"layers.{LAYER}.ln1.gamma"), 0])
    q_stage = np.array([gamma_left - 5.5 * cell, top[1], z + STAGE_LIFT])
    near = _pose(q_stage + (-11.0 * cell, -(CLOSE_ROWS - 0.5) * cell, -STAGE_LIFT),
                 q_stage + (4.5 * cell, 1.5 * cell, 0.0), s, margin=1.02)
    lo, hi = _box(s, [HP + "wq", Q], pad=(1.0, 1.0))
    hi[1] += 10.0 * cell  # room above the query weights for the sum
    # "Head h" stands right of the query: wholly in or out of view, not its first letter at the edge.
    blocks = _box(s, [HP + "wq", Q], pad=(0.0, 0.0))
    landing = s.uncut(_pose(lo, hi, s), (f"Head {HEAD}",), *blocks)
    sum_at = (float(lo[0]) + 16.0 * cell, float(hi[1]) - 4.0 * cell, z)
    n = numbers(s.stage)
    products = tuple(f"{exact(a)} × {exact_term(b)} = {exact(a * b)}"
                     for a, b in zip(n["w"], n["x"], strict=True))
    k_right = float(L.maxs[s.index(K), 0])
    k_top = s.cell_centre(K, 0, 0)
    k_stage = np.array([k_right + 2.0 * cell, k_top[1], z + STAGE_LIFT])
    lo, hi = _box(s, [Q, K], pad=(1.0, 1.0))
    hi[0] = k_right + 8.0 * cell
    qk = _pose(lo, hi, s)
    scores_right = float(L.maxs[s.index(SCORES), 0]) + cell
    lo, hi = _box(s, [SCORES], pad=(1.0, 3.0))
    hi[0] = scores_right + 24.0 * cell
    scores_close = _pose(lo, hi, s, margin=1.05)
    q_box = (float(L.mins[s.index(Q), 0]), float(L.maxs[s.index(Q), 0]), float(L.maxs[s.index(Q), 1]))
    return _Geometry(
        later=later, heads=heads, per_head=per_head, offsets=offsets, moved=moved, cell=cell, z=z,
        poses={"start": s.frame_blocks([f"layers.{LAYER}.attn.h*.{p}" for p in parts], margin=1.35,
                                       azimuth=-30.0, elevation=12.0),
               "qkv": s.frame_blocks([LN_OUT, *QKV], margin=1.05),
               "medium": s.frame_blocks([LN_OUT, HP + "wq", Q], margin=1.05), "near": near,
               "landing": landing,
               "weights": s.frame_blocks(QKV, margin=1.05, azimuth=-6.0, elevation=4.0,
                                         titles=("Self-attention",), clear=(f"Head {HEAD}",)),
               "qk": qk, "scores": scores_close,
               "side": s.frame_blocks(per_head, margin=1.12, azimuth=0.0, elevation=4.0, moved_by=moved)},
        q_stage=q_stage, q_target=s.cell_centre(Q, 0, FOLLOW) + (0.0, 0.0, 0.3), sum_at=sum_at,
        products=products, k_stage=k_stage,
        score_targets=np.array([s.cell_centre(SCORES, FOLLOW, j) + (0.0, 0.0, 0.3)
                                for j in range(FOLLOW + 1)]),
        scores_right=scores_right, row_y=float(s.cell_centre(SCORES, FOLLOW, 0)[1]) - 0.3,
        masked=np.array([s.cell_centre(SCORES, FOLLOW, j) for j in range(FOLLOW + 1, T)]).reshape(-1, 3),
        title=((q_box[0] + q_box[1]) / 2, q_box[2] + 5.0 * cell))


def script(s: Script) -> None:
    config = s.layout.config
    C, A, H, T = config.n_embd, config.head_size, config.n_head, s.trace.T
    g = s.memo("self_attention", lambda: _geometry(s))
    v = s.values
    cell, z = g.cell, g.z
    heads = list(g.heads)
    start = s.now()
    s.hide_values(g.later, start)
    s.focus([LN_OUT, *heads], start, glow=0.0)
    s.camera(g.poses["start"], start)

    # The heads, one after the other.
    s.para("intro")
    for h in range(H):
        st = s.step(0.8)
        s.glow([heads[h]], st, 1.0)
        if h:
            s.glow([heads[h - 1]], st, 0.0)
    st = s.step(0.6)
    s.glow([heads[-1]], st, 0.0)
    s.pause()

    # Q, K and V of one token: the followed column of the layer norm's output, and the head's three parts.
    s.para("qkv")
    st = s.step(1.5)
    s.focus([LN_OUT, *QKV], st, glow=0.0, others=0.06)
    s.glow([Q, K, V], st, 0.6)
    s.camera(g.poses["qkv"], st)
    lit = st
    s.pause()

    # One dot product, term by term: query weight row 0 and the input column, into the query's first cell.
    s.para("dot")
    steps = dot_steps(s, out=2.2, pair=2.2, multiply=1.2, add=1.2, merge=1.8)
    s.glow([Q, K, V], steps.out, 0.0)
    s.light(HP + "wq", (0, 1), (0, C), steps.out, until=steps.merge)
    s.camera(g.poses["medium"], steps.out.part(0.0, 0.6))
    s.camera(g.poses["near"], steps.out.part(0.6, 1.0))
    s.camera(g.poses["landing"], steps.add.part(0.3, 1.0))
    dot_product(s, Cells(HP + "wq", (0, 0), (0, 1)), Cells(LN_OUT, (0, FOLLOW), (1, 0)), C, g.q_stage, steps,
                target=g.q_target, bias=Cells(HP + "bq", (0, 0), (1, 0)), visible=CLOSE_ROWS,
                products=g.products)
    s.compute_cells(Q, FOLLOW * A, 1, steps.merge.part(0.8, 1.0))
    said = s.step(0.8)
    s.pause()

    # The rest of the column, then K and V: each cell one row of weights times an input column.
    s.para("column")
    rest = s.sweep(2.5)
    s.mark(f"q = Σ w·x + b = {v['wx']} + {v['b']} = {v['q0']}", g.sum_at, 1.6, said, until=rest)
    s.camera(g.poses["weights"], rest.part(0.0, 0.3))
    s.compute_cells(Q, FOLLOW * A, A, rest)
    if rest.active:
        row = min(int(rest.raw * A), A - 1)
        s.light(HP + "wq", (row, row + 1), (0, C), rest)
    s.light(LN_OUT, *s.column(LN_OUT, FOLLOW), lit, until=s.now())
    # Keys and values of the followed token and of every token before it (the scores need them all).
    count = (FOLLOW + 1) * A
    for name in (K, V):
        st = s.sweep(2.0)
        s.compute_cells(name, 0, count, st)
        if st.active:
            k = min(int(st.raw * count), count - 1)
            s.light(HP + "w" + name[-1], (k % A, k % A + 1), (0, C), st)
            s.light(LN_OUT, *s.column(LN_OUT, k // A), st)
    s.pause()

    # One row of scores: the followed query against the keys of every position up to its own.
    s.para("scores")
    st = s.step(1.5)
    s.focus([Q, K, SCORES], st, glow=0.0, others=0.04)
    s.camera(g.poses["qk"], st)
    steps = dot_steps(s, out=1.5, pair=1.0, multiply=0.8, add=0.8, merge=1.2)
    dot_product(s, Cells(Q, (0, FOLLOW), (1, 0)), Cells(K, (0, 0), (1, 0)), A, g.k_stage, steps,
                target=g.score_targets[0], visible=A)
    row0 = FOLLOW * T
    s.compute_cells(SCORES, row0, 1, steps.merge.part(0.8, 1.0))
    s.camera(g.poses["scores"], steps.add)
    first = s.step(1.0)
    quick = [s.step(0.9, ease_out) for _ in range(FOLLOW)]
    row_said = s.now()
    at = (g.scores_right, g.row_y, z)
    s.mark(f"q·k / √{A} = {v['qk']} / {v['sqrtA']} = {v['s0']}", at, 1.0, first, until=row_said)
    for j, st in enumerate(quick, start=1):
        for name, col in ((Q, FOLLOW), (K, j)):
            s.ghosts(name, (0, col), (1, 0), A, st, to=g.score_targets[j], to_size=0.3 * cell, stagger=0.3)
        s.compute_cells(SCORES, row0, j + 1, st.part(0.8, 1.0))
    s.pause()

    # The causal mask: the cells right of the diagonal are never computed.
    s.para("mask")
    mask = s.step(1.5)
    s.light(Q, *s.column(Q, FOLLOW), steps.out, until=mask)
    s.pause()

    # The heads side by side, then every column of every head at once; then back into their stack.
    s.para("heads")
    st = s.step(2.5)
    if mask.started and not st.started:
        for centre in g.masked:
            s.mark("−∞", centre, 0.4 * cell, mask, centred=True)
    s.light(SCORES, (FOLLOW, FOLLOW + 1), (FOLLOW + 1, T), mask, until=st)
    s.mark(s.say("mark.row", n=FOLLOW, values=v["row"]), at, 1.0, row_said, until=st)
    for h in range(1, H):
        s.move([heads[h]], st, by=g.offsets[h])
    s.focus(g.per_head, st, glow=0.0)
    s.camera(g.poses["side"], st)
    with s.together():
        for h in range(H):
            p = f"layers.{LAYER}.attn.h{h}."
            s.compute([p + "q", p + "k", p + "v", p + "scores"], s.sweep(4.0))
    back = s.step(1.5)
    for h in range(H):
        at = (g.title[0] + g.offsets[h][0], g.title[1], z)
        s.mark(s.say("mark.head", n=h), at, 3.0, st.part(0.6, 1.0), until=back, centred=True)
        s.move([heads[h]], back, by=(0.0, 0.0, 0.0))
    s.camera(g.poses["start"], back)
    s.pause()


CHAPTER = Chapter("self_attention", "nano", script, values)
