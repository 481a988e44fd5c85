"""The Layer norm chapter: the numbers it quotes are the trace's, recomputed here with numpy from the input
embedding and the weights, and what its text claims holds."""

from __future__ import annotations

import numpy as np
import pytest
from attention_reference import INPUTS, close, layer0, parse, traced

from glviz.walkthrough.chapters.ch_a_common import FOLLOW
from glviz.walkthrough.chapters.layer_norm import values

stage = pytest.fixture(scope="module", params=INPUTS, name="stage")(traced)


def test_the_numbers_quoted_are_the_traces(stage):
    v, ref = values(stage), layer0(stage.trace)
    t = FOLLOW
    assert close(v["x0"], ref["x"][t, 0], "exact")
    assert close(v["mean"], ref["mean"][t], "exact") and close(v["mean_term"], ref["mean"][t], "exact")
    assert close(v["var"], ref["var"][t], "exact")
    assert close(v["std"], ref["std"][t], "exact")
    assert close(v["std_raw"], np.sqrt(ref["var"][t]), "exact")
    assert close(v["n0"], ref["norm"][t, 0], "exact")
    assert close(v["g0"], ref["gamma"][0], "exact") and close(v["b0_term"], ref["beta"][0], "exact")
    assert close(v["y0"], ref["ln"][t, 0], "exact")
    assert parse(v["eps"]) == stage.layout.config.layer_norm_eps
    assert v["C"] == str(stage.layout.config.n_embd) and v["T"] == str(stage.trace.T)


def test_std_is_the_square_root_of_the_variance_plus_epsilon(stage):
    trace, eps = stage.trace, stage.layout.config.layer_norm_eps
    x = np.asarray(trace["embed"], np.float64)
    mean = np.asarray(trace["layers.0.ln1.mean"], np.float64)
    std = np.asarray(trace["layers.0.ln1.std"], np.float64)
    np.testing.assert_allclose(mean, x.mean(axis=1), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(std, np.sqrt(x.var(axis=1) + eps), rtol=1e-5)
    assert (std > np.sqrt(x.var(axis=1))).all()  # ε makes it larger, never 0


def test_the_output_is_the_normalised_column_scaled_by_gamma_and_shifted_by_beta(stage):
    ref = layer0(stage.trace)
    np.testing.assert_allclose(np.asarray(stage.trace["layers.0.ln1.out"], np.float64), ref["ln"], rtol=1e-4,
                               atol=1e-5)


def test_a_normalised_column_has_mean_0_and_a_spread_of_a_little_less_than_1(stage):
    norm = layer0(stage.trace)["norm"]
    np.testing.assert_allclose(norm.mean(axis=1), 0.0, atol=1e-9)
    spread = norm.std(axis=1)
    assert ((spread > 0.9) & (spread < 1.0)).all(), spread


def test_each_column_is_normalised_on_its_own(stage):
    """Changing another token's embedding changes nothing in the followed column's layer norm."""
    from glviz.model.ops import layer_norm

    trace = stage.trace
    x = np.array(trace["embed"], np.float64)
    gamma, beta = (np.asarray(trace.weights[f"layers.0.ln1.{w}"], np.float64) for w in ("gamma", "beta"))
    eps = stage.layout.config.layer_norm_eps
    before = layer_norm(x, gamma, beta, eps)[0][FOLLOW]
    x[FOLLOW + 1] *= 7.0
    x[0] += 3.0
    np.testing.assert_array_equal(layer_norm(x, gamma, beta, eps)[0][FOLLOW], before)
