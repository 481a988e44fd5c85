"""Growing the value stores by a token (no GL): the groups whose blocks are cut from a few trace values (a
layer's heads) are read a value at a time, and what that writes is exactly what reading them block by
block writes."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.layout.blocks import part_of
from glviz.layout.build import build_layout
from glviz.model.config import GPTConfig
from glviz.model.forward import Trace
from glviz.model.weights import random_weights
from glviz.render.value_growth import _PARTS, grow, grow_slots
from glviz.render.value_sources import group_parts, stacked_part
from glviz.render.values import prepare_trace_store

CONFIG = GPTConfig(n_layer=2, n_head=4, n_embd=32, vocab_size=300, block_size=64)


def traced(T: int, dtype=np.float32) -> Trace:
    weights = random_weights(CONFIG, seed=0, std=0.3)
    tokens = np.random.default_rng(0).integers(0, CONFIG.vocab_size, T)
    trace = Trace(weights, tokens, dtype, capacity=CONFIG.block_size)
    trace.full()
    return trace


def test_a_layers_heads_are_one_part_that_reads_each_heads_values():
    trace = traced(9)
    store = prepare_trace_store(build_layout(CONFIG, n_tokens=9), trace)
    heads = [g for g in store.groups if g.small and any(s.block.head >= 0 for s in g.slots)]
    assert heads
    for group in heads:
        blocks = [slot.block for slot in group.slots]
        parts = group_parts(blocks)
        assert parts is not None and len(parts) * CONFIG.n_head == len(blocks)  # one part per layer's value
        covered = sorted(p for part in parts for p in range(len(blocks))[part.places])
        assert covered == list(range(len(blocks)))  # every place once
        for part in parts:
            stacked = stacked_part(trace[part.source], part)
            for j, place in enumerate(range(len(blocks))[part.places]):
                expected = part_of(blocks[place], trace[part.source])
                assert stacked[j].shape == expected.shape
                assert np.array_equal(stacked[j], expected, equal_nan=True), blocks[place].name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_token_read_a_value_at_a_time_writes_what_block_by_block_does(dtype):
    trace = traced(9, dtype)
    layout = build_layout(CONFIG, n_tokens=12)
    whole, alone = prepare_trace_store(layout, trace), prepare_trace_store(layout, trace)
    for T in (10, 11, 12):
        version = trace.version
        trace.append(np.array([T % CONFIG.vocab_size]))
        changes = trace.changed_since(version)
        before = whole.data.copy()
        whole.dirty = []
        grow(whole, changes)  # whole groups a trace value at a time where that applies
        grow_slots(alone, [(alone.slots[n], start, stop) for name, (start, stop) in changes.items()
                           for n in alone.by_source.get(name, ())])  # block by block
        assert np.array_equal(whole.data, alone.data, equal_nan=True)
        for one, other in zip(whole.slots.values(), alone.slots.values(), strict=True):
            assert (one.n, one.inv_scale) == (other.n, other.inv_scale)
            assert one.axis is None or one.n == T
        written = np.zeros(len(whole.data), bool)
        for a, b in whole.dirty:
            written[a:b] = True
        changed = ~((whole.data == before) | (np.isnan(whole.data) & np.isnan(before)))
        assert changed.any() and written[changed].all()  # every change is uploaded
    read_at_once = [g for g in whole.groups if _PARTS.get(g) is not None]
    assert sum(len(g.slots) for g in read_at_once) > len(whole.slots) // 2
