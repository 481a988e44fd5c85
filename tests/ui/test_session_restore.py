"""The next launch comes back to what the learner was exploring, headless on EGL: nano's letters, a preset, a
checkpoint (written in the test) with its prompt's tokens, loaded after the first frame (or on leaving the
tour); a checkpoint that is gone or broken is one message and nano."""

from __future__ import annotations

import json

import pytest
from checkpoint_helpers import checkpoint, frames, loaded, settled, until  # tests/ui/

from glviz.ui.session_state import CHECKPOINT, SessionState, load_session, save_session

TOKENS = [17, 3, 250, 99, 42, 7, 300]  # ids of the small checkpoints' vocabulary (320), not a default prompt


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("checkpoints")
    bad = checkpoint(root / "broken", seed=3)
    (bad / "model.safetensors").write_bytes((bad / "model.safetensors").read_bytes()[:200])  # cut short
    return {"alpha": checkpoint(root / "alpha", seed=1), "broken": bad}


@pytest.fixture
def config(tmp_path):
    return tmp_path / "config" / "glviz"


@pytest.fixture
def launch(make_app):  # noqa: F811 (the fixture imported above)
    """launch(**options): a GlvizApp as `glviz app` makes it (tour on a first launch, lang en, its state in
    `config`); each one is released at the end."""
    return make_app


def saved_state(config, session: SessionState, touring: bool = False) -> None:
    """The files a previous launch left: the tour's place (free exploring, or in the tour) and the session."""
    config.mkdir(parents=True, exist_ok=True)
    place = {"version": 1, "chapter": "embedding", "t": 1.0, "lang": "en", "follow_camera": True,
             "touring": touring}
    (config / "tour.json").write_text(json.dumps(place))
    assert save_session(config / "session.json", session) is None


def on_screen(app, folder) -> bool:
    view = app.view
    return view.is_checkpoint and view.path.resolve() == folder.resolve()


def test_the_letters_are_kept_between_launches(launch, fbo, config):
    app = launch()
    frames(app, fbo)
    assert app.set_input("AACCBA")
    frames(app, fbo)
    app.release()
    assert load_session(config / "session.json")[0] == SessionState(letters="AACCBA")
    again = launch()
    frames(again, fbo)
    assert again.letters == "AACCBA" and again.model_name == "nano"
    assert again.view.trace.tokens.tolist()[:6] == [0, 0, 2, 2, 1, 0]  # A=0, B=1, C=2: traced on them
    assert again.tour.touring and again.tour.chapter.id == "overview"  # the tour's place, as before


def test_letters_on_the_command_line_win_over_the_saved_ones(launch, fbo, config):
    saved_state(config, SessionState(letters="AACCBA"))
    app = launch(letters="BBBCCC")
    frames(app, fbo)
    assert app.letters == "BBBCCC"


def test_the_default_letters_given_on_the_command_line_win_too(launch, fbo, config):
    """`glviz app --input CBABBC` asks for those letters, even though they are the default ones: the app's
    --input is None when not given, so that the two cases differ."""
    from glviz.cli import build_parser

    saved_state(config, SessionState(letters="AACCBA"))
    assert build_parser("app").parse_args(["app"]).input is None
    given = build_parser("app").parse_args(["app", "--input", "CBABBC"]).input
    app = launch(letters=given)
    frames(app, fbo)
    assert app.letters == "CBABBC"
    again = launch(letters=build_parser("app").parse_args(["app"]).input)
    frames(again, fbo)
    assert again.letters == "CBABBC"  # (saved by the launch before, which showed them)


def test_a_checkpoint_and_its_prompt_come_back_after_the_first_frame(launch, fbo, config, folders):
    saved_state(config, SessionState(letters="CCCAAA", model=CHECKPOINT, checkpoint=str(folders["alpha"]),
                                     tokens=TOKENS))
    app = launch()
    assert app.loading is None and app.model_name == "nano"  # nothing loaded before the first frame
    frames(app, fbo, 1)
    assert app.model_name == "nano" and app.letters == "CCCAAA"
    frames(app, fbo, 1)
    assert app.loading is not None  # after it, in the background (progress bar, Cancel)
    loaded(app, fbo)
    assert on_screen(app, folders["alpha"]) and not app.tour.touring
    assert app.view.trace.tokens.tolist() == TOKENS and app.tokens_shown == len(TOKENS)
    assert app.view.layout["embed"].cols == len(TOKENS)
    assert app.messages == []
    # Tokens generated are kept too, and the next launch comes back to them.
    app.generation.generate(3)
    settled(app, fbo)
    tokens = app.view.trace.tokens.tolist()
    assert len(tokens) == len(TOKENS) + 3
    frames(app, fbo)
    assert load_session(config / "session.json")[0].tokens == tokens  # saved once the worker was done
    app.release()
    again = launch()
    frames(again, fbo, 2)
    loaded(again, fbo)
    assert on_screen(again, folders["alpha"]) and again.view.trace.tokens.tolist() == tokens


def test_a_checkpoint_explored_before_the_tour_loads_when_the_tour_is_left(launch, fbo, config, folders):
    saved_state(config, SessionState(model=CHECKPOINT, checkpoint=str(folders["alpha"]), tokens=TOKENS),
                touring=True)
    app = launch()
    frames(app, fbo, 5)
    assert app.tour.touring and app.model_name == "nano" and app.loading is None  # the tour first
    app.release()  # quit in the tour: the checkpoint is still the one explored
    assert load_session(config / "session.json")[0].checkpoint == str(folders["alpha"])
    again = launch()
    frames(again, fbo, 3)
    assert again.tour.touring and again.loading is None
    again.tour.toggle_mode()  # T: out of the tour, to what was explored
    frames(again, fbo, 1)
    assert again.loading is not None
    loaded(again, fbo)
    assert on_screen(again, folders["alpha"]) and again.view.trace.tokens.tolist() == TOKENS


def test_stepping_nano_in_the_tour_stays_on_nano(launch, fbo, config, folders):
    """Next token on nano while the tour is on screen leaves the tour for nano's letters, not for the saved
    checkpoint: it is no longer wanted."""
    saved_state(config, SessionState(model=CHECKPOINT, checkpoint=str(folders["alpha"]), tokens=TOKENS),
                touring=True)
    app = launch()
    frames(app, fbo, 3)
    app.generation.next_token()
    settled(app, fbo)
    frames(app, fbo, 3)
    assert not app.tour.touring and app.model_name == "nano" and app.loading is None
    app.release()
    assert load_session(config / "session.json")[0].model == "nano"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_checkpoint_that_is_gone_is_one_message_and_nano(launch, fbo, config, tmp_path, lang):
    from glviz.i18n import tr_in

    gone = tmp_path / "moved-away"
    saved_state(config, SessionState(model=CHECKPOINT, checkpoint=str(gone), tokens=TOKENS))
    app = launch(lang=lang)
    frames(app, fbo, 5)
    expected = tr_in(lang, "session.checkpoint_missing", path=gone)
    assert app.messages == [expected] and app.message_shown == expected
    assert app.model_name == "nano" and app.loading is None
    app.release()
    assert load_session(config / "session.json")[0].model == "nano"  # said once: not at every launch
    again = launch(lang=lang)
    frames(again, fbo, 5)
    assert again.messages == [] and again.model_name == "nano"


def test_a_checkpoint_that_fails_to_load_is_one_message_and_nano(launch, fbo, config, folders):
    saved_state(config, SessionState(model=CHECKPOINT, checkpoint=str(folders["broken"]), tokens=TOKENS))
    app = launch()
    frames(app, fbo, 2)
    loaded(app, fbo)
    assert len(app.messages) == 1 and app.messages[0].startswith("The checkpoint open at the last launch")
    assert str(folders["broken"]) in app.messages[0] and app.model_name == "nano"


def test_tokens_the_checkpoint_cannot_run_are_one_message_and_nano(launch, fbo, config, folders):
    """The folder now holds another model, of a smaller vocabulary: the saved ids are refused."""
    saved_state(config, SessionState(model=CHECKPOINT, checkpoint=str(folders["alpha"]), tokens=[5, 4000]))
    app = launch()
    frames(app, fbo, 2)
    loaded(app, fbo)
    assert len(app.messages) == 1 and "4000" in app.messages[0] and app.model_name == "nano"


def test_a_preset_comes_back_after_the_first_frame(launch, fbo, config):
    saved_state(config, SessionState(model="gpt2"))
    app = launch()
    frames(app, fbo, 1)
    assert app.model_name == "nano"
    until(app, fbo, lambda: app.model_name == "gpt2")
    assert app.models.requested == "gpt2" and not app.tour.touring


def test_what_the_learner_asks_for_first_wins(launch, fbo, config, folders):
    saved_state(config, SessionState(model=CHECKPOINT, checkpoint=str(folders["alpha"]), tokens=TOKENS),
                touring=True)
    app = launch()
    frames(app, fbo, 2)
    app.choose_model(1)  # key 2: GPT-2 small, from the tour
    until(app, fbo, lambda: app.model_name == "gpt2")
    frames(app, fbo, 3)
    assert app.loading is None and app.model_name == "gpt2"
    # The command line's checkpoint wins over the saved one.
    saved_state(config, SessionState(model="gpt3"))
    other = launch(weights=folders["alpha"])
    loaded(other, fbo)
    frames(other, fbo, 3)
    assert on_screen(other, folders["alpha"]) and other.models.building is None


def test_a_corrupt_session_file_still_starts_the_app(launch, fbo, config):
    saved_state(config, SessionState(letters="AACCBA"))
    (config / "session.json").write_text('{"version": 1, "letters": "ABCD')
    app = launch()
    frames(app, fbo, 3)
    assert app.model_name == "nano" and app.letters == "CBABBC"
    assert sum("Could not read what was explored" in m for m in app.messages) == 1
    assert not app.tour.touring and app.tour.chapter.id == "embedding"  # the tour's place still comes back
    app.release()  # a good file in its place: said once, not at every launch
    assert load_session(config / "session.json") == (SessionState(letters="CBABBC"), None)
    again = launch()
    frames(again, fbo, 3)
    assert again.messages == []


def test_a_session_that_cannot_be_saved_is_one_message(launch, fbo, config, tmp_path):
    (config / "session.json").mkdir(parents=True)  # a folder where the file goes: it cannot be written
    app = launch()
    frames(app, fbo)
    app.set_input("AACCBA")
    frames(app, fbo)
    app.set_input("CCCAAA")
    frames(app, fbo)
    assert sum("Could not save what is being explored" in m for m in app.messages) == 1
    app.tour.goto(2)  # the tour's place beside it is written as before
    assert json.loads((config / "tour.json").read_text())["chapter"] == "embedding"
    # Neither can be written (the folder is a file): one message for both.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    other = launch(state_path=blocker / "tour.json")
    frames(other, fbo)
    other.set_input("AACCBA")
    frames(other, fbo)
    other.tour.goto(1)
    other.tour.goto(2)
    assert sum("Could not save" in m for m in other.messages) == 1
