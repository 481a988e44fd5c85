"""The hover explanation: the shown value is the trace's, and the computation written out reproduces it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glviz.layout.blocks import Kind, block_values
from glviz.layout.build import build_layout
from glviz.model.config import PRESETS
from glviz.model.forward import Trace
from glviz.ui.hover import HoverExplainer, cell_indices, explain, fmt, shape_text


def _cells_per_role(layout, rng, per_role: int = 3):
    """A few random cells of one block of every role (every block kind the layout has)."""
    by_role: dict[str, list[int]] = {}
    for i, b in enumerate(layout.blocks):
        by_role.setdefault(b.role or b.name, []).append(i)
    for role, indices in sorted(by_role.items()):
        block = int(rng.choice(indices))
        b = layout.blocks[block]
        for _ in range(per_role):
            yield role, block, int(rng.integers(b.rows)), int(rng.integers(b.cols))


def test_recomputed_number_equals_the_trace_value_for_every_block_kind(nano):
    layout, trace = nano
    explainer = HoverExplainer(layout, trace)
    rng = np.random.default_rng(7)
    roles = set()
    for role, block, row, col in _cells_per_role(layout, rng):
        info = explainer.explain(block, row, col)
        expected = float(block_values(layout.blocks[block], trace)[row, col])
        assert info.value == expected or (math.isinf(expected) and info.value == expected), role
        assert info.recomputed is not None, role
        if math.isfinite(expected):
            assert info.recomputed == pytest.approx(expected, rel=1e-4, abs=1e-5), (role, info.lines)
        else:
            assert info.recomputed == expected, role
        assert info.matches, role
        assert info.formula, role
        if layout.blocks[block].kind != Kind.WEIGHT and role != "tokens":
            masked = info.note.startswith("masked")  # causal mask: no inputs, explained in words
            assert info.dependencies or masked, role  # computed cells light up their inputs
            assert masked or info.lines[-1] == f"= {fmt(expected)}", (role, info.lines)
        roles.add(role)
    for needed in ("attn.scores", "attn.probs", "attn.heads", "mlp.gelu", "ln1.out", "resid1", "embed",
                   "logits", "probs", "attn.proj", "ln1.std", "attn.expsum"):
        assert needed in roles


def test_every_cell_of_a_layer_norm_and_attention_block_is_explained_exactly(nano):
    layout, trace = nano
    for name in ("layers.1.ln2.out", "layers.2.attn.h1.probs", "layers.0.attn.h2.scores"):
        block = layout.by_name[name]
        values = block_values(layout.blocks[block], trace)
        for row in range(values.shape[0]):
            for col in range(values.shape[1]):
                info = explain(layout, block, row, col, trace)
                assert info.matches, (name, row, col, info.value, info.recomputed)


def test_linear_explanation_shows_first_terms_sum_and_bias(nano):
    layout, trace = nano
    block = layout.by_name["layers.0.mlp.fc"]
    info = explain(layout, block, 5, 3, trace)
    assert info.formula == "b[j] + Σ_i x[i]·W[i,j]"
    assert "… (48 terms)" in info.lines[0]
    assert info.lines[0].count("·") == 3  # the first three products
    assert len(info.lines) == 3


def test_gelu_gets_a_curve_through_the_hovered_point(nano):
    layout, trace = nano
    block = layout.by_name["layers.1.mlp.gelu"]
    info = explain(layout, block, 10, 4, trace)
    assert info.curve is not None
    x, y = info.curve.point
    assert y == pytest.approx(info.value, rel=1e-5, abs=1e-6)
    fc = block_values(layout[("layers.1.mlp.fc")], trace)[10, 4]
    assert x == pytest.approx(float(fc), rel=1e-6)
    assert info.curve.ys[np.argmin(np.abs(info.curve.xs - x))] == pytest.approx(y, abs=0.1)


def test_masked_attention_cells_say_so(nano):
    layout, trace = nano
    scores = layout.by_name["layers.0.attn.h0.scores"]
    info = explain(layout, scores, 2, 7, trace)  # a key after the query
    assert info.value == -math.inf and info.value_text == "−∞"
    assert info.note == "masked: key t′=7 > t=2 is in the future, so its score is −∞ (softmax gives 0)"
    assert info.lines == []  # not "−∞ = −∞"
    probs = explain(layout, layout.by_name["layers.0.attn.h0.probs"], 2, 7, trace)
    assert probs.value == 0.0 and probs.note.startswith("masked: key t′=7 > t=2") and probs.lines == []
    unmasked = explain(layout, scores, 7, 2, trace)  # a key before the query
    assert unmasked.note == "" and unmasked.lines


def test_residual_sums_name_their_operands(nano):
    layout, trace = nano
    info = explain(layout, layout.by_name["layers.0.resid1"], 0, 3, trace)
    assert info.formula == "embed[t,c] + attn.proj[t,c]"
    assert info.note == "residual stream (embed) + attention output (attn.proj)"
    info = explain(layout, layout.by_name["layers.1.resid2"], 0, 3, trace)
    assert info.formula == "resid1[t,c] + mlp.proj[t,c]" and "MLP output" in info.note
    assert info.matches


def test_token_cells_say_their_letter_and_where_they_came_from(nano):
    layout, trace = nano  # tokens 2 1 0 1 1 2 | 0 1 1 1 2
    tokens = layout.by_name["tokens"]
    assert explain(layout, tokens, 0, 1, trace).note == "token 1 = B: input (letter 2 of 6 to sort)"
    fed_back = explain(layout, tokens, 0, 6, trace).note
    assert fed_back.startswith("token 0 = A: the model's own output from position 5, fed back")


def test_shape_and_indices_use_dimension_names_in_tensor_order(nano):
    layout, trace = nano
    b = layout["layers.0.ln1.out"]
    assert shape_text(b) == "T=11 × C=48"
    rows_dim = b.dims[0]
    row, col = 7, 2
    indices = dict(cell_indices(b, row, col))
    expected_t = col if rows_dim == "C" else row
    assert indices["layer"] == 0 and indices["t"] == expected_t
    q = layout["layers.0.attn.h1.q"]
    assert dict(cell_indices(q, 0, 0))["head"] == 1


def test_render_only_models_show_block_shape_and_indices_but_no_value():
    layout = build_layout(PRESETS["gpt2"])
    block = layout.by_name["layers.3.mlp.fc"]
    info = explain(layout, block, 100, 5)
    assert not info.computed and info.value is None and info.value_text == "not computed"
    assert info.shape.startswith("T=") and "4C=3072" in info.shape
    assert dict(info.indices)["layer"] == 3
    assert info.lines == [] and info.stats is None


def test_a_cell_without_a_value_says_why():
    """A render-only model computes no values; a value the trace let go is back in a moment. The panel's
    line said the first for both, then (for a moment) a render-only residual block's note about its
    operands instead of either."""
    from glviz.i18n import tr
    from glviz.ui.sections.explanation import no_value_line

    layout = build_layout(PRESETS["gpt2"])
    residual = explain(layout, layout.by_name["layers.3.resid1"], 100, 5)
    assert residual.note  # what its operands are: not why it has no value
    assert no_value_line(residual) == tr("explain.not_computed")
    residual.note, residual.kept = tr("hover.not_kept"), False  # as the explainer marks a value let go
    assert no_value_line(residual) == tr("hover.not_kept")


def test_numbers_have_four_significant_digits():
    assert fmt(3.14159265) == "3.142"
    assert fmt(-0.000123456) == "−0.0001235"
    assert fmt(123456.0) == "1.235·10^5"
    assert fmt(-math.inf) == "−∞"


def test_projection_dependencies_keep_weight_and_bias_within_the_scene_limit():
    from glviz.scene import MAX_DEPENDENCY_RANGES

    layout = build_layout(PRESETS["gpt2"])
    block = layout.by_name["layers.0.attn.proj"]
    info = explain(layout, block, 3, 2)
    kept = info.dependencies[:MAX_DEPENDENCY_RANGES]
    names = {layout.blocks[r.block].name for r in kept}
    assert {"layers.0.attn.wproj", "layers.0.attn.bproj"} <= names


def test_the_explanation_speaks_japanese(nano):
    """The same cells in Japanese: the words come from ja/hover.txt, the numbers and formulas stay."""
    from glviz import i18n

    layout, trace = nano
    scores = layout.by_name["layers.0.attn.h0.scores"]
    try:
        i18n.set_language("ja")
        masked = explain(layout, scores, 2, 7, trace)
        future = "は未来の位置にあるので、スコアは −∞（ソフトマックスで 0 になる）"
        assert masked.note == "マスク：キー t′=7 > t=2 " + future
        residual = explain(layout, layout.by_name["layers.0.resid1"], 0, 3, trace)
        assert residual.formula == "embed[t,c] + attn.proj[t,c]"
        assert residual.note == "残差ストリーム（embed）＋ アテンションの出力（attn.proj）"
        token = explain(layout, layout.by_name["tokens"], 0, 1, trace).note
        assert token == "トークン 1 = B：入力（並べ替える 6 文字のうち 2 文字目）"
        assert HoverExplainer(layout, trace).stats(scores).count_text == "値 66 個（マスク 55 個）"
        fc = explain(layout, layout.by_name["layers.0.mlp.fc"], 5, 3, trace)
        assert "… (48 項)" in fc.lines[0] and fc.matches
        assert explain(build_layout(PRESETS["gpt2"]), 0, 0, 0).value_text == "未計算"
        assert masked.formula == "マスク (t' > t)：−∞"
        wte = explain(layout, layout.by_name["wte"], 0, 0, trace)
        assert wte.formula == "学習された重み"
    finally:
        i18n.set_language("en")
    assert explain(layout, scores, 2, 7, trace).note.startswith("masked: key t′=7 > t=2")
    assert explain(layout, scores, 2, 7, trace).formula == "masked (t' > t): −∞"
    assert explain(layout, layout.by_name["wte"], 0, 0, trace).formula == "learned weight"


def test_the_hovered_cells_place_and_block_speak_the_panels_language(nano):
    """The breadcrumb over the view and the tooltip's title follow the language, as the labels in 3D do."""
    from glviz import i18n
    from glviz.ui.sections.overlays import breadcrumb, title

    layout, trace = nano
    scores = explain(layout, layout.by_name["layers.0.attn.h1.scores"], 2, 1, trace)
    embed = explain(layout, layout.by_name["embed"], 0, 3, trace)
    assert breadcrumb(scores) == "Transformer 0 / Self-attention / Head 1 / Attention Scores"
    assert title(embed) == "Input Embedding"
    try:
        i18n.set_language("ja")
        assert breadcrumb(scores) == "Transformer 0 / 自己注意機構 / ヘッド 1 / アテンションスコア"
        assert breadcrumb(embed) == "埋め込み / 入力埋め込み" and title(embed) == "入力埋め込み"
    finally:
        i18n.set_language("en")


def test_no_plus_sign_stands_before_a_minus_in_a_written_computation(nano):
    """Sums of products and of values wrote a negative term after + bare: "0.0207·0.1747 + −0.641·0.3038",
    read as a typo. As every right operand already is (fmt_term), it is in parentheses: "+ (−0.641)·…"."""
    layout, trace = nano
    rng = np.random.default_rng(7)
    seen = 0
    for _, block, row, col in _cells_per_role(layout, rng, per_role=6):
        info = explain(layout, block, row, col, trace)
        for line in info.lines:
            assert "+ −" not in line and "· −" not in line, (layout.blocks[block].name, line)
            seen += "+ (−" in line
    assert seen, "no negative term met: the check saw nothing"


def test_a_vocabulary_index_says_which_token_it_stands_for(nano, tmp_path):
    """wte's rows, the logits and the probabilities have one cell per token of the vocabulary: the hover
    says which (nano's letter; a checkpoint's token text from its own tokenizer), and a token cell of a
    checkpoint says its text beside its id."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "model"))
    from helpers import TINY, varied_weights, write_checkpoint  # tests/model/helpers.py

    from glviz.model.weights import load_weights

    layout, trace = nano
    for name in ("wte", "probs"):
        b = layout.by_name[name]
        v = dict(cell_indices(layout.blocks[b], 1, 1))["v"]
        assert explain(layout, b, 1, 1, trace).note == f"v={v} is the letter {'ABC'[v]}"

    weights = load_weights(write_checkpoint(tmp_path / "ckpt", varied_weights(TINY)))
    tokenizer = weights.tokenizer
    ids = tokenizer.encode(" the model")

    def shown(token: int) -> str:  # as a chip shows it: a leading space as ·
        text = tokenizer.decode([token])
        return "·" + text[1:] if text.startswith(" ") else text

    checkpoint_trace = Trace(weights, np.asarray(ids))
    small = build_layout(weights.config, n_tokens=len(ids))
    tokens = small.by_name["tokens"]
    first = explain(small, tokens, 0, 0, checkpoint_trace).note
    assert first == f"token id {ids[0]} ({shown(ids[0])}) at position t=0"
    b = small.by_name["wte"]
    block = small.blocks[b]
    row, col = next((r, c) for r in range(block.rows) for c in range(block.cols)
                    if dict(cell_indices(block, r, c)).get("v") == ids[1])
    assert explain(small, b, row, col, checkpoint_trace).note == f"v={ids[1]} is the token {shown(ids[1])}"


def test_a_token_that_is_part_of_a_character_shows_its_bytes_in_hex_and_names_the_character(tmp_path):
    """GPT-2 splits many Japanese characters into tokens of one or two bytes each, which decode to '\ufffd'.
    Such a token shows its bytes in hex (日 is E6 97 A5 and 本 is E6 9C AC in UTF-8), a leading space
    written · as in every other chip; hovering its chip names the character its bytes belong to."""
    import json

    from tokenizers.pre_tokenizers import ByteLevel

    from glviz.model.tokenizer import Tokenizer
    from glviz.ui.prompt import split_characters, token_label

    alphabet = sorted(ByteLevel.alphabet())  # the 256 characters byte-level BPE spells bytes with
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    vocab["Ġæ"] = len(vocab)  # a space and the first byte of 日 (e6 97 a5)
    vocab["æľ"] = len(vocab)  # the first two bytes of 本 (e6 9c ac): 0x9c is spelled ľ (U+013E)
    (tmp_path / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (tmp_path / "merges.txt").write_text("#version: 0.2\nĠ æ\næ ľ\n", encoding="utf-8")
    tokenizer = Tokenizer.from_vocab_merges(tmp_path / "vocab.json", tmp_path / "merges.txt")
    ids = tokenizer.encode(" 日本a")
    assert ids[0] == vocab["Ġæ"] and tokenizer.decode([ids[0]]) == " \ufffd"
    assert [token_label(tokenizer, i) for i in ids] == ["·<E6>", "<97>", "<A5>", "<E6 9C>", "<AC>", "a"]
    assert [split_characters(tokenizer, ids, t) for t in range(len(ids))] == ["日"] * 3 + ["本"] * 2 + [""]
    assert split_characters(tokenizer, ids[:2], 1) == "\ufffd"  # the character's last byte not there yet
    assert token_label(tokenizer, vocab["a"]) == "a" and token_label(tokenizer, vocab["Ġ"]) == "·"


def test_a_token_id_is_written_whole_and_has_no_statistics():
    """GPT-2's token ids run to 50,256: the tokens block's cell read "1.804·10^4" for 18045 (four significant
    digits, as for a quantity), and its statistics gave a mean and a histogram of ids, which mean nothing."""
    from glviz.model.config import GPTConfig
    from glviz.model.weights import random_weights

    config = GPTConfig(n_layer=1, n_head=2, n_embd=8, vocab_size=50257, block_size=8, name="wide vocabulary")
    trace = Trace(random_weights(config), np.array([464, 18045, 50256]))
    layout = build_layout(config, n_tokens=3)
    tokens = layout.by_name["tokens"]
    info = HoverExplainer(layout, trace).explain(tokens, 0, 1)
    assert info.value_text == "18045" and info.note.startswith("token id 18045")
    assert info.stats is None and not info.stats_pending
    embed = HoverExplainer(layout, trace).explain(layout.by_name["tok_emb"], 0, 0)
    assert embed.stats is not None  # the embedding's values are quantities: statistics as before


def test_layer_norms_epsilon_is_written_out_as_the_tour_writes_it(nano):
    """ε in the std's last line read "1e-05" (Python's own notation); the tour writes 0.00001."""
    layout, trace = nano
    info = explain(layout, layout.by_name["layers.0.ln1.std"], 0, 0, trace)
    assert any(line.startswith("= √(") and line.endswith(" + 0.00001)") for line in info.lines), info.lines
    assert info.matches
