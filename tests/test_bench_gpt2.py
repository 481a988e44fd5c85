"""The GPT-2 benchmark's checkpoint writer and byte count (its speeds are reported by `glviz bench`, never
asserted)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
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


def test_the_kv_step_is_measured_in_a_child_that_runs_as_generate_does(tmp_path: Path, monkeypatch) -> None:
    """The step runs in a fresh process whose environment lacks what quiet_idle_threads added (there, as in
    `glviz generate`, OpenBLAS's threads spin between calls); its numbers come back whole."""
    from glviz.bench.gpt2 import Setup, measure_kv_step
    from glviz.model.blas import IDLE_THREADS_ENV, quiet_idle_threads, spinning_environment

    name, _ = next(iter(IDLE_THREADS_ENV.items()))
    monkeypatch.delenv(name, raising=False)
    quiet_idle_threads()
    assert name in os.environ and name not in spinning_environment()
    config = GPTConfig(n_layer=2, n_head=2, n_embd=16, vocab_size=64, block_size=32)
    directory = write_checkpoint(tmp_path / "ckpt", config, seed=1)
    found = measure_kv_step(Setup(directory, None, runs=1), T=8)
    assert set(found) == {"bandwidth_gbs", "kv_step_t8_s", "kv_floor_t8_s", "kv_ratio_t8", "kv_processes"}
    assert found["kv_processes"] == 1  # as generate runs it: a model this small is not split
    assert found["bandwidth_gbs"] > 0 and found["kv_step_t8_s"] > 0
    assert found["kv_floor_t8_s"] * found["bandwidth_gbs"] * 1e9 == pytest.approx(step_weight_bytes(config))
    assert found["kv_ratio_t8"] == pytest.approx(found["kv_step_t8_s"] / found["kv_floor_t8_s"])
