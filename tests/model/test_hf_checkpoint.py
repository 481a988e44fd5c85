"""The loader against the real format: a tiny GPT-2 saved by transformers itself (tests/data/tiny-gpt2-hf,
made by tests/data/make_tiny_gpt2_hf.py), with the logits, final layer-norm output and greedy generation
that transformers computed. PyTorch is not needed to run these."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from glviz.cli import main
from glviz.model.forward import KVCache, Trace, logits
from glviz.model.generate import generate
from glviz.model.weights import load_weights

DATA = Path(__file__).resolve().parents[1] / "data" / "tiny-gpt2-hf"
TOKENS = np.load(DATA / "tokens.npy")


def test_transformers_checkpoint_gives_transformers_logits() -> None:
    weights = load_weights(DATA)
    c = weights.config
    assert (c.n_layer, c.n_head, c.n_embd, c.vocab_size, c.block_size) == (2, 2, 16, 64, 32)
    assert c.tied_head and c.activation == "gelu_new" and "lm_head" not in weights.tensors
    trace = Trace(weights, TOKENS)
    np.testing.assert_allclose(trace["logits"], np.load(DATA / "expected_logits.npy"), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(trace["ln_f.out"], np.load(DATA / "expected_ln_f.npy"), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(logits(weights, TOKENS), np.load(DATA / "expected_logits.npy"), atol=1e-4)


def test_kv_cache_generation_equals_transformers_greedy_generation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    weights = load_weights(DATA)
    expected = np.load(DATA / "expected_generated.npy")  # transformers' generate(), cached, greedy
    np.testing.assert_array_equal(generate(weights, TOKENS[:8], len(expected)), expected)
    cache = KVCache(weights)
    steps = [cache.step(TOKENS[:8])] + [cache.step(TOKENS[t : t + 1]) for t in range(8, len(TOKENS))]
    np.testing.assert_allclose(np.concatenate(steps), np.load(DATA / "expected_logits.npy"), atol=1e-4)
    ids = ",".join(map(str, TOKENS[:8]))
    assert main(["generate", "--weights", str(DATA), "--tokens", ids, "--max-new-tokens", "8", "--ids"]) == 0
    assert capsys.readouterr().out == " ".join(map(str, expected)) + "\n"


def _copy_with_head(tmp_path: Path, head: np.ndarray) -> Path:
    """The checkpoint (its config still says tied) with an lm_head.weight of its own in the file."""
    directory = tmp_path / "ckpt"
    shutil.copytree(DATA, directory)
    tensors = load_file(str(directory / "model.safetensors"))
    tensors["lm_head.weight"] = head
    save_file(tensors, str(directory / "model.safetensors"), metadata={"format": "pt"})
    assert json.loads((directory / "config.json").read_text())["tie_word_embeddings"] is True
    return directory


def test_tied_config_with_its_own_head_in_the_file_uses_the_file_head(tmp_path: Path) -> None:
    """transformers 5 loads such a file untied, with the file's head (it warns); glviz does the same."""
    head = np.random.default_rng(3).standard_normal((64, 16)).astype(np.float32)
    weights = load_weights(_copy_with_head(tmp_path, head))
    assert not weights.config.tied_head
    np.testing.assert_array_equal(weights["lm_head"], head)
    expected = np.load(DATA / "expected_ln_f.npy").astype(np.float64) @ head.T.astype(np.float64)  # (T, V)
    np.testing.assert_allclose(Trace(weights, TOKENS)["logits"], expected, rtol=1e-4, atol=1e-4)


def test_tied_config_with_a_copy_of_wte_as_head_stays_tied(tmp_path: Path) -> None:
    wte = load_file(str(DATA / "model.safetensors"))["transformer.wte.weight"]
    weights = load_weights(_copy_with_head(tmp_path, wte.copy()))
    assert weights.config.tied_head and weights["lm_head"] is weights["wte"]


def _edited_copy(tmp_path: Path, **changes: object) -> Path:
    directory = tmp_path / "ckpt"
    shutil.copytree(DATA, directory, dirs_exist_ok=True)
    config = json.loads((DATA / "config.json").read_text())
    (directory / "config.json").write_text(json.dumps(config | changes))
    return directory


@pytest.mark.parametrize(
    ("field", "value", "plain"),
    [("scale_attn_by_inverse_layer_idx", True, "false"), ("scale_attn_weights", False, "true"),
     ("n_inner", 32, "null")],
)
def test_config_options_glviz_does_not_compute_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: object, plain: str
) -> None:
    directory = _edited_copy(tmp_path, **{field: value})
    assert main(["generate", "--weights", str(directory), "--tokens", "1", "--max-new-tokens", "1"]) == 2
    where = directory / "config.json"
    line = f"glviz: error: config.json field {field} must be {plain}, got {value!r} ({where})\n"
    assert capsys.readouterr().err == line


def test_n_inner_of_four_times_n_embd_is_gpt2s_own(tmp_path: Path) -> None:
    assert load_weights(_edited_copy(tmp_path, n_inner=64)).config.n_embd == 16
