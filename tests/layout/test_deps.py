"""Cell dependencies: recomputing a cell from the cells its dependency lists gives the trace's value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glviz.layout.blocks import Kind, block_values
from glviz.layout.build import build_layout
from glviz.layout.deps import CellRange, Op, cell_dependency, gather_inputs, recompute
from glviz.model.config import PRESETS

from .helpers import MERGED, ODD, WIDE, perturbed_trace

# (config, tokens): nano's shape, one head with a single token and with five, merged QKV, 14 layers.
CASES = [(PRESETS["nano"], 11), (ODD, 1), (ODD, 5), (MERGED, 6), (WIDE, 3)]
CASE_IDS = ["nano", "odd-T1", "odd-T5", "merged", "wide"]


def _setup(config, T: int, dtype, seed: int = 0):
    return build_layout(config, n_tokens=T), perturbed_trace(config, T, dtype, seed)


def _sample_cells(block, rng: np.random.Generator, n: int) -> list[tuple[int, int]]:
    """n random cells, plus the corners (first and last token, masked and unmasked attention cells)."""
    cells = [(0, 0), (block.rows - 1, block.cols - 1), (0, block.cols - 1), (block.rows - 1, 0)]
    cells += [(int(rng.integers(block.rows)), int(rng.integers(block.cols))) for _ in range(n)]
    return cells


def _check_all_blocks(layout, trace, rtol: float, atol: float, per_block: int = 3) -> set[Op]:
    """Recompute sampled cells of every block; returns the operations seen."""
    rng = np.random.default_rng(1)
    seen: set[Op] = set()
    failures = []
    for block in layout.blocks:
        values = block_values(block, trace)
        for row, col in _sample_cells(block, rng, per_block):
            dep = cell_dependency(layout, block.index, row, col)
            seen.add(dep.op)
            got = recompute(dep, gather_inputs(dep, layout, trace))
            expected = float(values[row, col])
            if math.isinf(expected):
                ok = got == expected
            else:
                ok = math.isclose(got, expected, rel_tol=rtol, abs_tol=atol)
            if not ok:
                failures.append((block.name, row, col, dep.op.value, got, expected))
    assert not failures, failures[:5]
    return seen


@pytest.mark.parametrize(("config", "T"), CASES, ids=CASE_IDS)
def test_every_block_recomputes_exactly_in_float64(config, T: int) -> None:
    layout, trace = _setup(config, T, np.float64)
    seen = _check_all_blocks(layout, trace, rtol=1e-9, atol=1e-12)
    assert seen == set(Op)


@pytest.mark.parametrize(("config", "T"), CASES, ids=CASE_IDS)
def test_every_block_recomputes_within_float32_rounding(config, T: int) -> None:
    layout, trace = _setup(config, T, np.float32)
    seen = _check_all_blocks(layout, trace, rtol=1e-4, atol=1e-5)
    assert seen == set(Op)


def test_a_wrong_dependency_is_caught() -> None:
    """The recompute check can fail: pointing a LINEAR cell at the wrong weight row changes its value."""
    layout, trace = _setup(PRESETS["nano"], 11, np.float64)
    block = layout["layers.0.mlp.fc"]
    dep = cell_dependency(layout, block.index, 3, 4)
    dep.inputs["w"] = CellRange(dep.inputs["w"].block, (4, 5), dep.inputs["w"].cols)
    got = recompute(dep, gather_inputs(dep, layout, trace))
    assert not math.isclose(got, float(block_values(block, trace)[3, 4]), rel_tol=1e-6)


def _in_bounds(layout, cells: CellRange) -> bool:
    rows, cols = layout.shapes[cells.block]
    return 0 <= cells.rows[0] < cells.rows[1] <= rows and 0 <= cells.cols[0] < cells.cols[1] <= cols


@pytest.mark.parametrize(("config", "T"), [(PRESETS["nano"], 11), (MERGED, 6)], ids=["nano", "merged"])
def test_ranges_lie_inside_their_blocks_and_match_in_length(config, T: int) -> None:
    layout = build_layout(config, n_tokens=T)
    rng = np.random.default_rng(2)
    for block in layout.blocks:
        for row, col in _sample_cells(block, rng, 2):
            dep = cell_dependency(layout, block.index, row, col)
            assert (dep.block, dep.row, dep.col) == (block.index, row, col)
            assert all(_in_bounds(layout, r) for r in dep.inputs.values()), block.name
            assert dep.formula
            if dep.op == Op.LINEAR:
                x_len = sum(r.rows[1] - r.rows[0] for role, r in dep.inputs.items() if role not in ("w", "b"))
                assert x_len == dep.inputs["w"].cols[1] - dep.inputs["w"].cols[0], block.name
            if block.kind == Kind.WEIGHT:
                assert dep.op == Op.INPUT and not dep.inputs


def test_projection_lists_one_range_per_head() -> None:
    layout = build_layout(MERGED)
    dep = cell_dependency(layout, layout.by_name["layers.1.attn.proj"], 5, 2)
    heads = [role for role in dep.inputs if role.startswith("h")]
    assert heads == [f"h{h}" for h in range(MERGED.n_head)]
    assert dep.inputs["h7"].block == layout.by_name["layers.1.attn.h7.heads"]
    assert dep.inputs["h7"].cols == (2, 3)


def test_merged_qkv_rows_point_into_the_right_part() -> None:
    layout = build_layout(MERGED)
    A = MERGED.head_size
    score = cell_dependency(layout, layout.by_name["layers.0.attn.h3.scores"], 4, 1)
    qkv = layout.by_name["layers.0.attn.h3.qkv"]
    assert score.inputs["q"] == CellRange(qkv, (0, A), (4, 5))
    assert score.inputs["k"] == CellRange(qkv, (A, 2 * A), (1, 2))
    mix = cell_dependency(layout, layout.by_name["layers.0.attn.h3.heads"], 1, 3)
    assert mix.inputs["v"] == CellRange(qkv, (2 * A + 1, 2 * A + 2), (0, 4))
    linear = cell_dependency(layout, qkv, A + 1, 0)
    assert linear.extra["part"] == "k"


def test_masked_attention_cells_depend_on_nothing() -> None:
    layout, trace = _setup(PRESETS["nano"], 11, np.float32)
    scores = layout["layers.2.attn.h1.scores"]
    probs = layout["layers.2.attn.h1.probs"]
    dep = cell_dependency(layout, scores.index, 2, 7)  # query 2 cannot see key 7
    assert dep.inputs == {} and dep.extra["masked"]
    assert recompute(dep, gather_inputs(dep, layout, trace)) == -math.inf == block_values(scores, trace)[2, 7]
    dep = cell_dependency(layout, probs.index, 2, 7)
    assert recompute(dep, gather_inputs(dep, layout, trace)) == 0.0 == block_values(probs, trace)[2, 7]
    causal = cell_dependency(layout, layout.by_name["layers.2.attn.h1.max"], 6, 0)
    assert causal.inputs["x"].cols == (0, 7)


def test_lookup_names_the_token_and_narrows_with_tokens() -> None:
    layout, trace = _setup(PRESETS["nano"], 11, np.float64)
    embed = layout.by_name["embed"]
    wide = cell_dependency(layout, embed, 5, 3)
    assert wide.op == Op.LOOKUP and set(wide.inputs) == {"token", "wte", "wpe"}
    assert wide.inputs["token"] == CellRange(layout.by_name["tokens"], (0, 1), (3, 4))
    assert wide.inputs["wte"].cols == (0, layout.config.vocab_size)
    token = int(trace.tokens[3])
    narrow = cell_dependency(layout, embed, 5, 3, tokens=trace.tokens)
    assert narrow.inputs["wte"] == CellRange(layout.by_name["wte"], (5, 6), (token, token + 1))
    inputs = gather_inputs(narrow, layout, trace)
    assert inputs["token"] == token
    assert inputs["wte"] == trace.weights["wte"][token, 5]


def test_logits_have_no_bias_and_use_lm_head_rows() -> None:
    layout = build_layout(MERGED)  # tied head: lm_head is wte
    dep = cell_dependency(layout, layout.by_name["logits"], 4, 1)
    assert "b" not in dep.inputs and dep.extra["bias"] is False
    assert dep.inputs["w"] == CellRange(layout.by_name["lm_head"], (4, 5), (0, MERGED.n_embd))
    assert "b[j]" not in dep.formula


def test_formulas_for_the_panel() -> None:
    layout = build_layout(PRESETS["nano"])
    formula = {name: cell_dependency(layout, layout.by_name[name], 0, 0).formula
               for name in ("layers.0.attn.h0.q", "layers.0.attn.h0.scores", "layers.0.attn.h0.probs",
                            "layers.0.ln1.out", "layers.0.resid1", "layers.0.mlp.gelu")}
    assert formula["layers.0.attn.h0.q"] == "b[j] + Σ_i x[i]·W[i,j]"
    assert formula["layers.0.attn.h0.scores"] == "q·k/√A"
    assert formula["layers.0.attn.h0.probs"] == "exp(x−max)/Σexp"
    assert formula["layers.0.ln1.out"] == "(x−μ)/σ·γ+β"
    assert formula["layers.0.resid1"] == "a + b"
    assert "Φ" in formula["layers.0.mlp.gelu"]  # nano uses the exact GELU


def test_cells_outside_a_block_are_refused() -> None:
    layout = build_layout(PRESETS["nano"])
    with pytest.raises(IndexError):
        cell_dependency(layout, layout.by_name["logits"], 3, 0)  # V = 3 rows


def test_gpt3_dependencies_resolve_without_values() -> None:
    """Hovering GPT-3 (render-only, no trace) still explains a cell: dependencies need no values."""
    layout = build_layout(PRESETS["gpt3"])
    proj = cell_dependency(layout, layout.by_name["layers.95.attn.proj"], 12287, 2047)
    assert len([r for r in proj.inputs if r.startswith("h")]) == 96
    score = cell_dependency(layout, layout.by_name["layers.50.attn.h95.scores"], 2047, 1000)
    assert score.inputs["k"].rows == (128, 256)
    final = cell_dependency(layout, layout.by_name["probs.expsum"], 0, 7)
    assert final.inputs["x"].rows == (0, 50257)
