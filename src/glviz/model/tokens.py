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
        raise GlvizError(f"no tokens to run (empty input {array.tolist()!r})")
    if array.dtype == object:
        flat = array.reshape(-1)
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in flat):
            raise GlvizError(f"token ids must be integers ({flat[:8].tolist()!r})")
        bad = next((int(v) for v in flat if not 0 <= int(v) < config.vocab_size), None)
        if bad is not None:
            raise _outside(config, bad)
        array = array.astype(np.int64)
    if array.dtype.kind == "f":
        if not (np.all(np.isfinite(array)) and np.all(array == np.round(array))):
            raise GlvizError(f"token ids must be integers ({array.reshape(-1)[:8].tolist()!r})")
    elif array.dtype.kind not in "iu":
        raise GlvizError(f"token ids must be integers ({array.reshape(-1)[:8].tolist()!r})")
    bad_ids = (array < 0) | (array >= config.vocab_size)  # before the cast: 1e30 or 2**64-1 must not wrap
    if bad_ids.any():
        raise _outside(config, int(array[bad_ids][0]))
    array = array.astype(np.int64, copy=False)
    if start + array.shape[-1] > config.block_size:
        what = f"{array.shape[-1]} tokens" if not start else f"{start} + {array.shape[-1]} tokens"
        raise GlvizError(f"more tokens than the model's context of {config.block_size} ({what})")
    return array


def _outside(config: GPTConfig, token: int) -> GlvizError:
    return GlvizError(f"token id outside the vocabulary 0..{config.vocab_size - 1} ({token})")
