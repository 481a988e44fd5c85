"""A one-line progress bar on stderr for long commands (recording, training)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR = 30


class ProgressBar:
    """`update(done)` redraws `label [####....] done/total  ETA` at most every `interval_s` seconds; `eta`
    is that last part's text, `{seconds}` the seconds left (the caller's language: i18n's cli.record.eta).

    The time left is estimated from the pace since the first update, not since the start: the first step
    also pays for setting up (a GL context, the first frame's programs), and counting it made a recording's
    first line read "ETA 234 s" for a 20-second job. Until a second update there is no estimate."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, interval_s: float = 0.2,
                 eta: str = "ETA {seconds} s", clock: Callable[[], float] = time.perf_counter) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.eta = eta
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self.clock = clock
        self._last = 0.0
        self._first: tuple[float, int] | None = None  # (time, done) at the first update: the pace's origin

    def update(self, done: int, extra: str = "") -> None:
        now = self.clock()
        if self._first is None:
            self._first = (now, done)
        if now - self._last < self.interval_s and done < self.total:
            return
        self._last = now
        share = min(done / self.total, 1.0)
        filled = int(round(share * BAR))
        t0, done0 = self._first
        if done > done0 and now > t0:
            eta_text = self.eta.format(seconds=f"{(now - t0) / (done - done0) * (self.total - done):4.0f}")
        else:  # no pace yet: the room the estimate will take
            eta_text = " " * len(self.eta.format(seconds="   0"))
        self.stream.write(f"\r{self.label}[{'#' * filled}{'.' * (BAR - filled)}] {done}/{self.total}  "
                          f"{eta_text} {extra}  ")
        self.stream.flush()

    def close(self) -> None:
        """End the line, as the bar stands: the last update() of a finished run drew it full, and a run cut
        short (Ctrl+C, a full disk) shows how far it got."""
        self.stream.write("\n")
        self.stream.flush()
