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


def list_folder(folder: Path) -> tuple[list[Entry], int]:
    """Sub-folders (not hidden) and .npz files of `folder`, sorted by name, the first MAX_ENTRIES of them,
    and how many there are in all; ([], 0) when it cannot be read."""
    try:
        with os.scandir(folder) as listing:  # (its entries know their type: no stat each, in a huge folder)
            children = sorted(listing, key=lambda child: child.name.lower())
    except OSError:
        return [], 0
    entries, total = [], 0
    for child in children:
        if child.name.startswith("."):
            continue
        try:
            folder_child = child.is_dir()
            if not folder_child and not (child.name.endswith(".npz") and child.is_file()):
                continue
        except OSError:
            continue
        total += 1
        if len(entries) < MAX_ENTRIES:  # (the rest are counted, so that the list can say it is cut)
            path = Path(child.path)
            entries.append(Entry(child.name, path, not folder_child or is_checkpoint(path), folder_child))
    return entries, total


class CheckpointBrowser:
    """Where the file list is and what it shows."""

    def __init__(self, folder: Path | None = None, hub: Path | None = None) -> None:
        self.hub = hub
        self.folder = Path(folder) if folder is not None else Path.home()
        self.moved = folder is not None  # a folder was given or entered (not the home folder by default)
        self._entries: tuple[list[Entry], int] | None = None  # the listing and its count before the cut
        self._cached: list[tuple[str, Path]] | None = None

    def _listing(self) -> tuple[list[Entry], int]:
        if self._entries is None:  # (names it may read but not search are no use: nothing in it opens)
            self._entries = list_folder(self.folder) if self.readable else ([], 0)
        return self._entries

    @property
    def entries(self) -> list[Entry]:
        """What the list shows (at most MAX_ENTRIES)."""
        return self._listing()[0]

    @property
    def total(self) -> int:
        """How many entries the folder has, shown or not."""
        return self._listing()[1]

    @property
    def cached(self) -> list[tuple[str, Path]]:
        """(model name, folder) of the GPT-2 checkpoints in the Hugging Face cache."""
        if self._cached is None:
            self._cached = cached_checkpoints(self.hub)
        return self._cached

    @property
    def readable(self) -> bool:
        """Whether the folder browsed can be listed (an empty listing otherwise says nothing about it)."""
        # Read (its names) and searched (what they are). As the effective user, who opens the files.
        return os.access(self.folder, os.R_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids)

    @property
    def gone(self) -> bool:
        """The folder browsed is no longer there (deleted or renamed since it was entered)."""
        return not _is_dir(self.folder)

    @property
    def here_openable(self) -> bool:
        """The folder browsed is itself a checkpoint."""
        return is_checkpoint(self.folder)

    def enter(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.moved = True
        self._entries = None

    def start_beside(self, checkpoint: Path) -> None:
        """Until the list has moved from the home folder: to the folder holding `checkpoint` (the one on
        screen), where its neighbours most likely are, as a file dialog opens where it was last used."""
        if not self.moved and _is_dir(Path(checkpoint).parent):
            self.enter(Path(checkpoint).parent)

    def up(self) -> None:
        """To the parent folder; from a folder that is gone, to the nearest one still there."""
        parent = self.folder.parent
        while parent != parent.parent and not _is_dir(parent):
            parent = parent.parent
        self.enter(parent)

    def refresh(self) -> None:
        self._entries = self._cached = None


def _is_dir(path: Path) -> bool:
    """Whether `path` is a folder; True where a folder on the way may not be searched (it may be there: the
    list says it cannot be read, rather than that it is gone)."""
    try:
        return path.is_dir()
    except OSError:
        return True
