"""ui/trace_worker.py without the app: the last position's logits, read from the trace where it keeps them."""

from __future__ import annotations

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
