"""`glviz render`'s model and input options: --prompt and --tokens draw that trace; options that cannot apply
are refused with one error line (before any GL work), not silently ignored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glviz.cli import main
from glviz.commands.render import load_scene_data
from glviz.model.config import GPTConfig
from glviz.model.sort_task import load_nano, nano_sequence, parse_letters
from glviz.model.tokenizer import load_tokenizer
from glviz.model.weights import random_weights, save_npz
from model.helpers import varied_weights, write_checkpoint  # tests/model, beside this file

SMALL = GPTConfig(n_layer=1, n_head=2, n_embd=8, vocab_size=320, block_size=16, name="small")


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    return write_checkpoint(tmp_path / "ckpt", varied_weights(SMALL))


def test_prompt_and_tokens_draw_that_trace(checkpoint: Path) -> None:
    prompt = "The lazy dog"
    expected = load_tokenizer(checkpoint).encode(prompt)
    layout, trace = load_scene_data(None, str(checkpoint), prompt=prompt)
    assert trace.tokens.tolist() == expected.tolist() and layout.n_tokens == len(expected)
    layout, trace = load_scene_data(None, str(checkpoint), tokens="5,17,300")
    assert trace.tokens.tolist() == [5, 17, 300] and layout.n_tokens == 3
    assert trace.computed("probs")
    layout, trace = load_scene_data(None, None, tokens="2,1,0")  # nano with ids of its own
    assert trace.tokens.tolist() == [2, 1, 0] and layout.n_tokens == 3 and layout.config.name == "nano"
    layout, trace = load_scene_data(None, None)  # nano's default: the app's first input
    assert trace.tokens.tolist() == nano_sequence(load_nano(), parse_letters("CBABBC")).tolist()


def _error(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> str:
    try:
        status = main(["render", *args, "--out", str(tmp_path / "x.png")])
    except SystemExit as exc:  # argparse's own errors (our parser prints the same one line)
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and err.startswith("glviz: error: "), err
    assert not (tmp_path / "x.png").exists()
    return err.strip()


def test_options_that_cannot_apply_are_refused(tmp_path: Path, checkpoint: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = str(checkpoint)
    assert _error(capsys, tmp_path, "--model", "gpt2", "--weights", ckpt) == (
        f"glviz: error: give --model or --weights, not both (gpt2, {ckpt})")
    assert _error(capsys, tmp_path, "--model", "nano", "--weights", ckpt).endswith(f"not both (nano, {ckpt})")
    assert _error(capsys, tmp_path, "--model", "gpt2", "--input", "CBABBC") == (
        "glviz: error: --input needs values to draw, and gpt2 is a layout without weights; "
        "give --weights for a checkpoint (gpt2)")
    assert "--prompt needs values" in _error(capsys, tmp_path, "--model", "gpt3", "--prompt", "Hello")
    assert "--tokens needs values" in _error(capsys, tmp_path, "--model", "gpt2-xl", "--tokens", "1")
    assert "--input letters are for the nano sort model" in _error(
        capsys, tmp_path, "--weights", ckpt, "--input", "CBABBC")
    assert "reads only the letters A, B, C, not 'h' ('hi')" in _error(capsys, tmp_path, "--prompt", "hi")
    assert "outside the vocabulary 0..2 (7)" in _error(capsys, tmp_path, "--tokens", "1,7")
    assert "more tokens than the model's context of 16 (17 tokens)" in _error(
        capsys, tmp_path, "--weights", ckpt, "--tokens", ",".join(["1"] * 17))
    assert "not allowed with argument" in _error(capsys, tmp_path, "--input", "CBABBC", "--tokens", "1")


def test_sort_model_checkpoint_still_draws_letters(tmp_path: Path) -> None:
    save_npz(random_weights(load_nano().config, seed=2), tmp_path / "sort.npz")
    layout, trace = load_scene_data(None, str(tmp_path / "sort.npz"), letters="abcabc")
    assert trace.tokens.tolist()[:6] == [0, 1, 2, 0, 1, 2] and layout.n_tokens == 11


def test_render_command_draws_a_prompt(tmp_path: Path, checkpoint: Path, gl_ctx) -> None:
    from PIL import Image

    out = tmp_path / "prompt.png"
    assert main(["render", "--weights", str(checkpoint), "--prompt", "The fox", "--view", "input",
                 "--size", "160x100", "--out", str(out)]) == 0
    image = np.asarray(Image.open(out).convert("RGB"))
    assert image.shape == (100, 160, 3) and np.ptp(image.reshape(-1, 3), axis=0).max() > 100
