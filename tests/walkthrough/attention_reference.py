"""Layer 0's layer norm, one head's queries, keys and scores, and their softmax, recomputed in float64 with
numpy from the trace's input embedding and the weights alone: what the Layer norm, Self-attention and
Softmax chapters' numbers and claims are checked against (never the chapters' own values functions)."""

from __future__ import annotations

import math

import numpy as np

INPUTS = ("CBABBC", "AACCBA", "CCCAAA")  # the learner's six letters: the chapters' numbers follow them


def traced(request):
    """The nano model traced on the letters `request.param` (a test module's fixture over INPUTS:
    `stage = pytest.fixture(scope="module", params=INPUTS, name="stage")(traced)`)."""
    from glviz.walkthrough.stages import nano_stage

    return nano_stage(request.param)


def parse(text: str) -> float:
    """A number as the tour writes it ("−0.1628", "2.688·10^43", "(−0.02781)") back to a float."""
    text = text.strip().strip("()").replace("−", "-").replace("·10^", "e")
    return float(text)


def close(quoted: str, value: float, digits: str) -> bool:
    """Whether `quoted` is `value` written to 4 significant digits ("exact") or to 3 decimals ("short")."""
    got = parse(quoted)
    if digits == "exact":
        return math.isclose(got, value, rel_tol=6e-4, abs_tol=1e-12)
    return abs(got - value) <= (0.051 if abs(value) >= 10 else 5.1e-4)


def layer0(trace, head: int = 0) -> dict[str, np.ndarray]:
    """Layer 0 up to the attention probabilities of one head, from trace["embed"] and the weights."""
    config = trace.weights.config
    w = trace.weights
    C, A = config.n_embd, config.head_size
    x = np.asarray(trace["embed"], np.float64)  # (T, C)
    T = x.shape[0]
    mean = x.sum(axis=1) / C
    var = ((x - mean[:, None]) ** 2).sum(axis=1) / C
    std = np.sqrt(var + config.layer_norm_eps)
    norm = (x - mean[:, None]) / std[:, None]
    gamma = np.asarray(w["layers.0.ln1.gamma"], np.float64)
    beta = np.asarray(w["layers.0.ln1.beta"], np.float64)
    ln = norm * gamma + beta
    cols = slice(head * A, (head + 1) * A)
    q, k, v = (ln @ np.asarray(w[f"layers.0.attn.w{p}"], np.float64)[:, cols]
               + np.asarray(w[f"layers.0.attn.b{p}"], np.float64)[cols] for p in "qkv")
    future = np.triu(np.ones((T, T), dtype=bool), k=1)
    raw = q @ k.T / math.sqrt(A)
    scores = np.where(future, -np.inf, raw)
    peak = scores.max(axis=1)
    exps = np.exp(scores - peak[:, None])  # exp(−∞) = 0
    expsum = exps.sum(axis=1)
    return {"x": x, "mean": mean, "var": var, "std": std, "norm": norm, "gamma": gamma, "beta": beta,
            "ln": ln, "wq": np.asarray(w["layers.0.attn.wq"], np.float64)[:, cols],
            "bq": np.asarray(w["layers.0.attn.bq"], np.float64)[cols], "q": q, "k": k, "v": v,
            "raw": raw, "scores": scores, "max": peak, "exps": exps, "expsum": expsum,
            "probs": exps / expsum[:, None]}
