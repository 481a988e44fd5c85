"""The Trace and the batched fast path against an independent float64 reference written with plain loops."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest

from glviz.errors import GlvizError
from glviz.model.config import GPTConfig
from glviz.model.forward import Trace, erf, gelu, logits, trace_names
from glviz.model.ops import layer_norm_vector
from glviz.model.weights import Weights, random_weights


def _perturbed_weights(config: GPTConfig, seed: int) -> Weights:
    """Random weights with non-trivial biases and layer-norm gains, so that every parameter matters."""
    weights = random_weights(config, seed=seed, std=0.3)
    rng = np.random.default_rng(seed + 1000)
    for name, array in weights.tensors.items():
        if name.endswith(("gamma",)):
            array[...] = 1.0 + 0.3 * rng.standard_normal(array.shape)
        elif name.endswith(("beta", "bq", "bk", "bv", "bproj", "bfc")):
            array[...] = 0.2 * rng.standard_normal(array.shape)
    return weights


# ---- reference: one number at a time, float64 ----


def _ref_layer_norm(x: list[list[float]], gamma: np.ndarray, beta: np.ndarray, eps: float):
    out, means, stds = [], [], []
    for row in x:
        mean = sum(row) / len(row)
        var = sum((v - mean) ** 2 for v in row) / len(row)
        std = math.sqrt(var + eps)
        means.append(mean)
        stds.append(std)
        out.append([(v - mean) / std * float(gamma[c]) + float(beta[c]) for c, v in enumerate(row)])
    return out, means, stds


def _ref_linear(x: list[list[float]], w: np.ndarray, b: np.ndarray) -> list[list[float]]:
    w64 = w.astype(np.float64)
    return [
        [sum(row[i] * w64[i, j] for i in range(len(row))) + float(b[j]) for j in range(w.shape[1])]
        for row in x
    ]


def _ref_gelu(v: float, activation: str) -> float:
    if activation == "gelu":
        return 0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0)))
    return 0.5 * v * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (v + 0.044715 * v**3)))


def reference_forward(weights: Weights, tokens: list[int]) -> dict[str, np.ndarray]:
    """Every trace value, computed with Python floats and loops over tokens, heads and channels."""
    c = weights.config
    W = {name: np.asarray(weights[name], dtype=np.float64) for name in weights.names()}
    T, C, H, A = len(tokens), c.n_embd, c.n_head, c.head_size
    out: dict[str, object] = {"tokens": list(tokens)}
    tok = [[W["wte"][t, j] for j in range(C)] for t in tokens]
    pos = [[W["wpe"][t, j] for j in range(C)] for t in range(T)]
    x = [[tok[t][j] + pos[t][j] for j in range(C)] for t in range(T)]
    out.update(tok_emb=tok, pos_emb=pos, embed=x)
    for i in range(c.n_layer):
        p = f"layers.{i}."
        h, mean, std = _ref_layer_norm(x, W[p + "ln1.gamma"], W[p + "ln1.beta"], c.layer_norm_eps)
        out.update({p + "ln1.out": h, p + "ln1.mean": mean, p + "ln1.std": std})
        qkv = {n: _ref_linear(h, W[p + "attn.w" + n], W[p + "attn.b" + n]) for n in "qkv"}
        per_head = {
            n: [[[qkv[n][t][hd * A + a] for a in range(A)] for t in range(T)] for hd in range(H)]
            for n in "qkv"
        }
        scores = [[[0.0] * T for _ in range(T)] for _ in range(H)]
        probs = [[[0.0] * T for _ in range(T)] for _ in range(H)]
        maxes = [[0.0] * T for _ in range(H)]
        sums = [[0.0] * T for _ in range(H)]
        heads = [[[0.0] * A for _ in range(T)] for _ in range(H)]
        for hd in range(H):
            for t in range(T):
                for s in range(T):
                    if s > t:
                        scores[hd][t][s] = -math.inf
                    else:
                        dot = sum(per_head["q"][hd][t][a] * per_head["k"][hd][s][a] for a in range(A))
                        scores[hd][t][s] = dot / math.sqrt(A)
                m = max(scores[hd][t][: t + 1])
                e = [math.exp(scores[hd][t][s] - m) if s <= t else 0.0 for s in range(T)]
                maxes[hd][t], sums[hd][t] = m, sum(e)
                probs[hd][t] = [v / sums[hd][t] for v in e]
                for a in range(A):
                    heads[hd][t][a] = sum(probs[hd][t][s] * per_head["v"][hd][s][a] for s in range(T))
        out.update(
            {
                p + "attn.q": per_head["q"],
                p + "attn.k": per_head["k"],
                p + "attn.v": per_head["v"],
                p + "attn.scores": scores,
                p + "attn.max": maxes,
                p + "attn.expsum": sums,
                p + "attn.probs": probs,
                p + "attn.heads": heads,
            }
        )
        merged = [[heads[a // A][t][a % A] for a in range(C)] for t in range(T)]
        proj = _ref_linear(merged, W[p + "attn.wproj"], W[p + "attn.bproj"])
        x = [[x[t][j] + proj[t][j] for j in range(C)] for t in range(T)]
        out.update({p + "attn.proj": proj, p + "resid1": x})
        h, mean, std = _ref_layer_norm(x, W[p + "ln2.gamma"], W[p + "ln2.beta"], c.layer_norm_eps)
        out.update({p + "ln2.out": h, p + "ln2.mean": mean, p + "ln2.std": std})
        fc = _ref_linear(h, W[p + "mlp.wfc"], W[p + "mlp.bfc"])
        act = [[_ref_gelu(v, c.activation) for v in row] for row in fc]
        mproj = _ref_linear(act, W[p + "mlp.wproj"], W[p + "mlp.bproj"])
        x = [[x[t][j] + mproj[t][j] for j in range(C)] for t in range(T)]
        out.update({p + "mlp.fc": fc, p + "mlp.gelu": act, p + "mlp.proj": mproj, p + "resid2": x})
    h, mean, std = _ref_layer_norm(x, W["ln_f.gamma"], W["ln_f.beta"], c.layer_norm_eps)
    out.update({"ln_f.out": h, "ln_f.mean": mean, "ln_f.std": std})
    head = W["lm_head"]
    lg = [[sum(h[t][j] * head[v, j] for j in range(C)) for v in range(c.vocab_size)] for t in range(T)]
    pm = [max(row) for row in lg]
    ex = [[math.exp(v - pm[t]) for v in row] for t, row in enumerate(lg)]
    ps = [sum(row) for row in ex]
    out.update(
        {
            "logits": lg,
            "probs.max": pm,
            "probs.expsum": ps,
            "probs": [[v / ps[t] for v in row] for t, row in enumerate(ex)],
        }
    )
    return {k: np.array(v, dtype=np.float64) for k, v in out.items()}


CONFIGS = [
    # odd sizes: C not a power of two, one head, T = 1, exact and tanh GELU, tied and untied heads
    (GPTConfig(n_layer=2, n_head=3, n_embd=15, vocab_size=11, block_size=9, activation="gelu_new"), 7),
    (
        GPTConfig(
            n_layer=1, n_head=1, n_embd=6, vocab_size=5, block_size=4, activation="gelu", tied_head=False
        ),
        4,
    ),
    (GPTConfig(n_layer=2, n_head=2, n_embd=10, vocab_size=7, block_size=8, layer_norm_eps=1e-3), 1),
    (
        GPTConfig(
            n_layer=3, n_head=3, n_embd=48, vocab_size=3, block_size=11, activation="gelu", tied_head=False
        ),
        11,
    ),
]


@pytest.mark.parametrize(("config", "T"), CONFIGS, ids=lambda v: str(v) if isinstance(v, int) else None)
def test_trace_matches_loop_reference(config: GPTConfig, T: int) -> None:
    weights = _perturbed_weights(config, seed=T)
    tokens = np.random.default_rng(T).integers(0, config.vocab_size, T)
    ref = reference_forward(weights, tokens.tolist())
    assert set(ref) == set(trace_names(config.n_layer))
    t64 = Trace(weights, tokens, dtype=np.float64).full()
    t32 = Trace(weights, tokens).full()
    assert list(t64) == trace_names(config.n_layer)
    for name, expected in ref.items():
        assert t64[name].shape == expected.shape, name
        assert t64[name].dtype == (np.int64 if name == "tokens" else np.float64), name
        np.testing.assert_allclose(t64[name], expected, rtol=1e-9, atol=1e-11, err_msg=name)
        assert t32[name].dtype == (np.int64 if name == "tokens" else np.float32), name
        finite = np.isfinite(expected)
        np.testing.assert_allclose(t32[name][finite], expected[finite], rtol=2e-3, atol=2e-4, err_msg=name)
    # the fast path agrees with the trace, one sequence and a batch
    np.testing.assert_allclose(logits(weights, tokens), t32["logits"], rtol=1e-4, atol=1e-5)
    batch = np.stack([tokens, tokens[::-1]])
    batched = logits(weights, batch)
    assert batched.shape == (2, T, config.vocab_size)
    np.testing.assert_allclose(
        batched[1], Trace(weights, tokens[::-1]).full()["logits"], rtol=1e-4, atol=1e-5
    )
    last = logits(weights, batch, last_only=True)
    np.testing.assert_allclose(last[:, 0], batched[:, -1], rtol=1e-5, atol=1e-6)


def test_shapes_follow_design_names() -> None:
    config = GPTConfig(n_layer=2, n_head=2, n_embd=8, vocab_size=13, block_size=6)
    values = Trace(random_weights(config), [1, 2, 3, 4, 5]).full()
    T, C, H, A, V = 5, 8, 2, 4, 13
    expected = {
        "tokens": (T,),
        "embed": (T, C),
        "layers.1.ln1.mean": (T,),
        "layers.1.attn.q": (H, T, A),
        "layers.1.attn.scores": (H, T, T),
        "layers.1.attn.max": (H, T),
        "layers.1.attn.heads": (H, T, A),
        "layers.1.mlp.gelu": (T, 4 * C),
        "ln_f.std": (T,),
        "logits": (T, V),
        "probs.expsum": (T,),
        "probs": (T, V),
    }
    for name, shape in expected.items():
        assert values[name].shape == shape, name


def test_masking_is_minus_inf_in_scores_and_exact_zero_in_probs() -> None:
    config = GPTConfig(n_layer=1, n_head=2, n_embd=8, vocab_size=5, block_size=6)
    trace = Trace(_perturbed_weights(config, 3), [0, 1, 2, 3, 4, 0])
    scores, probs = trace["layers.0.attn.scores"], trace["layers.0.attn.probs"]
    future = np.triu(np.ones((6, 6), dtype=bool), k=1)
    assert np.all(scores[:, future] == -np.inf)
    assert np.all(np.isfinite(scores[:, ~future]))
    assert np.all(probs[:, future] == 0.0)
    assert np.all(probs[:, ~future] > 0.0)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-6)
    # the first position can only look at itself
    assert np.all(probs[:, 0, 0] == 1.0)


def test_trace_is_lazy_and_cached() -> None:
    config = GPTConfig(n_layer=3, n_head=2, n_embd=8, vocab_size=7, block_size=5)
    trace = Trace(random_weights(config), [1, 2, 3])
    assert not any(trace.computed(n) for n in trace.names())
    first = trace["layers.0.ln1.out"]
    assert trace.computed("layers.0.ln1.out") and trace.computed("embed")
    assert not trace.computed("layers.0.attn.q")
    assert not any(trace.computed(n) for n in trace.names() if n.startswith(("layers.1.", "layers.2.")))
    assert not any(trace.computed(n) for n in ("ln_f.out", "logits", "probs"))
    assert trace["layers.0.ln1.out"] is first  # cached, not recomputed
    trace["layers.1.resid2"]
    assert not trace.computed("layers.2.ln1.mean") and not trace.computed("logits")
    trace.full()
    assert all(trace.computed(n) for n in trace.names())
    assert "layers.2.mlp.gelu" in trace and "layers.3.mlp.gelu" not in trace
    with pytest.raises(KeyError):
        trace["layers.3.mlp.gelu"]


@pytest.mark.parametrize(
    ("tokens", "what"),
    [
        ([], "no tokens"),
        ([0, 7], "outside the vocabulary"),
        ([-1], "outside the vocabulary"),
        ([0] * 6, "more tokens than the model's context of 5"),
        ([0.5], "must be integers"),
    ],
)
def test_trace_rejects_bad_tokens(tokens: list, what: str) -> None:
    weights = random_weights(GPTConfig(n_layer=1, n_head=1, n_embd=4, vocab_size=7, block_size=5))
    with pytest.raises(GlvizError, match=what):
        Trace(weights, tokens)
    with pytest.raises(GlvizError, match=what):
        logits(weights, np.asarray(tokens))


def test_erf_matches_math_erf() -> None:
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, -0.0, 1e-300, 0.84375, 1.25, 1 / 0.35, 6.0, np.inf]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), expected, rtol=2e-16, atol=2e-16)
    assert np.isnan(erf(np.array([np.nan])))[0]
    x32 = x.astype(np.float32)
    got32 = erf(x32)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, [math.erf(v) for v in x32.astype(np.float64)], rtol=0, atol=5e-7)


@pytest.mark.parametrize("activation", ["gelu_new", "gelu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_over_its_whole_range(activation: str, dtype: type) -> None:
    x = np.concatenate([np.linspace(-60, 60, 4001), [-1e30, -3.0e38, 1e30]]).astype(dtype)
    expected = np.array([_ref_gelu(float(v), activation) for v in x])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings escape
        got = gelu(x.copy(), activation)
    assert got.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_of_one_vector_matches_the_reference(dtype: type) -> None:
    # The KV step's form (model/kv.run_one_position): one (C,) vector, its statistics as Python floats.
    rng = np.random.default_rng(3)
    x = (5.0 + 3.0 * rng.standard_normal(96)).astype(dtype)
    gamma = (1.0 + 0.3 * rng.standard_normal(96)).astype(dtype)
    beta = (0.2 * rng.standard_normal(96)).astype(dtype)
    expected = _ref_layer_norm([x.astype(np.float64).tolist()], gamma, beta, 1e-5)[0][0]
    got = layer_norm_vector(x, gamma, beta, 1e-5)
    assert got.dtype == dtype and got.shape == (96,)
    tol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def test_qkv_fusion_follows_replaced_tensors() -> None:
    """The fused q|k|v matrix is a view while the tensors are views, a fresh copy once one is replaced."""
    config = GPTConfig(n_layer=1, n_head=2, n_embd=6, vocab_size=5, block_size=4)
    weights = random_weights(config)
    w, _ = weights.qkv(0)
    assert np.shares_memory(w, weights["layers.0.attn.wk"])
    before = logits(weights, [1, 2, 3])
    weights.tensors["layers.0.attn.wk"] = weights["layers.0.attn.wk"] * 3.0
    w, _ = weights.qkv(0)
    np.testing.assert_array_equal(w[:, 6:12], weights["layers.0.attn.wk"])
    assert not np.allclose(logits(weights, [1, 2, 3]), before)


def test_trace_buffer_is_recycled_only_when_no_value_is_alive() -> None:
    config = GPTConfig(n_layer=2, n_head=2, n_embd=8, vocab_size=11, block_size=6)
    weights = _perturbed_weights(config, 5)
    first = Trace(weights, [1, 2, 3, 4])
    kept = first["layers.1.mlp.gelu"]
    expected = kept.copy()
    del first
    # a value of the first trace is still held: the second trace must not write over it
    second = Trace(weights, [5, 6, 7, 8]).full()
    assert not np.shares_memory(kept, second["layers.1.mlp.gelu"])
    np.testing.assert_array_equal(kept, expected)
    # once nothing of a trace is held, its buffer is reused, and the values are right
    address = second["logits"].__array_interface__["data"][0]  # not a reference: that would keep it in use
    reference = {name: value.copy() for name, value in second.items()}
    del second
    third = Trace(weights, [5, 6, 7, 8]).full()
    assert third["logits"].__array_interface__["data"][0] == address
    for name, value in reference.items():
        np.testing.assert_array_equal(third[name], value, err_msg=name)


def test_rows_split_among_threads_give_the_same_values(monkeypatch: pytest.MonkeyPatch) -> None:
    import glviz.model.ops as ops

    config = GPTConfig(n_layer=1, n_head=2, n_embd=8, vocab_size=300, block_size=9)
    weights = _perturbed_weights(config, 9)
    tokens = [3, 1, 4, 1, 5, 9, 2, 6, 5]
    whole = {name: value.copy() for name, value in Trace(weights, tokens).full().items()}
    monkeypatch.setattr(ops, "_PARALLEL_MIN_ELEMENTS", 0)
    assert len(ops._row_chunks(9, 9 * 300)) == min(os.cpu_count() or 1, 8)
    split = Trace(weights, tokens).full()
    for name in ("layers.0.mlp.gelu", "probs", "probs.max", "probs.expsum", "logits"):
        np.testing.assert_array_equal(split[name], whole[name], err_msg=name)


def test_lazy_trace_takes_memory_only_for_the_layers_it_runs() -> None:
    config = GPTConfig(n_layer=4, n_head=2, n_embd=8, vocab_size=11, block_size=6)
    trace = Trace(random_weights(config), [1, 2, 3])
    trace["layers.1.ln1.out"]
    assert sorted(trace._sections) == ["embed", "layers.0", "layers.0.attn", "layers.1"]  # not 2-3 nor head


@pytest.mark.parametrize("tied", [True, False])
def test_head_columns_follow_a_replaced_head(tied: bool) -> None:
    config = GPTConfig(n_layer=1, n_head=1, n_embd=4, vocab_size=9, block_size=3, tied_head=tied)
    weights = random_weights(config)
    columns = weights.head_columns()
    assert columns.flags.c_contiguous and columns.shape == (4, 9)
    np.testing.assert_array_equal(columns, weights["lm_head"].T)
    assert weights.head_columns() is columns  # made once
    name = "wte" if tied else "lm_head"
    weights.tensors[name] = weights[name] * 2.0
    np.testing.assert_array_equal(weights.head_columns(), weights["lm_head"].T)
    np.testing.assert_allclose(Trace(weights, [1, 2])["logits"], logits(weights, [1, 2]), rtol=1e-6)
