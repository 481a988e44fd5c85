"""Files and folders a user may not read, for tests that run as root too: root reads anything, so there the
checks run with the effective user nobody (the real and saved user stay root, who takes it back)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NOBODY = 65534


@contextmanager
def as_a_user() -> Iterator[None]:
    """Permissions checked as for an ordinary user while inside (root: as nobody, every thread). Import what
    runs inside beforehand: the interpreter's own files may be out of nobody's reach."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@contextmanager
def open_folder() -> Iterator[Path]:
    """A folder any user may search and read (pytest's tmp_path sits in a folder only its owner may enter),
    removed afterwards whatever modes were set inside it."""
    folder = Path(tempfile.mkdtemp(prefix="glviz-permissions-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in (folder, *folder.rglob("*")):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)
