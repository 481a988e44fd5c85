"""ui/wakeup.py: background work wakes the window's loop when it has something to show, after it is there to
read (else the loop, woken too early, would sleep again until its next look, 50 ms later)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from checkpoint_helpers import checkpoint  # tests/ui/

from glviz.model.config import GPTConfig
from glviz.model.trace import Trace
from glviz.model.weights import random_weights
from glviz.ui import wakeup


@pytest.fixture
def woken():
    """The waker set to one that notes what a caller could read at each wake; unset afterwards."""
    seen: list = []
    lock = threading.Lock()

    def note(read):
        def waker() -> None:
            with lock:
                seen.append(read())
        wakeup.set_waker(waker)

    yield seen, note
    wakeup.set_waker(None)


def test_each_generated_token_wakes_the_window_once_it_is_published(woken):
    from glviz.ui.trace_worker import Sampling, TraceWorker

    seen, note = woken
    config = GPTConfig(n_layer=1, n_head=2, n_embd=32, vocab_size=300, block_size=32)
    weights = random_weights(config, seed=3, std=0.3)
    worker = TraceWorker(weights)
    worker.adopt(Trace(weights, np.arange(5), capacity=32))
    note(lambda: (worker.generated, worker.trace.T, worker.last.T))
    worker.generate(3, Sampling())
    worker.wait(60)
    worker.close()
    assert worker.trace.T == 8
    # A wake for each token, with the token, its trace and its logits there to read; then one as it ends.
    assert seen[:3] == [(1, 6, 6), (2, 7, 7), (3, 8, 8)] and len(seen) == 4


def test_a_loads_end_wakes_the_window_once_it_is_finished(woken, tmp_path):
    from glviz.ui.loading import CheckpointLoad

    seen, note = woken
    folder = checkpoint(tmp_path / "alpha", seed=1)
    for cancelled in (False, True):
        load = CheckpointLoad("x", folder)
        note(lambda load=load: (load.finished, "weights" in load.result))
        if cancelled:
            load.cancel()
        load.start().join()
        assert seen[-1] == (True, not cancelled) and len(seen) == 1 + cancelled  # once, with the result in


def test_waking_with_no_window_or_a_closed_one_is_no_error():
    wakeup.set_waker(None)
    wakeup.wake()

    def closed() -> None:
        raise RuntimeError("GLFW is not initialized")

    wakeup.set_waker(closed)
    try:
        wakeup.wake()
    finally:
        wakeup.set_waker(None)
