"""Chapter 2, Preliminaries: tokens and the vocabulary, why T = 11, inference and training, and how glviz
trained this model (its loss curve)."""

from __future__ import annotations

from types import SimpleNamespace

from glviz.formatting import decimal
from glviz.model.sort_task import N_LETTERS
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.common import (
    EMBEDDING,
    computed_blocks,
    letters,
    number,
    predictions,
    spaced,
    tokens,
    weight_blocks,
)
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.timeline import ease_out


def values(stage: Stage) -> dict[str, str]:
    ids = tokens(stage)
    sequence = letters(stage)
    losses = stage.extras.get("losses")
    has_losses = losses is not None and len(losses) > 0
    return {
        "input": sequence[:N_LETTERS], "ids": spaced("".join(map(str, ids[:N_LETTERS]))),
        "fed_back": spaced(sequence[N_LETTERS:]), "T": str(len(ids)), "n": str(N_LETTERS),
        "steps": f"{len(losses):,}" if has_losses else "2,000",
        "loss_start": number(losses[0]) if has_losses else "1.1",
        "loss_end": decimal(losses[-1]) if has_losses else "0",
        "last": predictions(stage)[0][-1],
    }


def _geometry(s: Script) -> SimpleNamespace:
    """The chapter's poses and marks (made once per stage)."""
    layout, T = s.layout, s.trace.T
    g = SimpleNamespace()
    g.row = s.frame_blocks(["tokens"], margin=2.6, elevation=6.0)
    g.whole, g.overview = poses.whole(layout, s.aspect), poses.overview(layout, s.aspect)
    g.embedding = s.frame_blocks(EMBEDDING, margin=1.15, titles=("Embedding",))
    sequence, ids = letters(s.stage), tokens(s.stage)
    tokens_block = s.index("tokens")
    g.cell = cell = s.cell_size(tokens_block)
    centres = [s.cell_centre(tokens_block, 0, t) for t in range(T)]
    g.centres = centres
    g.letters = [(sequence[t], centres[t] + (0.0, -1.3 * cell, 0.0)) for t in range(T)]
    g.ids = [(str(ids[t]), centres[t] + (0.0, -2.5 * cell, 0.0)) for t in range(N_LETTERS)]
    g.fed_back = [(ids[t], t - 1) for t in range(N_LETTERS, T)]  # (token, the column predicting it)
    g.probs_size = s.cell_size(s.index("probs")) * 2
    return g


def script(s: Script) -> None:
    T = s.trace.T
    g = s.memo("preliminaries", lambda: _geometry(s))
    cell = g.cell
    start = s.now()
    s.hide_values(computed_blocks(s), start)
    s.show_values(["tokens"], start)
    s.camera(g.row, start)
    s.focus(["tokens"], start, others=0.3)

    s.para("vocabulary")
    st = s.step(2.0)
    for t in range(N_LETTERS):
        part = st.part(t / N_LETTERS, (t + 1) / N_LETTERS)
        s.mark(*g.letters[t], 0.9 * cell, part, centred=True)
        s.mark(*g.ids[t], 0.6 * cell, part, centred=True)
    s.pause()

    s.para("positions")
    st = s.step(2.0)
    s.light("tokens", (0, 1), (0, N_LETTERS), st)
    for t in range(N_LETTERS):
        s.mark(*g.letters[t], 0.9 * cell, start, centred=True)
    back = s.step(2.0)
    s.light("tokens", (0, 1), (N_LETTERS, T), back)
    for t in range(N_LETTERS, T):
        s.mark(*g.letters[t], 0.9 * cell, back.part((t - N_LETTERS) / 5, 1.0), centred=True)
    # Where those letters come from: the prediction at the previous position, read at the bottom and fed
    # back in at the top.
    loop = s.step(3.5, ease_out)
    s.camera(g.whole, loop.part(0.0, 0.4))
    s.camera(g.row, loop.part(0.7, 1.0))
    s.show_values(["probs"], loop)
    for t, (token, source_col) in enumerate(g.fed_back, N_LETTERS):
        s.ghosts("probs", (token, source_col), (0, 0), 1, loop.part(0.15, 0.9, ease_out),
                 to=g.centres[t], size=g.probs_size, to_size=cell)
    s.pause()

    s.para("inference")
    st = s.step(2.0)
    s.camera(g.overview, st)
    s.focus(weight_blocks(s), st, others=0.3)
    s.pause()

    s.para("training")
    st = s.step(2.0)
    s.calm(st)
    s.camera(g.embedding, st)
    s.pause()


CHAPTER = Chapter("preliminaries", "nano", script, values)
