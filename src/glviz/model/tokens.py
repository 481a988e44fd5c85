"""Token ids a model can run: one check for the Trace, the KV cache, the batched logits and generation."""

from __future__ import annotations

import numpy as np

from glviz.errors import GlvizError
from glviz.model.config import GPTConfig


def check_tokens(weights_or_config, tokens: np.ndarray | list[int], *, start: int = 0) -> np.ndarray:
    """Token ids as int64 with the last axis as positions; GlvizError when the model cannot run them.

    `start` is how many positions come before these (an append or a cache step): they must fit the context
    together. Ids too large for any integer type are out of the vocabulary, not an OverflowError.
    """
    config: GPTConfig = getattr(weights_or_config, "config", weights_or_config)
    try:
        array = np.asarray(tokens)
    except OverflowError:  # a nested list holding a Python int beyond 64 bits
        array = np.asarray(tokens, dtype=object)
    if array.size == 0:
        raise GlvizError("error.tokens.empty", value=repr(array.tolist()))
    if array.dtype == object:
        flat = array.reshape(-1)
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in flat):
            raise GlvizError("error.tokens.integers", value=repr(flat[:8].tolist()))
        bad = next((int(v) for v in flat if not 0 <= int(v) < config.vocab_size), None)
        if bad is not None:
            raise _outside(config, bad)
        array = array.astype(np.int64)
    if array.dtype.kind == "f":
        if not (np.all(np.isfinite(array)) and np.all(array == np.round(array))):
            raise GlvizError("error.tokens.integers", value=repr(array.reshape(-1)[:8].tolist()))
    elif array.dtype.kind not in "iu":
        raise GlvizError("error.tokens.integers", value=repr(array.reshape(-1)[:8].tolist()))
    bad_ids = (array < 0) | (array >= config.vocab_size)  # before the cast: 1e30 or 2**64-1 must not wrap
    if bad_ids.any():
        raise _outside(config, int(array[bad_ids][0]))
    array = array.astype(np.int64, copy=False)
    if start + array.shape[-1] > config.block_size:
        if start:
            raise GlvizError("error.tokens.too_many_after", context=config.block_size, start=start,
                             n=array.shape[-1])
        raise GlvizError("error.tokens.too_many", context=config.block_size, n=array.shape[-1])
    return array


def _outside(config: GPTConfig, token: int) -> GlvizError:
    return GlvizError("error.tokens.outside", last=config.vocab_size - 1, token=token)
