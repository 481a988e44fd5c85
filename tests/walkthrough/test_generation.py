"""The Generation chapter: the answer it writes is what `glviz generate` prints; the one trace it plays may
stand for every step of the generation (columns 0..n-1 of the 11-token trace are the trace of the first n
tokens: attention is causal, which is what makes a key/value cache correct); and each step adds exactly one
position to every block, keeping the ones before."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from glviz.layout.blocks import cell_order
from glviz.model.forward import Trace
from glviz.model.sort_task import N_LETTERS, format_letters, greedy_sort, parse_letters
from glviz.model.stages import trace_names
from glviz.walkthrough.chapters.common import forward_order
from glviz.walkthrough.chapters.generation import ANSWER, CHAPTER
from glviz.walkthrough.stages import nano_stage
from glviz.walkthrough.tour import Tour

PER_HEAD = ("attn.q", "attn.k", "attn.v", "attn.max", "attn.expsum", "attn.heads")


@pytest.mark.parametrize("letters", ["CBABBC", "ACCBAB"])
def test_the_answer_is_what_glviz_generate_prints(letters):
    stage = nano_stage(letters)
    values = CHAPTER.values(stage)
    command = [sys.executable, "-m", "glviz", "generate", "--model", "nano", "--input", letters]
    printed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    assert values["answer"] == printed
    assert printed == format_letters(greedy_sort(stage.trace.weights, parse_letters(letters)[None, :])[0])
    assert printed == "".join(sorted(letters))
    assert values["input"] == letters
    assert (values["first"], values["second"], values["sixth"]) == (printed[0], printed[1], printed[-1])


def test_the_first_n_columns_of_the_trace_are_the_trace_of_n_tokens():
    stage = nano_stage("CBABBC")
    full = stage.trace
    tokens = np.asarray(full.tokens)
    for n in range(N_LETTERS, full.T + 1):
        short = Trace(full.weights, tokens[:n])
        for name in trace_names(stage.layout.config.n_layer):
            a, b = np.asarray(full[name]), np.asarray(short[name])
            if name.endswith(("attn.scores", "attn.probs")):  # (H, T, T): queries and keys
                a = a[:, :n, :n]
            elif name.endswith(PER_HEAD):  # (H, T, ...)
                a = a[:, :n]
            else:  # (T, ...)
                a = a[:n]
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5, err_msg=f"{name}, {n} tokens")


@pytest.fixture(scope="module")
def played():
    stage = nano_stage("CBABBC")
    tour = Tour(lambda scene, lang: stage)
    index = tour.index_of("generation")
    events = tour.events(index, "en")
    layout = stage.layout
    names = forward_order(layout.config.n_layer, layout.config.n_head)
    ids = np.array([layout.by_name[n] for n in names])
    shapes = layout.shapes[ids]
    unit = np.where(cell_order(layout)[ids] > 0.5, shapes[:, 0], shapes[:, 1])  # cells per position
    starts = {p.key: p.start for p in events.paragraphs}
    return stage, tour, index, events, ids, unit, starts


def test_each_step_computes_one_more_position_of_every_block(played):
    stage, tour, index, events, ids, unit, starts = played
    T = stage.trace.T

    def positions(t: float) -> np.ndarray:
        reveal = tour.frame(index, t, "en").reveal[ids]
        assert (reveal[:, 0] == 0).all(), "the positions before stay computed"
        return np.minimum(reveal[:, 1], unit * T) / unit

    np.testing.assert_allclose(positions(0.0), N_LETTERS)
    at_new = positions(starts["new_column"])
    assert at_new[0] == N_LETTERS + 1 and (at_new[1:] == N_LETTERS).all(), "the token first, then the rest"
    for key, n in (("again", 7), ("all", 8), ("answer", T)):
        np.testing.assert_allclose(positions(starts[key]), n, err_msg=key)
    for t in np.linspace(starts["again"], starts["all"], 25):
        now = positions(float(t))
        assert ((now >= 7) & (now <= 8)).all(), "only position 7 is computed in this step"
    np.testing.assert_allclose(positions(events.duration), T)


def test_the_letters_written_are_the_answer(played):
    stage, tour, index, events, *_ = played
    values = CHAPTER.values(stage)
    frame = tour.frame(index, events.duration, "en")
    marks = frame.marks
    written = sorted((p[0], t) for t, p, c in zip(marks.texts, marks.positions, marks.colours, strict=True)
                     if len(t) == 1 and c == ANSWER)
    assert "".join(t for _, t in written) == values["answer"]
    assert f"{values['input']} → {values['answer']}" in marks.texts
