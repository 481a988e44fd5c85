"""A one-line progress bar on stderr for long commands (recording, training)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR = 30


class ProgressBar:
    """`update(done)` redraws `label [####....] done/total  ETA` at most every `interval_s` seconds; `eta`
    is that last part's text, `{seconds}` the seconds left (the caller's language: i18n's cli.record.eta)."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, interval_s: float = 0.2,
                 eta: str = "ETA {seconds} s") -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.eta = eta
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self.start = time.perf_counter()
        self._last = 0.0

    def update(self, done: int, extra: str = "") -> None:
        now = time.perf_counter()
        if now - self._last < self.interval_s and done < self.total:
            return
        self._last = now
        share = min(done / self.total, 1.0)
        filled = int(round(share * BAR))
        elapsed = now - self.start
        eta = elapsed / share - elapsed if share > 0 else 0.0
        eta_text = self.eta.format(seconds=f"{eta:4.0f}")
        self.stream.write(f"\r{self.label}[{'#' * filled}{'.' * (BAR - filled)}] {done}/{self.total}  "
                          f"{eta_text} {extra}  ")
        self.stream.flush()

    def close(self) -> None:
        """End the line, as the bar stands: the last update() of a finished run drew it full, and a run cut
        short (Ctrl+C, a full disk) shows how far it got."""
        self.stream.write("\n")
        self.stream.flush()
