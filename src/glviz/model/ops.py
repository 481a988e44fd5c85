"""The one set of operations of a GPT-2-style forward pass, shared by the Trace, the KV-cache step, the
batched logits and training.

Every function accepts any leading batch dimensions and works in the dtype it is given (float32 or float64).
Matrices are (in, out), so every linear layer is one `x @ W` GEMM. Functions that take `out=` arrays write
their results there, so that the Trace can place every value in its own buffers without a copy.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from glviz.model.erf import erf

__all__ = [
    "causal_scores",
    "erf",
    "gelu",
    "gelu_grad",
    "gelu_rows",
    "layer_norm",
    "layer_norm_vector",
    "linear",
    "merge_heads",
    "softmax",
    "softmax_rows",
    "softmax_with",
    "split_heads",
]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_NEW_CUBIC = 0.044715  # GPT-2's tanh approximation: tanh(sqrt(2/pi) (x + 0.044715 x^3))


def gelu(
    x: np.ndarray, activation: str, out: np.ndarray | None = None, scratch: np.ndarray | None = None
) -> np.ndarray:
    """GELU, elementwise: tanh approximation (gelu_new, GPT-2) or exact (gelu).

    Written to `out` (a new array if None; may be `x` itself); `scratch`, if given, is a temporary shaped
    like x.
    """
    out = np.empty_like(x) if out is None else out
    if activation == "gelu":
        e = erf(x * (1.0 / math.sqrt(2.0)))
        e += 1.0
        e *= 0.5
        return np.multiply(x, e, out=out)
    # 0.5 x (1 + tanh(z)) = x / (1 + exp(-2z)) with z = sqrt(2/pi) (x + 0.044715 x^3): the same function in
    # fewer passes over memory. For very negative x, exp overflows to inf and x / inf = -0, the limit.
    with np.errstate(over="ignore"):
        u = np.multiply(x, x, out=scratch)
        u *= -2.0 * _SQRT_2_OVER_PI * _GELU_NEW_CUBIC
        u -= 2.0 * _SQRT_2_OVER_PI
        u *= x  # -2z
        np.exp(u, out=u)
    u += 1.0
    return np.divide(x, u, out=out)


def gelu_grad(x: np.ndarray, activation: str) -> np.ndarray:
    """d gelu(x) / dx, elementwise (training's backward pass)."""
    if activation == "gelu":
        cdf = 0.5 * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))  # Phi(x)
        return cdf + x * np.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))
    # With s = 0.5 (1 + tanh z) = sigmoid(2z): gelu = x s, and tanh' = 1 - tanh^2 = 4 s (1 - s).
    with np.errstate(over="ignore"):
        s = 1.0 / (1.0 + np.exp(-2.0 * _SQRT_2_OVER_PI * (x + _GELU_NEW_CUBIC * x**3)))
    dz = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_NEW_CUBIC * x * x)
    return s + 2.0 * x * s * (1.0 - s) * dz


def _sum_of_squares(x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """Sum of squares over the last axis, no temporary (np.vecdot where numpy has it: faster than einsum)."""
    if hasattr(np, "vecdot"):
        return np.vecdot(x, x, out=out)
    return np.einsum("...c,...c->...", x, x, out=out)


def layer_norm(
    x: np.ndarray,
    gamma: np.ndarray | float,
    beta: np.ndarray | float,
    eps: float,
    out: np.ndarray | None = None,
    mean: np.ndarray | None = None,
    std: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer norm over the last axis: (out, mean, std) with std = sqrt(Var + eps), the number that divides.

    Results go to `out`, `mean`, `std` where given (new arrays otherwise). gamma = 1, beta = 0 gives the
    normalised x itself (what training's backward pass keeps).
    """
    mean = np.add.reduce(x, axis=-1, out=mean)  # (...,)
    mean *= 1.0 / x.shape[-1]
    out = np.subtract(x, mean[..., None], out=out)  # (..., C) centred
    std = _sum_of_squares(out, std)  # (...,)
    std *= 1.0 / x.shape[-1]
    std += eps
    np.sqrt(std, out=std)
    out *= (1.0 / std)[..., None]
    out *= gamma
    out += beta
    return out, mean, std


def layer_norm_vector(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """`layer_norm` of one (C,) vector, its mean and std as Python floats: 6 numpy calls, not 10 (a KV
    step normalises 25 vectors). The same numbers as `layer_norm` to float32 rounding."""
    out = x - float(np.add.reduce(x)) / x.shape[0]  # centred
    out *= 1.0 / math.sqrt(float(_sum_of_squares(out, None)) / x.shape[0] + eps)
    out *= gamma
    out += beta
    return out


def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """x @ w + b over the last axis of x, as one 2-D GEMM (into `out` if given)."""
    lead = x.shape[:-1]
    y = np.matmul(x.reshape(-1, x.shape[-1]), w, out=None if out is None else out.reshape(-1, w.shape[1]))
    y += b
    return y.reshape(*lead, w.shape[1])


def split_heads(qkv: np.ndarray, n_head: int, out: np.ndarray | None = None) -> np.ndarray:
    """(..., T, 3C) -> (3, ..., H, T, A): q, k, v of every head (contiguous, or into `out` if given)."""
    *lead, T, C3 = qkv.shape
    A = C3 // (3 * n_head)
    x = qkv.reshape(*lead, T, 3, n_head, A)
    nl = len(lead)
    x = x.transpose((nl + 1, *range(nl), nl + 2, nl, nl + 3))  # (3, ..., H, T, A)
    if out is None:
        return np.ascontiguousarray(x)
    np.copyto(out, x)
    return out


def merge_heads(heads: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(..., H, T, A) -> (..., T, C) (into `out` if given)."""
    *lead, H, T, A = heads.shape
    swapped = np.swapaxes(heads, -3, -2)  # (..., T, H, A)
    if out is None:
        return swapped.reshape(*lead, T, H * A)
    np.copyto(out.reshape(swapped.shape), swapped)
    return out


def causal_scores(q: np.ndarray, k: np.ndarray, out: np.ndarray | None = None, offset: int = 0) -> np.ndarray:
    """q k^T / sqrt(A) with future positions set to -inf: (..., H, n, A), (..., H, S, A) -> (..., H, n, S).

    Query row r is position offset + r and key column s is position s: a KV-cache step passes the queries of
    the new positions only (offset = how many came before) against the keys of all of them.
    """
    n, A = q.shape[-2:]
    S = k.shape[-2]
    scores = np.matmul(q, np.swapaxes(k, -1, -2), out=out)  # (..., H, n, S)
    scores *= 1.0 / math.sqrt(A)
    if S > offset + 1:  # some key lies after some query (never for a single new position)
        np.copyto(scores, -np.inf, where=_future_mask(n, S, offset))
    return scores


_MASKS: dict[tuple[int, int, int], np.ndarray] = {}


def _future_mask(n: int, S: int, offset: int) -> np.ndarray:
    """(n, S) bool, True where key position s > query position offset + r."""
    key = (n, S, offset)
    mask = _MASKS.get(key)
    if mask is None:
        mask = np.triu(np.ones((n, S), dtype=bool), k=offset + 1)
        if len(_MASKS) < 64:  # full traces reuse a few shapes; steps of a growing cache need not be kept
            _MASKS[key] = mask
    return mask


def softmax(
    scores: np.ndarray,
    probs: np.ndarray | None = None,
    peak: np.ndarray | None = None,
    expsum: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Softmax over the last axis: (probs, max, expsum), into the given arrays where given.

    probs = exp(x - max) / expsum, exactly 0 where x = -inf.
    """
    # np.max and np.sum without their Python wrappers (the same numbers): a KV step calls this 12 times.
    peak = np.maximum.reduce(scores, axis=-1, out=peak)  # (...,)
    probs = np.subtract(scores, peak[..., None], out=probs)
    np.exp(probs, out=probs)
    expsum = np.add.reduce(probs, axis=-1, out=expsum)  # (...,)
    probs *= (1.0 / expsum)[..., None]  # a multiply streams faster than a divide
    return probs, peak, expsum


def softmax_with(
    scores: np.ndarray, peak: np.ndarray, expsum: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """exp(x - max) / expsum over the last axis with max and expsum already known (a dropped softmax
    recomputed): the same operations as `softmax`, so the same numbers from the same inputs."""
    probs = np.subtract(scores, peak[..., None], out=out)
    np.exp(probs, out=probs)
    probs *= (1.0 / expsum)[..., None]
    return probs


# numpy runs elementwise work on one core while BLAS uses all of them. The largest rowwise steps (softmax
# over the vocabulary, GELU) split their rows among threads: numpy releases the GIL in its loops.
_PARALLEL_MIN_ELEMENTS = 1 << 20
_POOL: ThreadPoolExecutor | None = None


_CPUS = os.cpu_count() or 1  # asked once: the call costs ~10 us, and a KV step splits rows ~30 times


def _row_chunks(n_rows: int, n_elements: int) -> list[slice]:
    """How to split rows among threads: one chunk when the work is too small to be worth a thread."""
    if n_elements < _PARALLEL_MIN_ELEMENTS:
        return [slice(0, n_rows)]
    workers = min(_CPUS, 8, n_rows)
    if workers < 2:
        return [slice(0, n_rows)]
    bounds = np.linspace(0, n_rows, workers + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _for_row_chunks(fn: Callable[[slice], object], n_rows: int, n_elements: int) -> None:
    """fn(rows) for chunks of rows covering 0..n_rows, on worker threads when it pays."""
    global _POOL
    chunks = _row_chunks(n_rows, n_elements)
    if len(chunks) == 1:
        fn(chunks[0])
        return
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=len(chunks), thread_name_prefix="glviz-rows")
    for future in [_POOL.submit(fn, rows) for rows in chunks]:
        future.result()


def softmax_rows(
    scores: np.ndarray, probs: np.ndarray, peak: np.ndarray, expsum: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`softmax` of a 2-D array into the given arrays, rows split among threads when large."""
    _for_row_chunks(lambda r: softmax(scores[r], probs[r], peak[r], expsum[r]), scores.shape[0], scores.size)
    return probs, peak, expsum


def gelu_rows(x: np.ndarray, activation: str, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """`gelu` of a 2-D array into `out`, rows split among threads when large."""
    _for_row_chunks(lambda r: gelu(x[r], activation, out[r], scratch[r]), x.shape[0], x.size)
    return out
