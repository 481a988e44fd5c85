"""The logit lens: its last row is the model's own next-token distribution; an earlier row equals a
computation written out here in plain numpy."""

from __future__ import annotations

import numpy as np

from glviz.model.config import GPTConfig
from glviz.model.forward import Trace
from glviz.model.logit_lens import lens_probs, logit_lens

from .helpers import varied_weights

CONFIG = GPTConfig(n_layer=3, n_head=2, n_embd=16, vocab_size=50, block_size=12, name="lens")


def _numpy_readout(weights, x: np.ndarray) -> np.ndarray:
    """softmax(layer_norm(x) @ wte.T) in float64, straight from the definitions."""
    x = x.astype(np.float64)
    normed = (x - x.mean()) / np.sqrt(x.var() + CONFIG.layer_norm_eps)
    h = normed * weights["ln_f.gamma"] + weights["ln_f.beta"]
    logits = h @ weights["wte"].astype(np.float64).T  # tied head
    e = np.exp(logits - logits.max())
    return e / e.sum()


def test_the_last_row_is_the_models_own_prediction_and_earlier_rows_read_the_residual_stream() -> None:
    weights = varied_weights(CONFIG, seed=3)
    tokens = np.array([3, 14, 15, 9, 26, 5, 35])
    trace = Trace(weights, tokens)
    trace.full()
    t = 4
    probs = lens_probs(weights, trace.snapshot(), t)  # (L+1, V)
    assert probs.shape == (CONFIG.n_layer + 1, CONFIG.vocab_size)
    np.testing.assert_allclose(probs[-1], trace["probs"][t], atol=1e-5)
    resid = trace["layers.0.resid2"][t]
    np.testing.assert_allclose(probs[1], _numpy_readout(weights, resid), atol=1e-5)
    np.testing.assert_allclose(probs[0], _numpy_readout(weights, trace["embed"][t]), atol=1e-5)
    rows = logit_lens(weights, trace.snapshot(), t, k=3)
    assert [r.stage for r in rows] == ["embed", 0, 1, 2]
    expected_top = np.argsort(-trace["probs"][t], kind="stable")[:3]
    np.testing.assert_array_equal(rows[-1].ids, expected_top)
    np.testing.assert_allclose(rows[-1].probs, trace["probs"][t][expected_top], atol=1e-5)
    assert all(np.all(np.diff(r.probs) <= 0) for r in rows)
