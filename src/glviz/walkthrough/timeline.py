"""The tour's timeline: a chapter is a script of steps, paragraphs and pauses, re-run for every frame.

Immediate mode, as LLM Visualization's tour: every frame the chapter's script runs from its first line with
the chapter time `t`. Each `step(seconds)` takes the next stretch of the timeline and returns a Step telling
how far `t` is into it (0 before, 1 after); the script then sets the frame from those progresses. Nothing
is carried from one frame to the next, so any `t` gives the frame playing would have given, and a frame costs
the same at the start of a chapter and at its end. The events (steps, paragraphs, pauses) come out of the same
run, so a chapter's length, its pauses and its paragraphs need no separate description.

A pause is where playback stops until the learner presses Continue. It lasts a reading time (the time a
reader needs for the paragraphs since the last pause), which `record` plays as a still picture and which the
chapter's duration includes; interactive playback stops at its start and Continue jumps to its end.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

EPS = 1e-6


def smooth(x: float) -> float:
    """Ease in and out (smoothstep)."""
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


def linear(x: float) -> float:
    """No easing: a steady sweep (computation runs at an even pace)."""
    return min(max(x, 0.0), 1.0)


def ease_out(x: float) -> float:
    """Fast start, gentle landing (things flying into place)."""
    x = min(max(x, 0.0), 1.0)
    return 1.0 - (1.0 - x) ** 3


class Step:
    """One stretch [start, end) of the chapter's timeline as seen at time t (read-only by convention).

    A chapter asks every step whether it has started and most for their progress, every frame: `started` and
    `raw` are worked out once when the step is made, `p` (the eased progress) the first time it is asked."""

    __slots__ = ("start", "end", "t", "ease", "started", "raw", "_p")

    def __init__(self, start: float, end: float, t: float, ease: Callable[[float], float] = smooth) -> None:
        self.start = start
        self.end = end
        self.t = t
        self.ease = ease
        self._p: float | None = None
        started = self.started = t >= start - EPS  # t has reached the step: its effects apply
        # Linear progress 0..1 (0 before the step, 1 after it): t >= end > start gives a ratio of at least 1.
        if not started:
            self.raw = 0.0
        elif end <= start:
            self.raw = 1.0 if t >= start else 0.0
        elif t >= end:
            self.raw = 1.0
        else:
            raw = (t - start) / (end - start)
            self.raw = 0.0 if raw < 0.0 else raw

    @property
    def p(self) -> float:
        """Eased progress 0..1."""
        p = self._p
        if p is None:
            p = self._p = self.ease(self.raw)
        return p

    @property
    def done(self) -> bool:
        """t is past the step's end."""
        return self.t >= self.end - EPS and self.started

    @property
    def active(self) -> bool:
        """t is inside the step (transient things, such as flying cells, show only then)."""
        return self.started and not self.done

    def during(self, hold: float = 0.0) -> bool:
        """t is inside the step or at most `hold` seconds after its end."""
        return self.started and self.t < self.end + hold - EPS

    def part(self, a: float, b: float, ease: Callable[[float], float] = smooth) -> Step:
        """The sub-step from fraction a to fraction b of this one (e.g. the first half: part(0, 0.5))."""
        length = self.end - self.start
        return Step(self.start + a * length, self.start + b * length, self.t, ease)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Step):
            return NotImplemented
        return (self.start, self.end, self.t, self.ease) == (other.start, other.end, other.t, other.ease)

    def __hash__(self) -> int:
        return hash((self.start, self.end, self.t, self.ease))

    def __repr__(self) -> str:
        return f"Step(start={self.start!r}, end={self.end!r}, t={self.t!r}, ease={self.ease.__name__})"


@dataclass(frozen=True)
class Pause:
    """Playback stops at `start` and goes on from `end` on Continue; [start, end) is reading time."""

    start: float
    end: float


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of the chapter's text, current from `start` until the next one starts."""

    key: str
    start: float


@dataclass
class Events:
    """What a run of a chapter's script laid out: its length, pauses and paragraphs (the same for every t)."""

    duration: float = 0.0
    pauses: list[Pause] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)

    def paragraph_at(self, t: float) -> int:
        """Index of the paragraph current at t (-1 before the first)."""
        current = -1
        for i, paragraph in enumerate(self.paragraphs):
            if paragraph.start <= t + EPS:
                current = i
        return current

    def pause_at(self, t: float) -> Pause | None:
        """The pause that starts at t (playback stopped there), if any."""
        return next((p for p in self.pauses if abs(p.start - t) < 1e-4), None)

    def next_stop(self, t: float) -> float:
        """Where playback from t stops next: the next pause's start, or the chapter's end."""
        return min((p.start for p in self.pauses if p.start > t + 1e-4), default=self.duration)

    def last_section_start(self) -> float:
        """Where the chapter's last section (before its closing reading pause) starts."""
        end = self.duration
        if self.pauses and self.pauses[-1].end >= end - 1e-4:
            end = self.pauses[-1].start
        return self.section_start(end - 1e-3)

    def section_start(self, t: float) -> float:
        """Where the section holding t began: the end of the last pause before it, or 0."""
        return max((p.end for p in self.pauses if p.end <= t + 1e-4), default=0.0)


class Timeline:
    """Lays out a chapter's events as its script runs; `cursor` is where the next step starts."""

    def __init__(self, t: float, reading_seconds: Callable[[list[str]], float], record: bool = True) -> None:
        """`record`: keep the pauses and paragraphs in `events` (a run for one frame needs only the cursor,
        the duration and the paragraph current at t)."""
        self.t = float(t)
        self.record = record
        self.cursor = 0.0
        self.events = Events()
        self._reading_seconds = reading_seconds
        self._unread: list[str] = []  # paragraph keys since the last pause
        self._paragraphs = 0  # paragraphs laid out so far
        self.paragraph_now = -1  # the paragraph current at t (Events.paragraph_at(t)), -1 before the first
        self._group: list[float] | None = None  # ends of the steps of a `together` block

    def step(self, seconds: float, ease: Callable[[float], float] = smooth) -> Step:
        """The next `seconds` of the timeline (inside `together`, all steps start at the same time)."""
        start = self.cursor
        end = start + (float(seconds) if seconds > 0 else 0.0)
        if self._group is not None:
            self._group.append(end)
        else:
            self.cursor = end
        if end > self.events.duration:
            self.events.duration = end
        return Step(start, end, self.t, ease)

    def now(self) -> Step:
        """An instant at the cursor: effects given it apply from here on."""
        return Step(self.cursor, self.cursor, self.t)

    def wait(self, seconds: float) -> None:
        """Nothing happens for `seconds`."""
        self.step(seconds)

    def together(self) -> _Together:
        """`with timeline.together():` steps inside start together; the cursor then moves past the longest."""
        return _Together(self)

    def paragraph(self, key: str) -> None:
        """The paragraph `key` becomes current at the cursor."""
        if self.record:
            self.events.paragraphs.append(Paragraph(key, self.cursor))
        if self.cursor <= self.t + EPS:
            self.paragraph_now = self._paragraphs
        self._paragraphs += 1
        self._unread.append(key)

    def pause(self) -> Pause | None:
        """Playback stops here; the pause holds for the reading time of the paragraphs since the last one
        (returned when the timeline records its events)."""
        hold = self._reading_seconds(self._unread) if self._unread else MIN_HOLD_S
        self._unread = []
        start = self.cursor
        self.cursor = start + hold
        self.events.duration = max(self.events.duration, self.cursor)
        if not self.record:
            return None
        pause = Pause(start, self.cursor)
        self.events.pauses.append(pause)
        return pause

    def finish(self) -> Events:
        """The events, with a last reading pause for paragraphs that no pause followed."""
        if self._unread:
            self.pause()
        return self.events


class _Together:
    """The `with` block of Timeline.together (a plain class: a chapter opens dozens each frame)."""

    __slots__ = ("timeline", "outer")

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.outer = False

    def __enter__(self) -> None:
        timeline = self.timeline
        self.outer = timeline._group is None  # nested: part of the outer group already
        if self.outer:
            timeline._group = []

    def __exit__(self, *exc) -> None:
        if self.outer:
            timeline = self.timeline
            ends, timeline._group = timeline._group, None
            timeline.cursor = max([timeline.cursor, *ends])
            timeline.events.duration = max(timeline.events.duration, timeline.cursor)


MIN_HOLD_S = 1.5  # a pause with nothing new to read still holds the picture this long in a recording
READING_CHARS_PER_S = {"en": 16.0, "ja": 8.0}  # comfortable reading for a learner (about 190 words a minute)
MAX_HOLD_S = 25.0


def reading_seconds(texts: list[str], lang: str) -> float:
    """How long a learner needs to read `texts`: a moment to look, plus their length at a reading pace."""
    chars = sum(len(t) for t in texts)
    return min(MIN_HOLD_S + chars / READING_CHARS_PER_S.get(lang, 16.0), MAX_HOLD_S)


def frames_of(duration: float, fps: float) -> int:
    """Frames a recording at `fps` takes for `duration` seconds (at least one)."""
    return max(1, math.ceil(duration * fps - 1e-9))
