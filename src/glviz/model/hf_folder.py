"""Hugging Face GPT-2 folders: config.json + model.safetensors (+ tokenizer), read and written.

Tensors are read through a memory map of model.safetensors, one at a time, each copied by numpy into a
float32 array of its own (float16 and bfloat16 converted); `progress(done, total)` is called before each
tensor, and may raise to stop the load (the app's Cancel button).
"""

from __future__ import annotations

import dataclasses
import json
import mmap
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from glviz.errors import GlvizError
from glviz.model.config import GPTConfig, require_layers_stored
from glviz.model.config_file import make_config
from glviz.model.hf_cache import checkpoint_title
from glviz.model.weights import Weights, split_qkv, validate, weight_shapes

Progress = Callable[[int, int], None]  # (tensors read, tensors in the file)
# Tensors copied out of the file side by side (the app opening a GPT-2 small: load_weights 1.16 - 1.25 ->
# 0.86 - 1.04 s, a slow hour).
COPY_THREADS = 2


# Hugging Face activation_function -> ours.
_HF_ACTIVATIONS = {
    "gelu_new": "gelu_new",
    "gelu_pytorch_tanh": "gelu_new",
    "gelu_fast": "gelu_new",
    "gelu": "gelu",
}

# config.json options that would change the computation, and the only value glviz computes (GPT-2's).
_HF_PLAIN = {"n_inner": None, "scale_attn_weights": True, "scale_attn_by_inverse_layer_idx": False}

# The attention-mask buffers older GPT-2 checkpoints carry; they are not weights.
_HF_BUFFER = re.compile(r"h\.\d+\.attn\.(bias|masked_bias)")


def _hf_config(directory: Path) -> GPTConfig:
    path = directory / "config.json"
    if not path.is_file():
        raise GlvizError("error.hf.no_config", path=directory)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise GlvizError("error.hf.config_json", path=path) from None
    except OSError as exc:  # no permission to read it, say
        raise GlvizError("error.weights.unreadable", reason=exc.strerror, path=path) from None
    if not isinstance(data, dict):
        raise GlvizError("error.hf.config_object", path=path)
    model_type = data.get("model_type", "gpt2")
    if model_type != "gpt2":
        raise GlvizError("error.hf.model_type", value=repr(model_type), path=path)
    fields: dict[str, object] = {}
    for name in ("n_layer", "n_head", "n_embd", "vocab_size"):  # the same names in config.json
        if name not in data:
            raise GlvizError("error.config.field_missing", file="config.json", field=name, source=path)
        fields[name] = data[name]
    if "n_positions" in data:
        fields["block_size"] = data["n_positions"]
    elif "n_ctx" in data:
        fields["block_size"] = data["n_ctx"]
    else:
        raise GlvizError("error.config.field_missing", file="config.json", field="n_positions", source=path)
    fields["layer_norm_eps"] = data.get("layer_norm_epsilon", 1e-5)
    activation = data.get("activation_function", "gelu_new")
    if activation not in _HF_ACTIVATIONS:
        raise GlvizError("error.hf.activation", names=", ".join(_HF_ACTIVATIONS), value=repr(activation),
                         path=path)
    fields["activation"] = _HF_ACTIVATIONS[activation]
    tied = data.get("tie_word_embeddings", True)
    if not isinstance(tied, bool):
        raise GlvizError("error.config.field_bool", file="config.json", field="tie_word_embeddings",
                         value=repr(tied), source=path)
    fields["tied_head"] = tied
    for key, plain in _HF_PLAIN.items():
        value = data.get(key, plain)
        if value != plain and not (key == "n_inner" and value == 4 * fields["n_embd"] != 0):
            raise GlvizError("error.hf.field_value", field=key, expected=json.dumps(plain), value=repr(value),
                             path=path)
    fields["name"] = checkpoint_title(directory) or "gpt2"
    try:
        return make_config(path, **fields)
    except GlvizError as exc:
        # Name the Hugging Face key, not ours, where they differ.
        raise _hf_names(exc) from None


_HF_FIELD_NAMES = {"block_size": "n_positions", "layer_norm_eps": "layer_norm_epsilon"}  # ours: theirs


def _hf_names(exc: GlvizError) -> GlvizError:
    """The same message with config.json's file and key names where ours differ (nested messages too)."""
    changes: dict[str, object] = {name: _hf_names(value) for name, value in exc.values.items()
                                  if isinstance(value, GlvizError)}
    if exc.values.get("file") == "config":
        changes["file"] = "config.json"
        field = exc.values.get("field")
        changes["field"] = _HF_FIELD_NAMES.get(field, field)
    return exc.with_values(**changes)


def _hf_tensor_map(config: GPTConfig) -> dict[str, str]:
    """Hugging Face name (without `transformer.`) -> our name; c_attn maps to a fused placeholder."""
    m = {"wte.weight": "wte", "wpe.weight": "wpe", "ln_f.weight": "ln_f.gamma", "ln_f.bias": "ln_f.beta"}
    for i in range(config.n_layer):
        h, p = f"h.{i}.", f"layers.{i}."
        m.update(
            {
                h + "ln_1.weight": p + "ln1.gamma",
                h + "ln_1.bias": p + "ln1.beta",
                h + "attn.c_attn.weight": p + "attn.c_attn.weight",
                h + "attn.c_attn.bias": p + "attn.c_attn.bias",
                h + "attn.c_proj.weight": p + "attn.wproj",
                h + "attn.c_proj.bias": p + "attn.bproj",
                h + "ln_2.weight": p + "ln2.gamma",
                h + "ln_2.bias": p + "ln2.beta",
                h + "mlp.c_fc.weight": p + "mlp.wfc",
                h + "mlp.c_fc.bias": p + "mlp.bfc",
                h + "mlp.c_proj.weight": p + "mlp.wproj",
                h + "mlp.c_proj.bias": p + "mlp.bproj",
            }
        )
    return m


def _hf_expected_shapes(config: GPTConfig) -> dict[str, tuple[int, ...]]:
    shapes = weight_shapes(config)
    C = config.n_embd
    for i in range(config.n_layer):
        p = f"layers.{i}.attn."
        for n in ("wq", "wk", "wv", "bq", "bk", "bv"):
            del shapes[p + n]
        shapes[p + "c_attn.weight"] = (C, 3 * C)
        shapes[p + "c_attn.bias"] = (3 * C,)
    return shapes


def load_hf(directory: Path, progress: Progress | None = None) -> Weights:
    """A Hugging Face GPT-2 folder as Weights; GlvizError for every bad input."""
    from safetensors import SafetensorError, safe_open

    config = _hf_config(directory)
    st_path = directory / "model.safetensors"
    if not st_path.is_file():
        raise GlvizError("error.hf.no_safetensors", path=directory)
    if st_path.stat().st_size == 0:
        raise GlvizError("error.hf.empty", path=st_path)
    try:
        st_path.open("rb").close()  # safetensors says "No such file or directory" of a file it may not read
    except OSError as exc:
        raise GlvizError("error.weights.unreadable", reason=exc.strerror, path=st_path) from None
    found: dict[str, np.ndarray] = {}
    lm_head: np.ndarray | None = None
    try:
        # safe_open checks the header and gives names, shapes and dtypes; the values come from our own map,
        # copied on COPY_THREADS threads (numpy copies without the interpreter's lock: the copies and the page
        # faults of the memory they fill run side by side), in the file's order.
        with (safe_open(str(st_path), framework="numpy") as f, _TensorFile(st_path) as raw,
              ThreadPoolExecutor(COPY_THREADS, thread_name_prefix="glviz-copy") as copies):
            keys = list(f.keys())  # noqa: SIM118 (safe_open is not a mapping)
            require_layers_stored(config, len(keys), "config.json", st_path)
            name_map = _hf_tensor_map(config)
            expected = _hf_expected_shapes(config)
            reads: list[tuple[str, Future] | None] = []  # per key: our name (or lm_head.weight), its copy
            try:  # a refused tensor, or a cancelled load: the copies not begun are dropped
                for key in keys:
                    short = key.removeprefix("transformer.")
                    if _HF_BUFFER.fullmatch(short):
                        reads.append(None)  # (a buffer, not a weight: the attention mask)
                        continue
                    if short == "lm_head.weight":  # read even when tied: it may differ from wte (below)
                        _check_shape(f, key, (config.vocab_size, config.n_embd), st_path)
                        ours = short
                    else:
                        ours = name_map.get(short)
                        if ours is None:
                            raise GlvizError("error.hf.unexpected_tensor", key=key, n=config.n_layer,
                                             path=st_path)
                        _check_shape(f, key, expected[ours], st_path)
                    dtype = _file_dtype(f, key, raw.path)
                    reads.append((ours, copies.submit(_read_tensor, raw, key, dtype)))
                for done, entry in enumerate(reads):
                    if progress is not None:
                        progress(done, len(keys))  # may raise: a cancelled load
                    if entry is None:
                        continue
                    ours, read = entry
                    if ours == "lm_head.weight":
                        lm_head = read.result()
                    else:
                        found[ours] = read.result()
            finally:
                for entry in reads:
                    if entry is not None:
                        entry[1].cancel()
    except SafetensorError as exc:
        raise GlvizError("error.hf.corrupt", reason=str(exc), path=st_path) from None
    own_head = lm_head is not None and "wte" in found and not np.array_equal(lm_head, found["wte"])
    if config.tied_head and own_head:
        # The config says tied, but the file has a head of its own: transformers then uses the file's head
        # (and warns), so do we.
        config = dataclasses.replace(config, tied_head=False)
    if lm_head is not None and not config.tied_head:
        found["lm_head"] = lm_head
    missing = [n for n in expected if n not in found]
    if missing:
        hf_names = {v: k for k, v in name_map.items()} | {"lm_head": "lm_head.weight"}
        if len(missing) > 1:
            raise GlvizError("error.hf.lacks_tensors", key=hf_names[missing[0]], more=len(missing) - 1,
                             path=st_path)
        raise GlvizError("error.hf.lacks_tensor", key=hf_names[missing[0]], path=st_path)
    for i in range(config.n_layer):
        p = f"layers.{i}.attn."
        split_qkv(found, i, found.pop(p + "c_attn.weight"), found.pop(p + "c_attn.bias"))
    from glviz.model.tokenizer import load_tokenizer

    return validate(Weights(config, found, load_tokenizer(directory)), st_path)


def save_hf(weights: Weights, directory: str | Path) -> Path:
    """Write a Hugging Face GPT-2 folder (config.json + model.safetensors, the key names and config fields
    that transformers' save_pretrained uses) that `load_weights` and transformers both read."""
    from safetensors.numpy import save_file

    c, directory = weights.config, Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for hf_name, ours in _hf_tensor_map(c).items():
        if ours.endswith(("c_attn.weight", "c_attn.bias")):  # q|k|v fused, as Conv1D stores them
            value = weights.qkv(int(ours.split(".")[1]))[0 if ours.endswith("weight") else 1]
        else:
            value = weights[ours]
        tensors["transformer." + hf_name] = np.ascontiguousarray(value)
    if not c.tied_head:
        tensors["lm_head.weight"] = np.ascontiguousarray(weights["lm_head"])
    save_file(tensors, str(directory / "model.safetensors"), metadata={"format": "pt"})
    activation = {"gelu_new": "gelu_new", "gelu": "gelu"}[c.activation]
    config = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": c.n_layer,
              "n_head": c.n_head, "n_embd": c.n_embd, "vocab_size": c.vocab_size, "n_positions": c.block_size,
              "layer_norm_epsilon": c.layer_norm_eps, "activation_function": activation,
              "tie_word_embeddings": c.tied_head}  # fmt: skip
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    return directory


def _check_shape(f: object, key: str, expected: tuple[int, ...], path: Path) -> None:
    shape = tuple(f.get_slice(key).get_shape())  # type: ignore[attr-defined]
    if shape != expected:
        raise GlvizError("error.hf.tensor_shape", key=key, shape=shape, expected=expected, path=path)


_FILE_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "BF16": "<u2"}


def _file_dtype(f: object, key: str, path: Path) -> str:
    """The numpy dtype of a tensor's bytes in the file (GlvizError for one glviz does not read)."""
    dtype = f.get_slice(key).get_dtype()  # type: ignore[attr-defined]
    if dtype not in _FILE_DTYPES:
        raise GlvizError("error.hf.tensor_dtype", key=key, dtype=dtype, path=path)
    return dtype


def _read_tensor(raw: _TensorFile, key: str, dtype: str) -> np.ndarray:
    """A tensor copied out of the map as float32 (on a copying thread)."""
    mapped = raw.view(key, _FILE_DTYPES[dtype])  # (shape) of the file's dtype, not copied yet
    if dtype == "BF16":  # numpy has no bfloat16: a bfloat16 is the top half of a float32
        out = (mapped.astype(np.uint32) << 16).view(np.float32)
    else:
        out = mapped.astype(np.float32)  # always a copy: an array numpy allocated, float32
    raw.done(key)
    return out


class _TensorFile:
    """model.safetensors memory-mapped: `view(key, dtype)` is a tensor's bytes in place, no copy.

    Weights a GPT-2 KV-cache step streams ran 50% slower (68 against 43 ms, interleaved) from memory numpy
    did not allocate and fill itself (safetensors' buffer, readinto, the map itself), so every tensor is
    copied out of the map by numpy; COPY_THREADS at a time, which keeps the load's peak at the weights plus
    the largest few tensors, and reads no byte twice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as fh:
            header_len = int.from_bytes(fh.read(8), "little")
            self.header = json.loads(fh.read(header_len))
        self.start = 8 + header_len
        self.map = np.memmap(path, dtype=np.uint8, mode="r")

    def view(self, key: str, dtype: str) -> np.ndarray:
        """The tensor's bytes in place (copy them before the next call: see `done`)."""
        begin, end = self.header[key]["data_offsets"]
        data = self.map[self.start + begin : self.start + end]
        if data.size != end - begin:
            raise GlvizError("error.hf.cut_short", key=key, path=self.path)
        return data.view(dtype).reshape(self.header[key]["shape"])

    def done(self, key: str) -> None:
        """The tensor is copied: its pages of the file leave this process's memory (else a load's peak
        would count the whole file on top of the weights)."""
        begin, end = self.header[key]["data_offsets"]
        page = mmap.PAGESIZE
        start = (self.start + begin) // page * page
        try:
            self.map._mmap.madvise(mmap.MADV_DONTNEED, start, self.start + end - start)  # type: ignore
        except (AttributeError, OSError, ValueError):  # no madvise here: the pages go at the end
            pass

    def __enter__(self) -> _TensorFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.map = None  # type: ignore[assignment]  # unmapped when the last view of it goes
