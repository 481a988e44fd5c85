"""The tour's engine without GL: steps and their progress, pauses and reading time, playback moves."""

from __future__ import annotations

import pytest

from glviz.walkthrough.playback import Player
from glviz.walkthrough.timeline import Events, Pause, Step, Timeline, reading_seconds


def script(t: float, log: list | None = None) -> tuple[Timeline, list[Step]]:
    """2 s step, paragraph, pause, two steps together (1 s and 3 s), paragraph, 1 s step."""
    tl = Timeline(t, lambda keys: 2.0 * len(keys))
    tl.paragraph("a")
    a = tl.step(2.0)
    tl.pause()
    with tl.together():
        b = tl.step(1.0)
        c = tl.step(3.0)
    tl.paragraph("b")
    d = tl.step(1.0)
    tl.finish()
    return tl, [a, b, c, d]


def test_steps_follow_each_other_and_together_runs_them_at_once():
    tl, (a, b, c, d) = script(0.0)
    assert (a.start, a.end) == (0.0, 2.0)
    assert tl.events.pauses[0] == Pause(2.0, 4.0)  # one paragraph to read: 2 s
    assert (b.start, b.end, c.start, c.end) == (4.0, 5.0, 4.0, 7.0)
    assert (d.start, d.end) == (7.0, 8.0)
    assert tl.events.pauses[-1] == Pause(8.0, 10.0)  # the last paragraph gets its reading time too
    assert tl.events.duration == 10.0
    assert [(p.key, p.start) for p in tl.events.paragraphs] == [("a", 0.0), ("b", 7.0)]


@pytest.mark.parametrize(("t", "raw", "started", "active"), [
    (-1.0, 0.0, False, False), (0.0, 0.0, True, True), (1.0, 0.5, True, True), (2.0, 1.0, True, False),
    (9.0, 1.0, True, False)])
def test_progress_of_a_step_at_any_time(t, raw, started, active):
    _, (a, *_) = script(t)
    assert a.raw == raw and a.started == started and a.active == active
    assert 0.0 <= a.p <= 1.0 and (a.p == 0.5 if raw == 0.5 else a.p == raw)  # smoothstep(0.5) = 0.5


def test_events_are_the_same_at_every_time():
    first = script(0.0)[0].events
    for t in (0.5, 3.0, 7.5, 100.0):
        assert script(t)[0].events == first


def test_reading_time_grows_with_the_text_and_is_slower_in_japanese():
    short, long = reading_seconds(["a" * 20], "en"), reading_seconds(["a" * 200], "en")
    assert 1.5 < short < long <= 25.0
    assert reading_seconds(["あ" * 100], "ja") > reading_seconds(["a" * 100], "en")


def events() -> Events:
    return script(0.0)[0].events


def make_player(chapters: int = 2) -> Player:
    return Player(chapters, lambda i: events())


def test_playing_stops_at_each_pause_and_continue_goes_past_it():
    player = make_player()
    player.continue_()
    assert player.playing
    for _ in range(30):
        player.advance(0.1)
    assert player.t == 2.0 and not player.playing and player.at_pause
    player.advance(1.0)
    assert player.t == 2.0  # waits for Continue
    player.continue_()
    assert player.t == 4.0 and player.playing  # the reading time is skipped interactively
    player.advance(100.0)
    assert player.t == 8.0 and player.at_pause
    player.continue_()
    player.advance(100.0)
    assert player.at_end and not player.playing
    player.continue_()  # at the end: the next chapter, playing
    assert (player.chapter, player.t, player.playing) == (1, 0.0, True)


def test_speed_skip_back_and_seek():
    player = make_player()
    player.set_speed(10.0)
    assert player.speed == 4.0
    player.set_speed(0.1)
    assert player.speed == 0.25
    player.set_speed(2.0)
    player.continue_()
    player.advance(0.5)
    assert player.t == 1.0
    player.skip()
    assert player.t == 2.0 and not player.playing  # the next pause
    player.skip()
    assert player.t == 8.0  # from a pause: past it to the next stop
    player.back()
    assert player.t == 4.0 and player.playing  # the start of this section
    player.advance(0.1)
    player.back()
    assert player.t == 0.0  # just after a section's start: the section before
    player.seek(99.0)
    assert player.t == 10.0
    player.seek(-3.0)
    assert player.t == 0.0
    player.goto(1)
    player.back()
    assert player.chapter == 0 and player.t == 4.0  # the last section of the chapter before
    assert player.progress(0) == 1.0 and player.progress(1) == 0.0


def test_toggle_pauses_and_continues():
    player = make_player()
    player.toggle()
    assert player.playing
    player.advance(0.5)
    player.toggle()
    assert not player.playing and player.t == 0.5
    player.toggle()
    assert player.playing and player.t == 0.5


def test_block_name_patterns_match_as_fnmatch_does():
    import fnmatch
    import itertools

    from glviz.walkthrough.script import name_matches

    names = ["layers.0.attn.h1.q", "layers.10.mlp.fc", "ln_f.out", "a*b", "", "aa", "aXbXc", "ab", "layers."]
    pieces = ["", "*", "layers", ".", "h1", "q", "a", "b", "c", "X", "?", "[0-9]", "f"]
    patterns = {"".join(p) for n in range(1, 5) for p in itertools.product(pieces, repeat=n)}
    for name, pattern in itertools.product(names, sorted(patterns)):
        assert name_matches(name, pattern) == fnmatch.fnmatchcase(name, pattern), (name, pattern)
