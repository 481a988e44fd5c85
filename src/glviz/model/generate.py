"""Next-token generation with the batched forward pass: greedy, or sampling (temperature, top-k, top-p)."""

from __future__ import annotations

import numpy as np

from glviz.errors import GlvizError
from glviz.model.forward import check_tokens, logits
from glviz.model.weights import Weights


def check_sampling(
    temperature: float | None = None, top_k: int | None = None, top_p: float | None = None
) -> None:
    """GlvizError for sampling options that mean nothing."""
    if temperature is not None and not (temperature >= 0 and np.isfinite(temperature)):
        raise GlvizError(f"temperature must be a number >= 0 ({temperature!r})")
    if top_k is not None and top_k < 1:
        raise GlvizError(f"top-k must be at least 1 ({top_k!r})")
    if top_p is not None and not 0 < top_p <= 1:
        raise GlvizError(f"top-p must be in (0, 1] ({top_p!r})")


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


def generate(
    weights: Weights,
    tokens: np.ndarray | list[int],
    max_new_tokens: int,
    *,
    temperature: float | None = None,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """The `max_new_tokens` token ids (int64) that follow `tokens`.

    Greedy (argmax) unless a temperature > 0, top_k or top_p is given; then sampled, reproducibly for a given
    `seed`. The prompt must fit the context; past it, the model sees the last block_size tokens.
    """
    if max_new_tokens < 0:
        raise GlvizError(f"max-new-tokens must be >= 0 ({max_new_tokens})")
    check_sampling(temperature, top_k, top_p)
    block = weights.config.block_size
    prompt = np.asarray(tokens)
    if prompt.ndim != 1:
        raise GlvizError(f"generate continues one sequence, not shape {prompt.shape} ({prompt.shape})")
    # A prompt longer than the context is a user mistake (check_tokens says so); the generated tokens may run
    # past it, and then the model sees the last block_size tokens, as in nanoGPT.
    sequence = check_tokens(weights, prompt)
    # Temperature 0 is the greedy limit, whatever top_k and top_p say.
    sampling = temperature != 0 and (temperature is not None or top_k is not None or top_p is not None)
    rng = np.random.default_rng(seed)
    out: list[int] = []
    for _ in range(max_new_tokens):
        last = logits(weights, sequence[-block:], last_only=True)[-1]  # (V,)
        if sampling:
            p = next_token_distribution(last, temperature or 1.0, top_k, top_p)
            token = int(rng.choice(p.size, p=p))
        else:
            token = int(np.argmax(last))
        out.append(token)
        sequence = np.append(sequence, token)
    return np.asarray(out, dtype=np.int64)
