"""The command line's progress bars (recording, training): their time left."""

from __future__ import annotations

import io
import re

from glviz.progress import ProgressBar, TrainingBar


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _etas(text: str) -> list[str]:
    """The time-left part of every line the bar drew, its spaces collapsed."""
    lines = text.replace("\r", "\n")
    return [" ".join(m.split()) for m in re.findall(r"\] \d+/\d+  (.*?) *$", lines, re.M)]


def test_the_time_left_follows_the_pace_after_the_first_step():
    """A recording's first frame also sets up GL: 2 s, then 0.01 s a frame. The estimate counted the first
    frame's 2 s as the pace and read 'ETA 1998 s' for a job of about 10 s."""
    clock, stream = Clock(), io.StringIO()
    bar = ProgressBar(1000, "recording ", stream=stream, interval_s=0.0, clock=clock)
    clock.now += 2.0  # the first frame, set-up included
    bar.update(1)
    for done in range(2, 101):
        clock.now += 0.01
        bar.update(done)
    etas = _etas(stream.getvalue())
    assert etas[0] == ""  # no pace yet: no number
    assert etas[-1] == "ETA 9 s"  # 900 frames left at 0.01 s each
    assert all(e == "" or int(e.split()[1]) <= 10 for e in etas), etas


def test_the_estimate_is_drawn_in_the_callers_words():
    clock, stream = Clock(), io.StringIO()
    bar = ProgressBar(4, stream=stream, interval_s=0.0, eta="残り {seconds} 秒", clock=clock)
    for done in range(1, 4):
        clock.now += 1.0
        bar.update(done)
    assert _etas(stream.getvalue())[-1] == "残り 1 秒"


def test_training_reads_its_time_left_from_the_pace_too():
    clock, stream = Clock(), io.StringIO()
    bar = TrainingBar(100, stream=stream, interval_s=0.0, clock=clock)
    clock.now += 5.0  # a slow first step
    bar.update(1, 2.0)
    clock.now += 0.5
    bar.update(11, 1.0)  # 10 steps in 0.5 s: 89 left, 4.45 s
    first, second = stream.getvalue().split("\r")[1:]
    assert "elapsed 0:05 eta -:--" in first
    assert "elapsed 0:06 eta 0:04" in second
