"""One position of one sequence through the layers, on (C,) vectors: generation's every token.

`kv.run_positions`'s arithmetic in fewer numpy calls: heads are free reshapes of the q|k|v vector, the key
and value go straight into the cache, and 1/sqrt(A) scales the query (A values, not the position's scores;
exact for A a power of four). One loop serves a KV cache's step in one process (`kv.run_one_position`,
every head) and each process of a split step (`kv_split`, its share of the heads, hidden units and
keys and values, with its partial outputs summed with the other processes').
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from glviz.model.ops import gelu, layer_norm_vector, softmax
from glviz.model.weights import Weights

# A layer's pieces in the order a step uses them: ln1 gamma and beta, q|k|v weights and biases, the
# attention's output projection and bias, ln2 gamma and beta, the MLP's weights and biases in and out.
Layer = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
              np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def layer_pieces(weights: Weights, i: int) -> Layer:
    """Layer `i`'s whole matrices and vectors, as `run_layers` takes them."""
    p = f"layers.{i}."
    wqkv, bqkv = weights.qkv(i)
    return (weights[p + "ln1.gamma"], weights[p + "ln1.beta"], wqkv, bqkv,
            weights[p + "attn.wproj"], weights[p + "attn.bproj"], weights[p + "ln2.gamma"],
            weights[p + "ln2.beta"], weights[p + "mlp.wfc"], weights[p + "mlp.bfc"],
            weights[p + "mlp.wproj"], weights[p + "mlp.bproj"])


def run_layers(
    x: np.ndarray,
    layers: Iterable[Layer],
    keys: np.ndarray,
    values: np.ndarray,
    pos: int,
    head_size: int,
    eps: float,
    activation: str,
    total: Callable[[np.ndarray], np.ndarray] | None = None,
    record: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
) -> np.ndarray:
    """The residual stream x (C,) after every layer (updated in place), for the token at `pos`.

    keys and values are (L, h, A, capacity): the heads of the layers' q|k|v columns; this position's are
    written there, and passed to `record(layer, k, v)` if given. `total` turns a partial output of the
    attention's or the MLP's projection (this share's heads or hidden units) into the whole one.
    """
    for i, (g1, b1, wqkv, bqkv, wproj, bproj, g2, b2, wfc, bfc, wmproj, bmproj) in enumerate(layers):
        h = layer_norm_vector(x, g1, b1, eps)
        qkv = h @ wqkv
        qkv += bqkv
        q, k, v = qkv.reshape(3, -1, head_size)  # (h, A) each, views
        layer_keys, layer_values = keys[i], values[i]  # (h, A, capacity) each
        layer_keys[..., pos] = k
        layer_values[..., pos] = v
        if record is not None:
            record(i, k, v)
        q = q * (1.0 / math.sqrt(head_size))
        scores = np.matmul(q[:, None, :], layer_keys[..., : pos + 1])  # (h, 1, pos + 1)
        probs, _, _ = softmax(scores, probs=scores)
        heads = np.matmul(probs, np.swapaxes(layer_values[..., : pos + 1], -1, -2))  # (h, 1, A)
        y = heads.reshape(-1) @ wproj  # (C,)
        if total is not None:
            y = total(y)
        y += bproj
        x += y
        h = layer_norm_vector(x, g2, b2, eps)
        f = h @ wfc  # (4C,) or this share of it
        f += bfc
        f = gelu(f, activation, out=f)
        y = f @ wmproj  # (C,)
        if total is not None:
            y = total(y)
        y += bmproj
        x += y
    return x
