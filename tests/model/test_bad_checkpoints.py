"""Every kind of bad checkpoint, npz, tokenizer or argument ends in one `glviz: error:` line and exit status 2
(checkpoints are real safetensors folders written here, then broken)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from glviz.cli import main
from glviz.errors import GlvizError
from glviz.model.config import GPTConfig
from glviz.model.tokenizer import load_tokenizer
from glviz.model.weights import load_weights, save_npz

from .helpers import SENTENCES, TINY, varied_weights, write_checkpoint


def _error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI; require exit status 2 and exactly one stderr line starting `glviz: error:`."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors (our parser prints the same one line)
        status = exc.code
    captured = capsys.readouterr()
    assert status == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glviz: error: "), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def _good_checkpoint(tmp_path: Path) -> Path:
    return write_checkpoint(tmp_path / "ckpt", varied_weights(TINY), tokenizer=None)


def _write(directory: Path, name: str, data: bytes) -> Path:
    (directory / name).write_bytes(data)
    return directory


def _edit_config(directory: Path, **changes: object) -> Path:
    config = json.loads((directory / "config.json").read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    (directory / "config.json").write_text(json.dumps(config))
    return directory


def _rewrite_tensors(directory: Path, change) -> Path:
    from safetensors.numpy import load_file

    tensors = load_file(str(directory / "model.safetensors"))
    change(tensors)
    save_file(tensors, str(directory / "model.safetensors"))
    return directory


def _set_value(tensors: dict, name: str, value: float) -> None:
    tensors[name] = tensors[name].copy()
    tensors[name].reshape(-1)[3] = value


BAD_CHECKPOINTS = {
    "missing path": (lambda d: d / "nowhere", "weights path does not exist"),
    "name too long": (lambda d: d / ("a" * 300), "weights path cannot be read: File name too long"),
    "no model.safetensors": (lambda d: (d / "model.safetensors").unlink() or d, "no model.safetensors"),
    "empty model.safetensors": (lambda d: _write(d, "model.safetensors", b""), "is empty"),
    "truncated safetensors": (
        lambda d: _write(d, "model.safetensors", (d / "model.safetensors").read_bytes()[:-200]),
        "truncated or corrupt",
    ),
    "corrupt safetensors": (
        lambda d: _write(d, "model.safetensors", b"\x00garbage" * 64),
        "truncated or corrupt",
    ),
    "corrupt header json": (
        lambda d: _write(d, "model.safetensors", (16).to_bytes(8, "little") + b"{not json at all}"),
        "truncated or corrupt",
    ),
    "no config.json": (lambda d: (d / "config.json").unlink() or d, "no config.json"),
    "config.json not JSON": (
        lambda d: _write(d, "config.json", b"{n_layer: 2,"),
        "not valid JSON",
    ),
    "config.json a list": (lambda d: _write(d, "config.json", b"[1, 2]"), "not a JSON object"),
    "missing n_head": (lambda d: _edit_config(d, n_head=None), "field n_head is missing"),
    "missing n_positions": (
        lambda d: _edit_config(d, n_positions=None, n_ctx=None),
        "n_positions is missing",
    ),
    "n_layer not a number": (lambda d: _edit_config(d, n_layer="two"), "n_layer must be a positive integer"),
    "n_embd negative": (lambda d: _edit_config(d, n_embd=-12), "n_embd must be a positive integer"),
    "bad activation": (lambda d: _edit_config(d, activation_function="relu"), "activation_function"),
    "bad epsilon": (lambda d: _edit_config(d, layer_norm_epsilon=0), "layer_norm_epsilon"),
    "not gpt2": (lambda d: _edit_config(d, model_type="llama"), "model_type must be gpt2"),
    "n_embd not divisible": (lambda d: _edit_config(d, n_head=5), "not divisible by n_head"),
    "shape disagrees (n_embd)": (lambda d: _edit_config(d, n_embd=16, n_head=2), "config.json says"),
    "shape disagrees (vocab)": (lambda d: _edit_config(d, vocab_size=100), "config.json says"),
    "more layers than config": (lambda d: _edit_config(d, n_layer=1), "unexpected tensor"),
    "fewer layers than config": (lambda d: _edit_config(d, n_layer=3), "lacks tensor"),
    "untied without head": (
        lambda d: _edit_config(d, tie_word_embeddings=False),
        "lacks tensor lm_head.weight",
    ),
    "NaN in weights": (
        lambda d: _rewrite_tensors(d, lambda t: _set_value(t, "transformer.h.1.mlp.c_fc.weight", np.nan)),
        "NaN or Inf",
    ),
    "Inf in weights": (
        lambda d: _rewrite_tensors(d, lambda t: _set_value(t, "transformer.wpe.weight", -np.inf)),
        "NaN or Inf",
    ),
    "missing tensor": (
        lambda d: _rewrite_tensors(d, lambda t: t.pop("transformer.h.0.ln_2.bias")),
        "lacks tensor h.0.ln_2.bias",
    ),
    "int tensor": (
        lambda d: _rewrite_tensors(d, lambda t: t.update({"transformer.ln_f.bias": np.zeros(12, np.int32)})),
        "unsupported dtype",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CHECKPOINTS))
def test_bad_checkpoint_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    spoil, message = BAD_CHECKPOINTS[case]
    path = spoil(_good_checkpoint(tmp_path))
    with pytest.raises(GlvizError, match=message):
        load_weights(path)
    line = _error_line(capsys, ["generate", "--weights", str(path), "--tokens", "1,2"])
    if case == "missing path":  # the command line looks for a model of that name in the cache too
        message = "no such file or folder, nor a GPT-2 checkpoint of that name in the Hugging Face cache"
    assert message in line and "(" in line and line.endswith(")")


BAD_NPZ = {
    "not a zip": (lambda p: p.write_bytes(b"PK\x03\x04 broken zip"), "not a readable .npz"),
    "no config": (lambda p: np.savez(p, wte=np.zeros((3, 4), np.float32)), "no config entry"),
    "config not JSON": (lambda p: np.savez(p, config=np.array("{oops")), "not valid JSON"),
    "config missing field": (
        lambda p: np.savez(p, config=np.array(json.dumps({"n_layer": 1}))),
        "n_head is missing",
    ),
}


@pytest.mark.parametrize("case", list(BAD_NPZ))
def test_bad_npz_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    spoil, message = BAD_NPZ[case]
    path = tmp_path / "w.npz"
    spoil(path)
    line = _error_line(
        capsys, ["trace", "--weights", str(path), "--tokens", "1", "--out", str(tmp_path / "o.npz")]
    )
    assert message in line


def test_npz_with_wrong_shape_or_nan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = varied_weights(TINY)
    weights.tensors["layers.1.mlp.wproj"] = weights["layers.1.mlp.wproj"][:, :5]
    save_npz(weights, tmp_path / "shape.npz")
    assert "has shape (48, 5), config says (48, 12)" in _error_line(
        capsys, ["generate", "--weights", str(tmp_path / "shape.npz"), "--tokens", "1"]
    )
    weights = varied_weights(TINY)
    weights["layers.0.ln1.gamma"][2] = np.inf
    save_npz(weights, tmp_path / "inf.npz")
    assert "layers.0.ln1.gamma contains 1 NaN or Inf" in _error_line(
        capsys, ["generate", "--weights", str(tmp_path / "inf.npz"), "--tokens", "1"]
    )


BAD_ARGUMENTS = {
    "token outside vocabulary": (["--tokens", "1,320"], "outside the vocabulary 0..319 (320)"),
    "negative token": (["--tokens", "-1"], "outside the vocabulary"),
    "too many tokens": (["--tokens", ",".join(["1"] * 17)], "more tokens than the model's context of 16"),
    "unparsable tokens": (["--tokens", "1,x,3"], "--tokens must be integer ids"),
    "empty tokens": (["--tokens", " , "], "at least one token"),
    "prompt without tokenizer": (["--prompt", "hello"], "no tokenizer"),
    "letters for a non-sort model": (["--input", "CBABBC"], "--input letters are for the nano sort model"),
    "bad letters": (["--input", "ABCD"], "6 letters"),
    "negative max tokens": (["--tokens", "1", "--max-new-tokens", "-3"], "max-new-tokens"),
    "bad top-p": (["--tokens", "1", "--top-p", "1.5"], "top-p"),
    "bad top-k": (["--tokens", "1", "--top-k", "0"], "top-k"),
    "negative temperature": (["--tokens", "1", "--temperature", "-1"], "temperature"),
    "no input at all": ([], "one of the arguments --input --tokens --prompt is required"),
    "unknown preset": (["--model", "gpt5", "--tokens", "1"], "unknown model"),
    "token id beyond 64 bits": (
        ["--tokens", "5,99999999999999999999999"],
        "token id outside any vocabulary (99999999999999999999999)",
    ),
    "negative seed, greedy": (["--tokens", "1", "--seed", "-1"], "--seed must not be negative (-1)"),
    "negative seed, sampling": (["--tokens", "1", "--seed", "-5", "--temperature", "1"], "negative (-5)"),
    "max new tokens past the context": (
        ["--tokens", "1,2,3", "--max-new-tokens", "15"],
        "past the model's context of 16 tokens: at most 14 after a 3-token prompt (15)",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments_are_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    extra, message = BAD_ARGUMENTS[case]
    directory = _good_checkpoint(tmp_path)
    argv = ["generate", *(["--weights", str(directory)] if "--model" not in extra else []), *extra]
    assert message in _error_line(capsys, argv)


def test_prompt_longer_than_the_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = write_checkpoint(tmp_path / "ckpt", varied_weights(TINY))
    prompt = " ".join(SENTENCES)
    n = len(load_tokenizer(directory).encode(prompt))
    assert n > TINY.block_size
    for command in (["generate"], ["trace", "--out", str(tmp_path / "t.npz")]):
        line = _error_line(capsys, [*command, "--weights", str(directory), "--prompt", prompt])
        assert line == f"glviz: error: more tokens than the model's context of 16 ({n} tokens)"


def test_tokenizer_larger_than_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A byte-level BPE has at least 256 ids: a model of 260 cannot run all of them."""
    config = GPTConfig(n_layer=1, n_head=2, n_embd=8, vocab_size=260, block_size=16)
    directory = write_checkpoint(tmp_path / "ckpt", varied_weights(config))
    size = load_tokenizer(directory).vocab_size
    line = _error_line(capsys, ["generate", "--weights", str(directory), "--prompt", "The fox"])
    where = directory / "tokenizer.json"
    assert line == f"glviz: error: the tokenizer's vocabulary ({size} tokens) is larger than the model's " \
                   f"(260) ({where})"
    # --tokens does not use the tokenizer: fine
    assert main(["generate", "--weights", str(directory), "--tokens", "1", "--max-new-tokens", "1"]) == 0


def test_tokenizer_that_cannot_encode_the_prompt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tokenizers import Tokenizer as Backend
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    directory = write_checkpoint(tmp_path / "ckpt", varied_weights(TINY), tokenizer=None)
    words = Backend(WordLevel({"hello": 0, "world": 1}))  # no unknown token: other words cannot be encoded
    words.pre_tokenizer = Whitespace()
    words.save(str(directory / "tokenizer.json"))
    line = _error_line(capsys, ["generate", "--weights", str(directory), "--prompt", "hello there"])
    reason = "WordLevel error: Missing [UNK] token from the vocabulary"
    assert line == f"glviz: error: the tokenizer cannot encode the prompt: {reason} ('hello there')"


def test_a_prompt_that_is_not_utf8(tmp_path: Path) -> None:
    """Latin-1 bytes in --prompt: the tokenizers library's 'TextInputSequence must be str' and the value
    as surrogates ('\\udce9') said nothing a user could act on. A real process, with real bytes."""
    directory = write_checkpoint(tmp_path / "ckpt", varied_weights(TINY))
    for command in (["generate"], ["trace", "--out", str(tmp_path / "t.npz")]):
        argv = [*command, "--weights", str(directory), "--prompt", b"caf\xe9 \xc3\xa0 la carte"]
        proc = subprocess.run([sys.executable, "-m", "glviz", *argv], capture_output=True, timeout=120)
        assert proc.returncode == 2
        assert proc.stderr.decode() == "glviz: error: the prompt is not UTF-8 text (caf\\xe9 à la carte)\n"


def test_trace_to_missing_folder_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = _good_checkpoint(tmp_path)
    line = _error_line(
        capsys,
        [
            "trace",
            "--weights",
            str(directory),
            "--tokens",
            "1",
            "--out",
            str(tmp_path / "no" / "such" / "dir" / "t.npz"),
        ],
    )
    assert "output folder does not exist" in line


def test_bad_input_through_a_real_process(tmp_path: Path) -> None:
    directory = write_checkpoint(tmp_path / "ckpt", varied_weights(TINY), tokenizer=None)
    (directory / "model.safetensors").write_bytes((directory / "model.safetensors").read_bytes()[:100])
    for argv in (
        ["generate", "--weights", str(directory), "--tokens", "1"],
        ["trace", "--weights", str(tmp_path / "missing"), "--tokens", "1", "--out", str(tmp_path / "t.npz")],
        ["generate", "--model", "nano", "--input", "ABCDEF"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "glviz", *argv], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 2, proc
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("glviz: error: "), proc.stderr
        assert proc.stdout == ""


def test_a_config_of_a_billion_layers_is_refused_at_once(tmp_path: Path) -> None:
    """The loaders listed every layer's tensor names before looking at the file: a corrupt config of a
    billion layers took minutes and gigabytes. A real process, with a time and a memory limit."""
    import resource

    directory = _edit_config(_good_checkpoint(tmp_path), n_layer=10**9)
    npz = tmp_path / "w.npz"
    config = varied_weights(TINY).config.to_dict() | {"n_layer": 10**9}
    np.savez(npz, config=np.array(json.dumps(config)), wte=np.zeros((3, 4), np.float32))
    limit = 6 * 2**30

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    for path, said in ((directory, "config.json"), (npz, "the weights file's config")):
        argv = ["generate", "--weights", str(path), "--tokens", "1"]
        proc = subprocess.run([sys.executable, "-m", "glviz", *argv], capture_output=True, text=True,
                              timeout=60, preexec_fn=cap_memory)
        assert proc.returncode == 2, proc.stderr
        stored = 2 if path == npz else len(_hf_keys(directory))
        where = npz if path == npz else directory / "model.safetensors"
        assert proc.stderr == f"glviz: error: {said} says 1000000000 layers, more than the file's {stored} " \
                              f"tensors ({where})\n"


@pytest.mark.parametrize("name", ["weights", "weights.npz"])
def test_weights_that_are_a_fifo_are_refused_without_waiting(tmp_path: Path, name: str) -> None:
    """zipfile.is_zipfile opened a FIFO (or /dev/stdin) and waited for a writer for ever."""
    import os

    fifo = tmp_path / name
    os.mkfifo(fifo)
    argv = ["generate", "--weights", str(fifo), "--tokens", "1"]
    proc = subprocess.run([sys.executable, "-m", "glviz", *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == "glviz: error: weights must be a .npz file or a folder with config.json and " \
                          f"model.safetensors ({fifo})\n"


def _hf_keys(directory: Path) -> list[str]:
    from safetensors import safe_open

    with safe_open(str(directory / "model.safetensors"), framework="numpy") as f:
        return list(f.keys())  # noqa: SIM118 (safe_open is not a mapping)
