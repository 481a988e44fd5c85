"""The "Open checkpoint…" file list's model: the folder being browsed (from the home folder), its sub-folders
(a checkpoint among them marked as openable), and the GPT-2 checkpoints of the Hugging Face cache by name.
Listings are read when a folder is entered (or on Refresh), not every frame. No imgui."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from glviz.model.hf_cache import cached_checkpoints, is_checkpoint

MAX_ENTRIES = 500  # a folder with more sub-folders shows the first ones (sorted by name)


@dataclass(frozen=True)
class Entry:
    """A sub-folder of the folder browsed, or an .npz weights file; `openable`: load_weights reads it."""

    name: str
    path: Path
    openable: bool
    folder: bool


def list_folder(folder: Path) -> list[Entry]:
    """Sub-folders (not hidden) and .npz files of `folder`, sorted by name; [] when it cannot be read."""
    entries = []
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name.lower())
    except OSError:
        return []
    for child in children:
        if child.name.startswith("."):
            continue
        try:
            if child.is_dir():
                entries.append(Entry(child.name, child, is_checkpoint(child), True))
            elif child.suffix == ".npz" and child.is_file():
                entries.append(Entry(child.name, child, True, False))
        except OSError:
            continue
        if len(entries) >= MAX_ENTRIES:
            break
    return entries


class CheckpointBrowser:
    """Where the file list is and what it shows."""

    def __init__(self, folder: Path | None = None, hub: Path | None = None) -> None:
        self.hub = hub
        self.folder = Path(folder) if folder is not None else Path.home()
        self._entries: list[Entry] | None = None
        self._cached: list[tuple[str, Path]] | None = None

    @property
    def entries(self) -> list[Entry]:
        if self._entries is None:
            self._entries = list_folder(self.folder)
        return self._entries

    @property
    def cached(self) -> list[tuple[str, Path]]:
        """(model name, folder) of the GPT-2 checkpoints in the Hugging Face cache."""
        if self._cached is None:
            self._cached = cached_checkpoints(self.hub)
        return self._cached

    @property
    def readable(self) -> bool:
        """Whether the folder browsed can be listed (an empty listing otherwise says nothing about it)."""
        return os.access(self.folder, os.R_OK | os.X_OK)

    @property
    def here_openable(self) -> bool:
        """The folder browsed is itself a checkpoint."""
        return is_checkpoint(self.folder)

    def enter(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._entries = None

    def up(self) -> None:
        self.enter(self.folder.parent)

    def refresh(self) -> None:
        self._entries = self._cached = None
