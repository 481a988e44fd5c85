"""The tour as a whole: its chapters, their frames at any time, their events and their text. No GL.

A chapter is played on a Stage (a layout and its trace); the app and the headless commands give the tour a
function that makes the stage of a scene. What does not depend on t (a chapter's events, its quoted numbers
and filled text) is computed once per stage and language, so a frame costs one run of the chapter's script.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from glviz.walkthrough.chapters import CHAPTERS, Chapter
from glviz.walkthrough.frame import TourFrame
from glviz.walkthrough.markdown import plain
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.text import fill, load_text
from glviz.walkthrough.timeline import Events, reading_seconds


@dataclass
class ChapterState:
    """What is fixed for one chapter on one stage in one language."""

    stage: Stage
    title: str
    texts: dict[str, str]  # paragraph key -> Markdown with the numbers filled in
    values: dict[str, str]  # the numbers the text quotes, read from the stage's trace
    events: Events
    plain: dict[str, str] = field(default_factory=dict)  # the texts without markup (their reading time)
    reading: dict[tuple, float] = field(default_factory=dict)  # paragraph keys -> their reading seconds


class Tour:
    """Frames, events and texts of every chapter; `stage_of(scene, lang)` gives the stage of a scene."""

    def __init__(self, stage_of: Callable[[str, str], Stage], chapters: list[Chapter] | None = None) -> None:
        self.chapters = chapters or CHAPTERS
        self._stage_of = stage_of
        self._states: dict[tuple, ChapterState] = {}

    def __len__(self) -> int:
        return len(self.chapters)

    def index_of(self, chapter_id: str) -> int:
        """The position of a chapter by its id; ValueError for an unknown id."""
        for i, chapter in enumerate(self.chapters):
            if chapter.id == chapter_id:
                return i
        raise ValueError(chapter_id)

    def state(self, index: int, lang: str) -> ChapterState:
        """The chapter's stage, title, filled text and events (computed once per stage and language)."""
        chapter = self.chapters[index]
        stage = self._stage_of(chapter.scene, lang)
        key = (index, lang, id(stage.layout), id(stage.trace), round(stage.aspect, 4))
        state = self._states.get(key)
        if state is None or state.stage.layout is not stage.layout or state.stage.trace is not stage.trace:
            text = load_text(chapter.id, lang)
            values = chapter.values(stage)
            texts = {k: fill(v, values) for k, v in text.paragraphs.items()}
            state = ChapterState(stage, fill(text.title, values), texts, values, Events(),
                                 {k: plain(v) for k, v in texts.items()})
            state.events = self._run(chapter, 0.0, state, record=True)[1]
            self._states = {k: v for k, v in self._states.items() if k[0] != index or k[1] != lang}
            self._states[key] = state
        return state

    def events(self, index: int, lang: str) -> Events:
        """The chapter's duration, pauses and paragraphs."""
        return self.state(index, lang).events

    def frame(self, index: int, t: float, lang: str) -> TourFrame:
        """The chapter's frame at time t."""
        state = self.state(index, lang)
        return self._run(self.chapters[index], t, state)[0]

    def _run(self, chapter: Chapter, t: float, state: ChapterState, record: bool = False
             ) -> tuple[TourFrame, Events]:
        """The frame at t and (`record`) the chapter's events: a frame needs none but their duration."""
        lang = state.stage.lang
        plain_texts = state.plain
        known = state.reading  # the same pauses every run: their reading times are looked up

        def reading(keys: list[str]) -> float:
            key = tuple(keys)
            seconds = known.get(key)
            if seconds is None:
                seconds = known[key] = reading_seconds([plain_texts.get(k, "") for k in key], lang)
            return seconds

        script = Script(t, state.stage, reading, record)
        script.values = state.values
        chapter.script(script)
        return script.finish()
