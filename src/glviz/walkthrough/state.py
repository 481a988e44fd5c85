"""Where the learner was: chapter, time, language, follow-camera and progress, kept between launches.

A JSON file in the user's config folder ($XDG_CONFIG_HOME/glviz/tour.json, else ~/.config/glviz/tour.json).
A missing file is a first launch; a corrupt or unwritable one costs one line of message and nothing else.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from glviz.i18n import LANGUAGES
from glviz.state_files import read_state_text, write_state_text

VERSION = 1


@dataclass
class TourState:
    """What is saved. `chapter` is a chapter id; `furthest` maps chapter ids to the furthest time seen."""

    chapter: str = ""
    t: float = 0.0
    lang: str = ""
    follow_camera: bool = True
    touring: bool = True  # the tour was on screen (not free exploring)
    furthest: dict[str, float] = field(default_factory=dict)


def state_path(environ=None, home: Path | None = None) -> Path:
    """$XDG_CONFIG_HOME/glviz/tour.json, else ~/.config/glviz/tour.json."""
    env = os.environ if environ is None else environ
    config = env.get("XDG_CONFIG_HOME") or str((home or Path.home()) / ".config")
    return Path(config) / "glviz" / "tour.json"


def load_state(path: Path) -> tuple[TourState | None, str | None]:
    """(state, None); (None, None) when there is no file (first launch); (None, why) when it is unusable."""
    text, problem = read_state_text(path)
    if text is None:
        return None, problem
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("not a glviz tour state")
        state = TourState(
            chapter=str(data.get("chapter", "")),
            t=float(data.get("t", 0.0)),
            lang=str(data.get("lang", "")) if data.get("lang") in (*LANGUAGES, "") else "",
            follow_camera=bool(data.get("follow_camera", True)),
            touring=bool(data.get("touring", True)),
            furthest={str(k): float(v) for k, v in dict(data.get("furthest", {})).items()},
        )
        if not (state.t >= 0 and state.t < float("inf")):
            raise ValueError(f"time {state.t}")
    except (ValueError, TypeError, AttributeError) as exc:
        return None, f"{exc} ({path})"
    return state, None


def save_state(path: Path, state: TourState) -> str | None:
    """Write the state (atomically: a crash never leaves half a file); the reason when it cannot."""
    return write_state_text(path, json.dumps({"version": VERSION, **asdict(state)}, indent=1))
