"""The forward benchmark's FLOP count and timing order (its speeds are reported by `glviz bench`, never
asserted)."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.bench.forward import bracketed_seconds, forward_flops
from glviz.model.config import GPTConfig
from glviz.model.forward import Trace
from glviz.model.weights import random_weights


@pytest.mark.parametrize(
    ("n_layer", "n_head", "n_embd", "vocab_size", "T"),
    [(2, 3, 24, 50, 7), (1, 1, 16, 11, 1), (3, 4, 32, 97, 12)],
)
def test_forward_flops_counts_every_product_the_trace_runs(
    monkeypatch: pytest.MonkeyPatch, n_layer: int, n_head: int, n_embd: int, vocab_size: int, T: int
) -> None:
    config = GPTConfig(n_layer=n_layer, n_head=n_head, n_embd=n_embd, vocab_size=vocab_size, block_size=16)
    weights = random_weights(config)
    counted = []
    matmul = np.matmul

    def counting_matmul(a: np.ndarray, b: np.ndarray, *args: object, **kwargs: object) -> np.ndarray:
        out = matmul(a, b, *args, **kwargs)
        counted.append(2 * out.size * a.shape[-1])  # one multiply and one add per term of each output
        return out

    monkeypatch.setattr(np, "matmul", counting_matmul)
    Trace(weights, np.arange(T) % vocab_size).full()
    assert sum(counted) == forward_flops(config, T)


def test_the_floor_rate_is_timed_around_the_traces() -> None:
    order: list[str] = []
    traces, products = bracketed_seconds(
        lambda: order.append("trace"), lambda: order.append("product"), runs=5
    )
    assert len(traces) == 5 and len(products) == 6
    # one warm-up of each, then products before the traces and after them
    assert order == ["product"] * 4 + ["trace"] * 6 + ["product"] * 3
