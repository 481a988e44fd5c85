"""Chapter 11, Generation: the predicted letter is appended and the model runs again, once per letter, until
the sorted answer is complete. Each run adds one token, and every block computes only the new position's
column (attention a new query row): the earlier columns are kept, as a key/value cache keeps them.

The stage has one trace, of the 11 tokens (the six inputs and the first five letters produced). Attention is
causal, so columns 0..n-1 of each block of that trace are the trace of the first n tokens: step k of the
generation (6 + k tokens) is the trace's blocks with positions 0..5+k shown."""

from __future__ import annotations

import functools
import math

import numpy as np

from glviz.model.sort_task import LETTERS, N_LETTERS
from glviz.render.camera import FOV_Y, Pose
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.ch_c_common import NearMarks, centre, grow, show_positions, wave
from glviz.walkthrough.chapters.common import (
    forward_order,
    letters,
    predictions,
    spaced,
    weight_blocks,
)
from glviz.walkthrough.script import INK, Script, Stage, Step
from glviz.walkthrough.timeline import ease_out

FIRST = N_LETTERS - 1  # the position whose prediction is the first letter of the answer (5)
ANSWER = (0.12, 0.42, 0.22, 1.0)  # the letters the model writes: the green of the values it computes


def values(stage: Stage) -> dict[str, str]:
    answer = predictions(stage)[0]
    sequence = letters(stage)
    T = stage.trace.T
    return {
        "input": sequence[:N_LETTERS], "answer": answer, "answer_spaced": spaced(answer),
        "first": answer[0], "second": answer[1], "third": answer[2], "sixth": answer[-1],
        "t": str(FIRST), "new": str(FIRST + 1), "next": str(FIRST + 2), "tokens": str(N_LETTERS + 1),
        "T": str(T), "last": str(T - 1), "n": str(N_LETTERS),
    }


def _near(at, window: float) -> Pose:
    """The tour's view angle looking at `at` from the distance that shows `window` world units tall."""
    x, y, z = at
    return _pose((float(x), float(y), float(z)), window)


@functools.lru_cache(maxsize=256)
def _pose(at: tuple[float, float, float], window: float) -> Pose:
    distance = 0.5 * window / math.tan(math.radians(FOV_Y) / 2)
    return Pose(at, poses.TOUR_AZIMUTH, poses.TOUR_ELEVATION, distance)


@functools.lru_cache(maxsize=8)
def _forward(layers: int, heads: int) -> tuple[str, ...]:
    return tuple(forward_order(layers, heads))


class _Generation:
    """The pieces of one generation step, shared by the detailed first step and the quick later ones."""

    NEAR = 26.0  # world units the camera shows at a token or a prediction

    def __init__(self, s: Script) -> None:
        self.s = s
        config = s.layout.config
        self.V = config.vocab_size
        self.T = s.layout.n_tokens
        self.order = _forward(config.n_layer, config.n_head)  # tokens first
        self.body = self.order[1:]
        self.answer = s.values["answer"]
        self.cell = s.cell_size("tokens")
        self.top = float(s.layout.maxs[s.index("tok_emb"), 1]) + 1.0
        self.bottom = float(s.layout.mins[s.index("probs"), 1])
        self.marks = NearMarks()
        self.shown: Step | None = None  # the step that showed the last prediction

    def winner(self, p: int) -> int:
        """The letter predicted at position p (row of probs)."""
        return LETTERS.index(self.answer[p - FIRST])

    def probs_view(self, p: int) -> Pose:
        return _near(centre(self.s, "probs", self.winner(p), p), self.NEAR)

    def token_place(self, p: int) -> np.ndarray:
        """Where token p sits (past the row for position T: the last letter, which is never fed back)."""
        if p < self.T:
            return centre(self.s, "tokens", 0, p)
        return centre(self.s, "tokens", 0, self.T - 1) + (1.5 * self.cell * (p - self.T + 1), 0.0, 0.0)

    def wave_views(self, y_from: float, y_to: float, window: float) -> tuple[Pose, Pose]:
        """The camera's two ends for a wave from y_from down to y_to: the front enters the picture near its
        top and leaves it near its bottom, so the computed cells above the front stay in view."""
        a, b = y_from - 0.3 * window, y_to + 0.3 * window
        if a < b:
            a = b = (y_from + y_to) / 2
        return _near((8.0, a, -10.0), window), _near((8.0, b, -10.0), window)

    def wave(self, p: int, st: Step, y_from: float, y_to: float, window: float | None) -> None:
        """Position p computed from height y_from down to y_to, the camera following (if a window)."""
        wave(self.s, self.body, p, st, y_from, y_to)
        if window is not None and st.started:
            self.s.camera_along(self.wave_views(y_from, y_to, window), st)

    def ride(self, p: int, st: Step) -> None:
        """The letter predicted at position p - 1 rides up the model to token p, the camera with it."""
        s = self.s
        win = self.winner(p - 1)
        if self.shown is not None:
            s.light("probs", (win, win + 1), (p - 1, p), self.shown, until=st.part(0.3, 1.0))
        if not st.started:
            return
        s.camera(_near(self.token_place(p), self.NEAR), st)
        s.ghosts("probs", (win, p - 1), (0, 0), 1, st, to=self.token_place(p),
                 size=2.0 * s.cell_size("probs"), to_size=self.cell)

    def land(self, p: int, st: Step) -> None:
        """Token p computed, its letter below it."""
        if not st.started:
            return
        if p < self.T:
            grow(self.s, "tokens", 0, p, 1, st)
        self.letter(self.answer[p - 1 - FIRST], p, st)

    def letter(self, text: str, p: int, st: Step) -> None:
        """A letter under token p (the letters the model wrote in the answer's colour)."""
        place = self.token_place(p) + (0.0, -1.35 * self.cell, 0.0)
        colour = ANSWER if p > FIRST else INK
        self.marks.add(text, place, 0.9 * self.cell, st, centred=True, colour=colour)

    def predict(self, p: int, st: Step) -> None:
        """The camera at position p's probabilities; the winner lit and its letter below."""
        s = self.s
        self.shown = st
        if not st.started:
            return
        s.camera(self.probs_view(p), st)
        place = centre(s, "probs", self.V - 1, p) + (0.0, -1.6 * self.cell, 0.0)
        self.marks.add(self.answer[p - FIRST], place, 0.9 * self.cell, st.part(0.4, 1.0), centred=True,
                       colour=ANSWER)

    def quick(self, p: int, ride: float, wave_s: float, window: float) -> None:
        """One whole step: ride up to token p, compute position p down the model, predict."""
        s = self.s
        self.ride(p, s.step(ride))
        self.land(p, s.step(0.3))
        st = s.step(0.5)
        if st.started:
            s.camera(self.wave_views(self.top, self.bottom, window)[0], st)
        self.wave(p, s.sweep(wave_s), self.top, self.bottom, window)
        self.predict(p, s.step(0.8, ease_out))


def script(s: Script) -> None:
    g = _Generation(s)
    v = s.values
    sequence = letters(s.stage)
    cell = g.cell
    p = FIRST + 1
    start = s.now()
    show_positions(s, g.order, N_LETTERS, start)
    s.fade(weight_blocks(s), start, 0.3)
    s.camera(g.probs_view(FIRST), start)
    for t in range(N_LETTERS):
        g.letter(sequence[t], t, start)

    s.para("intro")
    g.predict(FIRST, s.step(1.5, ease_out))
    s.pause()

    s.para("append")
    g.ride(p, s.step(2.5))
    g.land(p, s.step(0.5))
    s.pause()

    # The first run on 7 tokens, slowly: the embedding and layer 0 down to Q, K and V; attention's new row.
    s.para("new_column")
    layer = "layers.0."
    head = layer + "attn.h0."
    v_bottom = float(s.layout.mins[s.index(head + "v"), 1])
    s.camera(g.wave_views(g.top, v_bottom, 50.0)[0], s.step(0.8))
    g.wave(p, s.sweep(5.0), g.top, v_bottom, 50.0)
    s.pause()

    s.para("cache")
    A = s.layout.config.head_size
    look = s.step(1.2)
    s.camera(s.frame_blocks([head + "q", head + "k", head + "v"], margin=1.0), look)
    attend = s.sweep(4.0)
    s.camera(s.frame_blocks([head + "scores", head + "probs", head + "heads"], margin=1.0),
             attend.part(0.0, 0.25))
    s.light(head + "k", (0, A), (0, p), look, until=attend.part(1.0, 1.1))
    s.light(head + "v", (0, A), (0, p), look, until=attend.part(1.0, 1.1))
    s.light(head + "q", *s.column(head + "q", p), look, until=attend.part(1.0, 1.1))
    heads_bottom = float(s.layout.mins[s.index(head + "heads"), 1])
    g.wave(p, attend, v_bottom, heads_bottom, None)
    s.pause()

    # The rest of the column, down the model with the camera riding the front; then the prediction.
    s.para("predict")
    s.camera(g.wave_views(heads_bottom, g.bottom, 100.0)[0], s.step(0.8))
    g.wave(p, s.sweep(5.0), heads_bottom, g.bottom, 100.0)
    g.predict(p, s.step(1.2, ease_out))
    s.pause()

    s.para("again")
    g.quick(p + 1, 1.8, 4.0, 120.0)
    s.pause()

    s.para("all")
    for q in range(p + 2, g.T):
        g.quick(q, 1.3, 2.5, 160.0)
    s.pause()

    # The sixth letter completes the answer; it is never fed back.
    s.para("answer")
    g.ride(g.T, s.step(1.5))
    g.land(g.T, s.step(0.5))
    show = s.step(1.5)
    right = g.token_place(g.T) + (1.5 * cell, -0.4 * cell, 0.0)  # beside the row, clear of the labels above
    summary, size = f"{v['input']} → {v['answer']}", 1.2 * cell
    # The whole row with its letters below it and the summary beside it, at any aspect (a fixed window
    # showed the row's first letters cut off in the app's narrower view).
    row = s.index("tokens")
    lo = s.layout.mins[row] + (-1.0 * cell, -2.0 * cell, 0.0)
    hi = s.layout.maxs[row] + (0.0, 1.0 * cell, 0.0)
    hi[0] = max(hi[0], right[0] + 1.25 * s.text_width(summary, size) + cell)  # capitals: wider than 0.55 em
    s.camera(poses.boxes_pose(lo, hi, s.aspect, margin=1.1), show)
    g.marks.add(summary, right, size, show, colour=ANSWER)
    s.pause()
    g.marks.draw(s)


CHAPTER = Chapter("generation", "nano", script, values)
