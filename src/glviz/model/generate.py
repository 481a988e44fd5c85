"""Next-token generation with the KV cache, token by token: greedy, or sampled (temperature, top-k, top-p)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from glviz.errors import GlvizError
from glviz.model.kv import KVCache
from glviz.model.kv_split import worth_splitting
from glviz.model.tokens import check_tokens
from glviz.model.weights import Weights


def check_sampling(
    temperature: float | None = None,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
) -> None:
    """GlvizError for sampling options that mean nothing."""
    if temperature is not None and not (temperature >= 0 and np.isfinite(temperature)):
        raise GlvizError("error.sampling.temperature", value=repr(temperature))
    if top_k is not None and top_k < 1:
        raise GlvizError("error.sampling.top_k", value=repr(top_k))
    if top_p is not None and not 0 < top_p <= 1:
        raise GlvizError("error.sampling.top_p", value=repr(top_p))
    if seed is not None and seed < 0:  # numpy's generators take no negative seed, even when unused
        raise GlvizError("error.sampling.seed", value=repr(seed))


def next_token_distribution(
    last_logits: np.ndarray, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> np.ndarray:
    """Sampling probabilities (V,) from one position's logits (V,): temperature, then top-k, then top-p
    (the smallest set of most likely tokens whose probability reaches top_p)."""
    z = np.asarray(last_logits, dtype=np.float64) / temperature  # (V,)
    if top_k is not None and top_k < z.size:
        kth = np.partition(z, -top_k)[-top_k]
        z = np.where(z < kth, -np.inf, z)
    p = np.exp(z - z.max())
    p /= p.sum()
    if top_p is not None and top_p < 1:
        order = np.argsort(-p, kind="stable")  # (V,) most likely first
        before = np.cumsum(p[order]) - p[order]  # probability of the tokens ranked above each
        keep = np.zeros(p.size, dtype=bool)
        keep[order[before < top_p]] = True  # always keeps the most likely token
        p = np.where(keep, p, 0.0)
        p /= p.sum()
    return p


def generate_stream(
    weights: Weights,
    tokens: np.ndarray | list[int],
    max_new_tokens: int,
    *,
    temperature: float | None = None,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
) -> Iterator[int]:
    """The `max_new_tokens` token ids that follow `tokens`, one at a time as each is chosen.

    Greedy (argmax) unless a temperature > 0, top_k or top_p is given; then sampled, reproducibly for a given
    `seed`. A KV cache runs the prompt once, then one position per token. Everything is checked before the
    first token: the prompt and the new tokens must fit the context (the last new token is not run).
    """
    if max_new_tokens < 0:
        raise GlvizError("error.generate.max_new", value=max_new_tokens)
    check_sampling(temperature, top_k, top_p, seed)
    prompt = np.asarray(tokens)
    if prompt.ndim != 1:
        raise GlvizError("error.generate.shape", shape=prompt.shape)
    prompt = check_tokens(weights, prompt)
    block = weights.config.block_size
    room = block + 1 - len(prompt)  # the prediction at the context's last position is the last one
    if max_new_tokens > room:
        raise GlvizError("error.generate.past_context", context=block, room=room, n=len(prompt),
                         value=max_new_tokens)
    # Temperature 0 is the greedy limit, whatever top_k and top_p say.
    sampling = temperature != 0 and (temperature is not None or top_k is not None or top_p is not None)
    rng = np.random.default_rng(seed)
    # One position a token; in a long generation, split among processes where that pays (model/kv_split.py).
    positions = len(prompt) + max(max_new_tokens - 1, 0)
    cache = KVCache(weights, capacity=positions, split=worth_splitting(positions))

    def tokens_one_by_one() -> Iterator[int]:
        if max_new_tokens == 0:
            return
        try:
            last = cache.step(prompt, last_only=True)[-1]  # (V,)
            for k in range(max_new_tokens):
                if sampling:
                    p = next_token_distribution(last, temperature or 1.0, top_k, top_p)  # (V,)
                    token = int(rng.choice(p.size, p=p))
                else:
                    token = int(np.argmax(last))
                yield token
                if k + 1 < max_new_tokens:
                    last = cache.step([token], last_only=True)[-1]
        finally:  # done, interrupted or dropped: the split's helpers end here
            cache.close()

    return tokens_one_by_one()


def generate(weights: Weights, tokens: np.ndarray | list[int], max_new_tokens: int, **options) -> np.ndarray:
    """All the token ids (int64) of `generate_stream`, at once."""
    return np.fromiter(generate_stream(weights, tokens, max_new_tokens, **options), dtype=np.int64)
