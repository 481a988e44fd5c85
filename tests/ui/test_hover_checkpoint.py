"""Hovering a GPT-2 checkpoint's cells (a real safetensors folder with its tokenizer, traced as the app traces
a prompt): every kind of block GPT-2 has that nano has not (the token and position embeddings apart, wpe,
the tied LM head, GELU's tanh form, the final layer norm) is explained with numbers that equal the trace,
written readably, in the panel's language."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from checkpoint_helpers import SMALL, checkpoint  # tests/ui/

from glviz import i18n
from glviz.layout.blocks import Kind, block_values
from glviz.layout.build import build_layout
from glviz.model.weights import load_weights
from glviz.ui.hover import HoverExplainer, fmt
from glviz.ui.trace_worker import full_trace

# Every block role of a GPT-2 layout with a tied head (wpe, tok_emb, pos_emb and GELU's tanh form are not
# nano's).
ROLES = set("""
    tokens wte wpe tok_emb pos_emb embed
    ln1.mean ln1.std ln1.gamma ln1.beta ln1.out
    attn.wq attn.bq attn.q attn.wk attn.bk attn.k attn.wv attn.bv attn.v
    attn.scores attn.max attn.expsum attn.probs attn.heads attn.wproj attn.bproj attn.proj resid1
    ln2.mean ln2.std ln2.gamma ln2.beta ln2.out
    mlp.wfc mlp.bfc mlp.fc mlp.gelu mlp.wproj mlp.bproj mlp.proj resid2
    ln_f.mean ln_f.std ln_f.gamma ln_f.beta ln_f.out lm_head logits probs.max probs.expsum probs
""".split())
# An operator followed by a bare negative number ("0.5·−0.69", "+ −0.64"): read as a typo; every right operand
# is written in parentheses (formatting.fmt_term).
BARE_NEGATIVE = re.compile(r"[·+×/−] ?−\d")
# English words of the explanation (i18n/en/hover.txt) that the Japanese one must not show.
ENGLISH = re.compile(r"\b(terms|values|masked|residual|learned|weight|input|token|position|output|future)\b")


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    """The layout, trace and explainer of a prompt on a small GPT-2 checkpoint (gelu_new, tied head)."""
    weights = load_weights(checkpoint(tmp_path_factory.mktemp("hover") / "ckpt", SMALL, seed=9))
    assert weights.config.activation == "gelu_new" and weights.config.tied_head
    trace = full_trace(weights, weights.tokenizer.encode("Every number the model computes is a cell."))
    layout = build_layout(weights.config, n_tokens=trace.T)
    return layout, trace, HoverExplainer(layout, trace)


def _cells(layout, rng, per_role: int = 4):
    """A few cells of every block, with the corners (first and last position; masked attention cells)."""
    for block in layout.blocks:
        rows, cols = block.rows, block.cols
        cells = {(0, 0), (rows - 1, cols - 1), (0, cols - 1), (rows - 1, 0)}
        cells |= {(int(rng.integers(rows)), int(rng.integers(cols))) for _ in range(per_role)}
        for row, col in sorted(cells):
            yield block, row, col


def test_every_kind_of_block_is_explained_with_the_traces_numbers(gpt2):
    layout, trace, explainer = gpt2
    roles, negatives = set(), 0
    for block, row, col in _cells(layout, np.random.default_rng(3)):
        role = block.role or block.name
        info = explainer.explain(block.index, row, col)
        expected = float(block_values(block, trace)[row, col])
        where = (block.name, row, col, info.lines)
        assert info.value == expected, where
        assert info.matches, (where, info.recomputed)
        assert info.formula, where
        if block.kind != Kind.WEIGHT and role != "tokens":
            masked = math.isinf(expected) or (role == "attn.probs" and col > row)
            if masked:  # the causal mask, in words, with the two positions
                assert info.note == f"masked: key t′={col} > t={row} is in the future, so its score is −∞ " \
                                    "(softmax gives 0)", where
            else:
                assert info.dependencies and info.lines[-1] == f"= {fmt(expected)}", where
        for line in info.lines:
            assert not BARE_NEGATIVE.search(line), where
            negatives += "(−" in line
        roles.add(role)
    assert roles == ROLES
    assert negatives, "no negative operand met: the check saw nothing"


def test_gelus_tanh_form_is_written_with_its_numbers(gpt2):
    """gelu_new, GPT-2's GELU: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), with x and the tanh's argument;
    a negative x stood bare after the product sign ("0.5·−0.6942·(…)")."""
    layout, trace, explainer = gpt2
    block = layout["layers.1.mlp.gelu"]
    values = block_values(layout["layers.1.mlp.fc"], trace)
    row, col = np.unravel_index(np.argmin(values), values.shape)  # the most negative input
    x = float(values[row, col])
    info = explainer.explain(block.index, int(row), int(col))
    inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
    assert info.formula == "0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))"
    assert info.lines == [f"x = {fmt(x)}", f"= 0.5·({fmt(x)})·(1 + tanh({fmt(inner)}))",
                          f"= {fmt(info.value)}"]
    assert info.curve is not None and info.curve.point == (pytest.approx(x), pytest.approx(info.value))


def test_every_kind_of_block_is_explained_in_japanese(gpt2):
    """The same cells with the panel in Japanese: its words from ja/hover.txt, no English left in them."""
    layout, trace, explainer = gpt2
    english = {}
    for block, row, col in _cells(layout, np.random.default_rng(4), per_role=1):
        english[block.index, row, col] = explainer.explain(block.index, row, col)
    try:
        i18n.set_language("ja")
        for (block, row, col), en in english.items():
            ja = explainer.explain(block, row, col)
            where = (layout.blocks[block].name, row, col)
            assert ja.value == en.value and ja.recomputed == en.recomputed, where
            words = [ja.note, *ja.lines] + ([ja.formula] if layout.blocks[block].kind == Kind.WEIGHT else [])
            for text in words:
                assert not ENGLISH.search(text), (where, text)
            assert (ja.note == "") == (en.note == ""), where
            if en.note:
                assert ja.note != en.note, where
    finally:
        i18n.set_language("en")
