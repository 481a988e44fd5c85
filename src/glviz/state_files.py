"""The small JSON files glviz keeps between launches (the tour's place, what the learner explored), read and
written the same way: a missing file is no file, a problem is one line of reason, a write is atomic."""

from __future__ import annotations

from pathlib import Path


def read_state_text(path: Path) -> tuple[str | None, str | None]:
    """(text, None); (None, None) when there is no file; (None, why) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8"), None
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"{exc.strerror or exc} ({path})"
    except UnicodeDecodeError as exc:
        return None, f"{exc.reason} ({path})"


def write_state_text(path: Path, text: str) -> str | None:
    """Write `text` (atomically: a crash never leaves half a file); the reason when it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        return f"{exc.strerror or exc} ({path})"
    return None
