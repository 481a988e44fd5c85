"""Logits without a trace: a key/value cache that runs only new positions, and the batched fast path.

Both run the same function, `run_positions`, on the operations of model/ops.py: the batched path is a run
of every position with no cache; a cache step is a run of the new positions against the cached keys and values
of the earlier ones. A step of one position of one sequence (generation's every token) runs
`run_one_position`, the same arithmetic on vectors in fewer numpy calls.
"""

from __future__ import annotations

import numpy as np

from glviz.model.kv_split import SPLIT_FROM, HelperGone, SplitStep
from glviz.model.ops import (
    causal_scores,
    gelu,
    layer_norm,
    layer_norm_vector,
    linear,
    merge_heads,
    softmax,
    split_heads,
)
from glviz.model.tokens import check_tokens
from glviz.model.vector_step import layer_pieces, run_layers
from glviz.model.weights import Weights


class KVCache:
    """Keys and values of every layer for the positions run so far, for one sequence (or a batch of B
    sequences of equal length). Storage for `capacity` positions (default: the context) is taken up front.

    Each head's keys and values are stored as rows of positions, one row per channel (A, capacity): a
    step's q·k and p·v then read them in BLAS's faster form (GPT-2 small at T=1024, the 12 layers' scores
    3.8 -> 2.6 ms, weighted sums 3.0 -> 2.7 ms). `extend` hands them out as (B, H, length, A) views."""

    def __init__(self, weights: Weights, capacity: int | None = None, batch: int = 1,
                 split: bool | int = False) -> None:
        """`split` (True, or a number of processes): run one-position steps split among processes
        (model/kv_split.py; its helpers start at the first such step, with True once SPLIT_FROM positions
        are cached, and end with `close`)."""
        c = weights.config
        self.weights = weights
        weights.column_major_projections()  # the faster form of a step's products (once per weights)
        self.capacity = min(capacity or c.block_size, c.block_size)
        dtype = np.dtype(weights["wte"].dtype)
        shape = (c.n_layer, batch, c.n_head, c.head_size, self.capacity)  # (L, B, H, A, capacity)
        self._split_wanted = bool(split) and batch == 1
        self._split_processes = None if split is True else int(split)  # None: as many as pay, from SPLIT_FROM
        self._split: SplitStep | None = None
        self._keys = np.empty(shape, dtype)
        self._values = np.empty(shape, dtype)
        self.length = 0  # positions cached

    @property
    def keys(self) -> np.ndarray:
        """Every layer's keys, (L, B, H, A, capacity); the first `length` positions are valid."""
        self._write_back()
        return self._keys

    @property
    def values(self) -> np.ndarray:
        """Every layer's values, (L, B, H, A, capacity); the first `length` positions are valid."""
        self._write_back()
        return self._values

    def _write_back(self) -> None:
        if self._split is not None:  # the split's processes record new positions apart
            self._split.write_back(self.length)

    def step(self, tokens: np.ndarray | list[int], *, last_only: bool = False) -> np.ndarray:
        """Run new positions: (n,) -> logits (n, V), or (B, n) -> (B, n, V); with last_only, only the last
        position's logits ((1, V) or (B, 1, V)). Only these positions are computed."""
        tokens = check_tokens(self.weights, tokens, start=self.length)
        single = tokens.ndim == 1
        batch = tokens.reshape(-1, tokens.shape[-1])  # (B, n)
        if batch.shape[0] != self._keys.shape[1]:
            raise ValueError(f"this cache holds {self._keys.shape[1]} sequences, not {batch.shape[0]}")
        if self.length + batch.shape[1] > self.capacity:
            raise ValueError(f"the cache holds {self.capacity} positions ({self.length} + {batch.shape[1]})")
        if batch.shape == (1, 1):  # one new position of one sequence: what generation does per token
            out = self._one_position(int(batch[0, 0]))[None, None]  # (1, 1, V)
        else:
            self._end_split()  # its processes' copies of the cache would miss these positions
            out = run_positions(self.weights, batch, self, last_only=last_only)
        self.length += batch.shape[1]
        return out[0] if single else out

    def _one_position(self, token: int) -> np.ndarray:
        """Logits (V,) of one token at the next position: split among processes where asked and possible
        (in one process if a helper fails), else `run_one_position`."""
        auto = self._split_processes is None
        if self._split is None and self._split_wanted and (not auto or self.length >= SPLIT_FROM):
            self._split = SplitStep.start(self.weights, self._keys, self._values, self.length,
                                          self._split_processes)
            if self._split is None:  # it cannot run here: not asked again
                self._split_wanted = False
        if self._split is not None:
            try:
                return self._split.step(token, self.length)
            except HelperGone:
                self.close()  # this position again, in one process
            except BaseException:
                self.close()  # Ctrl+C mid-step: the helpers are out of step with this process
                raise
        return run_one_position(self.weights, token, self)

    @property
    def processes(self) -> int:
        """How many processes run its one-position steps now."""
        return self._split.n if self._split is not None else 1

    @property
    def helpers(self) -> list[int]:
        """Process ids of the split's helpers now alive (none before the first one-position step)."""
        return list(self._split.helpers) if self._split is not None else []

    def close(self) -> None:
        """End the split's helper processes, if any, for good: later steps run in this process."""
        self._split_wanted = False
        self._end_split()

    def _end_split(self) -> None:
        """End the helpers; a later one-position step starts them again if the split is still wanted."""
        if self._split is not None:
            self._split.close()
            self._split.write_back(self.length)
            self._split = None

    def truncate(self, length: int) -> None:
        """Forget the positions from `length` on (the cached ones before it stay valid)."""
        if not 0 <= length <= self.length:
            raise ValueError(f"cannot truncate {self.length} cached positions to {length}")
        if self._split is not None and length < self._split.first:
            self._end_split()  # it records positions from its first on
        self.length = length

    def extend(self, layer: int, k: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Store layer `layer`'s keys and values (B, H, n, A) of the new positions; return those of every
        position so far, (B, H, length + n, A) each."""
        start, stop = self.length, self.length + k.shape[-2]
        self._keys[layer, ..., start:stop] = np.swapaxes(k, -1, -2)
        self._values[layer, ..., start:stop] = np.swapaxes(v, -1, -2)
        return (np.swapaxes(self._keys[layer, ..., :stop], -1, -2),  # (B, H, length + n, A) views each
                np.swapaxes(self._values[layer, ..., :stop], -1, -2))


def run_positions(
    weights: Weights, tokens: np.ndarray, cache: KVCache | None = None, *, last_only: bool = False
) -> np.ndarray:
    """Logits (B, n, V) of checked tokens (B, n) that follow the cache's positions (none without a cache).

    Computed in the weights' dtype; keeps nothing but the cache's keys and values.
    """
    c = weights.config
    start = 0 if cache is None else cache.length
    n = tokens.shape[1]
    x = weights["wte"][tokens] + weights["wpe"][start : start + n]  # (B, n, C)
    for i in range(c.n_layer):
        p = f"layers.{i}."
        h, _, _ = layer_norm(x, weights[p + "ln1.gamma"], weights[p + "ln1.beta"], c.layer_norm_eps)
        q, k, v = split_heads(linear(h, *weights.qkv(i)), c.n_head)  # (B, H, n, A) each
        if cache is not None:
            k, v = cache.extend(i, k, v)  # (B, H, start + n, A) each
        probs, _, _ = softmax(causal_scores(q, k, offset=start))  # (B, H, n, start + n)
        x += linear(merge_heads(probs @ v), weights[p + "attn.wproj"], weights[p + "attn.bproj"])
        h, _, _ = layer_norm(x, weights[p + "ln2.gamma"], weights[p + "ln2.beta"], c.layer_norm_eps)
        h = linear(h, weights[p + "mlp.wfc"], weights[p + "mlp.bfc"])  # (B, n, 4C)
        h = gelu(h, c.activation, out=h)
        x += linear(h, weights[p + "mlp.wproj"], weights[p + "mlp.bproj"])
    if last_only:
        x = x[:, -1:]  # (B, 1, C)
    x, _, _ = layer_norm(x, weights["ln_f.gamma"], weights["ln_f.beta"], c.layer_norm_eps)
    out = x.reshape(-1, c.n_embd) @ weights.head_columns()  # (B*m, V): BLAS streams the (C, V) copy fastest
    return out.reshape(tokens.shape[0], x.shape[1], c.vocab_size)


def run_one_position(weights: Weights, token: int, cache: KVCache) -> np.ndarray:
    """Logits (V,) of one token after the cache's positions, for a cache of one sequence; stores its keys
    and values (the caller counts the position). `run_positions`'s arithmetic on (C,) vectors
    (model/vector_step.py): GPT-2 small at T = 1024, 0.5 - 1.2 ms less of a 25 - 27 ms step (docs/SPEED.md,
    2026-12-03 from 10:08).
    """
    c = weights.config
    pos = cache.length
    x = weights["wte"][token] + weights["wpe"][pos]  # (C,)
    layers = (layer_pieces(weights, i) for i in range(c.n_layer))
    x = run_layers(x, layers, cache._keys[:, 0], cache._values[:, 0], pos, c.head_size, c.layer_norm_eps,
                   c.activation)
    x = layer_norm_vector(x, weights["ln_f.gamma"], weights["ln_f.beta"], c.layer_norm_eps)
    return x @ weights.head_columns()  # (V,)


def logits(weights: Weights, tokens: np.ndarray | list[int], *, last_only: bool = False) -> np.ndarray:
    """Next-token logits for a batch, keeping no intermediates: (B, T) -> (B, T, V), or (T,) -> (T, V).

    With `last_only`, only the last position's logits are computed: (B, 1, V) or (1, V).
    Computed in the weights' dtype (float32 for loaded weights).
    """
    tokens = check_tokens(weights, tokens)
    single = tokens.ndim == 1
    out = run_positions(weights, tokens.reshape(-1, tokens.shape[-1]), last_only=last_only)
    return out[0] if single else out
