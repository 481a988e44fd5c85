"""What the learner was exploring, kept between launches: nano's letters and the model of the Explore tab (a
preset, or an opened checkpoint's folder with its prompt's token ids).

A JSON file beside the tour's (walkthrough/state.py): `session.json` in the same folder. The tour's place
and this are separate files, each written whole by its owner: a broken one costs its own line of message and
leaves the other; the tour's file keeps its format, so older glviz versions still read it. No GL, no imgui:
the tests read and write it without a context.

Versions: fields are only ever added, each with a default, so a file of an older version (fewer fields)
reads as it is and VERSION stays 1; a field that changes meaning would raise VERSION and be migrated here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from glviz.state_files import read_state_text, write_state_text

VERSION = 1
FILE_NAME = "session.json"
CHECKPOINT = "checkpoint"  # `model` of a checkpoint opened from disk
MAX_TOKENS = 1 << 20  # more token ids than any GPT-2's context: the file is not ours


@dataclass
class SessionState:
    """What is saved. `model`: a preset's name ("nano", "gpt2", ...) or CHECKPOINT; `checkpoint`: its
    folder (or .npz), an absolute path; `tokens`: its prompt's token ids, typed and generated (None: the
    default prompt)."""

    letters: str = ""  # nano's six letters ("": the default)
    model: str = "nano"
    checkpoint: str = ""
    tokens: list[int] | None = None


def session_path(tour_path: Path) -> Path:
    """The session's file, beside the tour's."""
    return Path(tour_path).with_name(FILE_NAME)


def _tokens(value) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_TOKENS:
        raise ValueError("tokens: not a list of token ids")
    if not all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in value):
        raise ValueError("tokens: not a list of token ids")
    return value or None


def load_session(path: Path) -> tuple[SessionState | None, str | None]:
    """(state, None); (None, None) when there is no file (a first launch, or a file of before sessions were
    kept); (None, why) when it is unusable."""
    from glviz.model.config import APP_MODELS
    from glviz.model.sort_task import LETTERS, N_LETTERS

    text, problem = read_state_text(path)
    if text is None:
        return None, problem
    try:
        data = json.loads(text)
        version = data.get("version") if isinstance(data, dict) else None
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError("not a glviz session")
        letters = data.get("letters", "")
        if not isinstance(letters, str) or (letters and (len(letters) != N_LETTERS
                                                         or set(letters) - set(LETTERS))):
            raise ValueError(f"letters {letters!r}")
        model = data.get("model", "nano")
        if model not in (*APP_MODELS, CHECKPOINT):
            raise ValueError(f"model {model!r}")
        checkpoint = data.get("checkpoint", "")
        if not isinstance(checkpoint, str) or (model == CHECKPOINT and not checkpoint):
            raise ValueError(f"checkpoint {checkpoint!r}")
        state = SessionState(letters=letters, model=model, checkpoint=checkpoint,
                             tokens=_tokens(data.get("tokens")))
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        return None, f"{exc} ({path})"
    return state, None


def save_session(path: Path, state: SessionState) -> str | None:
    """Write the state (atomically: a crash never leaves half a file); the reason when it cannot."""
    return write_state_text(path, json.dumps({"version": VERSION, **asdict(state)}))
