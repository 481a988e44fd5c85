"""The layout: every tensor has a block, no two blocks overlap, values have the drawn shape, GPT-3 fits."""

from __future__ import annotations

import re
import time
import tracemalloc

import numpy as np
import pytest

from glviz.errors import GlvizError
from glviz.layout.blocks import Kind, Layout, block_cells, block_values
from glviz.layout.build import LAYERS_PER_COLUMN, build_layout
from glviz.model.config import PRESETS
from glviz.model.weights import weight_names

from .helpers import MERGED, ODD, WIDE, overlapping_pairs, perturbed_trace

SMALL_CONFIGS = [PRESETS["nano"], ODD, MERGED, WIDE]


@pytest.fixture(scope="module")
def layouts() -> dict[str, Layout]:
    return {name: build_layout(config) for name, config in PRESETS.items()}


# ------------------------------------------------------------------------------------------------ geometry


def test_overlap_finder_agrees_with_brute_force() -> None:
    rng = np.random.default_rng(3)
    mins = rng.integers(0, 60, (400, 3)).astype(np.float64)
    maxs = mins + rng.integers(1, 12, (400, 3))
    maxs[::7, 0] += 200  # some long boxes span many buckets
    inside = (mins[:, None] < maxs[None] - 1e-3) & (mins[None] < maxs[:, None] - 1e-3)
    brute = np.argwhere(np.triu(np.all(inside, axis=2), k=1))
    found = overlapping_pairs(mins, maxs)
    assert len(brute) > 0
    np.testing.assert_array_equal(found, brute)


@pytest.mark.parametrize("name", list(PRESETS))
def test_no_two_blocks_overlap(layouts: dict[str, Layout], name: str) -> None:
    layout = layouts[name]
    pairs = overlapping_pairs(layout.mins, layout.maxs)
    names = [(layout.blocks[i].name, layout.blocks[j].name) for i, j in pairs[:5]]
    assert len(pairs) == 0, f"{len(pairs)} overlapping pairs, e.g. {names}"


@pytest.mark.parametrize("config", SMALL_CONFIGS, ids=lambda c: c.name)
def test_small_configs_do_not_overlap(config) -> None:
    for n_tokens in sorted({1, config.block_size}):
        layout = build_layout(config, n_tokens=n_tokens)
        assert len(overlapping_pairs(layout.mins, layout.maxs)) == 0


@pytest.mark.parametrize("name", ["nano", "gpt2", "gpt2-xl"])
def test_arrays_match_what_finish_computes(layouts: dict[str, Layout], name: str) -> None:
    layout = layouts[name]
    fast = (layout.mins.copy(), layout.maxs.copy(), layout.shapes.copy(), layout.kinds.copy())
    by_name = dict(layout.by_name)
    rebuilt = Layout(config=layout.config, blocks=layout.blocks).finish()
    for a, b in zip(fast, (rebuilt.mins, rebuilt.maxs, rebuilt.shapes, rebuilt.kinds), strict=True):
        np.testing.assert_array_equal(a, b)
    assert by_name == rebuilt.by_name
    assert [b.index for b in layout.blocks] == list(range(len(layout.blocks)))
    assert len(layout.by_name) == len(layout.blocks)  # names are unique


@pytest.mark.parametrize("name", list(PRESETS))
def test_blocks_are_one_cell_per_number(layouts: dict[str, Layout], name: str) -> None:
    layout = layouts[name]
    sizes = layout.maxs - layout.mins
    np.testing.assert_allclose(sizes[:, 0], layout.shapes[:, 1])
    np.testing.assert_allclose(sizes[:, 1], layout.shapes[:, 0])
    np.testing.assert_allclose(sizes[:, 2], 1.0)
    np.testing.assert_array_equal(layout.mins, np.round(layout.mins))  # cells of all blocks share one grid


def test_weights_sit_left_of_their_output_at_the_same_rows(layouts: dict[str, Layout]) -> None:
    layout = layouts["nano"]
    C, A = layout.config.n_embd, layout.config.head_size
    pairs = {"attn.h1.wq": ("attn.h1.q", C), "attn.h2.bv": ("attn.h2.v", 1), "attn.wproj": ("attn.proj", C),
             "mlp.wfc": ("mlp.fc", C), "mlp.wproj": ("mlp.proj", 4 * C), "mlp.bproj": ("mlp.proj", 1),
             "ln2.gamma": ("ln2.out", 1)}
    for weight, (output, in_cols) in pairs.items():
        w, out = layout[f"layers.1.{weight}"], layout[f"layers.1.{output}"]
        assert (w.rows, w.cols) == (out.rows, in_cols), weight
        assert w.position[0] + w.size[0] < out.position[0], weight
        assert (w.position[1], w.size[1]) == (out.position[1], out.size[1]), weight
        assert w.position[2] == out.position[2], weight
    assert layout["layers.0.attn.h0.q"].rows == A
    lm_head, logits = layout["lm_head"], layout["logits"]
    assert (lm_head.rows, lm_head.cols) == (layout.config.vocab_size, C)
    assert lm_head.position[0] + lm_head.size[0] < logits.position[0]


def test_embedding_on_top_and_output_at_the_bottom(layouts: dict[str, Layout]) -> None:
    for layout in layouts.values():
        top = min(layout[n].position[1] for n in ("tokens", "wte", "embed", "wpe", "tok_emb", "pos_emb"))
        stack_top = max(b.position[1] + b.size[1] for b in layout.blocks if b.layer >= 0)
        assert top > stack_top
        assert layout["tokens"].position[1] > layout["embed"].position[1] + layout["embed"].size[1]
        assert layout["wte"].position[0] < layout["embed"].position[0] < layout["wpe"].position[0]
        last_resid = layout[f"layers.{layout.config.n_layer - 1}.resid2"]
        for name in ("ln_f.out", "lm_head", "logits", "probs"):
            assert layout[name].position[1] + layout[name].size[1] < last_resid.position[1]


@pytest.mark.parametrize("name", ["nano", "gpt2-xl", "gpt3"])
def test_layers_stack_down_in_columns_of_twelve(layouts: dict[str, Layout], name: str) -> None:
    layout = layouts[name]
    L = layout.config.n_layer
    resid_x = np.array([layout[f"layers.{i}.resid2"].position[0] for i in range(L)])
    resid_y = np.array([layout[f"layers.{i}.resid2"].position[1] for i in range(L)])
    columns, counts = np.unique(resid_x, return_counts=True)
    assert len(columns) == -(-L // LAYERS_PER_COLUMN)
    assert counts.max() <= LAYERS_PER_COLUMN
    for i in range(1, L):
        if resid_x[i] == resid_x[i - 1]:
            assert resid_y[i] < resid_y[i - 1]  # downwards within a column
        else:
            assert resid_x[i] > resid_x[i - 1]  # the next column is to the right
    # The residual stream runs down the middle: all of a column's residual blocks share the token columns.
    for i in range(min(L, LAYERS_PER_COLUMN)):
        assert layout[f"layers.{i}.resid1"].position[0] == layout["embed"].position[0]


def test_heads_spread_along_depth(layouts: dict[str, Layout]) -> None:
    layout = layouts["nano"]
    zs = [layout[f"layers.0.attn.h{h}.scores"].position[2] for h in range(layout.config.n_head)]
    assert len(set(zs)) == layout.config.n_head
    for h in range(layout.config.n_head):
        heads = [b for b in layout.blocks if b.layer == 0 and b.head == h]
        assert {b.position[2] for b in heads} == {zs[h]}
        assert {b.role for b in heads} == {"attn.wq", "attn.wk", "attn.wv", "attn.bq", "attn.bk", "attn.bv",
                                           "attn.q", "attn.k", "attn.v", "attn.scores", "attn.max",
                                           "attn.expsum", "attn.probs", "attn.heads"}


def test_activations_have_one_column_per_token() -> None:
    layout = build_layout(MERGED, n_tokens=4)
    for b in layout.blocks:
        if b.kind != Kind.WEIGHT and "T" in b.dims:
            if b.dims == ("T", "1"):  # per-query softmax aggregates: one row per query position
                assert b.rows == 4, b.name
            else:
                assert b.dims[1] == "T" and b.cols == 4, b.name
    assert layout.n_tokens == 4


def test_too_many_tokens_is_a_user_error() -> None:
    with pytest.raises(GlvizError, match="number of tokens"):
        build_layout(PRESETS["nano"], n_tokens=12)


def test_sections_name_the_parts(layouts: dict[str, Layout]) -> None:
    layout = layouts["nano"]
    labels = [s.label for s in layout.sections]
    for expected in ["Embedding", "Output", "Self-attention", "Projection", "MLP", "Head 2",
                     *[f"Transformer {i}" for i in range(layout.config.n_layer)]]:
        assert expected in labels
    assert all(s.height > 0 for s in layout.sections)
    levels = {s.label: s.level for s in layout.sections}
    assert levels["Embedding"] < levels["Transformer 0"] < levels["MLP"] < levels["Head 0"]
    assert {b.label for b in layout.blocks} >= {"Q", "K", "V"}
    # Block labels differ from their section's ("MLP / MLP" read as a breadcrumb stutter).
    assert layout["layers.0.mlp.fc"].label == "MLP fc"
    gpt3 = layouts["gpt3"]
    assert sum(s.label == "Transformer 95" for s in gpt3.sections) == 1
    assert {b.label for b in gpt3.blocks} >= {"Q K V", "QKV Weights"}


# ------------------------------------------------------------------------------------------------ sources


@pytest.mark.parametrize("config", SMALL_CONFIGS, ids=lambda c: c.name)
def test_every_trace_tensor_and_weight_has_a_block(config) -> None:
    layout = build_layout(config)
    trace = perturbed_trace(config)
    shown = {s for b in layout.blocks for s in (b.stack or (b.source,))}
    missing_trace = [n for n in trace.names() if n not in shown]
    missing_weights = [n for n in weight_names(config) if n not in shown]
    assert not missing_trace and not missing_weights, (missing_trace, missing_weights)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_weight_of_the_big_presets_has_a_block(layouts: dict[str, Layout], name: str) -> None:
    layout = layouts[name]
    shown = {s for b in layout.blocks for s in (b.stack or (b.source,))}
    assert set(weight_names(layout.config)) <= shown


@pytest.mark.parametrize("config", SMALL_CONFIGS, ids=lambda c: c.name)
def test_block_values_have_the_drawn_shape_and_the_right_numbers(config) -> None:
    layout = build_layout(config)
    trace = perturbed_trace(config)
    A = config.head_size
    for b in layout.blocks:
        values = block_values(b, trace)
        assert values.shape == (b.rows, b.cols), b.name
        r0, c0 = b.rows // 3, b.cols // 2
        np.testing.assert_array_equal(block_cells(b, trace, (r0, b.rows), (c0, b.cols)), values[r0:, c0:])
    # Spot checks against the tensors themselves.
    w = trace.weights
    h = config.n_head - 1
    cols = slice(h * A, (h + 1) * A)
    if layout.merged_qkv:
        np.testing.assert_array_equal(block_values(layout[f"layers.1.attn.h{h}.qkv"], trace)[A:2 * A],
                                      trace["layers.1.attn.k"][h].T)
        np.testing.assert_array_equal(block_values(layout[f"layers.1.attn.h{h}.wqkv"], trace)[2 * A:],
                                      w["layers.1.attn.wv"][:, cols].T)
    else:
        np.testing.assert_array_equal(block_values(layout[f"layers.1.attn.h{h}.wk"], trace),
                                      w["layers.1.attn.wk"][:, cols].T)
        np.testing.assert_array_equal(block_values(layout[f"layers.1.attn.h{h}.bq"], trace)[:, 0],
                                      w["layers.1.attn.bq"][cols])
    np.testing.assert_array_equal(block_values(layout[f"layers.0.attn.h{h}.scores"], trace),
                                  trace["layers.0.attn.scores"][h])
    np.testing.assert_array_equal(block_values(layout["layers.1.mlp.wfc"], trace), w["layers.1.mlp.wfc"].T)
    np.testing.assert_array_equal(block_values(layout["logits"], trace), trace["logits"].T)
    np.testing.assert_array_equal(block_values(layout["lm_head"], trace), w["lm_head"])
    np.testing.assert_array_equal(block_values(layout["ln_f.mean"], trace)[0], trace["ln_f.mean"])


# ------------------------------------------------------------------------------------------------ GPT-3


def test_gpt3_layout_is_small_and_allocates_no_cells(layouts: dict[str, Layout]) -> None:
    layout = layouts["gpt3"]
    n = len(layout.blocks)
    assert layout.merged_qkv
    assert 60_000 < n <= 80_000
    arrays = [v for v in vars(layout).values() if isinstance(v, np.ndarray)]
    assert sum(a.nbytes for a in arrays) <= 64 * n  # per-block numbers only
    sample = layout.blocks[:: max(1, n // 997)]
    assert not any(isinstance(getattr(b, f), np.ndarray) for b in sample for f in b.__slots__)
    cells = float(np.prod(layout.shapes.astype(np.float64), axis=1).sum())
    assert cells > 1e11  # what the blocks show, so any per-cell allocation would be impossible to miss

    start = time.perf_counter()
    build_layout(PRESETS["gpt3"])
    print(f"gpt3 layout: {n} blocks built in {time.perf_counter() - start:.2f} s")  # reported, not asserted


def test_building_allocates_per_block_not_per_cell() -> None:
    config = PRESETS["gpt2-xl"]  # 1.6e9 weight cells: a per-cell array of anything would be gigabytes
    tracemalloc.start()
    layout = build_layout(config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2048 * len(layout.blocks)


def test_block_names_follow_the_contract(layouts: dict[str, Layout]) -> None:
    pattern = re.compile(r"^(tokens|tok_emb|pos_emb|embed|wte|wpe|lm_head|logits|probs(\.max|\.expsum)?"
                         r"|ln_f\.(mean|std|gamma|beta|out)"
                         r"|layers\.\d+\.((ln[12])\.(mean|std|gamma|beta|out)|resid[12]|mlp\.\w+|attn\.(wproj|bproj|proj)"
                         r"|attn\.h\d+\.(w?[qkv]|b[qkv]|wqkv|bqkv|qkv|scores|max|expsum|probs|heads)))$")
    for name in ("nano", "gpt3"):
        bad = [b.name for b in layouts[name].blocks if not pattern.match(b.name)]
        assert not bad, bad[:5]
