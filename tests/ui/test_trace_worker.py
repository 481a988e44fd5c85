"""ui/trace_worker.py without the app: the last position's logits, read from the trace where it keeps them."""

from __future__ import annotations

import threading

import numpy as np

from glviz.model.config import GPTConfig
from glviz.model.trace import Trace
from glviz.model.weights import random_weights
from glviz.ui.trace_worker import Sampling, TraceWorker, _last_logits


def test_last_logits_are_the_traces_own_row_or_computed_alike():
    config = GPTConfig(n_layer=1, n_head=2, n_embd=32, vocab_size=300, block_size=32)
    weights = random_weights(config, seed=3, std=0.3)
    tokens = np.arange(7) % 300
    kept, lean = Trace(weights, tokens, capacity=32), Trace(weights, tokens, capacity=32)
    kept["logits"]
    lean["ln_f.out"]  # the logits of every position not computed (a big trace)
    assert lean.peek("logits") is None
    row = _last_logits(kept)
    assert row.T == 7 and np.array_equal(row.logits, np.asarray(kept["logits"])[6])
    np.testing.assert_allclose(_last_logits(lean).logits, row.logits, rtol=1e-5, atol=1e-5)

    worker = TraceWorker(weights)  # a generated token: its logits are the row the append computed
    worker.adopt(kept)
    worker.generate(1, Sampling())
    worker.wait(60)
    worker.close()
    assert worker.error == "" and worker.trace.T == 8
    np.testing.assert_array_equal(worker.last.logits, np.asarray(kept["logits"])[7])


def test_a_generated_tokens_layout_is_prepared_beside_its_step_and_taken():
    from types import SimpleNamespace

    from glviz.ui.tracing import layout_for

    config = GPTConfig(n_layer=1, n_head=2, n_embd=32, vocab_size=300, block_size=32)
    weights = random_weights(config, seed=3, std=0.3)
    calls = []

    def spy(T):
        calls.append((T, threading.current_thread().name, threading.get_ident()))
        return f"made for {T}"

    worker = TraceWorker(weights, prepare=spy)
    worker.adopt(Trace(weights, np.arange(7) % 300, capacity=32))
    worker.generate(2, Sampling())
    worker.wait(60)
    assert worker.error == "" and worker.trace.T == 9
    # (The worker idle does not mean the prepare thread has run its last job: it runs them in order, so the
    # last one's result waited for means every call was made.)
    assert worker.prepared(9, wait=10) == "made for 9" and worker.prepared(10) is None
    assert [T for T, _, _ in calls] == [8, 9]
    assert all(name.startswith("glviz-prepare") for _, name, _ in calls)
    assert len({ident for _, _, ident in calls}) == 1  # one thread, kept: a new one's start would wait
    worker.close()

    worker = TraceWorker(weights)  # the app's: the layout for T + 1
    worker.adopt(Trace(weights, np.arange(7) % 300, capacity=32))
    worker.generate(1, Sampling())
    worker.wait(60)
    layout = worker.prepared(8, wait=10)
    worker.close()
    assert layout.n_tokens == 8 and layout.config == config
    view = SimpleNamespace(layouts={}, worker=worker, config=config)
    assert layout_for(view, 8) is layout and layout_for(view, 7).n_tokens == 7


def test_the_next_tokens_layout_is_prepared_while_idle_and_its_step_then_has_two_threads(monkeypatch):
    from glviz.ui import trace_worker

    config = GPTConfig(n_layer=1, n_head=2, n_embd=32, vocab_size=300, block_size=32)
    weights = random_weights(config, seed=3, std=0.3)
    calls, threads = [], []
    worker = TraceWorker(weights, prepare=lambda T: calls.append(T) or f"made for {T}")
    real = trace_worker.blas_threads

    def spy(n):
        threads.append(n)
        return real(n)

    monkeypatch.setattr(trace_worker, "blas_threads", spy)
    worker.adopt(Trace(weights, np.arange(7) % 300, capacity=32))
    worker.wait(60)
    assert worker.prepare_due()  # (the app finishes the frame on the GPU first: ui/tracing.after_frame)
    worker.prepare_next()  # what the app asks once a frame has shown T = 7
    assert worker.prepared(8, wait=10) == "made for 8" and calls == [8]
    worker.wait(60)  # the model's copies, asked for with it
    assert not worker.prepare_due()
    worker.prepare_next()  # asked again for the same T: made once
    worker.generate(2, Sampling())
    worker.wait(60)
    # (The prepares run on their own thread, in order: waiting for the last one's result waits for all.)
    assert worker.error == "" and worker.trace.T == 9 and worker.prepared(9, wait=10) == "made for 9"
    assert calls == [8, 9]
    # The first token's layout was made: it runs alone; the second runs beside the prepare of its layout.
    assert threads == [trace_worker.ALONE_BLAS_THREADS, trace_worker.STEP_BLAS_THREADS]
    worker.generate(1, Sampling())  # pressed before the layout of T = 10 was asked for: one thread
    worker.wait(60)
    assert worker.prepared(10, wait=10) == "made for 10"
    worker.close()
    assert threads[-1] == trace_worker.STEP_BLAS_THREADS and calls == [8, 9, 10]


def test_the_head_copy_is_made_once_a_trace_is_shown_and_logits_agree_with_it():
    # And the output projections are made column-major then (Weights.column_major_projections).
    from glviz.model.stages import head_matrix

    config = GPTConfig(n_layer=1, n_head=2, n_embd=32, vocab_size=300, block_size=32)
    weights = random_weights(config, seed=4, std=0.3)
    tokens = np.arange(9) % 300
    before = Trace(weights, tokens[:8], capacity=32)
    before["logits"]
    view = head_matrix(weights, np.dtype(np.float32))  # not made yet: the transposed head itself
    assert weights.head_columns(make=False) is None and np.shares_memory(view, weights["lm_head"])
    worker = TraceWorker(weights)
    worker.adopt(before)
    worker.wait(60)
    assert weights.head_columns(make=False) is None  # not while the window shows the trace
    names = ("layers.0.attn.wproj", "layers.0.mlp.wproj")
    assert all(weights[name].flags.c_contiguous for name in names)  # nor the projections' column-major copies
    before_copy = {name: weights[name].copy() for name in names}
    worker.prepare_next()  # what the app asks once a frame has shown it
    worker.wait(60)
    columns = weights.head_columns(make=False)
    assert columns is not None and columns.flags.c_contiguous
    assert head_matrix(weights, columns.dtype) is columns
    for name in names:
        assert weights[name].flags.f_contiguous, name
        np.testing.assert_array_equal(weights[name], before_copy[name])
    worker.generate(1, Sampling())
    worker.wait(60)
    worker.close()
    fresh = Trace(weights, worker.trace.tokens, capacity=32)  # every position traced afresh
    np.testing.assert_allclose(np.asarray(worker.trace["logits"]), np.asarray(fresh["logits"]),
                               rtol=1e-5, atol=1e-5)
