"""The stages of a Trace: each computes rows start..stop (positions) of its values from earlier values.

A fresh trace runs every stage for rows 0..T; an append runs them for the new rows only. Values are read and
written through `trace.at(name, start, stop)` (rows of a value; for an attention matrix, those query rows
against keys 0..stop), so the same code serves both, and a dropped value during an append gets transient rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from glviz.model.ops import (
    causal_scores,
    gelu_rows,
    layer_norm,
    linear,
    softmax,
    softmax_rows,
    softmax_with,
)

if TYPE_CHECKING:
    from glviz.model.trace import Trace

_QKV = ("attn.q", "attn.k", "attn.v")


def trace_names(n_layer: int) -> list[str]:
    """Every trace name of a model with `n_layer` layers, in the order they are computed."""
    layer = ("ln1.mean", "ln1.std", "ln1.out", *_QKV, "attn.scores", "attn.max", "attn.expsum", "attn.probs",
             "attn.heads", "attn.proj", "resid1", "ln2.mean", "ln2.std", "ln2.out", "mlp.fc", "mlp.gelu",
             "mlp.proj", "resid2")  # fmt: skip
    names = ["tokens", "tok_emb", "pos_emb", "embed"]
    for i in range(n_layer):
        names += [f"layers.{i}.{n}" for n in layer]
    return [*names, "ln_f.mean", "ln_f.std", "ln_f.out", "logits", "probs.max", "probs.expsum", "probs"]


@functools.cache
def storage_name(name: str) -> tuple[str, int | None]:
    """Where a trace value is stored: q, k and v are parts 0, 1, 2 of the layer's (T, 3, H, A) `attn.qkv`."""
    if name.endswith(_QKV) and name.startswith("layers."):
        return name[:-1] + "qkv", "qkv".index(name[-1])
    return name, None


# ---- the stages: f(trace, layer, start, stop) writes rows start..stop of the stage's values


def _w(t: Trace, name: str) -> np.ndarray:
    return np.asarray(t.weights[name], dtype=t.dtype)


def _residual_in(t: Trace, i: int, a: int, b: int) -> np.ndarray:
    return t.at("embed" if i == 0 else f"layers.{i - 1}.resid2", a, b)  # (n, C)


def _embed(t: Trace, _: int, a: int, b: int) -> None:
    tok_emb = t.at("tok_emb", a, b)  # (n, C)
    np.copyto(tok_emb, t.weights["wte"][t.token_ids(a, b)])
    pos_emb = t.at("pos_emb", a, b)  # (n, C)
    np.copyto(pos_emb, t.weights["wpe"][a:b])
    np.add(tok_emb, pos_emb, out=t.at("embed", a, b))


def _ln(t: Trace, x: np.ndarray, prefix: str, a: int, b: int) -> None:
    """Layer norm with weights `prefix`.gamma/.beta into values `prefix`.out/.mean/.std."""
    out, mean, std = (t.at(prefix + n, a, b) for n in (".out", ".mean", ".std"))  # (n, C), (n,), (n,)
    layer_norm(x, _w(t, prefix + ".gamma"), _w(t, prefix + ".beta"), t.config.layer_norm_eps, out, mean, std)


def _ln1(t: Trace, i: int, a: int, b: int) -> None:
    _ln(t, _residual_in(t, i, a, b), f"layers.{i}.ln1", a, b)


def _qkv(t: Trace, i: int, a: int, b: int) -> None:
    w, bias = t.weights.qkv(i)  # (C, 3C), (3C,)
    x = t.at(f"layers.{i}.ln1.out", a, b)  # (n, C)
    out = t.stored(f"layers.{i}.attn.qkv", a, b)  # (n, 3, H, A): q, k, v by head, as the GEMM writes them
    linear(x, np.asarray(w, t.dtype), np.asarray(bias, t.dtype), out=out.reshape(b - a, -1))  # (n, 3C)


def _scores(t: Trace, i: int, a: int, b: int) -> None:
    p = f"layers.{i}.attn."
    q, k = t.at(p + "q", a, b), t.at(p + "k", 0, b)  # (H, n, A), (H, b, A)
    causal_scores(q, k, out=t.at(p + "scores", a, b), offset=a)  # (H, n, b)


def _softmax(t: Trace, i: int, a: int, b: int) -> None:
    p = f"layers.{i}.attn."
    softmax(t.at(p + "scores", a, b), *(t.at(p + n, a, b) for n in ("probs", "max", "expsum")))


def _heads(t: Trace, i: int, a: int, b: int) -> None:
    p = f"layers.{i}.attn."
    np.matmul(t.at(p + "probs", a, b), t.at(p + "v", 0, b), out=t.at(p + "heads", a, b))  # (H, n, A)


def _attn_proj(t: Trace, i: int, a: int, b: int) -> None:
    p = f"layers.{i}.attn."
    merged = t.stored(p + "heads", a, b).reshape(b - a, -1)  # (n, C): stored (n, H, A), heads side by side
    linear(merged, _w(t, p + "wproj"), _w(t, p + "bproj"), out=t.at(p + "proj", a, b))


def _resid1(t: Trace, i: int, a: int, b: int) -> None:
    p = f"layers.{i}."
    np.add(_residual_in(t, i, a, b), t.at(p + "attn.proj", a, b), out=t.at(p + "resid1", a, b))


def _ln2(t: Trace, i: int, a: int, b: int) -> None:
    _ln(t, t.at(f"layers.{i}.resid1", a, b), f"layers.{i}.ln2", a, b)


def _fc(t: Trace, i: int, a: int, b: int) -> None:
    p = f"layers.{i}."
    x = t.at(p + "ln2.out", a, b)  # (n, C)
    linear(x, _w(t, p + "mlp.wfc"), _w(t, p + "mlp.bfc"), out=t.at(p + "mlp.fc", a, b))  # (n, 4C)


def _gelu(t: Trace, i: int, a: int, b: int) -> None:
    p = f"layers.{i}.mlp."
    scratch = t.scratch("gelu", b - a, 4 * t.config.n_embd)
    gelu_rows(t.at(p + "fc", a, b), t.config.activation, t.at(p + "gelu", a, b), scratch)  # (n, 4C)


def _mlp_proj(t: Trace, i: int, a: int, b: int) -> None:
    p = f"layers.{i}.mlp."
    linear(t.at(p + "gelu", a, b), _w(t, p + "wproj"), _w(t, p + "bproj"), out=t.at(p + "proj", a, b))


def _resid2(t: Trace, i: int, a: int, b: int) -> None:
    p = f"layers.{i}."
    np.add(t.at(p + "resid1", a, b), t.at(p + "mlp.proj", a, b), out=t.at(p + "resid2", a, b))


def _ln_f(t: Trace, _: int, a: int, b: int) -> None:
    _ln(t, _residual_in(t, t.config.n_layer, a, b), "ln_f", a, b)


def head_matrix(weights, dtype: np.dtype) -> np.ndarray:
    """The LM head (C, V) as the logits stage multiplies by it: Weights.head_columns() once it is made (a
    generated token's row of logits: 11 ms instead of 17 on one BLAS thread for GPT-2), else a transposed
    view (making the copy, 0.3 s, here would sit on the way to a checkpoint's first picture; BLAS takes the
    view as it is, 12 ms slower at T = 16)."""
    columns = weights.head_columns(make=False)
    if columns is not None and columns.dtype == dtype:
        return columns
    return np.asarray(weights["lm_head"], dtype).T


def _head(t: Trace) -> np.ndarray:
    return head_matrix(t.weights, t.dtype)  # (C, V)


def _logits(t: Trace, _: int, a: int, b: int) -> None:
    np.matmul(t.at("ln_f.out", a, b), _head(t), out=t.at("logits", a, b))  # (n, V)


def _probs(t: Trace, _: int, a: int, b: int) -> None:
    softmax_rows(t.at("logits", a, b), *(t.at(n, a, b) for n in ("probs", "probs.max", "probs.expsum")))


Stage = tuple[tuple[str, ...], Callable[["Trace", int, int, int], None], int]

_LAYER_STAGES = (
    (("ln1.out", "ln1.mean", "ln1.std"), _ln1),
    (_QKV, _qkv),
    (("attn.scores",), _scores),
    (("attn.probs", "attn.max", "attn.expsum"), _softmax),
    (("attn.heads",), _heads),
    (("attn.proj",), _attn_proj),
    (("resid1",), _resid1),
    (("ln2.out", "ln2.mean", "ln2.std"), _ln2),
    (("mlp.fc",), _fc),
    (("mlp.gelu",), _gelu),
    (("mlp.proj",), _mlp_proj),
    (("resid2",), _resid2),
)

_PLANS: dict[int, tuple[list[Stage], dict[str, int]]] = {}


def plan(n_layer: int) -> tuple[list[Stage], dict[str, int]]:
    """The stages of an n_layer model in forward order (names, function, layer or -1), and name -> stage
    index with names in documented order."""
    cached = _PLANS.get(n_layer)
    if cached is None:
        stages: list[Stage] = [(("tokens", "tok_emb", "pos_emb", "embed"), _embed, -1)]
        for i in range(n_layer):
            stages += [(tuple(f"layers.{i}.{n}" for n in names), fn, i) for names, fn in _LAYER_STAGES]
        stages += [
            (("ln_f.out", "ln_f.mean", "ln_f.std"), _ln_f, -1),
            (("logits",), _logits, -1),
            (("probs", "probs.max", "probs.expsum"), _probs, -1),
        ]
        stage_of = {name: k for k, (names, _, _) in enumerate(stages) for name in names}
        cached = _PLANS[n_layer] = (stages, {name: stage_of[name] for name in trace_names(n_layer)})
    return cached


def run(t: Trace, stage: int, a: int, b: int) -> None:
    """Rows a..b of stage number `stage`."""
    _, fn, layer = t.stage_list[stage]
    fn(t, layer, a, b)


def releases(stage: Stage) -> str | None:
    """The droppable section whose last reader is this stage (attention: the heads; logits: probs)."""
    names, _, layer = stage
    if names[0].endswith("attn.heads"):
        return f"layers.{layer}.attn"
    return "head.big" if names[0] == "probs" else None


# ---- dropped values: recomputed from kept ones


def big_values(t: Trace, section: str, a: int, b: int, out: tuple[np.ndarray, np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Rows a..b of a droppable section's two values, recomputed from kept ones (into `out` if given):
    (scores, probs) (H, n, T) of an attention matrix from q, k, max, expsum; (logits, probs) (n, V) from
    ln_f.out, probs.max, probs.expsum."""
    T = t.T
    first, second = out if out is not None else (None, None)
    if section == "head.big":
        logits = np.matmul(t.at("ln_f.out", a, b), _head(t), out=first)  # (n, V)
        return logits, softmax_with(logits, t.at("probs.max", a, b), t.at("probs.expsum", a, b), out=second)
    p = section + "."
    scores = causal_scores(t.at(p + "q", a, b), t.at(p + "k", 0, T), out=first, offset=a)  # (H, n, T)
    return scores, softmax_with(scores, t.at(p + "max", a, b), t.at(p + "expsum", a, b), out=second)


def restore(t: Trace, section: str) -> None:
    """Recompute a dropped section's values for every position, into its (newly allocated) storage."""
    names = ("logits", "probs") if section == "head.big" else (section + ".scores", section + ".probs")
    big_values(t, section, 0, t.T, out=(t.at(names[0], 0, t.T), t.at(names[1], 0, t.T)))


def big_rows(t: Trace, name: str, a: int, b: int) -> np.ndarray:
    """Rows a..b of a dropped value, computed now and kept nowhere."""
    section = "head.big" if name in ("logits", "probs") else name.rsplit(".", 1)[0]
    first, second = big_values(t, section, a, b)
    return first if name.endswith(("logits", "scores")) else second


def mask_new_columns(t: Trace, section: str, a: int, b: int) -> None:
    """Earlier rows of a kept attention matrix see the new keys as future positions: -inf and 0."""
    t.buffer(section + ".scores")[:a, :, a:b] = -np.inf  # stored (T, H, T)
    t.buffer(section + ".probs")[:a, :, a:b] = 0.0
