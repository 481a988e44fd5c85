"""Shared by the layout tests: small configs, perturbed weights and traces, an exact box-overlap finder."""

from __future__ import annotations

import numpy as np

from glviz.model.config import GPTConfig
from glviz.model.forward import Trace
from glviz.model.weights import Weights, random_weights

# Small configs that exercise the corners of the layout: one head with T = 1, many heads (merged QKV),
# the tanh GELU, an untied and a tied LM head.
ODD = GPTConfig(n_layer=2, n_head=1, n_embd=20, vocab_size=5, block_size=8, name="odd")
MERGED = GPTConfig(n_layer=2, n_head=20, n_embd=40, vocab_size=7, block_size=6, activation="gelu_new",
                   tied_head=True, name="merged")
WIDE = GPTConfig(n_layer=14, n_head=2, n_embd=8, vocab_size=4, block_size=3, tied_head=False, name="wide")


def perturbed_weights(config: GPTConfig, seed: int = 0) -> Weights:
    """Random weights with non-zero biases and non-unit gains, so that every term of every formula matters."""
    weights = random_weights(config, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for name, tensor in weights.tensors.items():
        noise = rng.standard_normal(tensor.shape).astype(np.float32)
        # In place: wq/wk/wv are views of one fused array that the forward pass uses.
        tensor[...] = 1.0 + 0.3 * noise if name.endswith("gamma") else 0.5 * noise
    return weights


def perturbed_trace(config: GPTConfig, T: int | None = None, dtype: type = np.float32,
                    seed: int = 0) -> Trace:
    """A trace of T random tokens (default: the whole context) through `perturbed_weights`."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, config.vocab_size, config.block_size if T is None else T)
    return Trace(perturbed_weights(config, seed), tokens, dtype)


def overlapping_pairs(mins: np.ndarray, maxs: np.ndarray, tolerance: float = 1e-3) -> np.ndarray:
    """(K, 2) index pairs of boxes whose interiors intersect (touching faces do not count).

    Vectorised: boxes go into x-z grid buckets (a box spanning several is repeated in each), and within a
    bucket a sort-and-sweep along y lists the candidates, which are then tested on all three axes.
    """
    mins = np.asarray(mins, dtype=np.float64)
    maxs = np.asarray(maxs, dtype=np.float64)
    n = len(mins)
    extent = maxs - mins
    bucket = np.maximum(np.median(extent, axis=0), 1.0) * 4  # (3,)
    lo = np.floor(mins / bucket).astype(np.int64)
    hi = np.floor((maxs - tolerance) / bucket).astype(np.int64)
    span_x = hi[:, 0] - lo[:, 0] + 1
    span_z = hi[:, 2] - lo[:, 2] + 1
    copies = span_x * span_z
    owner = np.repeat(np.arange(n), copies)  # (M,)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(copies) - copies, copies)
    bx = lo[owner, 0] + k % span_x[owner]
    bz = lo[owner, 2] + k // span_x[owner]
    _, cell = np.unique(np.stack([bx, bz], axis=1), axis=0, return_inverse=True)
    cell = cell.ravel()
    # Sweep: sort by (bucket, min y); a candidate j of i is in the same bucket and starts below i's top.
    y_span = maxs[:, 1].max() - mins[:, 1].min() + 1.0
    base = mins[:, 1].min()
    key_start = cell * y_span + (mins[owner, 1] - base)
    key_end = cell * y_span + (maxs[owner, 1] - base) - tolerance
    order = np.argsort(key_start, kind="stable")
    sorted_start = key_start[order]
    first = np.arange(len(order)) + 1
    last = np.searchsorted(sorted_start, key_end[order], side="left")
    count = np.maximum(last - first, 0)
    i = np.repeat(owner[order], count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    j = owner[order][np.repeat(first, count) + offsets]
    hit = np.all((mins[i] < maxs[j] - tolerance) & (mins[j] < maxs[i] - tolerance), axis=1) & (i != j)
    pairs = np.sort(np.stack([i[hit], j[hit]], axis=1), axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)
