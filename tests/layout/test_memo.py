"""layout/memo.py: facts kept per layout, and per structure (shared by one model's layouts at every T)."""

from __future__ import annotations

from glviz.layout.blocks import Block, Kind, Layout
from glviz.layout.build import build_layout
from glviz.layout.memo import per_structure
from glviz.model.config import PRESETS, GPTConfig


def test_per_structure_is_shared_across_token_counts_and_not_across_models():
    calls = []

    @per_structure
    def names(layout):
        calls.append(layout.n_tokens)
        return tuple(b.name for b in layout.blocks)

    nano = PRESETS["nano"]
    assert names(build_layout(nano, n_tokens=5)) == names(build_layout(nano, n_tokens=6)) and calls == [5]
    deeper = GPTConfig(n_layer=nano.n_layer + 1, n_head=nano.n_head, n_embd=nano.n_embd,
                       vocab_size=nano.vocab_size, block_size=nano.block_size)
    assert len(names(build_layout(deeper, n_tokens=5))) > len(names(build_layout(nano, n_tokens=7)))
    assert calls == [5, 5]

    def hand_built(label: str, rows: int) -> Layout:
        block = Block("w0", label, Kind.WEIGHT, rows, 4, ("C", "C"), (0.0, 0.0, 0.0), (4.0, rows, 1.0), "w0")
        return Layout(nano, [block]).finish()

    names(hand_built("W", 4))
    names(hand_built("W", 4))  # another layout, the same blocks
    names(hand_built("X", 4))
    names(hand_built("W", 8))
    assert len(calls) == 5

