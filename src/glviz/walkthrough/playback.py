"""Playback of the tour: which chapter, what time, playing or waiting, how fast. No GL, no imgui.

Playing stops at each pause's start (the learner reads) and at a chapter's end; Continue goes on from the
pause's end, or into the next chapter. Skip jumps to the next stop; Back returns to the start of the current
section (or the one before, when already there). The time only ever comes from these moves and `advance`,
and a frame is a pure function of (chapter, time), so scrubbing back and forth is free and exact.
"""

from __future__ import annotations

from collections.abc import Callable

from glviz.walkthrough.timeline import Events

SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
MIN_SPEED, MAX_SPEED = 0.25, 4.0
AT = 1e-4  # times closer than this are the same moment
BACK_GRACE_S = 0.75  # Back within this long after a section's start goes to the section before


class Player:
    """The playback state over chapters whose events `events_of(index)` gives."""

    def __init__(self, chapters: int, events_of: Callable[[int], Events]) -> None:
        self.chapters = chapters
        self.events_of = events_of
        self.chapter = 0
        self.t = 0.0
        self.playing = False
        self.speed = 1.0
        self.furthest: dict[int, float] = {}  # chapter -> furthest time reached (the contents' progress)

    @property
    def events(self) -> Events:
        return self.events_of(self.chapter)

    @property
    def duration(self) -> float:
        return self.events.duration

    @property
    def at_pause(self) -> bool:
        """Stopped at a pause's start, waiting for Continue."""
        return not self.playing and self.events.pause_at(self.t) is not None

    @property
    def at_end(self) -> bool:
        """At the end of the chapter."""
        return self.t >= self.duration - AT

    def progress(self, chapter: int) -> float:
        """0..1: how far the learner has got in a chapter."""
        duration = self.events_of(chapter).duration
        return min(self.furthest.get(chapter, 0.0) / duration, 1.0) if duration > 0 else 0.0

    def _seen(self) -> None:
        self.furthest[self.chapter] = max(self.furthest.get(self.chapter, 0.0), self.t)

    # --- moves ---------------------------------------------------------------------------------------------
    def advance(self, dt: float) -> bool:
        """Play on by dt seconds (times the speed), stopping at the next pause or the chapter's end.
        Returns whether the time changed."""
        if not self.playing or dt <= 0:
            return False
        stop = self.events.next_stop(self.t)
        self.t = min(self.t + dt * self.speed, stop)
        if self.t >= stop - AT:
            self.t = stop
            self.playing = False
        self._seen()
        return True

    def toggle(self) -> None:
        """Space: pause while playing, continue otherwise."""
        if self.playing:
            self.playing = False
        else:
            self.continue_()

    def continue_(self) -> None:
        """Continue: past a pause, into the next chapter at the end of one, or simply play."""
        pause = self.events.pause_at(self.t)
        if pause is not None:
            self.t = pause.end
        elif self.at_end:
            if self.chapter + 1 >= self.chapters:
                return  # the end of the tour
            self.goto(self.chapter + 1)
        self.playing = True
        self._seen()

    def pause(self) -> None:
        self.playing = False

    def skip(self) -> None:
        """Jump to the next stop (a pause or the chapter's end) and wait there."""
        pause = self.events.pause_at(self.t)
        start = pause.end if pause is not None else self.t
        self.t = self.events.next_stop(start)
        self.playing = False
        self._seen()

    def back(self) -> None:
        """Back to the start of this section and play it again; from just after a section's start, to the
        start of the section before (at a chapter's start: the last section of the previous chapter)."""
        events = self.events
        start = events.section_start(self.t)
        if self.t - start <= BACK_GRACE_S and not self.at_pause:
            if start <= AT:
                if self.chapter > 0:
                    self.goto(self.chapter - 1)
                    self.t = self.events.last_section_start()
                    self.playing = True
                return
            start = events.section_start(start - 10 * AT)
        self.t = start
        self.playing = True

    def seek(self, t: float) -> None:
        """Scrub to time t of this chapter (kept within it)."""
        self.t = min(max(float(t), 0.0), self.duration)
        self._seen()

    def goto(self, chapter: int, t: float = 0.0) -> None:
        """Another chapter (at time t), paused."""
        self.chapter = min(max(int(chapter), 0), self.chapters - 1)
        self.playing = False
        self.seek(t)

    def next_chapter(self) -> None:
        if self.chapter + 1 < self.chapters:
            self.goto(self.chapter + 1)

    def previous_chapter(self) -> None:
        if self.chapter > 0:
            self.goto(self.chapter - 1)

    def set_speed(self, speed: float) -> None:
        """Playback speed, 0.25× to 4×."""
        self.speed = min(max(float(speed), MIN_SPEED), MAX_SPEED)
