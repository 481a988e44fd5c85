"""The GPT-2 checkpoints already in the local Hugging Face cache, by model name. Nothing is downloaded.

The cache holds each model as `models--<org>--<name>/snapshots/<revision>/` (files linked to blobs), under
`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`; the revision `refs/main` names is
the one used, else the newest snapshot. A folder is a checkpoint glviz opens when it holds config.json
(model_type gpt2) and model.safetensors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from glviz.errors import GlvizError


def hub_dir() -> Path:
    """Where the Hugging Face cache keeps models (it may not exist)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def is_checkpoint(folder: Path) -> bool:
    """Whether `folder` holds config.json and model.safetensors (what `load_weights` opens); False for a
    folder that may not be searched (Path.is_file raises PermissionError there)."""
    try:
        return (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    except OSError:
        return False


def is_gpt2(folder: Path) -> bool:
    """A checkpoint whose config.json says GPT-2 (the only model type glviz computes)."""
    if not is_checkpoint(folder):
        return False
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("model_type", "gpt2") == "gpt2"


def _snapshot(model_dir: Path) -> Path | None:
    """The snapshot folder of a cached model: the revision refs/main names, else the newest."""
    snapshots = model_dir / "snapshots"
    try:
        main = (model_dir / "refs" / "main").read_text().strip()
        if main and (snapshots / main).is_dir():
            return snapshots / main
    except OSError:
        pass
    try:
        folders = [p for p in snapshots.iterdir() if p.is_dir()]
    except OSError:
        return None
    return max(folders, key=lambda p: p.stat().st_mtime, default=None)


def model_name(model_dir: Path) -> str:
    """`models--openai-community--gpt2` -> "openai-community/gpt2"; `models--gpt2` -> "gpt2"."""
    return model_dir.name.removeprefix("models--").replace("--", "/")


def checkpoint_title(folder: Path) -> str:
    """What to call the checkpoint in `folder`: the model's name where the folder is a snapshot in a Hugging
    Face cache (`models--openai-community--gpt2/snapshots/<revision>` -> "openai-community/gpt2", not the
    revision's 40 hex digits), else the folder's own name."""
    snapshots = folder.parent
    if snapshots.name == "snapshots" and snapshots.parent.name.startswith("models--"):
        return model_name(snapshots.parent)
    return folder.name


def cached_checkpoints(hub: Path | None = None) -> list[tuple[str, Path]]:
    """(model name, snapshot folder) of every GPT-2 checkpoint in the cache, sorted by name."""
    return _gpt2_among(_cached_models(hub))


def _gpt2_among(models: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    return [(name, snapshot) for name, snapshot in models if is_gpt2(snapshot)]


def _cached_models(hub: Path | None = None) -> list[tuple[str, Path]]:
    """(model name, snapshot folder) of every model in the cache that has a snapshot, sorted by name."""
    hub = hub_dir() if hub is None else hub
    try:
        model_dirs = sorted(p for p in hub.iterdir() if p.name.startswith("models--") and p.is_dir())
    except OSError:
        return []
    found = []
    for model_dir in model_dirs:
        snapshot = _snapshot(model_dir)
        if snapshot is not None:
            found.append((model_name(model_dir), snapshot))
    return found


def _cached_model_snapshot(folder: Path) -> Path | None:
    """The snapshot of a model's folder in the cache (`.../hub/models--gpt2`, which holds no config.json
    itself); None for any other path."""
    if not folder.name.startswith("models--") or is_checkpoint(folder) or not folder.is_dir():
        return None
    return _snapshot(folder)


def resolve_weights(text: str, hub: Path | None = None) -> Path:
    """What `--weights` names: a path that exists (a model's folder in the cache means its snapshot), else a
    model in the cache by its name ("gpt2", or "openai-community/gpt2"; a name without its organisation
    matches when only one model has it)."""
    path = Path(text).expanduser()
    unreadable = None
    try:
        if path.exists():
            return _cached_model_snapshot(path) or path
    except OSError as exc:  # not a path glviz can look at (a name too long, say): perhaps a model's name
        unreadable = exc
    hub = hub_dir() if hub is None else hub
    # The GPT-2 checkpoints first; then any cached model of that name, so that loading it says what it
    # lacks (an older cache holds pytorch_model.bin and no model.safetensors) rather than "not found".
    models = _cached_models(hub)  # the cache read once for both
    for cached in (_gpt2_among(models), models):
        exact = [folder for name, folder in cached if name == text]
        short = [folder for name, folder in cached if name.rsplit("/", 1)[-1] == text]
        if exact or len(short) == 1:
            return (exact or short)[0]
        if len(short) > 1:
            names = ", ".join(name for name, _ in cached if name.rsplit("/", 1)[-1] == text)
            raise GlvizError("error.cache.ambiguous", text=text, names=names)
    if unreadable is not None and (path.is_absolute() or len(path.parts) > 2):  # a path, not "org/name"
        raise GlvizError("error.weights.unreadable", reason=unreadable.strerror, path=path)
    raise GlvizError("error.cache.not_found", hub=hub, text=text)
