"""Loading weights: our .npz, real Hugging Face GPT-2 folders built here with safetensors and tokenizers, and
the CLI commands on them (bad input: test_bad_checkpoints.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from glviz.cli import main
from glviz.errors import GlvizError
from glviz.model.config import GPTConfig
from glviz.model.forward import Trace, logits, trace_names
from glviz.model.generate import generate
from glviz.model.tokenizer import Tokenizer, load_tokenizer
from glviz.model.weights import Weights, load_weights, save_npz, weight_names

from .helpers import TINY, hf_config, hf_tensors, varied_weights, write_checkpoint, write_tokenizer


def assert_same_weights(a: Weights, b: Weights) -> None:
    assert a.config.n_layer == b.config.n_layer and a.config.tied_head == b.config.tied_head
    for name in weight_names(a.config):
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.parametrize("prefix", [True, False], ids=["prefix", "no-prefix"])
@pytest.mark.parametrize("buffers", [True, False], ids=["buffers", "no-buffers"])
def test_hf_checkpoint_round_trip(tmp_path: Path, prefix: bool, buffers: bool) -> None:
    weights = varied_weights(TINY)
    loaded = load_weights(write_checkpoint(tmp_path / "ckpt", weights, prefix=prefix, buffers=buffers))
    assert_same_weights(weights, loaded)
    assert loaded.config.block_size == TINY.block_size and loaded.config.activation == "gelu_new"
    assert all(loaded.tensors[n].dtype == np.float32 for n in loaded.tensors)
    tokens = [5, 17, 300, 2]
    np.testing.assert_array_equal(logits(loaded, tokens), logits(weights, tokens))


def test_hf_tied_checkpoint_with_lm_head_copy_stays_tied(tmp_path: Path) -> None:
    weights = varied_weights(TINY)
    loaded = load_weights(write_checkpoint(tmp_path / "ckpt", weights, lm_head=True))
    assert loaded.config.tied_head and "lm_head" not in loaded.tensors
    assert loaded["lm_head"] is loaded["wte"]


def test_hf_untied_checkpoint_uses_its_own_head(tmp_path: Path) -> None:
    config = GPTConfig(
        n_layer=1, n_head=3, n_embd=9, vocab_size=320, block_size=8, tied_head=False, activation="gelu"
    )
    weights = varied_weights(config, seed=4)
    assert not np.array_equal(weights["lm_head"], weights["wte"])
    loaded = load_weights(write_checkpoint(tmp_path / "ckpt", weights))
    assert not loaded.config.tied_head and loaded.config.activation == "gelu"
    assert_same_weights(weights, loaded)
    np.testing.assert_array_equal(logits(loaded, [1, 2, 3]), logits(weights, [1, 2, 3]))


def test_hf_checkpoint_path_may_name_the_safetensors_file(tmp_path: Path) -> None:
    directory = write_checkpoint(tmp_path / "ckpt", varied_weights(TINY))
    assert load_weights(directory / "model.safetensors").config.n_embd == TINY.n_embd


def test_hf_float16_checkpoint_is_read_as_float32(tmp_path: Path) -> None:
    weights = varied_weights(TINY)
    directory = tmp_path / "ckpt"
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps(hf_config(TINY)))
    tensors = {k: v.astype(np.float16) for k, v in hf_tensors(weights).items()}
    save_file(tensors, str(directory / "model.safetensors"))
    loaded = load_weights(directory)
    assert loaded["wte"].dtype == np.float32
    np.testing.assert_array_equal(loaded["wte"], weights["wte"].astype(np.float16).astype(np.float32))


def test_npz_round_trip(tmp_path: Path) -> None:
    for config in (
        TINY,
        GPTConfig(n_layer=1, n_head=1, n_embd=4, vocab_size=3, block_size=5, tied_head=False),
    ):
        weights = varied_weights(config)
        save_npz(weights, tmp_path / "w.npz")
        loaded = load_weights(tmp_path / "w.npz")
        assert loaded.config == config
        assert_same_weights(weights, loaded)
        w, _ = loaded.qkv(0)  # re-fused on load: q, k, v are views of one matrix
        assert np.shares_memory(w, loaded["layers.0.attn.wv"])


@pytest.mark.parametrize("form", ["json", "vocab-merges"])
def test_tokenizer_from_checkpoint(tmp_path: Path, form: str) -> None:
    write_tokenizer(tmp_path, form)
    tokenizer = load_tokenizer(tmp_path)
    assert isinstance(tokenizer, Tokenizer)
    text = "The lazy fox predicts the next cell."
    ids = tokenizer.encode(text)
    assert ids.dtype == np.int64 and 0 < ids.size < len(text)  # merges were learned
    assert np.all(ids < tokenizer.vocab_size)
    assert tokenizer.decode(ids) == text


def test_both_tokenizer_forms_agree(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_tokenizer(tmp_path / "a", "json")
    write_tokenizer(tmp_path / "b", "vocab-merges")
    text = "Every number the quick model computes."
    np.testing.assert_array_equal(
        load_tokenizer(tmp_path / "a").encode(text), load_tokenizer(tmp_path / "b").encode(text)
    )


def test_generate_command_prints_ids_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = varied_weights(TINY, seed=7)
    directory = write_checkpoint(tmp_path / "ckpt", weights, tokenizer="vocab-merges")
    prompt = "The quick brown fox"
    assert (
        main(["generate", "--weights", str(directory), "--prompt", prompt, "--max-new-tokens", "5", "--ids"])
        == 0
    )
    printed = [int(t) for t in capsys.readouterr().out.strip().splitlines()[-1].split()]
    tokenizer = load_tokenizer(directory)
    expected = generate(weights, tokenizer.encode(prompt), 5)
    assert printed == expected.tolist()
    # the greedy ids really are the argmax of the logits, step by step
    sequence = list(tokenizer.encode(prompt))
    for token in printed:
        assert token == int(np.argmax(logits(weights, sequence)[-1]))
        sequence.append(token)
    assert main(["generate", "--weights", str(directory), "--prompt", prompt, "--max-new-tokens", "5"]) == 0
    assert (
        capsys.readouterr().out.rstrip("\n").splitlines()[-1] == tokenizer.decode(expected).splitlines()[-1]
    )


def test_sampling_is_reproducible_and_respects_top_k(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = varied_weights(TINY, seed=8)
    directory = write_checkpoint(tmp_path / "ckpt", weights)
    args = [
        "generate",
        "--weights",
        str(directory),
        "--tokens",
        "1,2,3",
        "--max-new-tokens",
        "12",
        "--ids",
        "--temperature",
        "1.5",
        "--seed",
        "3",
    ]
    runs = []
    for _ in range(2):
        assert main(args) == 0
        runs.append(capsys.readouterr().out.strip().splitlines()[-1])
    assert runs[0] == runs[1]
    sampled = generate(weights, [1, 2, 3], 12, temperature=1.5, seed=3)
    assert runs[0] == " ".join(map(str, sampled))
    # top-k 1 and a tiny top-p both leave only the most likely token: the same as greedy
    greedy = generate(weights, [1, 2, 3], 12)
    np.testing.assert_array_equal(generate(weights, [1, 2, 3], 12, temperature=2.0, top_k=1, seed=1), greedy)
    np.testing.assert_array_equal(generate(weights, [1, 2, 3], 12, top_p=1e-9, seed=1), greedy)
    # sampling at a high temperature does not just repeat greedy decoding
    assert not np.array_equal(generate(weights, [1, 2, 3], 12, temperature=5.0, seed=0), greedy)


def test_generation_stops_at_the_context(tmp_path: Path) -> None:
    """The KV cache holds the context: a full prompt gets one new token, and asking for more says how many."""
    weights = varied_weights(TINY, seed=9)
    new = generate(weights, list(range(TINY.block_size)), 1)
    assert new.tolist() == [int(np.argmax(logits(weights, list(range(TINY.block_size)))[-1]))]
    with pytest.raises(GlvizError, match="context of 16 tokens: at most 6 after a 11-token prompt \\(7\\)"):
        generate(weights, list(range(11)), 7)
    assert len(generate(weights, list(range(11)), 6)) == 6


def test_trace_command_writes_every_value_and_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = varied_weights(TINY, seed=5)
    directory = write_checkpoint(tmp_path / "ckpt", weights)
    out = tmp_path / "trace.npz"
    assert main(["trace", "--weights", str(directory), "--prompt", "The lazy dog", "--out", str(out)]) == 0
    tokens = load_tokenizer(directory).encode("The lazy dog")
    with np.load(out) as data:
        assert set(data.files) == {*trace_names(TINY.n_layer), "config"}
        assert json.loads(str(data["config"]))["n_embd"] == TINY.n_embd
        expected = Trace(weights, tokens).full()
        for name, value in expected.items():
            np.testing.assert_array_equal(data[name], value, err_msg=name)
    assert (
        main(["trace", "--weights", str(directory), "--tokens", "4,5", "--float64", "--out", str(out)]) == 0
    )
    with np.load(out) as data:
        assert data["logits"].dtype == np.float64 and data["logits"].shape == (2, TINY.vocab_size)


def test_trace_command_with_our_npz_and_letters(tmp_path: Path) -> None:
    """--input letters run the sequence the app shows: the 6 letters and the first 5 greedy outputs."""
    config = GPTConfig(n_layer=1, n_head=2, n_embd=8, vocab_size=3, block_size=11, tied_head=False)
    save_npz(varied_weights(config), tmp_path / "sort.npz")
    out = tmp_path / "t.npz"
    assert (
        main(["trace", "--weights", str(tmp_path / "sort.npz"), "--input", "cbabbc", "--out", str(out)]) == 0
    )
    with np.load(out) as data:
        assert data["tokens"].tolist()[:6] == [2, 1, 0, 1, 1, 2]
        assert data["tokens"].shape == (11,)


@pytest.mark.parametrize(
    "config",
    [
        TINY,
        GPTConfig(
            n_layer=2, n_head=3, n_embd=9, vocab_size=50, block_size=8, tied_head=False, activation="gelu"
        ),
    ],
    ids=["tied-gelu_new", "untied-gelu"],
)
def test_logits_match_transformers_when_installed(tmp_path: Path, config: GPTConfig) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    weights = varied_weights(config, seed=11)
    directory = write_checkpoint(tmp_path / "ckpt", weights, tokenizer=None)
    model = transformers.GPT2LMHeadModel.from_pretrained(str(directory)).eval()
    tokens = [3, 1, 4, 1, 5, 9, 2, 6][: config.block_size]
    with torch.no_grad():
        expected = model(torch.tensor([tokens])).logits[0].numpy()
    np.testing.assert_allclose(logits(load_weights(directory), tokens), expected, rtol=1e-4, atol=1e-4)
