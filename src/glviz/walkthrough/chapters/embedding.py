"""Chapter 3, Embedding: one token's id picks a column of the token table, its position a column of the
position table; the two columns fly out, are added cell by cell and land in the input embedding; then every
token at once."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.common import (
    ARROWS_EMBEDDING,
    EMBEDDING,
    letters,
    number,
    number_term,
    tokens,
)
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.timeline import ease_out

FOLLOW = 3  # the token followed: the fourth letter


def values(stage: Stage) -> dict[str, str]:
    token = tokens(stage)[FOLLOW]
    trace = stage.trace
    te, pe, e = (float(trace[name][FOLLOW, 0]) for name in ("tok_emb", "pos_emb", "embed"))
    return {"t": str(FOLLOW), "letter": letters(stage)[FOLLOW], "id": str(token), "te0": number(te),
            "pe0": number(pe), "pe0_term": number_term(pe), "e0": number(e),
            "C": str(stage.layout.config.n_embd), "T": str(trace.T), "V": str(stage.layout.config.vocab_size)}


def _geometry(s: Script) -> SimpleNamespace:
    """The chapter's poses, places and texts (made once per stage: no block moves in this chapter)."""
    g = SimpleNamespace()
    g.token = tokens(s.stage)[FOLLOW]
    g.view = s.frame_blocks(EMBEDDING, margin=1.1, titles=("Embedding",))
    g.letter = (letters(s.stage)[FOLLOW], s.cell_centre("tokens", 0, FOLLOW) + (0.0, -1.6, 0.0))
    g.tok_top = (s.cell_centre("tok_emb", 0, FOLLOW), (0.0, -s.cell_size("tok_emb"), 0.0))
    g.pos_top = (s.cell_centre("pos_emb", 0, FOLLOW), (0.0, -s.cell_size("pos_emb"), 0.0))
    g.columns = {name: s.cells_of_column(name, FOLLOW) for name in ("tok_emb", "pos_emb", "embed")}
    g.wte_column, g.wpe_column = s.column("wte", g.token), s.column("wpe", FOLLOW)
    g.cell = cell = s.cell_size("embed")
    g.embed_top = embed_top = s.cell_centre("embed", 0, FOLLOW)
    lift = np.array([0.0, 0.0, 6.0])
    g.left, g.right = embed_top + lift - (1.5 * cell, 0, 0), embed_top + lift + (1.5 * cell, 0, 0)
    g.down = down = (0.0, -cell, 0.0)
    near_lo = embed_top + lift + (-4.0 * cell, -12.5 * cell, -6.0)
    near_hi = embed_top + lift + (4.0 * cell, 2.5 * cell, 0.5)
    g.near = poses.boxes_pose(near_lo, near_hi, s.aspect, margin=1.05)
    g.sum_view = s.frame_blocks(["tokens", "tok_emb", "embed", "pos_emb"], margin=1.1, titles=("Embedding",))
    middle = embed_top + lift
    g.plus = [middle + np.asarray(down) * c for c in range(s.layout.config.n_embd)]
    v = s.values
    g.sum = (f"= {v['te0']} + {v['pe0_term']} = {v['e0']}", g.right + (1.0 * cell, -0.35 * cell, 0.0))
    return g


def script(s: Script) -> None:
    C = s.layout.config.n_embd
    g = s.memo("embedding", lambda: _geometry(s))
    token = g.token
    start = s.now()
    s.hide_values(["tok_emb", "pos_emb", "embed"], start)
    s.focus(EMBEDDING, start, glow=0.0)
    s.camera(g.view, start)

    s.para("intro")
    st = s.step(2.0)
    s.light("tokens", (0, 1), (FOLLOW, FOLLOW + 1), st)
    s.glow(["tokens"], st)
    intro = st
    s.pause()

    # The token's id picks a column of wte: the column is lit, copied out and lands in tok_emb.
    s.para("lookup")
    st = s.step(1.2)
    s.mark(*g.letter, 1.8, intro, until=st.part(0.5, 1.0), centred=True)
    s.glow(["tokens"], st, 0.0)
    s.glow(["wte"], st)
    lit = st
    fly = s.step(2.5, ease_out)
    top, down = g.tok_top
    s.ghosts("wte", (0, token), (1, 0), C, fly, to=top, to_step=down, stagger=0.6)
    s.compute_cells("tok_emb", *g.columns["tok_emb"], fly.part(0.7, 1.0))
    s.glow(["wte"], fly.part(0.6, 1.0), 0.0)
    s.glow(["tok_emb"], fly.part(0.6, 1.0))
    s.pause()  # the lookup is read beside the copied column, before the position's copy starts

    s.para("position")
    st = s.step(1.2)
    s.glow(["tok_emb"], st, 0.0)
    s.glow(["wpe"], st)
    s.light("wte", *g.wte_column, lit, until=st)
    lit = st
    fly = s.step(2.5, ease_out)
    top, down = g.pos_top
    s.ghosts("wpe", (0, FOLLOW), (1, 0), C, fly, to=top, to_step=down, stagger=0.6)
    s.compute_cells("pos_emb", *g.columns["pos_emb"], fly.part(0.7, 1.0))
    s.glow(["wpe"], fly.part(0.6, 1.0), 0.0)
    s.pause()

    # The two columns fly out in front of the input embedding, pair up with + between them, and merge into
    # its column.
    s.para("add")
    cell, down = g.cell, g.down
    out = s.step(2.0, ease_out)
    pair = s.step(3.0)
    merge = s.step(2.0, ease_out)
    s.light("wpe", *g.wpe_column, lit, until=out)
    s.camera(g.near, out)
    s.camera(g.sum_view, merge)
    s.glow(["embed"], out)
    for source, place in (("tok_emb", g.left), ("pos_emb", g.right)):
        s.ghosts(source, (0, FOLLOW), (1, 0), C, out, to=place, to_step=down, hold=pair.end - out.end)
        s.ghosts(source, (0, FOLLOW), (1, 0), C, merge, origin=place, origin_step=down,
                 to=g.embed_top + (0, 0, 0.3), to_step=down, to_size=0.35 * cell)
    if pair.active:
        for place in g.plus:
            s.mark("+", place, 0.9 * cell, pair, centred=True)
    s.mark(*g.sum, 0.8 * cell, pair, until=merge)
    # The sum is written where the position embedding's label stands: that block steps back meanwhile.
    s.fade(["pos_emb"], out.part(0.6, 1.0), 0.25)
    s.fade(["pos_emb"], merge.part(0.0, 0.4), 1.0)
    s.compute_cells("embed", *g.columns["embed"], merge.part(0.5, 1.0))
    s.pause()

    s.para("all")
    st = s.step(1.0)
    s.camera(g.view, st)
    s.glow(["embed"], st, 0.0)
    s.arrows(ARROWS_EMBEDDING, st)
    with s.together():
        s.compute(["tok_emb"], s.sweep(4.0))
        s.compute(["pos_emb"], s.sweep(4.0))
    s.compute(["embed"], s.sweep(3.0))
    s.pause()


CHAPTER = Chapter("embedding", "nano", script, values)
