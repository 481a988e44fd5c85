"""Chapter 8, MLP: the numbers it quotes are the trace's, recomputed here with numpy from resid1 and the
weights, and what its text says of GELU holds; its animation computes the followed column, then all."""

from __future__ import annotations

import math

import numpy as np
import pytest
from quoted import paragraph_start, played, quotes, value_of  # tests/walkthrough/quoted.py

from glviz.walkthrough.chapters.mlp import CHAPTER, FOLLOW, LAYER
from glviz.walkthrough.frame import ALL
from glviz.walkthrough.stages import nano_stage

INPUTS = ("CBABBC", "AACCBA", "ABCABC")
P = f"layers.{LAYER}."


@pytest.fixture(scope="module", params=INPUTS)
def stage(request):
    return nano_stage(request.param)


def _gelu(x: np.ndarray) -> np.ndarray:
    """The exact GELU, x·Φ(x) with Φ the standard normal CDF, from the standard library's erf."""
    flat = [v * 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in np.ravel(x)]
    return np.array(flat).reshape(np.shape(x))


def _mlp(stage):
    """The layer's MLP recomputed in float64 from resid1: (ln2 out, fc, gelu, proj, resid2), each (T, ·)."""
    trace, w, eps = stage.trace, stage.trace.weights, stage.layout.config.layer_norm_eps
    x = np.asarray(trace[P + "resid1"], np.float64)
    mean = x.mean(axis=1, keepdims=True)
    std = np.sqrt(((x - mean) ** 2).mean(axis=1, keepdims=True) + eps)  # std = √(Var + ε)
    ln = (x - mean) / std * w[P + "ln2.gamma"] + w[P + "ln2.beta"]
    fc = ln @ np.asarray(w[P + "mlp.wfc"], np.float64) + w[P + "mlp.bfc"]
    gelu = _gelu(fc)
    proj = gelu @ np.asarray(w[P + "mlp.wproj"], np.float64) + w[P + "mlp.bproj"]
    return ln, fc, gelu, proj, x + proj


def test_the_numbers_quoted_are_the_traces(stage):
    values = CHAPTER.values(stage)
    w, t = stage.trace.weights, FOLLOW
    ln, fc, gelu, proj, resid = _mlp(stage)
    C = stage.layout.config.n_embd
    assert values["F"] == str(4 * C) == str(fc.shape[1]) and values["C"] == str(C)
    assert quotes(values["bfc0"], w[P + "mlp.bfc"][0]) and quotes(values["fc0"], fc[t, 0])
    top, bottom = int(fc[t].argmax()), int(fc[t].argmin())
    assert quotes(values["pos"], fc[t, top]) and quotes(values["gpos"], gelu[t, top])
    assert quotes(values["neg"], fc[t, bottom]) and quotes(values["gneg"], gelu[t, bottom])
    assert quotes(values["bp0"], w[P + "mlp.bproj"][0]) and quotes(values["mp0"], proj[t, 0])
    assert quotes(values["mp0_term"], proj[t, 0])
    # Σ, each dot product's terms added up, is quoted too: bias + Σ = the cell, checkable by the learner.
    sums = ((values["sfc0"], ln[t] @ np.asarray(w[P + "mlp.wfc"], np.float64)[:, 0], "bfc0", "fc0"),
            (values["sp0"], gelu[t] @ np.asarray(w[P + "mlp.wproj"], np.float64)[:, 0], "bp0", "mp0"))
    for quoted, products, bias, cell in sums:
        assert quotes(quoted, products)
        assert abs(value_of(values[bias]) + value_of(quoted) - value_of(values[cell])) <= 1.5e-3
    assert quotes(values["r1"], stage.trace[P + "resid1"][t, 0]) and quotes(values["r2"], resid[t, 0])
    for name, mine in (("ln2.out", ln), ("mlp.fc", fc), ("mlp.gelu", gelu), ("mlp.proj", proj),
                       ("resid2", resid)):
        np.testing.assert_allclose(stage.trace[P + name], mine, atol=2e-5, err_msg=name)


def _phi(x: np.ndarray) -> np.ndarray:
    """Φ, the standard normal CDF: the chance that a number drawn from the bell curve lies below x."""
    return np.array([0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in np.ravel(x)]).reshape(np.shape(x))


def test_what_the_text_says_of_gelu_holds(stage):
    assert stage.layout.config.activation == "gelu"  # the exact x·Φ(x), not the tanh approximation
    xs = np.linspace(-6.0, 6.0, 1201)
    phi = _phi(xs)
    # Φ climbs smoothly from 0 to 1: near 0 well below zero, ½ at zero, near 1 well above zero.
    assert np.all(np.diff(phi) > 0) and phi[0] < 1e-6 and phi[-1] > 1 - 1e-6
    assert _phi(np.array([0.0]))[0] == 0.5
    # A negative number shrinks towards 0 and always comes out between −0.17 and 0 …
    negative = xs[xs < 0]
    shrunk = _gelu(negative)
    assert np.all(np.abs(shrunk) < np.abs(negative)) and np.all((shrunk <= 0) & (shrunk > -0.17))
    # … a positive one keeps a share of itself: about half near zero, more the larger it is, almost all of
    # it from about 2 on.
    positive = xs[xs > 0]
    share = _gelu(positive) / positive
    assert np.all(np.diff(share) > 0) and np.all((share > 0.5) & (share < 1.0))
    assert share[positive <= 0.15].max() < 0.56  # about half near zero
    assert share[positive >= 2.0].min() > 0.97  # almost all from about 2 on
    # The numbers quoted are the followed column's most negative and largest, and follow those rules.
    fc, gelu = (np.asarray(stage.trace[P + f"mlp.{n}"][FOLLOW], np.float64) for n in ("fc", "gelu"))
    assert fc.min() < 0 < fc.max()
    assert -0.17 < gelu[fc.argmin()] < 0 and 0.5 * fc.max() < gelu[fc.argmax()] < fc.max()


def test_the_animation_computes_the_column_then_everything():
    stage, tour, index, events = played("mlp")
    layout = stage.layout
    F = 4 * layout.config.n_embd
    blocks = [layout.by_name[P + n] for n in ("mlp.fc", "mlp.gelu", "mlp.proj", "resid2")]
    start, end = tour.frame(index, 0.0, "en"), tour.frame(index, events.duration, "en")
    assert np.all(start.reveal[blocks, 1] == 0) and np.all(end.reveal[blocks, 1] == ALL)
    # By the paragraph on projecting back, fc and GELU hold exactly the followed token's column.
    at = paragraph_start(events, "project")
    frame = tour.frame(index, at, "en")
    for block in blocks[:2]:
        np.testing.assert_allclose(frame.reveal[block, :2], (FOLLOW * F, (FOLLOW + 1) * F))
