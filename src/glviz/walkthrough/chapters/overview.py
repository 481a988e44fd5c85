"""Chapter 1, Overview: what the model does, weights and values, and one run through the whole model."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

from glviz.model.config import param_count
from glviz.model.sort_task import LETTERS, N_LETTERS
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.ch_c_common import chances
from glviz.walkthrough.chapters.common import (
    EMBEDDING,
    aggregate_blocks,
    computed_blocks,
    intermediate_blocks,
    letters,
    predictions,
    regions,
    spaced,
    tokens,
    weight_blocks,
)
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.timeline import ease_out


def values(stage: Stage) -> dict[str, str]:
    sequence = letters(stage)
    predicted, probs = predictions(stage)
    config = stage.layout.config
    return {
        "params": f"{param_count(config):,}",
        "input": sequence[:N_LETTERS],
        "sorted": predicted,
        "input_spaced": spaced(sequence[:N_LETTERS]),
        "ids_spaced": spaced("".join(str(t) for t in tokens(stage)[:N_LETTERS])),
        "first": predicted[0],
        "first_p": chances(probs[0])[int(probs[0].argmax())],  # as the Output chapter writes it
        "layers": str(config.n_layer),
        "C": str(config.n_embd),
    }


def _geometry(s: Script) -> SimpleNamespace:
    """The chapter's poses, block lists and marks (made once per stage)."""
    layout, aspect = s.layout, s.aspect
    config = layout.config
    g = SimpleNamespace()
    g.computed, g.weights = computed_blocks(s), weight_blocks(s)
    g.intermediates, g.aggregates = intermediate_blocks(s), aggregate_blocks(s)
    # The welcome: the model card and the top of the model, large enough to read (the whole of nano is a
    # column too thin for its labels; Preliminaries shows it whole).
    g.welcome = poses.overview(layout, aspect)
    g.top = s.frame_blocks(EMBEDDING, margin=1.12, titles=("Embedding",))
    sequence = letters(s.stage)
    tokens_block = s.index("tokens")
    g.token_marks = [(sequence[t], s.cell_centre(tokens_block, 0, t) + (0.0, -1.5, 0.0))
                     for t in range(N_LETTERS)]
    g.colours_view = s.frame_blocks([*EMBEDDING, "layers.0.ln1.*"], margin=1.05, azimuth=-30.0,
                                    elevation=14.0, titles=("Embedding",),
                                    clear=("Transformer 0",))
    # The sweep: one stretch per region; the camera flies to the region and follows the computation down it.
    # Its poses are made when the camera first flies there: made here, they took a third of the app's first
    # frame on a first launch, which opens on this chapter.
    window = 0.35 * config.n_embd * 3
    g.regions = [(computed, partial(s.sweep_poses, framed, window), 1.2 + 0.25 * len(computed) ** 0.5)
                 for computed, framed in regions(config.n_layer, config.n_head)]
    probs = s.index("probs")
    g.probs_view = s.frame_blocks(["probs", "probs.*"], margin=2.2)
    column = N_LETTERS - 1
    g.probs_column = s.column("probs", column)
    predicted, distributions = predictions(s.stage)
    right = s.cell_centre(probs, 0, config.block_size - 1)[0] + 1.5
    g.chances = []
    texts = chances(distributions[0])  # as the Output chapter writes them
    for v in range(config.vocab_size):
        cell = s.cell_centre(probs, v, column)
        g.chances.append((f"{LETTERS[v]}: {texts[v]}", (right, cell[1] - 0.35, cell[2])))
    g.predicted = (predicted[0], s.cell_centre(probs, config.vocab_size - 1, column) + (0.0, -2.2, 0.0))
    return g


def script(s: Script) -> None:
    g = s.memo("overview", lambda: _geometry(s))
    start = s.now()
    s.hide_values(g.computed, start)
    s.camera(g.welcome, start)

    # The tour opens on this pause. The flight to the top belongs to the tokens: after it, a break under the
    # welcome asked for Space a second time with nothing new to read.
    s.para("welcome")
    s.pause()

    s.para("tokens")
    st = s.step(3.0)
    s.camera(g.top, st)
    st = s.sweep(2.5)
    s.compute(["tokens"], st)
    s.glow(["tokens"], st.part(0.0, 0.2))
    for t, (letter, place) in enumerate(g.token_marks):
        s.mark(letter, place, 1.4, st.part(t / N_LETTERS, (t + 1) / N_LETTERS), centred=True)
    s.pause()

    s.para("colours")
    with s.together():
        st_w = s.step(2.0)
        s.focus(g.weights, st_w, others=0.25)
        s.camera(g.colours_view, st_w)
    st_i = s.step(2.0)
    s.glow(g.weights, st_i, 0.0)
    s.focus(g.intermediates, st_i, others=0.25)
    st_a = s.step(2.0)
    s.glow(g.intermediates, st_a, 0.0)
    s.focus(g.aggregates, st_a, others=0.25)
    s.pause()

    s.para("run")
    st = s.step(1.0)
    s.calm(st)
    for computed, ends, seconds in g.regions:
        s.camera(lambda ends=ends: ends()[0], s.step(0.8))
        with s.together():
            s.compute(computed, s.sweep(seconds))
            s.camera_along(ends, s.sweep(seconds))
    s.pause()

    s.para("prediction")
    st = s.step(2.0)
    s.focus(["probs"], st, others=0.35)
    s.camera(g.probs_view, st)
    s.light("probs", *g.probs_column, s.now())
    for text, place in g.chances:
        s.mark(text, place, 0.7, st.part(0.5, 1.0))
    st = s.step(1.5, ease_out)
    letter, below = g.predicted
    s.mark(letter, below, 1.6, st, centred=True)
    s.pause()

    s.para("loop")
    s.wait(1.0)
    s.pause()


CHAPTER = Chapter("overview", "nano", script, values)
