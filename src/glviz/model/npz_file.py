"""Our .npz weights: every stored tensor by canonical name, plus the config as JSON (`glviz train-sort` writes
the shipped nano model this way), written and read."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from glviz.errors import GlvizError, Text
from glviz.model.config import require_layers_stored
from glviz.model.config_file import config_from_dict
from glviz.model.sort_task import LETTERS, LetterTokenizer
from glviz.model.weights import Weights, split_qkv, validate, weight_shapes


def save_npz(weights: Weights, path: str | Path, extra: dict[str, np.ndarray] | None = None) -> None:
    """Write every stored tensor by canonical name, plus key `config` = JSON of the config, plus `extra`
    arrays (e.g. `train.losses`, the training loss per step; loading weights ignores them)."""
    arrays = {name: np.ascontiguousarray(a, dtype=np.float32) for name, a in weights.tensors.items()}
    arrays["config"] = np.array(json.dumps(weights.config.to_dict()))
    arrays.update(extra or {})
    with open(path, "wb") as f:  # the name as given (np.savez would add .npz to a path ending otherwise)
        np.savez(f, **arrays)


def load_npz(path: Path, progress: Callable[[int, int], None] | None = None) -> Weights:
    """The weights in our .npz at `path`; GlvizError for every bad input. `progress` as for load_weights."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if "config" not in data.files:
                raise GlvizError("error.npz.no_config", path=path)
            try:
                config_dict = json.loads(str(data["config"]))
            except json.JSONDecodeError:
                raise GlvizError("error.npz.config_json", path=path) from None
            if not isinstance(config_dict, dict):
                raise GlvizError("error.npz.config_object", path=path)
            config = config_from_dict(config_dict, path)
            require_layers_stored(config, len(data.files), Text("error.npz.config"), path)
            tensors = {}
            shapes = weight_shapes(config)
            for done, name in enumerate(shapes):
                if progress is not None:
                    progress(done, len(shapes))
                if name not in data.files:
                    raise GlvizError("error.weights.tensor_missing", name=name, source=path)
                tensors[name] = np.asarray(data[name], dtype=np.float32)
    except GlvizError:  # a ValueError too, already phrased for the user
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise GlvizError("error.npz.unreadable", path=path) from None
    for i in range(config.n_layer):
        p = f"layers.{i}.attn."
        try:
            w = np.concatenate([tensors[p + n] for n in ("wq", "wk", "wv")], axis=1)
            b = np.concatenate([tensors[p + n] for n in ("bq", "bk", "bv")])
        except ValueError:
            break  # shapes disagree: validate() names the tensor
        split_qkv(tensors, i, w, b)
    # A vocabulary of three is the sort task's (train-sort writes no tokenizer): its tokens read as letters
    tokenizer = LetterTokenizer() if config.vocab_size == len(LETTERS) else None
    return validate(Weights(config, tensors, tokenizer), path)
