"""The GPT-2 benchmark's checkpoint writer and byte count (its speeds are reported by `glviz bench`, never
asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from glviz.bench.gpt2 import step_weight_bytes, write_checkpoint
from glviz.model.config import PRESETS, GPTConfig
from glviz.model.forward import logits
from glviz.model.weights import load_weights, random_weights

DATA = Path(__file__).resolve().parent / "data" / "tiny-gpt2-hf"


def test_written_checkpoint_has_transformers_names_and_loads_back(tmp_path: Path) -> None:
    config = GPTConfig(n_layer=2, n_head=2, n_embd=16, vocab_size=64, block_size=32)
    directory = write_checkpoint(tmp_path / "ckpt", config, seed=4)
    # the key names and shapes of a folder transformers saved (tests/data/tiny-gpt2-hf has this config)
    ours, theirs = load_file(str(directory / "model.safetensors")), load_file(str(DATA / "model.safetensors"))
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}
    fields, saved = (json.loads((d / "config.json").read_text()) for d in (directory, DATA))
    assert {k: saved.get(k) for k in fields} == fields  # the same fields, the same values
    loaded, original = load_weights(directory), random_weights(config, seed=4)
    np.testing.assert_array_equal(logits(loaded, [1, 2, 3]), logits(original, [1, 2, 3]))


def test_step_reads_every_weight_once_but_the_position_table() -> None:
    weights = random_weights(GPTConfig(n_layer=2, n_head=2, n_embd=16, vocab_size=64, block_size=32))
    read = sum(v.nbytes for name, v in weights.tensors.items() if name != "wpe")
    assert step_weight_bytes(weights.config) == read
    assert round(step_weight_bytes(PRESETS["gpt2"]) / 1e6) == 495  # GPT-2 small: 494.6 MB
