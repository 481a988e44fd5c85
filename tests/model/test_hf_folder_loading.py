"""Reading a Hugging Face folder: through a memory map, float32 / float16 / bfloat16, tensor by tensor with
progress that can stop the load; the GPT-2 checkpoints of the local Hugging Face cache found by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glviz.errors import GlvizError
from glviz.model.hf_cache import cached_checkpoints, resolve_weights
from glviz.model.weights import load_weights

from .helpers import TINY, hf_config, hf_tensors, varied_weights, write_checkpoint


def _bfloat16_bits(a: np.ndarray) -> np.ndarray:
    """float32 -> the upper 16 bits (bfloat16 by truncation), as uint16; written as BF16 below."""
    return (np.ascontiguousarray(a, np.float32).view(np.uint32) >> 16).astype(np.uint16)


def _save_bfloat16(tensors: dict[str, np.ndarray], path: Path) -> None:
    """A safetensors file of BF16 tensors, written by hand (safetensors.numpy has no bfloat16): an 8-byte
    header length, the JSON header, then the bytes of each tensor."""
    header, chunks, offset = {}, [], 0
    for key, value in tensors.items():
        raw = _bfloat16_bits(value).tobytes()
        span = [offset, offset + len(raw)]
        header[key] = {"dtype": "BF16", "shape": list(value.shape), "data_offsets": span}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(chunks))


def test_bfloat16_checkpoint_is_read_as_float32(tmp_path: Path) -> None:
    weights = varied_weights(TINY)
    directory = tmp_path / "ckpt"
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps(hf_config(TINY)))
    _save_bfloat16(hf_tensors(weights), directory / "model.safetensors")
    loaded = load_weights(directory)
    expected = (_bfloat16_bits(weights["wte"]).astype(np.uint32) << 16).view(np.float32)
    assert loaded["wte"].dtype == np.float32
    np.testing.assert_array_equal(loaded["wte"], expected)
    assert np.abs(loaded["wte"] - weights["wte"]).max() < 0.01 * np.abs(weights["wte"]).max()


def test_tensors_are_copies_of_their_own(tmp_path: Path) -> None:
    """Read through a map of the file, each tensor is an array numpy allocated (the file can go)."""
    directory = write_checkpoint(tmp_path / "ckpt", varied_weights(TINY))
    loaded = load_weights(directory)
    (directory / "model.safetensors").unlink()
    for name in ("wte", "layers.0.mlp.wfc", "ln_f.gamma"):
        array = loaded[name]
        assert array.flags.owndata or array.base is not None and not isinstance(array.base, np.memmap)
        assert np.isfinite(array).all()


def test_progress_counts_every_tensor_and_can_stop_the_load(tmp_path: Path) -> None:
    directory = write_checkpoint(tmp_path / "ckpt", varied_weights(TINY))
    seen: list[tuple[int, int]] = []
    load_weights(directory, progress=lambda done, total: seen.append((done, total)))
    total = len(hf_tensors(varied_weights(TINY)))
    assert seen[0] == (0, total) and seen[-1] == (total - 1, total)
    assert [d for d, _ in seen] == list(range(total))

    class Stop(Exception):
        pass

    def stop_at_three(done: int, total: int) -> None:
        if done == 3:
            raise Stop

    with pytest.raises(Stop):
        load_weights(directory, progress=stop_at_three)


def _cache_model(hub: Path, name: str, directory_of_files: Path, revision: str = "abc123") -> Path:
    """A model stored as the Hugging Face cache stores it: models--org--name/snapshots/<rev>, refs/main."""
    model_dir = hub / ("models--" + name.replace("/", "--"))
    snapshot = model_dir / "snapshots" / revision
    snapshot.mkdir(parents=True)
    for f in directory_of_files.iterdir():
        (snapshot / f.name).write_bytes(f.read_bytes())
    (model_dir / "refs").mkdir()
    (model_dir / "refs" / "main").write_text(revision)
    return snapshot


def test_cached_checkpoints_are_found_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = write_checkpoint(tmp_path / "files", varied_weights(TINY))
    hub = tmp_path / "hf" / "hub"
    a = _cache_model(hub, "gpt2", files)
    b = _cache_model(hub, "someone/tiny-gpt2", files)
    bert = _cache_model(hub, "bert-base", files)
    config = json.loads((bert / "config.json").read_text())
    (bert / "config.json").write_text(json.dumps({**config, "model_type": "bert"}))
    (hub / "models--empty").mkdir()
    assert cached_checkpoints(hub) == [("gpt2", a), ("someone/tiny-gpt2", b)]
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert resolve_weights("gpt2") == a
    assert resolve_weights("tiny-gpt2") == b and resolve_weights("someone/tiny-gpt2") == b
    assert resolve_weights(str(files)) == files  # a path is a path
    assert resolve_weights(str(hub / "models--someone--tiny-gpt2")) == b  # a model's folder: its snapshot
    assert resolve_weights(str(hub / "models--bert-base")) == bert  # loading it says what it is
    with pytest.raises(GlvizError, match=r"Hugging Face cache .*\(gpt2-xl\)$"):
        resolve_weights("gpt2-xl")
    with pytest.raises(GlvizError, match=r"Hugging Face cache .*\(a{300}\)$"):  # no path: the stat failed
        resolve_weights("a" * 300)
    assert load_weights(resolve_weights("gpt2")).config.n_embd == TINY.n_embd
    # A cached model that is not a checkpoint glviz reads is named all the same, and loading says why.
    assert resolve_weights("bert-base") == bert
    with pytest.raises(GlvizError, match="model_type must be gpt2"):
        load_weights(resolve_weights("bert-base"))
    old = _cache_model(hub, "someone/old-gpt2", files)
    (old / "model.safetensors").rename(old / "pytorch_model.bin")  # an older cache: no safetensors
    assert [name for name, _ in cached_checkpoints(hub)] == ["gpt2", "someone/tiny-gpt2"]  # not listed
    with pytest.raises(GlvizError, match=r"no model\.safetensors"):
        load_weights(resolve_weights("old-gpt2"))


def test_a_cached_checkpoint_is_called_by_its_models_name_not_its_revision(tmp_path: Path) -> None:
    from glviz.ui.loading import CheckpointLoad

    files = write_checkpoint(tmp_path / "my-folder", varied_weights(TINY))
    revision = "607a30d783dfa663caf39e06633721c8d4cfcd7e"  # what the cache names a snapshot by
    snapshot = _cache_model(tmp_path / "hub", "openai-community/gpt2", files, revision=revision)
    assert load_weights(snapshot).config.name == "openai-community/gpt2"  # the model card's title
    assert load_weights(snapshot / "model.safetensors").config.name == "openai-community/gpt2"
    assert CheckpointLoad("k", snapshot).name == "openai-community/gpt2"  # the model selector's
    assert load_weights(files).config.name == "my-folder"  # a folder of one's own: its name
    assert CheckpointLoad("k", files).name == "my-folder"
    plain = tmp_path / "snapshots" / "mine"  # a folder that is only called so: its own name
    plain.mkdir(parents=True)
    for f in files.iterdir():
        (plain / f.name).write_bytes(f.read_bytes())
    assert load_weights(plain).config.name == "mine"


def test_no_cache_is_an_empty_list(tmp_path: Path) -> None:
    assert cached_checkpoints(tmp_path / "nowhere") == []


def test_a_loaded_layers_query_key_value_are_fused_once_and_follow_a_replacement(tmp_path: Path) -> None:
    weights = load_weights(write_checkpoint(tmp_path / "ckpt", varied_weights(TINY, seed=2), tokenizer=None))
    p = "layers.0.attn."
    w, b = weights.qkv(0)
    expected = np.concatenate([weights[p + n] for n in ("wq", "wk", "wv")], axis=1)
    np.testing.assert_array_equal(w, expected)
    assert weights.qkv(0)[0] is w and weights.qkv(0)[1] is b  # the file's fused array itself, no copy
    weights.tensors[p + "wk"] = weights[p + "wk"] + 1.0  # replaced: seen at once
    np.testing.assert_array_equal(weights.qkv(0)[0][:, TINY.n_embd:2 * TINY.n_embd], weights[p + "wk"])


def test_every_command_takes_a_cached_models_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from glviz.cli import main

    files = write_checkpoint(tmp_path / "files", varied_weights(TINY))
    _cache_model(tmp_path / "hub", "someone/tiny-gpt2", files)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert main(["generate", "--weights", "tiny-gpt2", "--tokens", "1,2,3", "--max-new-tokens", "2"]) == 0
    by_path = capsys.readouterr().out
    assert main(["generate", "--weights", str(files), "--tokens", "1,2,3", "--max-new-tokens", "2"]) == 0
    assert capsys.readouterr().out == by_path
    assert main(["trace", "--weights", "someone/tiny-gpt2", "--tokens", "1,2",
                 "--out", str(tmp_path / "t.npz")]) == 0
    assert (tmp_path / "t.npz").stat().st_size > 0
    assert main(["render", "--weights", "tiny-gpt2", "--tokens", "1,2", "--size", "96x64",
                 "--out", str(tmp_path / "r.png")]) == 0
    assert (tmp_path / "r.png").stat().st_size > 0
    capsys.readouterr()
    assert main(["generate", "--weights", "gpt2-xl", "--tokens", "1"]) == 2
    assert capsys.readouterr().err.startswith("glviz: error: no such file or folder, nor a GPT-2 checkpoint")
