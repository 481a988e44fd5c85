"""Chapter 7, Attention output: the numbers it quotes are the trace's, recomputed here with numpy from the
layer's inputs, and what its text claims holds; its animation ends with every value computed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from quoted import paragraph_start, played, quotes, value_of  # tests/walkthrough/quoted.py

from glviz.walkthrough.chapters.attention_output import CHAPTER, FOLLOW, HEAD
from glviz.walkthrough.frame import ALL
from glviz.walkthrough.stages import nano_stage

INPUTS = ("CBABBC", "AACCBA", "ABCABC")


@pytest.fixture(scope="module", params=INPUTS)
def stage(request):
    return nano_stage(request.param)


def _attention(stage):
    """Layer 0's attention recomputed in float64 from its q, k, v: (probs (H, T, T), heads (H, T, A))."""
    trace = stage.trace
    q, k, v = (np.asarray(trace[f"layers.0.attn.{n}"], dtype=np.float64) for n in "qkv")  # (H, T, A)
    A, T = q.shape[-1], q.shape[1]
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(A)  # (H, T, T)
    scores[:, np.triu(np.ones((T, T), dtype=bool), 1)] = -np.inf  # causal: no key after the query
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs = e / e.sum(axis=-1, keepdims=True)
    return probs, probs @ v


def test_the_weights_and_the_weighted_sum_are_the_traces(stage):
    values = CHAPTER.values(stage)
    probs, heads = _attention(stage)
    t = FOLLOW
    row = probs[HEAD, t, :t + 1]
    quoted = values["weights"].replace(" and ", ", ").split(", ")
    assert len(quoted) == t + 1 and all(quotes(q, p) for q, p in zip(quoted, row, strict=True))
    assert quotes(values["h0"], heads[HEAD, t, 0])
    # The sum written out: its terms are the weights times the first cells of V's columns 0..t.
    v = np.asarray(stage.trace["layers.0.attn.v"], dtype=np.float64)[HEAD, :t + 1, 0]
    terms = [term.split(" × ") for term in values["terms"].split(" + ")]
    assert len(terms) == t + 1
    for (p_text, v_text), p, x in zip(terms, row, v, strict=True):
        assert quotes(p_text, p) and quotes(v_text, x)
    assert abs(sum(value_of(a) * value_of(b) for a, b in terms) - value_of(values["h0"])) < 5e-3


def test_the_projection_and_the_residual_are_the_traces(stage):
    values = CHAPTER.values(stage)
    trace, weights, t = stage.trace, stage.trace.weights, FOLLOW
    _, heads = _attention(stage)
    H, T, A = heads.shape
    stacked = heads.transpose(1, 0, 2).reshape(T, H * A)  # (T, C): head h in channels h·A … (h + 1)·A
    proj = stacked @ np.asarray(weights["layers.0.attn.wproj"], np.float64) + weights["layers.0.attn.bproj"]
    assert quotes(values["b0"], weights["layers.0.attn.bproj"][0])
    assert quotes(values["a0"], proj[t, 0]) and quotes(values["a0_term"], proj[t, 0])
    # Σ, the products added up, is quoted too, so that b[0] + Σ = a0 can be checked by the learner.
    products = stacked[t] @ np.asarray(weights["layers.0.attn.wproj"], np.float64)[:, 0]
    assert quotes(values["s0"], products)
    assert abs(value_of(values["b0"]) + value_of(values["s0"]) - value_of(values["a0"])) <= 1.5e-3
    resid = np.asarray(trace["embed"], np.float64) + proj
    assert quotes(values["e0"], trace["embed"][t, 0]) and quotes(values["r0"], resid[t, 0])
    np.testing.assert_allclose(trace["layers.0.attn.proj"], proj, atol=1e-5)
    np.testing.assert_allclose(trace["layers.0.resid1"], resid, atol=1e-5)


def test_what_the_text_says_holds(stage):
    trace, config = stage.trace, stage.layout.config
    probs, heads = _attention(stage)
    T = trace.T
    traced = np.asarray(trace["layers.0.attn.probs"], np.float64)
    np.testing.assert_allclose(traced, probs, atol=1e-6)
    np.testing.assert_allclose(traced.sum(axis=-1), 1.0, atol=1e-5)  # each row's weights add up to 1
    assert not traced[:, np.triu(np.ones((T, T), dtype=bool), 1)].any()  # nothing from positions after t
    np.testing.assert_allclose(trace["layers.0.attn.heads"], heads, atol=1e-5)  # the weighted sums of V
    assert config.n_head * config.head_size == config.n_embd  # the stacked heads fill the C channels


def test_the_heads_stack_into_one_column_beside_the_attention_output_and_go_back():
    stage, tour, index, events = played("attention_output")
    layout = stage.layout
    heads = [layout.by_name[f"layers.0.attn.h{h}.heads"] for h in range(layout.config.n_head)]
    proj = layout.by_name["layers.0.attn.proj"]
    at = paragraph_start(events, "projection")
    frame = tour.frame(index, at, "en")
    lo = layout.mins[heads] + frame.offset[heads]
    hi = layout.maxs[heads] + frame.offset[heads]
    np.testing.assert_allclose(hi[0, 1], layout.maxs[proj, 1])  # level with the attention output
    np.testing.assert_allclose(lo[-1, 1], layout.mins[proj, 1])  # as tall: C rows
    np.testing.assert_allclose(lo[:-1, 1], hi[1:, 1])  # one head right under the other
    assert np.all(lo[:, 0] > layout.maxs[proj, 0]) and np.allclose(lo[:, 2], layout.mins[proj, 2])
    start, end = tour.frame(index, 0.0, "en"), tour.frame(index, events.duration, "en")
    computed = [*heads, proj, layout.by_name["layers.0.resid1"]]
    assert np.all(start.reveal[computed, 1] == 0)  # the chapter computes them …
    assert np.all(end.reveal[computed, 1] == ALL)  # … all of them, at once at the end
    assert not end.offset.any()  # and every block is back in its place
