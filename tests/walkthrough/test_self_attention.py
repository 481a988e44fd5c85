"""The Self-attention chapter: the numbers it quotes are the trace's, recomputed here with numpy from the
input embedding and the weights, and what its text claims holds (the causal mask in every layer and head)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from attention_reference import INPUTS, close, layer0, parse, traced

from glviz.walkthrough.chapters.ch_a_common import FOLLOW
from glviz.walkthrough.chapters.self_attention import values

stage = pytest.fixture(scope="module", params=INPUTS, name="stage")(traced)


def test_the_numbers_quoted_are_the_traces(stage):
    v, ref = values(stage), layer0(stage.trace)
    t, config = FOLLOW, stage.layout.config
    x, w = ref["ln"][t], ref["wq"][:, 0]  # the input column and the query weights' row 0
    assert close(v["w0"], w[0], "exact") and close(v["x0"], x[0], "exact")
    assert close(v["p0"], w[0] * x[0], "exact")
    assert close(v["wx"], w @ x, "exact")
    assert close(v["b"], ref["bq"][0], "exact")
    assert close(v["q0"], ref["q"][t, 0], "exact")
    assert close(v["qk"], ref["q"][t] @ ref["k"][0], "short")
    assert close(v["s0"], ref["scores"][t, 0], "short")
    row = v["row"].split(", ")
    assert len(row) == t + 1
    assert all(close(r, s, "short") for r, s in zip(row, ref["scores"][t, : t + 1], strict=True))
    assert parse(v["sqrtA"]) == math.sqrt(config.head_size)
    assert (v["A"], v["C"], v["H"]) == (str(config.head_size), str(config.n_embd), str(config.n_head))
    assert (v["t1"], v["tmax"]) == (str(t + 1), str(stage.trace.T - 1))


def test_each_query_cell_is_a_weight_row_times_the_input_column_plus_the_bias(stage):
    ref = layer0(stage.trace)
    q = np.asarray(stage.trace["layers.0.attn.q"][0], np.float64)  # (T, A)
    C = ref["ln"].shape[1]
    for t in range(stage.trace.T):
        for a in range(stage.layout.config.head_size):
            expected = sum(ref["wq"][c, a] * ref["ln"][t, c] for c in range(C)) + ref["bq"][a]  # term by term
            assert math.isclose(q[t, a], expected, rel_tol=1e-4, abs_tol=1e-5)


def test_a_score_is_q_dot_k_over_the_square_root_of_the_head_size(stage):
    ref = layer0(stage.trace)
    scores = np.asarray(stage.trace["layers.0.attn.scores"][0], np.float64)
    causal = ~np.triu(np.ones_like(scores, dtype=bool), k=1)
    np.testing.assert_allclose(scores[causal], ref["scores"][causal], rtol=1e-4, atol=1e-5)


def test_the_causal_mask_leaves_every_later_position_uncomputed_in_every_layer_and_head(stage):
    trace, config = stage.trace, stage.layout.config
    T = trace.T
    future = np.triu(np.ones((T, T), dtype=bool), k=1)
    for i in range(config.n_layer):
        scores = np.asarray(trace[f"layers.{i}.attn.scores"])  # (H, T, T)
        assert np.isneginf(scores[:, future]).all()
        assert np.isfinite(scores[:, ~future]).all()
