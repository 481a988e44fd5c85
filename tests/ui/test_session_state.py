"""The session's file (what the learner explored: nano's letters, the Explore tab's model, a checkpoint and
its prompt's tokens), without GL: round trip, old and broken files, and the tour's file beside it."""

from __future__ import annotations

import json

import pytest

from glviz.ui.session_state import CHECKPOINT, SessionState, load_session, save_session, session_path
from glviz.walkthrough.state import TourState, load_state, save_state


def test_the_session_round_trips_beside_the_tours_place(tmp_path):
    tour = tmp_path / "glviz" / "tour.json"
    path = session_path(tour)
    assert path == tmp_path / "glviz" / "session.json"
    assert load_session(path) == (None, None)  # no file: nothing saved yet, no message
    state = SessionState(letters="AACCBA", model=CHECKPOINT, checkpoint="/models/my gpt2",
                         tokens=[464, 2068, 0, 50256])
    assert save_session(path, state) is None
    assert load_session(path) == (state, None)
    for preset in ("nano", "gpt2", "gpt2-xl", "gpt3"):
        save_session(path, SessionState(letters="CCCAAA", model=preset))
        assert load_session(path) == (SessionState(letters="CCCAAA", model=preset), None)
    place = TourState(chapter="embedding", t=3.5, lang="ja", follow_camera=False, touring=False)
    assert save_state(tour, place) is None  # the tour's file beside it: each keeps its own
    assert load_state(tour) == (place, None) and load_session(path)[0].letters == "CCCAAA"


def test_an_old_tour_file_without_a_session_loads(tmp_path):
    """A tour.json of before sessions were kept (the fields it had then, written by hand): the tour's place
    reads as it did, and there is no session (the app starts on nano with the default letters)."""
    tour = tmp_path / "glviz" / "tour.json"
    tour.parent.mkdir(parents=True)
    tour.write_text(json.dumps({"version": 1, "chapter": "softmax", "t": 2.0, "lang": "en",
                                "follow_camera": True, "touring": False, "furthest": {"softmax": 2.0}}))
    state, problem = load_state(tour)
    assert problem is None and state.chapter == "softmax" and not state.touring
    assert load_session(session_path(tour)) == (None, None)


def test_fields_missing_from_an_older_session_file_take_their_defaults(tmp_path):
    path = tmp_path / "session.json"
    path.write_text(json.dumps({"version": 1, "letters": "BBBAAA"}))
    assert load_session(path) == (SessionState(letters="BBBAAA"), None)
    path.write_text(json.dumps({"version": 1}))
    assert load_session(path) == (SessionState(), None)
    # A newer version's file: the fields known here are read, the others left.
    path.write_text(json.dumps({"version": 2, "model": "gpt2", "camera": [1, 2, 3]}))
    assert load_session(path) == (SessionState(model="gpt2"), None)
    path.write_text(json.dumps({"version": 1, "model": CHECKPOINT, "checkpoint": "/m", "tokens": []}))
    assert load_session(path) == (SessionState(model=CHECKPOINT, checkpoint="/m", tokens=None), None)


@pytest.mark.parametrize("content", [
    "{broken", "[]", '"text"', '{"letters": "AAABBB"}', '{"version": "1"}', '{"version": true}',
    '{"version": 1, "letters": "ABCD"}', '{"version": 1, "letters": "ABCABX"}',
    '{"version": 1, "letters": 6}',
    '{"version": 1, "model": "gpt5"}', '{"version": 1, "model": "checkpoint"}',
    '{"version": 1, "model": "checkpoint", "checkpoint": "/m", "tokens": [1, -2]}',
    '{"version": 1, "model": "checkpoint", "checkpoint": "/m", "tokens": "1, 2"}',
    '{"version": 1, "model": "checkpoint", "checkpoint": "/m", "tokens": [1.5]}',
    '{"version": 1, "model": "checkpoint", "checkpoint": 7}',
])
def test_a_broken_session_file_is_one_reason(tmp_path, content):
    path = tmp_path / "session.json"
    path.write_text(content)
    state, problem = load_session(path)
    assert state is None and problem and "session.json" in problem


def test_an_unreadable_or_unwritable_session_file_is_one_reason(tmp_path):
    path = tmp_path / "session.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert load_session(path)[0] is None and load_session(path)[1]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    problem = save_session(blocker / "session.json", SessionState())
    assert problem and "session.json" in problem
