"""Model weights by canonical name: the Weights container, the names and shapes a config gives, random
initialisation, validation, and the entry points that read and write files: our .npz (npz_file.py) and
Hugging Face GPT-2 folders (hf_folder.py), whose configs are checked by config_file.py.

Canonical names and layouts are fixed in docs/CONTRACTS.md: every matrix is (in, out) so that y = x @ W + b.
The query, key and value matrices of a layer are stored as column views of one (C, 3C) array (and their biases
of one (3C,) array) so that the forward pass can run them as a single GEMM without copying; see `Weights.qkv`.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glviz.errors import GlvizError
from glviz.model.config import GPTConfig, get_preset, param_count

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
        if fused[0] is _owner(parts[0]) and fused[1] is _owner(parts[3]):
            # Views follow in-place updates, so they stay valid while the same tensors are stored.
            self._qkv_views[layer] = (parts, fused)
        return fused

    def head_columns(self, make: bool = True) -> np.ndarray | None:
        """The LM head as a contiguous (C, V) matrix, so that logits = x @ head_columns().

        BLAS runs this orientation 15% (two threads) to 50% (one) faster than x @ lm_head.T on GPT-2's head.
        A copy, made once per head array (0.3 s for GPT-2; with make=False, None until it is made):
        replacing `tensors["wte"]` (or "lm_head") is seen, changing it in place is not.
        """
        head = self["lm_head"]
        if self._head_columns is None or self._head_columns[0] is not head:
            if not make:
                return None
            self._head_columns = (head, _transposed(head))
        return self._head_columns[1]

    def column_major_projections(self) -> None:
        """Keep every layer's attention output projection (C, C) and MLP down projection (4C, C)
        column-major: a copy each, made once (~0.15 s for GPT-2 small). A single token's x @ W is then
        BLAS's dot-product form over the matrix's rows, which streams these matrices (out <= in) at 22-29
        against 14-17 GB/s here (the (C, 3C) and (C, 4C) ones are faster as they are); a trace's matrix
        products take either order at the same speed. Done off the load's path: by a KV cache, and by the
        app after its first frame (ui/trace_worker), since loading would pay it before anything shows."""
        for i in range(self.config.n_layer):
            for name in (f"layers.{i}.attn.wproj", f"layers.{i}.mlp.wproj"):
                w = self.tensors[name]
                if w.ndim == 2 and not w.flags.f_contiguous:
                    self.tensors[name] = _transposed(w).T  # (in, out) column-major, the same values

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Weights({c.name}: {c.n_layer} layers, {c.n_head} heads, C={c.n_embd}, V={c.vocab_size}, "
            f"T={c.block_size}, {param_count(c):,} parameters)"
        )


def _transposed(a: np.ndarray, rows: int = 256) -> np.ndarray:
    """A contiguous copy of a.T, a block of `rows` rows at a time: about twice as fast as one
    np.ascontiguousarray(a.T) on GPT-2's (50257, 768) head (each block's columns stay in cache)."""
    out = np.empty(a.shape[::-1], dtype=a.dtype)
    for start in range(0, a.shape[0], rows):
        out[:, start:start + rows] = a[start:start + rows].T
    return out


def _owner(a: np.ndarray) -> np.ndarray:
    """The array at the root of `a`'s chain of views (a view of a view keeps the middle one as its base)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _fused_columns(parts: list[np.ndarray]) -> np.ndarray:
    """parts concatenated along their last axis, without a copy when they are adjacent views of one array."""
    base = _owner(parts[0])
    if (
        base is not parts[0]
        and base.flags.c_contiguous
        and base.dtype == parts[0].dtype
        and all(_owner(p) is base and p.strides == base.strides for p in parts)
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


def split_qkv(tensors: dict[str, np.ndarray], layer: int, w: np.ndarray, b: np.ndarray) -> None:
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
        raise GlvizError("error.weights.too_large", count=f"{param_count(config):,}")
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
        split_qkv(tensors, i, normal((C, 3 * C), std), np.zeros(3 * C, np.float32))
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
        raise GlvizError("error.weights.not_finite", name=name, bad=bad, source=source)


def validate(weights: Weights, source: Path | str = "<memory>") -> Weights:
    """Check that every tensor is present, has its config's shape, and is finite; GlvizError otherwise."""
    source = Path(source)
    shapes = weight_shapes(weights.config)
    for name, shape in shapes.items():
        if name not in weights.tensors:
            raise GlvizError("error.weights.tensor_missing", name=name, source=source)
        array = weights.tensors[name]
        if tuple(array.shape) != shape:
            raise GlvizError("error.weights.tensor_shape", name=name, shape=tuple(array.shape),
                             expected=shape, source=source)
        _check_finite(name, array, source)
    return weights


# ---- entry points ----


def save_npz(weights: Weights, path: str | Path, extra: dict[str, np.ndarray] | None = None) -> None:
    """Write our .npz (see glviz.model.npz_file.save_npz)."""
    from glviz.model.npz_file import save_npz as save

    save(weights, path, extra)


def save_hf(weights: Weights, directory: str | Path) -> Path:
    """Write a Hugging Face GPT-2 folder (see glviz.model.hf_folder.save_hf)."""
    from glviz.model.hf_folder import save_hf as save

    return save(weights, directory)


def load_weights(path: str | Path, progress: Callable[[int, int], None] | None = None) -> Weights:
    """Our .npz file, or a Hugging Face GPT-2 folder (config.json + model.safetensors, optional tokenizer).

    A path to a folder's model.safetensors or config.json means the folder. GlvizError for every bad input.
    `progress(done, total)` is called before each tensor is read (the app's progress bar); an exception it
    raises stops the load and goes to the caller.
    """
    path = Path(path)
    try:
        exists = path.exists()
    except OSError as exc:  # a folder on the way it may not search, a name too long for the file system
        raise GlvizError("error.weights.unreadable", reason=exc.strerror, path=path) from None
    if not exists:
        raise GlvizError("error.weights.missing", path=path)
    if path.is_file() and path.name in ("model.safetensors", "config.json"):
        path = path.parent
    if path.is_dir():
        from glviz.model.hf_folder import load_hf

        return load_hf(path, progress)
    if path.is_file() and (path.suffix == ".npz" or zipfile.is_zipfile(path)):  # not a FIFO: it could block
        from glviz.model.npz_file import load_npz

        return load_npz(path, progress)
    raise GlvizError("error.weights.kind", path=path)


def load_model(name: str | None = None, weights_path: str | Path | None = None) -> Weights:
    """What the CLI's `--model NAME` / `--weights PATH` mean: a weights file or folder (or a model's name in
    the Hugging Face cache), the shipped nano sort model ("nano", also the default), or random weights shaped
    like another preset (e.g. "gpt2")."""
    if weights_path is not None:
        if name is not None:
            raise GlvizError("error.options.model_and_weights", model=name, weights=weights_path)
        from glviz.model.hf_cache import resolve_weights

        return load_weights(resolve_weights(str(weights_path)))
    name = name or "nano"
    if name == "nano":
        return _load_nano()
    return random_weights(get_preset(name))


def _load_nano() -> Weights:
    from glviz.resources import model_path

    path = model_path("nano-sort.npz")
    if not path.is_file():
        raise GlvizError("error.nano.untrained", path=path)
    return load_weights(path)
