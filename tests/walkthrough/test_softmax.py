"""The Softmax chapter: the numbers it quotes are the trace's, recomputed here with numpy from the input
embedding and the weights, and what its text claims holds: subtracting the max changes nothing but the
overflow, every row adds up to 1, masked positions get exactly 0."""

from __future__ import annotations

import math

import numpy as np
import pytest
from attention_reference import INPUTS, close, layer0, parse, traced

from glviz.walkthrough.chapters.ch_a_common import FOLLOW
from glviz.walkthrough.chapters.softmax import values

stage = pytest.fixture(scope="module", params=INPUTS, name="stage")(traced)


def test_the_numbers_quoted_are_the_traces(stage):
    v, ref = values(stage), layer0(stage.trace)
    t = FOLLOW
    x = ref["scores"][t, : t + 1]
    assert close(v["max"], x.max(), "short") and close(v["max_term"], x.max(), "short")
    assert close(v["x0"], x[0], "short")
    assert close(v["e0"], math.exp(x[0] - x.max()), "short")
    assert close(v["expsum"], np.exp(x - x.max()).sum(), "short")
    raw = v["raw"].split(", ")
    assert all(close(r, math.exp(s), "short") for r, s in zip(raw, x, strict=True))
    assert close(v["rawsum"], np.exp(x).sum(), "short")
    assert close(v["p0"], ref["probs"][t, 0], "short")
    terms = v["probs"].split(" + ")
    assert len(terms) == t + 1
    assert all(close(p, q, "short") for p, q in zip(terms, ref["probs"][t], strict=False))
    assert parse(v["total"]) == 1.0
    assert close(v["exp_big"], math.exp(parse(v["big"])), "exact")
    assert close(v["f32max"], float(np.finfo(np.float32).max), "exact")


def test_max_expsum_and_probs_are_the_traces(stage):
    trace, ref = stage.trace, layer0(stage.trace)
    np.testing.assert_allclose(trace["layers.0.attn.max"][0], ref["max"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(trace["layers.0.attn.expsum"][0], ref["expsum"], rtol=1e-4)
    np.testing.assert_allclose(trace["layers.0.attn.probs"][0], ref["probs"], rtol=1e-4, atol=1e-6)


def test_subtracting_the_max_gives_the_same_probabilities_and_a_largest_exp_of_exactly_1(stage):
    ref = layer0(stage.trace)
    for t in range(stage.trace.T):
        x = ref["scores"][t, : t + 1]
        raw = np.exp(x)
        np.testing.assert_allclose(raw / raw.sum(), ref["probs"][t, : t + 1], rtol=1e-12)
        assert np.exp(x - x.max()).max() == 1.0


def test_exp_of_a_large_score_overflows_float32_and_the_limit_quoted_is_where(stage):
    v = values(stage)
    limit = parse(v["limit"])
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(np.float32(parse(v["big"]))))
        assert np.isinf(np.exp(np.float32(limit + 0.05)))
    assert np.isfinite(np.exp(np.float32(limit - 0.05)))


def test_every_row_of_every_head_and_layer_adds_up_to_1_and_masked_positions_get_exactly_0(stage):
    trace, config = stage.trace, stage.layout.config
    T = trace.T
    future = np.triu(np.ones((T, T), dtype=bool), k=1)
    for i in range(config.n_layer):
        probs = np.asarray(trace[f"layers.{i}.attn.probs"], np.float64)  # (H, T, T)
        np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=1e-6)
        assert (probs[:, future] == 0.0).all()
        assert (probs[:, ~future] > 0.0).all()
