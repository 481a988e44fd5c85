"""One-line progress bars on stderr for long commands: recording a video, training the nano model."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR = 30


class Pace:
    """The seconds left in a run of `total` steps, from the pace since the first step was reported, not
    since the start: the first step also pays for setting up (a GL context, the first frame's programs), and
    counting it made a recording's first line read "ETA 234 s" for a 20-second job."""

    def __init__(self, total: int, clock: Callable[[], float] = time.perf_counter) -> None:
        self.total = total
        self.clock = clock
        self._first: tuple[float, int] | None = None  # (time, steps done) at the first report

    def left(self, done: int, now: float) -> float | None:
        """Seconds left after `done` steps at time `now`; None until a second report gives a pace."""
        if self._first is None:
            self._first = (now, done)
        t0, done0 = self._first
        if done <= done0 or now <= t0:
            return None
        return (now - t0) / (done - done0) * max(self.total - done, 0)


class _Line:
    """What both bars share: one carriage-return line on `stream`, redrawn at most every `interval_s`
    seconds (always at the last step), its time left from a Pace."""

    def __init__(self, total: int, stream: TextIO | None, interval_s: float, clock: Callable[[], float]
                 ) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self.pace = Pace(total, clock)
        self._last = -math.inf

    def _due(self, done: int) -> tuple[float, float | None] | None:
        """(now, seconds left or None) when the line is to be redrawn after `done` steps, else None."""
        now = self.pace.clock()
        left = self.pace.left(done, now)  # every report counts: the first one is the pace's origin
        if done < self.total and now - self._last < self.interval_s:
            return None
        self._last = now
        return now, left

    def close(self) -> None:
        """End the line, as the bar stands: the last update() of a finished run drew it full, and a run cut
        short (Ctrl+C, a full disk) shows how far it got."""
        self.stream.write("\n")
        self.stream.flush()


class ProgressBar(_Line):
    """`update(done)` redraws `label [####....] done/total  ETA` at most every `interval_s` seconds; `eta`
    is that last part's text, `{seconds}` the seconds left (the caller's language: i18n's cli.record.eta),
    left blank until there is a pace (Pace)."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, interval_s: float = 0.2,
                 eta: str = "ETA {seconds} s", clock: Callable[[], float] = time.perf_counter) -> None:
        super().__init__(max(int(total), 1), stream, interval_s, clock)
        self.label = label
        self.eta = eta

    def update(self, done: int, extra: str = "") -> None:
        due = self._due(done)
        if due is None:
            return
        _, left = due
        filled = int(round(min(done / self.total, 1.0) * BAR))
        if left is None:  # no pace yet: the room the estimate will take
            eta_text = " " * len(self.eta.format(seconds="   0"))
        else:
            eta_text = self.eta.format(seconds=f"{left:4.0f}")
        self.stream.write(f"\r{self.label}[{'#' * filled}{'.' * (BAR - filled)}] {done}/{self.total}  "
                          f"{eta_text} {extra}  ")
        self.stream.flush()


class TrainingBar(_Line):
    """Training's line: step, loss, time elapsed and left, in `lang` (the catalogue's cli.train.progress);
    the time left reads "-:--" until there is a pace (Pace)."""

    def __init__(self, total: int, stream: TextIO | None = None, interval_s: float = 0.2, lang: str = "en",
                 clock: Callable[[], float] = time.perf_counter) -> None:
        from glviz.i18n import tr_in

        super().__init__(total, stream, interval_s, clock)
        self.line = tr_in(lang, "cli.train.progress")  # filled by str.format at each redraw
        self.start = clock()

    def update(self, step: int, loss: float) -> None:
        """Redraw the line after `step` steps, at most every interval_s (always at the last step)."""
        due = self._due(step)
        if due is None:
            return
        now, left = due
        filled = int(BAR * step / self.total)
        line = self.line.format(step=f"{step:>{len(str(self.total))}}", total=self.total,
                                bar="#" * filled + "-" * (BAR - filled), loss=f"{loss:<9.3g}",
                                elapsed=_minutes(now - self.start),
                                eta="-:--" if left is None else _minutes(left))
        self.stream.write(f"\r{line} ")
        self.stream.flush()


def _minutes(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"
