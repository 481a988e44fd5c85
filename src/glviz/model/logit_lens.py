"""The logit lens: what the residual stream at one position would predict if the model stopped there.

After the embedding and after every layer, the final layer norm and the LM head are applied to the residual
stream (`embed[t]`, `layers.{i}.resid2[t]`), as the model does after its last layer; the model is not run
again. The last row is therefore the model's own next-token distribution at that position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from glviz.model.ops import layer_norm, softmax
from glviz.model.weights import Weights


@dataclass(frozen=True)
class LensRow:
    """One reading: after `stage` ("embed" or the layer index), the top token ids and their probabilities."""

    stage: str | int
    ids: np.ndarray  # (k,) int64, most likely first
    probs: np.ndarray  # (k,) float64


def lens_sources(n_layer: int) -> list[str]:
    """The trace values read, in order: the embedding, then each layer's output."""
    return ["embed", *(f"layers.{i}.resid2" for i in range(n_layer))]


def lens_probs(weights: Weights, values: Mapping[str, np.ndarray], t: int) -> np.ndarray:
    """(L + 1, V) float64: softmax(ln_f(x) @ head) of the residual stream at position t after the embedding
    and after each layer."""
    c = weights.config
    x = np.stack([np.asarray(values[name][t]) for name in lens_sources(c.n_layer)])  # (L+1, C)
    h, _, _ = layer_norm(x.astype(np.float32), weights["ln_f.gamma"], weights["ln_f.beta"], c.layer_norm_eps)
    logits = h @ weights["lm_head"].T  # (L+1, V): a view, as the trace's logits stage reads the head
    probs, _, _ = softmax(logits.astype(np.float64))
    return probs


def logit_lens(weights: Weights, values: Mapping[str, np.ndarray], t: int, k: int = 3) -> list[LensRow]:
    """The top-k tokens read out at position t after the embedding and after every layer (L + 1 rows)."""
    probs = lens_probs(weights, values, t)  # (L+1, V)
    k = min(k, probs.shape[1])
    top = np.argpartition(-probs, k - 1, axis=1)[:, :k]  # (L+1, k) unordered
    order = np.take_along_axis(-probs, top, axis=1).argsort(axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)  # (L+1, k) most likely first
    stages: list[str | int] = ["embed", *range(weights.config.n_layer)]
    return [LensRow(stage, top[r].astype(np.int64), probs[r, top[r]]) for r, stage in enumerate(stages)]
