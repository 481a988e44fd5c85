"""Chapter 1, Overview: what the model does, weights and values, and one run through the whole model."""

from __future__ import annotations

from glviz.formatting import percent
from glviz.model.config import param_count
from glviz.model.sort_task import LETTERS, N_LETTERS
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
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
        "first_p": percent(probs[0].max()),
        "layers": str(config.n_layer),
        "C": str(config.n_embd),
    }


def script(s: Script) -> None:
    layout, aspect = s.layout, s.aspect
    config = layout.config
    start = s.now()
    s.hide_values(computed_blocks(s), start)
    s.camera(poses.whole(layout, aspect), start)
    top = s.frame_blocks(EMBEDDING, margin=1.25)

    s.para("welcome")
    st = s.step(3.0)
    s.camera(top, st)
    s.pause()

    s.para("tokens")
    st = s.sweep(2.5)
    s.compute(["tokens"], st)
    s.glow(["tokens"], st.part(0.0, 0.2))
    sequence = letters(s.stage)
    tokens_block = s.index("tokens")
    for t in range(N_LETTERS):
        cell = s.cell_centre(tokens_block, 0, t)
        s.mark(sequence[t], cell + (0.0, -1.9, 0.0), 1.4, st.part(t / N_LETTERS, (t + 1) / N_LETTERS),
               centred=True)
    s.pause()

    s.para("colours")
    with s.together():
        st_w = s.step(2.0)
        s.focus(weight_blocks(s), st_w, others=0.25)
        s.camera(s.frame_blocks([*EMBEDDING, "layers.0.ln1.*"], margin=1.05, azimuth=-30.0, elevation=14.0),
                 st_w)
    st_i = s.step(2.0)
    s.glow(weight_blocks(s), st_i, 0.0)
    s.focus(intermediate_blocks(s), st_i, others=0.25)
    st_a = s.step(2.0)
    s.glow(intermediate_blocks(s), st_a, 0.0)
    s.focus(aggregate_blocks(s), st_a, others=0.25)
    s.pause()

    s.para("run")
    st = s.step(1.0)
    s.calm(st)
    # The sweep: one stretch per region; the camera flies to the region and follows the computation down it.
    window = 0.35 * layout.config.n_embd * 3
    for computed, framed in regions(config.n_layer, config.n_head):
        ends = s.sweep_poses(framed, window)
        seconds = 1.2 + 0.25 * len(computed) ** 0.5
        s.camera(ends[0], s.step(0.8))
        with s.together():
            s.compute(computed, s.sweep(seconds))
            s.camera_along(ends, s.sweep(seconds))
    s.pause()

    s.para("prediction")
    probs = s.index("probs")
    st = s.step(2.0)
    s.focus(["probs"], st, others=0.35)
    s.camera(s.frame_blocks(["probs", "probs.*"], margin=2.2), st)
    column = N_LETTERS - 1
    s.light("probs", *s.column("probs", column), s.now())
    predicted, chances = predictions(s.stage)
    right = s.cell_centre(probs, 0, config.block_size - 1)[0] + 1.5
    for v in range(config.vocab_size):
        cell = s.cell_centre(probs, v, column)
        s.mark(f"{LETTERS[v]}: {percent(chances[0, v])}", (right, cell[1] - 0.35, cell[2]), 0.7,
               st.part(0.5, 1.0))
    st = s.step(1.5, ease_out)
    below = s.cell_centre(probs, config.vocab_size - 1, column) + (0.0, -2.2, 0.0)
    s.mark(predicted[0], below, 1.6, st, centred=True)
    s.pause()

    s.para("loop")
    s.wait(1.0)
    s.pause()


CHAPTER = Chapter("overview", "nano", script, values)
