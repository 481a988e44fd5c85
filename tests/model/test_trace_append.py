"""A trace that grows by tokens: every value equals a fresh trace of the longer sequence; published values
never change; dropped values come back equal; readers on another thread never wait for a computation."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from glviz.errors import GlvizError
from glviz.model import stages
from glviz.model.config import GPTConfig
from glviz.model.forward import KVCache, Trace, logits, trace_names
from glviz.model.sort_task import load_nano, nano_sequence, parse_letters
from glviz.model.weights import Weights

from .helpers import TINY, varied_weights

SMALL_GPT2 = GPTConfig(n_layer=2, n_head=4, n_embd=32, vocab_size=1000, block_size=64, name="small-gpt2")


def _models() -> list[tuple[str, Weights, np.ndarray]]:
    nano = load_nano()
    gpt2 = varied_weights(SMALL_GPT2, seed=3)
    return [
        ("nano", nano, nano_sequence(nano, parse_letters("CBABBC"))),
        ("small-gpt2", gpt2, np.random.default_rng(5).integers(0, SMALL_GPT2.vocab_size, 40)),
    ]


MODELS = _models()


def assert_same_trace(got: Trace, expected: dict[str, np.ndarray]) -> None:
    """Every name, same shape, within float32 tolerance (masked entries exactly -inf / 0)."""
    for name in trace_names(got.config.n_layer):
        value, want = got[name], expected[name]
        assert value.shape == want.shape, name
        finite = np.isfinite(want)
        np.testing.assert_array_equal(value[~finite], want[~finite], err_msg=name)
        np.testing.assert_allclose(value[finite], want[finite], rtol=2e-5, atol=2e-5, err_msg=name)


@pytest.mark.parametrize(("model", "weights", "tokens"), MODELS, ids=[m[0] for m in MODELS])
@pytest.mark.parametrize("steps", [[1] * 5, [3, 1, 1]], ids=["one-by-one", "three-then-ones"])
def test_appended_trace_equals_a_fresh_trace(model: str, weights: Weights, tokens: np.ndarray,
                                             steps: list[int]) -> None:
    start = len(tokens) - sum(steps)
    trace = Trace(weights, tokens[:start])
    trace.full()
    held = {n: trace[n] for n in ("layers.0.attn.probs", "layers.1.mlp.gelu", "logits", "tokens")}
    copies = {n: v.copy() for n, v in held.items()}
    T = start
    for n in steps:
        version = trace.version
        assert trace.append(tokens[T : T + n]) == trace.version > version
        changed = trace.changed_since(version)
        assert set(changed) == set(trace_names(weights.config.n_layer))
        assert set(changed.values()) == {(T, T + n)}
        T += n
        assert trace.T == T and trace.tokens.tolist() == tokens[:T].tolist()
    assert_same_trace(trace, Trace(weights, tokens).full())
    for name, value in held.items():  # what a reader held before the appends is as it was
        np.testing.assert_array_equal(value, copies[name], err_msg=name)
        assert not value.flags.writeable


def test_append_extends_only_the_stages_computed_so_far() -> None:
    weights, tokens = MODELS[1][1], MODELS[1][2]
    trace = Trace(weights, tokens[:30])
    trace["layers.0.resid1"]
    trace.append(tokens[30:])
    assert trace.computed("layers.0.resid1") and not trace.computed("layers.0.ln2.mean")
    assert set(trace.changed_since(0)) == {n for n in trace.names() if trace.computed(n)}
    # the rest is computed for all 40 positions when asked for
    assert_same_trace(trace, Trace(weights, tokens).full())
    assert trace.changed_since(0)["probs"] == (0, 40)


def test_storage_grows_by_doubling_and_not_while_capacity_lasts() -> None:
    weights, tokens = MODELS[1][1], MODELS[1][2]
    trace = Trace(weights, tokens[:10], capacity=16)
    before = trace["layers.1.resid2"]
    trace.append(tokens[10:16])  # fits: the new rows go after the old ones in the same buffer
    assert np.shares_memory(before, trace["layers.1.resid2"])
    trace.append(tokens[16:17])  # 17 > 16: moved to buffers for 32 rows
    assert trace._capacity == 32 and not np.shares_memory(before, trace["layers.1.resid2"])
    trace.append(tokens[17:40])  # 40 > 32: doubled again
    assert trace._capacity == 64
    assert_same_trace(trace, Trace(weights, tokens).full())


def test_append_refuses_bad_tokens_and_a_full_context() -> None:
    weights = MODELS[0][1]  # nano: context of 11
    trace = Trace(weights, [0, 1, 2, 0, 1, 2, 0, 0, 1, 1])
    trace.full()
    with pytest.raises(GlvizError, match="outside the vocabulary 0..2 \\(3\\)"):
        trace.append([3])
    with pytest.raises(GlvizError, match="context of 11 \\(10 \\+ 2 tokens\\)"):
        trace.append([0, 0])
    assert trace.T == 10 and trace.version == trace.version  # nothing changed
    trace.append([2])
    assert trace.T == 11


@pytest.mark.parametrize("keep_bytes", [0, 40_000])
def test_dropped_values_are_recomputed_equal(keep_bytes: int) -> None:
    weights, tokens = MODELS[1][1], MODELS[1][2]
    expected = Trace(weights, tokens).full()
    trace = Trace(weights, tokens[:32], keep_bytes=keep_bytes)
    trace["probs.expsum"]
    big = [n for n in trace.names() if n.endswith(("attn.scores", "attn.probs")) or n in ("logits", "probs")]
    dropped = [n for n in big if not trace.computed(n)]
    assert dropped, "a budget this small must drop something"
    assert all(trace.computed(n) for n in trace.names() if n not in big)  # only big values go
    trace.append(tokens[32:])  # dropped values are not kept while appending...
    assert all(trace.peek(n) is None for n in dropped)
    for name in big:  # ...and come back equal, whole or by rows
        np.testing.assert_allclose(trace.rows(name, 35, 38), expected[name][..., 35:38, :] if "attn" in name
                                   else expected[name][35:38], rtol=2e-5, atol=2e-5, err_msg=name)
    assert_same_trace(trace, expected)


def test_a_value_too_big_for_the_budget_goes_first() -> None:
    """Logits and probs (2 x 39 x 1000 floats, 312 kB) cannot fit 200 kB whatever else goes: they go, and
    the two layers' attention (2 x 49 kB) stays, though least recently used."""
    weights, tokens = MODELS[1][1], MODELS[1][2]
    trace = Trace(weights, tokens[:39], keep_bytes=200_000)
    trace["probs.expsum"]
    assert not trace.computed("logits") and not trace.computed("probs")
    assert all(trace.computed(f"layers.{i}.attn.{n}") for i in (0, 1) for n in ("scores", "probs"))


def test_drop_lets_big_values_go_and_trace_brings_them_back() -> None:
    weights, tokens = MODELS[1][1], MODELS[1][2]
    trace = Trace(weights, tokens)
    values = {n: v.copy() for n, v in trace.full().items()}
    version = trace.version
    trace.drop("logits", "layers.1.attn.scores")
    assert not trace.computed("probs") and not trace.computed("layers.1.attn.probs")
    assert trace.computed("layers.0.attn.probs") and trace.computed("probs.max")
    np.testing.assert_array_equal(trace["probs"], values["probs"])  # the same operations on the same inputs
    np.testing.assert_array_equal(trace["layers.1.attn.scores"], values["layers.1.attn.scores"])
    assert trace.version == version and trace.changed_since(version) == {}  # values did not change


def test_a_reader_thread_never_waits_for_a_computation(monkeypatch) -> None:
    """While the worker is inside a stage of layer 1, another thread takes a snapshot, peeks and asks what
    changed: none of these waits for the computation, and layer 0 (published when its attention was done)
    is already there. The stage is held open on an event, so the order does not depend on timing."""
    config = GPTConfig(n_layer=3, n_head=4, n_embd=64, vocab_size=500, block_size=64)
    trace = Trace(varied_weights(config, seed=11), np.random.default_rng(2).integers(0, 500, 40))
    held = trace.stage_list.index(next(s for s in trace.stage_list if "layers.1.mlp.fc" in s[0]))
    inside, release = threading.Event(), threading.Event()
    run = stages.run

    def run_and_hold(t: Trace, stage: int, a: int, b: int) -> None:
        run(t, stage, a, b)
        if stage == held:  # the stage's arrays are written, its version not yet published: hold it open
            inside.set()
            assert release.wait(30), "the reader never let the worker go on"

    monkeypatch.setattr(stages, "run", run_and_hold)
    worker = threading.Thread(target=trace.full)
    worker.start()
    try:
        assert inside.wait(30), "the worker never reached the held stage"
        read: dict = {}

        def reader_reads() -> None:
            read.update(snapshot=trace.snapshot(), peek=trace.peek("layers.0.resid2"))
            read.update(changed=trace.changed_since(0))

        reader = threading.Thread(target=reader_reads)
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "a reader waited for the computation"
    finally:
        release.set()
        worker.join(30)
    snapshot = read["snapshot"]
    assert 0 < snapshot.version < trace.version
    assert snapshot.computed("layers.0.resid2") and not snapshot.computed("layers.1.mlp.fc")
    assert read["peek"] is not None and "layers.0.resid2" in read["changed"]
    np.testing.assert_array_equal(snapshot["layers.0.resid2"], trace["layers.0.resid2"])


def test_snapshots_taken_while_a_worker_computes_and_appends_stay_consistent() -> None:
    """A worker computes and appends while a reader takes snapshots as fast as it can: versions only grow,
    each snapshot is consistent, and its values never change afterwards."""
    config = GPTConfig(n_layer=6, n_head=4, n_embd=128, vocab_size=3000, block_size=256)
    weights = varied_weights(config, seed=11)
    tokens = np.random.default_rng(2).integers(0, config.vocab_size, 200)
    trace = Trace(weights, tokens[:150])
    first = trace.snapshot()  # before the worker starts
    seen: list = [(first.version, first, {n: first[n].copy() for n in first})]
    done = threading.Event()

    def worker() -> None:
        trace.full()
        for t in range(150, 200, 10):
            trace.append(tokens[t : t + 10])
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    while not done.is_set():
        snapshot = trace.snapshot()
        if not seen or snapshot.version != seen[-1][0]:
            seen.append((snapshot.version, snapshot, {n: snapshot[n].copy() for n in snapshot}))
    thread.join()
    last = trace.snapshot()
    if last.version != seen[-1][0]:
        seen.append((last.version, last, {n: last[n].copy() for n in last}))
    versions = [v for v, _, _ in seen]
    assert versions == sorted(versions) and versions[-1] > 0, versions
    final = trace.full()
    for version, snapshot, copies in seen:
        assert snapshot.tokens.tolist() == tokens[: snapshot.T].tolist()
        for name, value in snapshot.items():
            axis = trace.token_axis(name)
            assert value.shape[axis] == snapshot.T, (name, version)
            np.testing.assert_array_equal(value, copies[name], err_msg=name)  # never written afterwards
            rows = final[name][(slice(None),) * axis + (slice(0, snapshot.T),)]
            if name.endswith(("attn.scores", "attn.probs")):
                rows = rows[..., : snapshot.T]
            np.testing.assert_array_equal(value, rows, err_msg=name)


@pytest.mark.parametrize(("model", "weights", "tokens"), MODELS, ids=[m[0] for m in MODELS])
def test_kv_cache_steps_equal_the_batched_logits(model: str, weights: Weights, tokens: np.ndarray) -> None:
    expected = logits(weights, tokens)  # (T, V) every position at once
    cache = KVCache(weights)
    got = [cache.step(tokens[:4])]  # a prompt, then one position at a time
    got += [cache.step(tokens[t : t + 1]) for t in range(4, len(tokens))]
    np.testing.assert_allclose(np.concatenate(got), expected, rtol=1e-4, atol=1e-5)
    cache.truncate(5)  # back to 5 positions: the next step sees the same keys as before
    np.testing.assert_allclose(cache.step(tokens[5:7], last_only=True)[0], expected[6], rtol=1e-4, atol=1e-5)
    with pytest.raises(GlvizError, match="context"):
        cache.step(np.zeros(weights.config.block_size, dtype=np.int64))


def test_a_kv_cache_keeps_the_output_projections_column_major_with_their_values() -> None:
    # A single token's x @ W streams the (C, C) and (4C, C) projections faster column-major (Weights
    # .column_major_projections); their values, and the trace's and the cache's numbers, stay the same.
    weights = varied_weights(TINY)
    names = [f"layers.{i}.{part}.wproj" for i in range(TINY.n_layer) for part in ("attn", "mlp")]
    before = {name: weights[name].copy() for name in names}
    assert all(weights[name].flags.c_contiguous for name in names)
    tokens = np.arange(9) % TINY.vocab_size
    trace_before = Trace(weights, tokens)["logits"].copy()
    KVCache(weights)
    kept = {name: weights[name] for name in names}
    for name in names:
        assert kept[name].flags.f_contiguous and not kept[name].flags.c_contiguous, name
        np.testing.assert_array_equal(kept[name], before[name], err_msg=name)
    KVCache(weights)  # made once: a second cache copies nothing
    assert all(weights[name] is kept[name] for name in names)
    np.testing.assert_allclose(Trace(weights, tokens)["logits"], trace_before, rtol=1e-5, atol=1e-6)
