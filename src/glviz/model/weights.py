"""Model weights by canonical name: random initialisation, our .npz format, Hugging Face GPT-2 checkpoints.

Canonical names and layouts are fixed in docs/CONTRACTS.md: every matrix is (in, out) so that y = x @ W + b.
The query, key and value matrices of a layer are stored as column views of one (C, 3C) array (and their biases
of one (3C,) array) so that the forward pass can run them as a single GEMM without copying; see `Weights.qkv`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glviz.errors import GlvizError
from glviz.model.config import SIZE_FIELDS, GPTConfig, get_preset, param_count

if TYPE_CHECKING:
    from glviz.model.tokenizer import Tokenizer

# Random weights of a bigger model than this would not fit in memory on a laptop (GPT-2 XL is 1.6e9).
MAX_RANDOM_PARAMS = 2_000_000_000


class Weights:
    """A model's configuration, its float32 tensors by canonical name, and its tokenizer (if it has one)."""

    def __init__(
        self, config: GPTConfig, tensors: dict[str, np.ndarray], tokenizer: Tokenizer | None = None
    ) -> None:
        self.config = config
        self.tensors = tensors
        self.tokenizer = tokenizer
        self._qkv_views: dict[int, tuple[tuple[np.ndarray, ...], tuple[np.ndarray, np.ndarray]]] = {}
        self._head_columns: tuple[np.ndarray, np.ndarray] | None = None

    def __getitem__(self, name: str) -> np.ndarray:
        if name == "lm_head" and "lm_head" not in self.tensors:
            return self.tensors["wte"]
        return self.tensors[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tensors or (name == "lm_head" and "wte" in self.tensors)

    def names(self) -> list[str]:
        """Every canonical name, lm_head included (tied or not)."""
        return weight_names(self.config)

    def qkv(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """Layer `layer`'s query|key|value weights as one (C, 3C) matrix and biases as one (3C,) vector.

        No copy when wq, wk, wv (and bq, bk, bv) are still views of one fused array, as the loaders and
        `random_weights` make them; otherwise (someone replaced one of them) they are concatenated afresh, so
        the result always reflects the current tensors.
        """
        p = f"layers.{layer}.attn."
        parts = tuple(self.tensors[p + n] for n in ("wq", "wk", "wv", "bq", "bk", "bv"))
        cached = self._qkv_views.get(layer)
        if cached is not None and all(a is b for a, b in zip(cached[0], parts, strict=True)):
            return cached[1]
        fused = (_fused_columns(list(parts[:3])), _fused_columns(list(parts[3:])))
        if fused[0] is parts[0].base and fused[1] is parts[3].base:
            # Views follow in-place updates, so they stay valid while the same tensors are stored.
            self._qkv_views[layer] = (parts, fused)
        return fused

    def head_columns(self) -> np.ndarray:
        """The LM head as a contiguous (C, V) matrix, so that logits = x @ head_columns().

        BLAS runs this orientation about 15% faster than x @ lm_head.T on GPT-2's head. A copy, made once
        per head array: replacing `tensors["wte"]` (or "lm_head") is seen, changing it in place is not.
        """
        head = self["lm_head"]
        if self._head_columns is None or self._head_columns[0] is not head:
            self._head_columns = (head, np.ascontiguousarray(head.T))
        return self._head_columns[1]

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Weights({c.name}: {c.n_layer} layers, {c.n_head} heads, C={c.n_embd}, V={c.vocab_size}, "
            f"T={c.block_size}, {param_count(c):,} parameters)"
        )


def _fused_columns(parts: list[np.ndarray]) -> np.ndarray:
    """parts concatenated along their last axis, without a copy when they are adjacent views of one array."""
    base = parts[0].base
    if (
        base is not None
        and base.flags.c_contiguous
        and base.dtype == parts[0].dtype
        and all(p.base is base and p.strides == base.strides for p in parts)
        and base.shape[:-1] == parts[0].shape[:-1]
        and base.shape[-1] == sum(p.shape[-1] for p in parts)
    ):
        start = base.__array_interface__["data"][0]
        offset = 0
        for p in parts:
            if p.__array_interface__["data"][0] != start + offset * base.itemsize:
                break
            offset += p.shape[-1]
        else:
            return base
    return np.concatenate(parts, axis=-1)


def weight_names(config: GPTConfig) -> list[str]:
    """Every canonical weight name of `config`, in forward order, lm_head last."""
    names = ["wte", "wpe"]
    per_layer = list(_layer_shapes(config.n_embd))
    for i in range(config.n_layer):
        names += [f"layers.{i}.{s}" for s in per_layer]
    return [*names, "ln_f.gamma", "ln_f.beta", "lm_head"]


def _layer_shapes(C: int) -> dict[str, tuple[int, ...]]:
    """The shape of each tensor of one layer, by name without the `layers.{i}.` prefix, in forward order."""
    return {
        "ln1.gamma": (C,),
        "ln1.beta": (C,),
        "attn.wq": (C, C),
        "attn.wk": (C, C),
        "attn.wv": (C, C),
        "attn.bq": (C,),
        "attn.bk": (C,),
        "attn.bv": (C,),
        "attn.wproj": (C, C),
        "attn.bproj": (C,),
        "ln2.gamma": (C,),
        "ln2.beta": (C,),
        "mlp.wfc": (C, 4 * C),
        "mlp.bfc": (4 * C,),
        "mlp.wproj": (4 * C, C),
        "mlp.bproj": (C,),
    }


def weight_shapes(config: GPTConfig) -> dict[str, tuple[int, ...]]:
    """The shape of every stored tensor (lm_head only when the head is not tied)."""
    C, V, T = config.n_embd, config.vocab_size, config.block_size
    per_layer = _layer_shapes(C)
    shapes: dict[str, tuple[int, ...]] = {"wte": (V, C), "wpe": (T, C)}
    for i in range(config.n_layer):
        shapes.update({f"layers.{i}.{k}": v for k, v in per_layer.items()})
    shapes["ln_f.gamma"] = (C,)
    shapes["ln_f.beta"] = (C,)
    if not config.tied_head:
        shapes["lm_head"] = (V, C)
    return shapes


def _split_qkv(tensors: dict[str, np.ndarray], layer: int, w: np.ndarray, b: np.ndarray) -> None:
    """Store a fused (C, 3C) query|key|value matrix and (3C,) bias as column views (no copy)."""
    C = w.shape[0]
    p = f"layers.{layer}.attn."
    for j, n in enumerate("qkv"):
        tensors[p + "w" + n] = w[:, j * C : (j + 1) * C]
        tensors[p + "b" + n] = b[j * C : (j + 1) * C]


def random_weights(config: GPTConfig, seed: int = 0, std: float = 0.02) -> Weights:
    """GPT-2-style initialisation: normal(0, std) matrices, residual projections scaled by 1/sqrt(2 n_layer)
    (as GPT-2 and nanoGPT do), zero biases, unit layer-norm gains. float32, reproducible from `seed`."""
    if param_count(config) > MAX_RANDOM_PARAMS:
        raise GlvizError(
            f"model too large to hold random weights in memory ({param_count(config):,} parameters)"
        )
    rng = np.random.default_rng(seed)
    C = config.n_embd
    proj_std = std / math.sqrt(2 * config.n_layer)

    def normal(shape: tuple[int, ...], scale: float) -> np.ndarray:
        a = rng.standard_normal(shape, dtype=np.float32)
        a *= np.float32(scale)
        return a

    tensors: dict[str, np.ndarray] = {
        "wte": normal((config.vocab_size, C), std),
        "wpe": normal((config.block_size, C), std),
    }
    for i in range(config.n_layer):
        p = f"layers.{i}."
        tensors[p + "ln1.gamma"] = np.ones(C, np.float32)
        tensors[p + "ln1.beta"] = np.zeros(C, np.float32)
        _split_qkv(tensors, i, normal((C, 3 * C), std), np.zeros(3 * C, np.float32))
        tensors[p + "attn.wproj"] = normal((C, C), proj_std)
        tensors[p + "attn.bproj"] = np.zeros(C, np.float32)
        tensors[p + "ln2.gamma"] = np.ones(C, np.float32)
        tensors[p + "ln2.beta"] = np.zeros(C, np.float32)
        tensors[p + "mlp.wfc"] = normal((C, 4 * C), std)
        tensors[p + "mlp.bfc"] = np.zeros(4 * C, np.float32)
        tensors[p + "mlp.wproj"] = normal((4 * C, C), proj_std)
        tensors[p + "mlp.bproj"] = np.zeros(C, np.float32)
    tensors["ln_f.gamma"] = np.ones(C, np.float32)
    tensors["ln_f.beta"] = np.zeros(C, np.float32)
    if not config.tied_head:
        tensors["lm_head"] = normal((config.vocab_size, C), std)
    return Weights(config, tensors)


# ---- validation ----


def _check_finite(name: str, array: np.ndarray, source: Path) -> None:
    # A float64 sum of float32 values cannot overflow, so it is finite exactly when every value is; no
    # temporary array of the tensor's size is made.
    if not np.isfinite(np.sum(array, dtype=np.float64)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise GlvizError(f"weight {name} contains {bad} NaN or Inf values ({source})")


def validate(weights: Weights, source: Path | str = "<memory>") -> Weights:
    """Check that every tensor is present, has its config's shape, and is finite; GlvizError otherwise."""
    source = Path(source)
    shapes = weight_shapes(weights.config)
    for name, shape in shapes.items():
        if name not in weights.tensors:
            raise GlvizError(f"weight {name} is missing ({source})")
        array = weights.tensors[name]
        if tuple(array.shape) != shape:
            raise GlvizError(f"weight {name} has shape {tuple(array.shape)}, config says {shape} ({source})")
        _check_finite(name, array, source)
    return weights


# ---- our .npz ----


def save_npz(weights: Weights, path: str | Path, extra: dict[str, np.ndarray] | None = None) -> None:
    """Write every stored tensor by canonical name, plus key `config` = JSON of the config, plus `extra`
    arrays (e.g. `train.losses`, the training loss per step; loading weights ignores them)."""
    arrays = {name: np.ascontiguousarray(a, dtype=np.float32) for name, a in weights.tensors.items()}
    arrays["config"] = np.array(json.dumps(weights.config.to_dict()))
    arrays.update(extra or {})
    np.savez(path, **arrays)


def _load_npz(path: Path) -> Weights:
    try:
        with np.load(path, allow_pickle=False) as data:
            if "config" not in data.files:
                raise GlvizError(f"weights file has no config entry ({path})")
            try:
                config_dict = json.loads(str(data["config"]))
            except json.JSONDecodeError:
                raise GlvizError(f"weights file's config is not valid JSON ({path})") from None
            if not isinstance(config_dict, dict):
                raise GlvizError(f"weights file's config is not a JSON object ({path})")
            config = _config_from_dict(config_dict, path)
            tensors = {}
            for name in weight_shapes(config):
                if name not in data.files:
                    raise GlvizError(f"weight {name} is missing ({path})")
                tensors[name] = np.asarray(data[name], dtype=np.float32)
    except GlvizError:  # a ValueError too, already phrased for the user
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise GlvizError(f"weights file is not a readable .npz archive ({path})") from None
    for i in range(config.n_layer):
        p = f"layers.{i}.attn."
        try:
            w = np.concatenate([tensors[p + n] for n in ("wq", "wk", "wv")], axis=1)
            b = np.concatenate([tensors[p + n] for n in ("bq", "bk", "bv")])
        except ValueError:
            break  # shapes disagree: validate() names the tensor
        _split_qkv(tensors, i, w, b)
    return validate(Weights(config, tensors), path)


def _config_from_dict(data: dict, source: Path) -> GPTConfig:
    for field in SIZE_FIELDS:
        if field not in data:
            raise GlvizError(f"config field {field} is missing ({source})")
    known = {f.name for f in dataclasses.fields(GPTConfig)}
    return _make_config(source, **{k: data[k] for k in data if k in known})


def _make_config(source: Path, **fields: object) -> GPTConfig:
    """GPTConfig(**fields), with the checks GPTConfig does and the file named in the message."""
    for field in SIZE_FIELDS:
        value = fields.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise GlvizError(f"config field {field} must be a positive integer, got {value!r} ({source})")
    if fields["n_embd"] % fields["n_head"]:  # type: ignore[operator]
        raise GlvizError(
            f"config n_embd {fields['n_embd']} is not divisible by n_head {fields['n_head']} ({source})"
        )
    eps = fields.get("layer_norm_eps", 1e-5)
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not eps > 0 or not math.isfinite(eps):
        raise GlvizError(f"config field layer_norm_eps must be a positive number, got {eps!r} ({source})")
    if not isinstance(fields.get("tied_head", True), bool):
        raise GlvizError(
            f"config field tied_head must be true or false, got {fields['tied_head']!r} ({source})"
        )
    if not isinstance(fields.get("name", ""), str):
        raise GlvizError(f"config field name must be a string, got {fields['name']!r} ({source})")
    try:
        return GPTConfig(**fields)  # type: ignore[arg-type]
    except GlvizError as exc:
        raise GlvizError(f"{exc} ({source})") from None


# ---- Hugging Face GPT-2 folder ----

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
        raise GlvizError(f"checkpoint folder has no config.json ({directory})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise GlvizError(f"config.json is not valid JSON ({path})") from None
    if not isinstance(data, dict):
        raise GlvizError(f"config.json is not a JSON object ({path})")
    model_type = data.get("model_type", "gpt2")
    if model_type != "gpt2":
        raise GlvizError(f"config.json model_type must be gpt2, got {model_type!r} ({path})")
    fields: dict[str, object] = {}
    for name in ("n_layer", "n_head", "n_embd", "vocab_size"):  # the same names in config.json
        if name not in data:
            raise GlvizError(f"config.json field {name} is missing ({path})")
        fields[name] = data[name]
    if "n_positions" in data:
        fields["block_size"] = data["n_positions"]
    elif "n_ctx" in data:
        fields["block_size"] = data["n_ctx"]
    else:
        raise GlvizError(f"config.json field n_positions is missing ({path})")
    fields["layer_norm_eps"] = data.get("layer_norm_epsilon", 1e-5)
    activation = data.get("activation_function", "gelu_new")
    if activation not in _HF_ACTIVATIONS:
        raise GlvizError(
            f"config.json activation_function must be one of {', '.join(_HF_ACTIVATIONS)}, "
            f"got {activation!r} ({path})"
        )
    fields["activation"] = _HF_ACTIVATIONS[activation]
    tied = data.get("tie_word_embeddings", True)
    if not isinstance(tied, bool):
        raise GlvizError(
            f"config.json field tie_word_embeddings must be true or false, got {tied!r} ({path})"
        )
    fields["tied_head"] = tied
    for key, plain in _HF_PLAIN.items():
        value = data.get(key, plain)
        if value != plain and not (key == "n_inner" and value == 4 * fields["n_embd"] != 0):
            raise GlvizError(f"config.json field {key} must be {json.dumps(plain)}, got {value!r} ({path})")
    fields["name"] = directory.name or "gpt2"
    try:
        return _make_config(path, **fields)
    except GlvizError as exc:
        # Name the Hugging Face key, not ours, where they differ.
        raise GlvizError(
            str(exc)
            .replace("config field block_size", "config.json field n_positions")
            .replace("config field layer_norm_eps", "config.json field layer_norm_epsilon")
            .replace("config field ", "config.json field ")
        ) from None


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


def _load_hf(directory: Path) -> Weights:
    from safetensors import SafetensorError, safe_open

    config = _hf_config(directory)
    st_path = directory / "model.safetensors"
    if not st_path.is_file():
        raise GlvizError(f"checkpoint folder has no model.safetensors ({directory})")
    if st_path.stat().st_size == 0:
        raise GlvizError(f"model.safetensors is empty ({st_path})")
    name_map = _hf_tensor_map(config)
    expected = _hf_expected_shapes(config)
    found: dict[str, np.ndarray] = {}
    lm_head: np.ndarray | None = None
    try:
        # safe_open memory-maps the file; each tensor is read once, straight into its float32 array.
        with safe_open(str(st_path), framework="numpy") as f:
            for key in f.keys():  # noqa: SIM118 (safe_open is not a mapping)
                short = key.removeprefix("transformer.")
                if _HF_BUFFER.fullmatch(short):
                    continue
                if short == "lm_head.weight":  # read even when tied: it may differ from wte (see below)
                    _check_shape(f, key, (config.vocab_size, config.n_embd), st_path)
                    lm_head = _read_tensor(f, key, st_path)
                    continue
                ours = name_map.get(short)
                if ours is None:
                    raise GlvizError(
                        f"model.safetensors has an unexpected tensor {key} for a "
                        f"{config.n_layer}-layer GPT-2 ({st_path})"
                    )
                _check_shape(f, key, expected[ours], st_path)
                found[ours] = _read_tensor(f, key, st_path)
    except SafetensorError as exc:
        raise GlvizError(f"model.safetensors is truncated or corrupt: {exc} ({st_path})") from None
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
        raise GlvizError(
            f"model.safetensors lacks tensor {hf_names[missing[0]]}"
            f"{f' and {len(missing) - 1} more' if len(missing) > 1 else ''} ({st_path})"
        )
    for i in range(config.n_layer):
        p = f"layers.{i}.attn."
        _split_qkv(found, i, found.pop(p + "c_attn.weight"), found.pop(p + "c_attn.bias"))
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
        raise GlvizError(f"tensor {key} has shape {shape}, config.json says {expected} ({path})")


_FILE_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "BF16": "<u2"}


def _read_tensor(f: object, key: str, path: Path) -> np.ndarray:
    dtype = f.get_slice(key).get_dtype()  # type: ignore[attr-defined]
    if dtype not in _FILE_DTYPES:
        raise GlvizError(f"tensor {key} has unsupported dtype {dtype} ({path})")
    raw = _read_raw(path, key, _FILE_DTYPES[dtype])
    if dtype == "BF16":  # numpy has no bfloat16: a bfloat16 is the top half of a float32
        return (raw.astype(np.uint32) << 16).view(np.float32)
    return raw if dtype == "F32" else raw.astype(np.float32)


def _read_raw(path: Path, key: str, dtype: str) -> np.ndarray:
    """A tensor's values, read from the file and copied by numpy into an array of its own.

    Weights a GPT-2 KV-cache step streams ran 50% slower (68 against 43 ms, interleaved) from memory numpy
    did not allocate and fill itself: safetensors' get_tensor buffer, or a numpy array filled by readinto.
    Reading one tensor at a time keeps the load's peak at the weights plus the largest tensor."""
    with open(path, "rb") as fh:
        header_len = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(header_len))
        start, end = header[key]["data_offsets"]
        fh.seek(8 + header_len + start)
        data = fh.read(end - start)
    if len(data) != end - start:
        raise GlvizError(f"model.safetensors is truncated or corrupt: tensor {key} is cut short ({path})")
    return np.frombuffer(data, dtype=dtype).reshape(header[key]["shape"]).copy()


# ---- entry points ----


def load_weights(path: str | Path) -> Weights:
    """Our .npz file, or a Hugging Face GPT-2 folder (config.json + model.safetensors, optional tokenizer).

    A path to a folder's model.safetensors or config.json means the folder. GlvizError for every bad input.
    """
    path = Path(path)
    if not path.exists():
        raise GlvizError(f"weights path does not exist ({path})")
    if path.is_file() and path.name in ("model.safetensors", "config.json"):
        path = path.parent
    if path.is_dir():
        return _load_hf(path)
    if path.suffix == ".npz" or zipfile.is_zipfile(path):
        return _load_npz(path)
    raise GlvizError(
        f"weights must be a .npz file or a folder with config.json and model.safetensors ({path})"
    )


def load_model(name: str | None = None, weights_path: str | Path | None = None) -> Weights:
    """What the CLI's `--model NAME` / `--weights PATH` mean: a weights file or folder, the shipped nano sort
    model ("nano", also the default), or random weights shaped like another preset (e.g. "gpt2")."""
    if weights_path is not None:
        if name is not None:
            raise GlvizError(f"give --model or --weights, not both ({name}, {weights_path})")
        return load_weights(weights_path)
    name = name or "nano"
    if name == "nano":
        return _load_nano()
    return random_weights(get_preset(name))


def _load_nano() -> Weights:
    from glviz.resources import model_path

    path = model_path("nano-sort.npz")
    if not path.is_file():
        raise GlvizError(f"the nano model is not trained yet; run glviz train-sort --out {path} ({path})")
    return load_weights(path)
