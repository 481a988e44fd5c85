"""The forward pass of a GPT-2-style model in numpy: a lazy Trace of every named intermediate, and a batched
fast path (`logits`) that keeps nothing.

Trace names are a public interface (../shared/design.md). Both paths share the small functions below, which
accept any leading batch dimensions. Matrices are (in, out), so every linear layer is one `x @ W` GEMM; the
query, key and value projections of a layer run as a single GEMM on the fused (C, 3C) matrix.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from glviz.errors import GlvizError
from glviz.model.config import GPTConfig
from glviz.model.weights import Weights

# ---- building blocks ----

# Sun fdlibm's erf (as in FreeBSD, musl and Go): rational approximations on four ranges, error below 1 ulp in
# float64. numpy has no erf, and the exact GELU needs one. Coefficients from the constant term upward.
_ERX = 8.45062911510467529297e-01
_ERF_PP = (
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
)
_ERF_QQ = (
    1.0,
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
)
_ERF_PA = (
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
)
_ERF_QA = (
    1.0,
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
)
_ERF_RA = (
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e01,
    -6.23753324503260060396e01,
    -1.62396669462573470355e02,
    -1.84605092906711035994e02,
    -8.12874355063065934246e01,
    -9.81432934416914548592e00,
)
_ERF_SA = (
    1.0,
    1.96512716674392571292e01,
    1.37657754143519042600e02,
    4.34565877475229228821e02,
    6.45387271733267880336e02,
    4.29008140027567833386e02,
    1.08635005541779435134e02,
    6.57024977031928170135e00,
    -6.04244152148580987438e-02,
)
_ERF_RB = (
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e01,
    -1.60636384855821916062e02,
    -6.37566443368389627722e02,
    -1.02509513161107724954e03,
    -4.83519191608651397019e02,
)
_ERF_SB = (
    1.0,
    3.03380607434824582924e01,
    3.25792512996573918826e02,
    1.53672958608443695994e03,
    3.19985821950859553908e03,
    2.55305040643316442583e03,
    4.74528541206955367215e02,
    -2.24409524465858183362e01,
)


def _poly(x: np.ndarray, coefficients: tuple[float, ...]) -> np.ndarray:
    """Horner evaluation, coefficients from the constant term upward."""
    result = x * coefficients[-1]
    result += coefficients[-2]
    for c in coefficients[-3::-1]:
        result *= x
        result += c
    return result


# float32 erf on [-4, 4] (beyond, erf is 1 in float32) as x P(x^2) / Q(x^2): the rational approximation Eigen
# and XLA use, within 4e-7 of erf. One formula everywhere: few numpy calls, so small traces stay fast.
_ERF32_P = (
    -1.60960333262415e-02,
    -2.95459980854025e-03,
    -7.34990630326855e-04,
    -5.69250639462346e-05,
    -2.10102402082508e-06,
    2.77068142495902e-08,
    -2.72614225801306e-10,
)
_ERF32_Q = (
    -1.42647390514189e-02,
    -7.37332916720468e-03,
    -1.68282697438203e-03,
    -2.13374055278905e-04,
    -1.45660718464996e-05,
)


def _erf32(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, -4.0, 4.0)
    x2 = x * x
    p = _poly(x2, _ERF32_P)
    p *= x
    p /= _poly(x2, _ERF32_Q)
    return p


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise (numpy has none): float64 accurate (1 ulp) for float64 input; for
    float32 input, float32 accurate (within 4e-7) and computed in float32."""
    x = np.asarray(x)
    if x.dtype == np.float32:
        return _erf32(x)
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    out = np.ones_like(a)  # erf(a) = 1 in float64 for a >= 6
    small = a < 0.84375
    z = a[small] ** 2
    out[small] = a[small] * (1.0 + _poly(z, _ERF_PP) / _poly(z, _ERF_QQ))
    middle = (a >= 0.84375) & (a < 1.25)
    s = a[middle] - 1.0
    out[middle] = _ERX + _poly(s, _ERF_PA) / _poly(s, _ERF_QA)
    for lo, hi, r, q in ((1.25, 1 / 0.35, _ERF_RA, _ERF_SA), (1 / 0.35, 6.0, _ERF_RB, _ERF_SB)):
        tail = (a >= lo) & (a < hi)
        t = a[tail]
        u = 1.0 / (t * t)
        out[tail] = 1.0 - np.exp(-t * t - 0.5625 + _poly(u, r) / _poly(u, q)) / t
    out[np.isnan(a)] = np.nan
    return np.copysign(out, x)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


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
        u *= -2.0 * _SQRT_2_OVER_PI * 0.044715
        u -= 2.0 * _SQRT_2_OVER_PI
        u *= x  # -2z
        np.exp(u, out=u)
    u += 1.0
    return np.divide(x, u, out=out)


def _sum_of_squares(x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """Sum of squares over the last axis, no temporary (np.vecdot where numpy has it: faster than einsum)."""
    if hasattr(np, "vecdot"):
        return np.vecdot(x, x, out=out)
    return np.einsum("...c,...c->...", x, x, out=out)


def layer_norm(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    eps: float,
    out: np.ndarray | None = None,
    mean: np.ndarray | None = None,
    std: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer norm over the last axis: (out, mean, std) with std = sqrt(Var + eps), the number that divides.

    Results go to `out`, `mean`, `std` where given (new arrays otherwise).
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


def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """x @ w + b over the last axis of x, as one 2-D GEMM (into `out` if given)."""
    lead = x.shape[:-1]
    y = np.matmul(x.reshape(-1, x.shape[-1]), w, out=None if out is None else out.reshape(-1, w.shape[1]))
    y += b
    return y.reshape(*lead, w.shape[1])


def split_heads(qkv: np.ndarray, n_head: int, out: np.ndarray | None = None) -> np.ndarray:
    """(..., T, 3C) -> (3, ..., H, T, A), contiguous: q, k, v of every head (into `out` if given)."""
    *lead, T, C3 = qkv.shape
    A = C3 // (3 * n_head)
    x = qkv.reshape(*lead, T, 3, n_head, A)
    nl = len(lead)
    x = x.transpose((nl + 1, *range(nl), nl + 2, nl, nl + 3))  # (3, ..., H, T, A)
    if out is None:
        return np.ascontiguousarray(x)
    np.copyto(out, x)
    return out


def causal_scores(q: np.ndarray, k: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """q k^T / sqrt(A) with future positions set to -inf: (..., H, T, A) x 2 -> (..., H, T, T)."""
    T, A = q.shape[-2:]
    scores = np.matmul(q, np.swapaxes(k, -1, -2), out=out)  # (..., H, T, T)
    scores *= 1.0 / math.sqrt(A)
    np.copyto(scores, -np.inf, where=_future_mask(T))
    return scores


_MASKS: dict[int, np.ndarray] = {}


def _future_mask(T: int) -> np.ndarray:
    """(T, T) bool, True where key position > query position."""
    mask = _MASKS.get(T)
    if mask is None:
        mask = _MASKS[T] = np.triu(np.ones((T, T), dtype=bool), k=1)
    return mask


# numpy runs elementwise work on one core while BLAS uses all of them. The largest rowwise steps (softmax
# over the vocabulary, GELU) split their rows among threads: numpy releases the GIL in its loops.
_PARALLEL_MIN_ELEMENTS = 1 << 20
_POOL: ThreadPoolExecutor | None = None


def _row_chunks(n_rows: int, n_elements: int) -> list[slice]:
    """How to split rows among threads: one chunk when the work is too small to be worth a thread."""
    workers = min(os.cpu_count() or 1, 8, n_rows)
    if workers < 2 or n_elements < _PARALLEL_MIN_ELEMENTS:
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


def softmax(
    scores: np.ndarray,
    probs: np.ndarray | None = None,
    peak: np.ndarray | None = None,
    expsum: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Softmax over the last axis: (probs, max, expsum), into the given arrays where given.

    probs = exp(x - max) / expsum, exactly 0 where x = -inf.
    """
    peak = np.max(scores, axis=-1, out=peak)  # (...,)
    probs = np.subtract(scores, peak[..., None], out=probs)
    np.exp(probs, out=probs)
    expsum = np.sum(probs, axis=-1, out=expsum)  # (...,)
    probs *= (1.0 / expsum)[..., None]  # a multiply streams faster than a divide
    return probs, peak, expsum


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


def merge_heads(heads: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(..., H, T, A) -> (..., T, C) (into `out` if given)."""
    *lead, H, T, A = heads.shape
    swapped = np.swapaxes(heads, -3, -2)  # (..., T, H, A)
    if out is None:
        return swapped.reshape(*lead, T, H * A)
    np.copyto(out.reshape(swapped.shape), swapped)
    return out


def check_tokens(weights: Weights, tokens: np.ndarray | list[int]) -> np.ndarray:
    """Token ids as int64 with the last axis as positions; GlvizError when the model cannot run them."""
    array = np.asarray(tokens)
    if array.size == 0:
        raise GlvizError(f"no tokens to run (empty input {array.tolist()!r})")
    if array.dtype.kind not in "iu":
        if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
            array = array.astype(np.int64)
        else:
            raise GlvizError(f"token ids must be integers ({array.reshape(-1)[:8].tolist()!r})")
    array = array.astype(np.int64, copy=False)
    config = weights.config
    bad = (array < 0) | (array >= config.vocab_size)
    if bad.any():
        raise GlvizError(f"token id outside the vocabulary 0..{config.vocab_size - 1} ({int(array[bad][0])})")
    if array.shape[-1] > config.block_size:
        raise GlvizError(
            f"more tokens than the model's context of {config.block_size} ({array.shape[-1]} tokens)"
        )
    return array


# ---- Trace ----


def trace_names(n_layer: int) -> list[str]:
    """Every trace name of a model with `n_layer` layers, in the order they are computed."""
    names = ["tokens", "tok_emb", "pos_emb", "embed"]
    for i in range(n_layer):
        p = f"layers.{i}."
        names += [
            p + n
            for n in (
                "ln1.mean",
                "ln1.std",
                "ln1.out",
                "attn.q",
                "attn.k",
                "attn.v",
                "attn.scores",
                "attn.max",
                "attn.expsum",
                "attn.probs",
                "attn.heads",
                "attn.proj",
                "resid1",
                "ln2.mean",
                "ln2.std",
                "ln2.out",
                "mlp.fc",
                "mlp.gelu",
                "mlp.proj",
                "resid2",
            )
        ]
    return [*names, "ln_f.mean", "ln_f.std", "ln_f.out", "logits", "probs.max", "probs.expsum", "probs"]


# A stage: the names it produces (in the order its method returns them), its method, its layer (-1: none).
_Stage = tuple[tuple[str, ...], str, int]

_LAYER_STAGES = (
    (("ln1.out", "ln1.mean", "ln1.std"), "_ln1"),
    (("attn.q", "attn.k", "attn.v"), "_qkv"),
    (("attn.scores",), "_scores"),
    (("attn.probs", "attn.max", "attn.expsum"), "_softmax"),
    (("attn.heads",), "_heads"),
    (("attn.proj",), "_attn_proj"),
    (("resid1",), "_resid1"),
    (("ln2.out", "ln2.mean", "ln2.std"), "_ln2"),
    (("mlp.fc",), "_fc"),
    (("mlp.gelu",), "_gelu"),
    (("mlp.proj",), "_mlp_proj"),
    (("resid2",), "_resid2"),
)

_PLANS: dict[int, tuple[list[_Stage], dict[str, int]]] = {}


def _plan(n_layer: int) -> tuple[list[_Stage], dict[str, int]]:
    """The stages of an n_layer model in forward order, and name -> stage index in documented name order."""
    plan = _PLANS.get(n_layer)
    if plan is None:
        stages: list[_Stage] = [(("tokens", "tok_emb", "pos_emb", "embed"), "_embed", -1)]
        for i in range(n_layer):
            stages += [
                (tuple(f"layers.{i}.{n}" for n in names), method, i) for names, method in _LAYER_STAGES
            ]
        stages += [
            (("ln_f.out", "ln_f.mean", "ln_f.std"), "_ln_f", -1),
            (("logits",), "_logits", -1),
            (("probs", "probs.max", "probs.expsum"), "_probs", -1),
        ]
        stage_of = {name: k for k, (names, _, _) in enumerate(stages) for name in names}
        plan = _PLANS[n_layer] = (stages, {name: stage_of[name] for name in trace_names(n_layer)})
    return plan


def _value_shapes(config: GPTConfig, T: int) -> list[dict[str, tuple[int, ...]]]:
    """Shapes of the float values a trace keeps, by section: embedding, each layer, head, and scratch arrays
    that every layer reuses. A layer's q, k and v are one (3, H, T, A) block, `attn.qkv`, so that one copy
    splits the heads."""
    C, H, A, V = config.n_embd, config.n_head, config.head_size, config.vocab_size
    sections: list[dict[str, tuple[int, ...]]] = [{"tok_emb": (T, C), "pos_emb": (T, C), "embed": (T, C)}]
    for i in range(config.n_layer):
        p = f"layers.{i}."
        sections.append({
            p + "ln1.out": (T, C), p + "ln1.mean": (T,), p + "ln1.std": (T,),
            p + "attn.qkv": (3, H, T, A),
            p + "attn.scores": (H, T, T), p + "attn.probs": (H, T, T), p + "attn.max": (H, T),
            p + "attn.expsum": (H, T), p + "attn.heads": (H, T, A), p + "attn.proj": (T, C),
            p + "resid1": (T, C),
            p + "ln2.out": (T, C), p + "ln2.mean": (T,), p + "ln2.std": (T,),
            p + "mlp.fc": (T, 4 * C), p + "mlp.gelu": (T, 4 * C), p + "mlp.proj": (T, C),
            p + "resid2": (T, C),
        })  # fmt: skip
    sections.append({
        "ln_f.out": (T, C), "ln_f.mean": (T,), "ln_f.std": (T,),
        "logits": (T, V), "probs": (T, V), "probs.max": (T,), "probs.expsum": (T,),
    })  # fmt: skip
    sections.append({"scratch.qkv": (T, 3 * C), "scratch.merged": (T, C), "scratch.gelu": (T, 4 * C)})
    return sections


_ALIGN = 16  # values start at multiples of 16 elements: 64 bytes for float32, what AVX-512 loads like

# name -> (section, start, stop, shape), and each section's length
_Layout = tuple[dict[str, tuple[int, int, int, tuple[int, ...]]], list[int]]
_LAYOUTS: dict[tuple[int, ...], _Layout] = {}


def _buffer_layout(config: GPTConfig, T: int) -> _Layout:
    """Where each value of a trace lives: one flat buffer per section, taken when the section is reached."""
    key = (config.n_layer, config.n_head, config.n_embd, config.vocab_size, T)
    layout = _LAYOUTS.get(key)
    if layout is None:
        places: dict[str, tuple[int, int, int, tuple[int, ...]]] = {}
        sizes = []
        for section, shapes in enumerate(_value_shapes(config, T)):
            position = 0
            for name, shape in shapes.items():
                size = math.prod(shape)
                places[name] = (section, position, position + size, shape)
                position += -(-size // _ALIGN) * _ALIGN
            sizes.append(position)
        layout = _LAYOUTS[key] = (places, sizes)
    return layout


class _ArenaPool:
    """Recycles the flat buffers that hold traces' values.

    The first touch of fresh memory costs a page fault per 4 KiB: for GPT-2 small at T=128 that is more time
    than all the layer norms, softmaxes and GELUs together. So a new trace takes over the buffers of traces
    that are gone. A buffer is free when nothing but this pool refers to it: every value of a trace is a view
    holding a reference to its buffer, so a buffer is never reused while any of its values is still in use.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes  # buffers are kept only up to this many bytes in all
        self._buffers: list[np.ndarray] = []
        self._lock = threading.Lock()
        probe = [np.empty(1)]
        self._free_refcount = sys.getrefcount(probe[0])  # held by the list alone

    def take(self, size: int, dtype: np.dtype) -> np.ndarray:
        """A flat buffer of `size` elements: a free pooled one if one is big enough, else a new one."""
        with self._lock:
            best = -1
            for i in range(len(self._buffers)):
                if (sys.getrefcount(self._buffers[i]) == self._free_refcount
                        and self._buffers[i].dtype == dtype and self._buffers[i].size >= size
                        and (best < 0 or self._buffers[i].size < self._buffers[best].size)):  # fmt: skip
                    best = i
            if best >= 0:
                return self._buffers[best][:size]
            buffer = np.empty(size, dtype=dtype)
            self._keep(buffer)
            return buffer

    def _keep(self, buffer: np.ndarray) -> None:
        if buffer.nbytes > self.max_bytes:
            return
        # Drop free buffers, oldest first, until the new one fits; buffers in use are only forgotten.
        total = sum(b.nbytes for b in self._buffers) + buffer.nbytes
        i = 0
        while total > self.max_bytes and i < len(self._buffers):
            if sys.getrefcount(self._buffers[i]) == self._free_refcount:
                total -= self._buffers.pop(i).nbytes
            else:
                i += 1
        while total > self.max_bytes and self._buffers:
            total -= self._buffers.pop(0).nbytes
        self._buffers.append(buffer)


_ARENAS = _ArenaPool(max_bytes=1 << 30)


class Trace:
    """Every intermediate of one forward pass, by name, computed on first request and kept.

    The network is a chain, so the trace is a list of stages in forward order; asking for a value runs the
    stages up to the one that makes it, and no further (`layers.0.ln1.out` never runs layer 2 or the head).
    Values are views into a few flat buffers (one per layer; see _ArenaPool): treat them as read-only.
    """

    def __init__(self, weights: Weights, tokens: np.ndarray | list[int], dtype: type = np.float32) -> None:
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"Trace dtype must be float32 or float64, not {np.dtype(dtype)}")
        tokens = check_tokens(weights, tokens)
        if tokens.ndim != 1:
            raise GlvizError(
                f"a trace runs one sequence of tokens, not shape {tokens.shape} ({tokens.shape})"
            )
        self.weights = weights
        self.config = weights.config
        self.tokens = tokens
        self.T = int(tokens.shape[0])
        self.dtype = np.dtype(dtype)
        self._values: dict[str, np.ndarray] = {}
        self._stages, self._stage_of = _plan(self.config.n_layer)
        self._done = 0  # stages 0 .. _done-1 have run
        self._places, self._section_sizes = _buffer_layout(self.config, self.T)
        self._sections: list[np.ndarray | None] = [None] * len(self._section_sizes)

    # -- public interface
    def __getitem__(self, name: str) -> np.ndarray:
        value = self._values.get(name)
        if value is not None:
            return value
        try:
            stage = self._stage_of[name]
        except KeyError:
            raise KeyError(f"no trace value named {name!r}") from None
        while self._done <= stage:
            names, method, layer = self._stages[self._done]
            for n, v in zip(names, getattr(self, method)(layer), strict=True):
                self._values[n] = v
            self._done += 1
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._stage_of

    def names(self) -> list[str]:
        """Every trace name, in forward order."""
        return list(self._stage_of)

    def computed(self, name: str) -> bool:
        """Whether `name` has been computed already."""
        return name in self._values

    def full(self) -> dict[str, np.ndarray]:
        """Compute everything; every trace value by name."""
        self["probs"]
        return {name: self._values[name] for name in self._stage_of}

    # -- the stages: each writes its values into the buffer and returns them in the order of its names
    def _out(self, name: str) -> np.ndarray:
        """The place in the buffer for value `name`."""
        section, start, stop, shape = self._places[name]
        buffer = self._sections[section]
        if buffer is None:
            buffer = self._sections[section] = _ARENAS.take(self._section_sizes[section], self.dtype)
        return buffer[start:stop].reshape(shape)

    def _w(self, name: str) -> np.ndarray:
        return np.asarray(self.weights[name], dtype=self.dtype)

    def _v(self, layer: int, name: str) -> np.ndarray:
        return self._values[f"layers.{layer}.{name}"]

    def _residual_in(self, layer: int) -> np.ndarray:
        return self._values["embed"] if layer == 0 else self._v(layer - 1, "resid2")

    def _embed(self, _: int) -> tuple[np.ndarray, ...]:
        tok_emb = self._out("tok_emb")  # (T, C)
        np.copyto(tok_emb, self.weights["wte"][self.tokens])
        pos_emb = self._out("pos_emb")  # (T, C)
        np.copyto(pos_emb, self.weights["wpe"][: self.T])
        return self.tokens, tok_emb, pos_emb, np.add(tok_emb, pos_emb, out=self._out("embed"))

    def _ln(self, x: np.ndarray, prefix: str) -> tuple[np.ndarray, ...]:
        """Layer norm with weights `prefix`.gamma/.beta into values `prefix`.out/.mean/.std."""
        gamma, beta = self._w(prefix + ".gamma"), self._w(prefix + ".beta")
        out, mean, std = (self._out(prefix + n) for n in (".out", ".mean", ".std"))
        return layer_norm(x, gamma, beta, self.config.layer_norm_eps, out, mean, std)

    def _ln1(self, i: int) -> tuple[np.ndarray, ...]:
        return self._ln(self._residual_in(i), f"layers.{i}.ln1")  # (T, C), (T,), (T,)

    def _qkv(self, i: int) -> tuple[np.ndarray, ...]:
        w, b = self.weights.qkv(i)  # (C, 3C), (3C,)
        qkv = linear(
            self._v(i, "ln1.out"),
            np.asarray(w, self.dtype),
            np.asarray(b, self.dtype),
            out=self._out("scratch.qkv"),
        )  # (T, 3C)
        heads = split_heads(qkv, self.config.n_head, out=self._out(f"layers.{i}.attn.qkv"))  # (3, H, T, A)
        return heads[0], heads[1], heads[2]

    def _scores(self, i: int) -> tuple[np.ndarray]:
        q, k = self._v(i, "attn.q"), self._v(i, "attn.k")
        return (causal_scores(q, k, out=self._out(f"layers.{i}.attn.scores")),)  # (H, T, T)

    def _softmax(self, i: int) -> tuple[np.ndarray, ...]:
        p = f"layers.{i}.attn."
        return softmax(
            self._v(i, "attn.scores"), self._out(p + "probs"), self._out(p + "max"), self._out(p + "expsum")
        )  # (H, T, T), (H, T), (H, T)

    def _heads(self, i: int) -> tuple[np.ndarray]:
        probs, v = self._v(i, "attn.probs"), self._v(i, "attn.v")
        return (np.matmul(probs, v, out=self._out(f"layers.{i}.attn.heads")),)  # (H, T, A)

    def _attn_proj(self, i: int) -> tuple[np.ndarray]:
        p = f"layers.{i}.attn."
        merged = merge_heads(self._v(i, "attn.heads"), out=self._out("scratch.merged"))  # (T, C)
        return (linear(merged, self._w(p + "wproj"), self._w(p + "bproj"), out=self._out(p + "proj")),)

    def _resid1(self, i: int) -> tuple[np.ndarray]:
        return (np.add(self._residual_in(i), self._v(i, "attn.proj"), out=self._out(f"layers.{i}.resid1")),)

    def _ln2(self, i: int) -> tuple[np.ndarray, ...]:
        return self._ln(self._v(i, "resid1"), f"layers.{i}.ln2")

    def _fc(self, i: int) -> tuple[np.ndarray]:
        p = f"layers.{i}.mlp."
        return (
            linear(self._v(i, "ln2.out"), self._w(p + "wfc"), self._w(p + "bfc"), out=self._out(p + "fc")),
        )

    def _gelu(self, i: int) -> tuple[np.ndarray]:
        out, scratch = self._out(f"layers.{i}.mlp.gelu"), self._out("scratch.gelu")
        return (gelu_rows(self._v(i, "mlp.fc"), self.config.activation, out, scratch),)  # (T, 4C)

    def _mlp_proj(self, i: int) -> tuple[np.ndarray]:
        p = f"layers.{i}.mlp."
        x = self._v(i, "mlp.gelu")
        return (linear(x, self._w(p + "wproj"), self._w(p + "bproj"), out=self._out(p + "proj")),)  # (T, C)

    def _resid2(self, i: int) -> tuple[np.ndarray]:
        return (np.add(self._v(i, "resid1"), self._v(i, "mlp.proj"), out=self._out(f"layers.{i}.resid2")),)

    def _ln_f(self, _: int) -> tuple[np.ndarray, ...]:
        return self._ln(self._residual_in(self.config.n_layer), "ln_f")

    def _logits(self, _: int) -> tuple[np.ndarray]:
        head = np.asarray(self.weights.head_columns(), self.dtype)  # (C, V)
        return (np.matmul(self._values["ln_f.out"], head, out=self._out("logits")),)  # (T, V)

    def _probs(self, _: int) -> tuple[np.ndarray, ...]:
        return softmax_rows(
            self._values["logits"], self._out("probs"), self._out("probs.max"), self._out("probs.expsum")
        )  # (T, V), (T,), (T,)


# ---- batched fast path ----


def logits(weights: Weights, tokens: np.ndarray, *, last_only: bool = False) -> np.ndarray:
    """Next-token logits for a batch, keeping no intermediates: (B, T) -> (B, T, V), or (T,) -> (T, V).

    With `last_only`, only the last position's logits are computed: (B, 1, V) or (1, V).
    Computed in the weights' dtype (float32 for loaded weights).
    """
    c = weights.config
    tokens = check_tokens(weights, tokens)
    single = tokens.ndim == 1
    tokens = tokens.reshape(-1, tokens.shape[-1])  # (B, T)
    T = tokens.shape[1]
    x = weights["wte"][tokens] + weights["wpe"][:T]  # (B, T, C)
    for i in range(c.n_layer):
        p = f"layers.{i}."
        h, _, _ = layer_norm(x, weights[p + "ln1.gamma"], weights[p + "ln1.beta"], c.layer_norm_eps)
        q, k, v = split_heads(linear(h, *weights.qkv(i)), c.n_head)  # (B, H, T, A) each
        probs, _, _ = softmax(causal_scores(q, k))  # (B, H, T, T)
        x += linear(merge_heads(probs @ v), weights[p + "attn.wproj"], weights[p + "attn.bproj"])
        h, _, _ = layer_norm(x, weights[p + "ln2.gamma"], weights[p + "ln2.beta"], c.layer_norm_eps)
        h = linear(h, weights[p + "mlp.wfc"], weights[p + "mlp.bfc"])  # (B, T, 4C)
        h = gelu(h, c.activation, out=h)
        x += linear(h, weights[p + "mlp.wproj"], weights[p + "mlp.bproj"])
    if last_only:
        x = x[:, -1:]  # (B, 1, C)
    x, _, _ = layer_norm(x, weights["ln_f.gamma"], weights["ln_f.beta"], c.layer_norm_eps)
    out = x.reshape(-1, c.n_embd) @ weights["lm_head"].T  # (B*T, V)
    out = out.reshape(tokens.shape[0], x.shape[1], c.vocab_size)
    return out[0] if single else out
