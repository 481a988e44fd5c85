"""Opening a checkpoint in the app, headless on EGL: from `weights=`, from the panel's file list and the
Hugging Face cache list, cancelled, refused with the CLI's line, and ending on what was asked for last."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from checkpoint_helpers import SMALL, checkpoint, click, frames, loaded, settled  # tests/ui/

from glviz.commands.model_input import DEFAULT_PROMPT
from value_probe import gpu_cells

W, H = 1280, 800


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("checkpoints")
    a = checkpoint(root / "alpha", seed=1)
    b = checkpoint(root / "beta", seed=2)
    bad = checkpoint(root / "broken", seed=3)
    (bad / "model.safetensors").write_bytes((bad / "model.safetensors").read_bytes()[:200])  # cut short
    return {"root": root, "alpha": a, "beta": b, "broken": bad}


def _encode(folder: Path, text: str) -> list[int]:
    """The prompt's ids by the tokenizers package itself (not through glviz)."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(folder / "tokenizer.json")).encode(text).ids


def _is_checkpoint_on_screen(app, folder: Path) -> bool:
    view = app.view
    return view.is_checkpoint and view.path.resolve() == folder.resolve()


def test_weights_option_opens_the_checkpoint_with_the_default_prompt(gl_ctx, fbo, folders, tmp_path):
    from glviz.ui.app import GlvizApp

    app = GlvizApp(gl_ctx, size=(W, H), screenshot_dir=tmp_path, weights=folders["alpha"])
    try:
        assert app.loading is not None  # in the background: the window keeps drawing meanwhile
        loaded(app, fbo)
        assert _is_checkpoint_on_screen(app, folders["alpha"])
        expected = _encode(folders["alpha"], DEFAULT_PROMPT)
        view = app.view
        assert view.trace.tokens.tolist() == expected
        T = len(expected)
        assert view.layout.n_tokens == T and app.tokens_shown == T  # the card and the sizes say T
        assert view.layout["embed"].cols == T and view.layout["layers.0.attn.h0.probs"].rows == T
        assert app.title == "glviz — alpha"
        names = [name for name, _, _ in app.model_choices()]
        assert names[:4] == ["nano", "gpt2", "gpt2-xl", "gpt3"] and names[4] == view.name
        # Real values in 3D and in the hover explanation.
        present = view.renderer.blocks.levels.info.present
        for name in ("wte", "embed", "layers.1.mlp.gelu", "logits"):
            assert present[view.layout.by_name[name]], name
        # The values went to the GPU from stores made while loading: the cells hold the file's numbers.
        wte = np.asarray(view.weights["wte"])  # (V, C), drawn C x V
        np.testing.assert_allclose(gpu_cells(view.renderer, view.layout.by_name["wte"]), wte.T, atol=0)
        embed = np.asarray(view.trace.snapshot()["embed"])  # (T, C), drawn C x T
        np.testing.assert_allclose(gpu_cells(view.renderer, view.layout.by_name["embed"]), embed.T, atol=0)
        block = view.layout.by_name["layers.0.attn.h1.q"]
        info = view.explainer.explain(block, 3, T - 1)
        assert info.computed and info.matches
        assert info.value == pytest.approx(float(view.trace["layers.0.attn.q"][1, T - 1, 3]))
        assert gl_ctx.error == "GL_NO_ERROR"
    finally:
        app.release()


def test_the_panel_lists_folders_and_cached_checkpoints_and_opens_them(app, fbo, folders, tmp_path,
                                                                       monkeypatch):
    hub = tmp_path / "hf" / "hub"
    snapshot = hub / "models--someone--tiny" / "snapshots" / "r1"
    snapshot.mkdir(parents=True)
    for f in folders["beta"].iterdir():
        (snapshot / f.name).write_bytes(f.read_bytes())
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    section = app.panel.open
    section.browser.enter(folders["root"])
    section.browser.refresh()
    frames(app, fbo)
    click(app, fbo, section.rects["header"])  # open the collapsed section
    assert {"entry:alpha", "entry:beta", "entry:broken", "cached:someone/tiny"} <= section.rects.keys()
    click(app, fbo, section.rects["entry:broken"])  # refused: the section stays open to pick another
    loaded(app, fbo)
    assert app.model_name == "nano" and "entry:alpha" in section.rects
    click(app, fbo, section.rects["entry:alpha"])
    assert app.loading is not None
    loaded(app, fbo)
    assert _is_checkpoint_on_screen(app, folders["alpha"])
    assert section.rects.keys() == {"header"}  # opened: the section has closed, as a dialog would
    click(app, fbo, section.rects["header"])
    click(app, fbo, section.rects["cached:someone/tiny"])
    loaded(app, fbo)
    assert _is_checkpoint_on_screen(app, snapshot)
    assert sum(v.is_checkpoint for v in app.models.views.values()) == 1  # the one opened before is freed


def test_the_file_list_starts_beside_the_checkpoint_on_screen(app, fbo, folders, tmp_path):
    """Opened first with a checkpoint on screen, the list shows the folder holding it (its neighbours),
    not the home folder; a folder the learner went to is kept."""
    section = app.panel.open
    assert section.browser.folder == Path.home() and not app.view.is_checkpoint
    app.open_checkpoint(folders["alpha"])
    loaded(app, fbo)
    click(app, fbo, section.rects["header"])
    frames(app, fbo)
    assert section.browser.folder.resolve() == folders["root"].resolve()
    assert {"entry:alpha", "entry:beta"} <= section.rects.keys()
    section.browser.enter(tmp_path)
    frames(app, fbo)  # the section open, the checkpoint still on screen
    assert section.browser.folder == tmp_path and "header" in section.rects  # not sent back


def test_an_empty_folder_says_why_its_list_is_empty(app, fbo, tmp_path):
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    section = app.panel.open
    section.browser.enter(tmp_path)
    frames(app, fbo)
    click(app, fbo, section.rects["header"])
    assert "empty" in section.rects and not any(k.startswith("entry:") for k in section.rects)
    assert section.browser.readable
    (tmp_path / "sub").mkdir()
    section.browser.refresh()
    frames(app, fbo)
    assert "entry:sub" in section.rects and "empty" not in section.rects
    section.browser.enter(tmp_path / "nowhere")  # gone: not readable, and said so
    assert not section.browser.readable and section.browser.entries == []


def test_a_typed_folder_that_is_no_checkpoint_is_browsed(app, fbo, folders):
    """Typing a folder's path (and Enter or Open) said "checkpoint folder has no config.json" in the panel's
    message line; a folder of checkpoints is a place to look in: the list goes there."""
    section = app.panel.open
    frames(app, fbo)
    click(app, fbo, section.rects["header"])
    messages = len(app.messages)
    section._open_typed(app, str(folders["root"]))
    frames(app, fbo)
    assert section.browser.folder == folders["root"].resolve()
    assert {"entry:alpha", "entry:beta"} <= section.rects.keys()
    assert len(app.messages) == messages and app.loading is None and app.model_name == "nano"
    section._open_typed(app, str(folders["alpha"]))  # a checkpoint's folder still opens it
    loaded(app, fbo)
    assert _is_checkpoint_on_screen(app, folders["alpha"])


def test_leaving_the_tour_goes_back_to_the_checkpoint(app, fbo, folders):
    """T from a checkpoint shows the tour (on nano); T again went to nano, the checkpoint, its prompt and
    generated tokens out of sight (only the selector still had it). It goes back to the checkpoint."""
    app.open_checkpoint(folders["alpha"])
    loaded(app, fbo)
    app.generation.generate(2)
    settled(app, fbo)
    tokens = app.view.trace.tokens.tolist()
    app.tour.toggle_mode()
    frames(app, fbo, 3)
    assert app.tour.touring and app.model_name == "nano"
    app.tour.toggle_mode()
    frames(app, fbo, 3)
    assert not app.tour.touring and _is_checkpoint_on_screen(app, folders["alpha"])
    assert app.view.trace.tokens.tolist() == tokens
    app.tour.toggle_mode()  # asked for something else meanwhile: that one stays
    app.switch_model("gpt2")
    assert not app.tour.touring and app.models.requested == "gpt2"


def test_stepping_nano_from_the_tour_stays_on_nano(app, fbo, folders):
    """Next token on nano with the tour on screen is free exploring on nano: it went back to the checkpoint
    explored before the tour, stepping nano's letters out of sight (T = 11: back to the six letters)."""
    app.open_checkpoint(folders["alpha"])
    loaded(app, fbo)
    app.tour.toggle_mode()
    frames(app, fbo, 3)
    app.generation.next_token()
    settled(app, fbo)
    assert not app.tour.touring and app.model_name == "nano" and app.view.trace.T == 6  # the six letters


def test_cancel_stays_on_the_model(app, fbo, folders):
    app.open_checkpoint(folders["alpha"])
    load = app.loading
    app.cancel_load()
    assert app.loading is None and load.cancelled.is_set()
    load.join()
    frames(app, fbo, 3)
    assert app.model_name == "nano" and app.models.requested == "nano"
    assert not any(v.is_checkpoint for v in app.models.views.values())


def test_a_cancelled_load_stops_reading_tensors(folders):
    """Cancel takes effect at the next tensor: the load ends without weights."""
    from glviz.ui.loading import CheckpointLoad

    load = CheckpointLoad("x", folders["alpha"])
    load.cancel()
    load.start().join()
    assert load.result == {} and load.done == 0


def test_a_bad_checkpoint_shows_the_clis_line_and_keeps_the_model(app, fbo, folders, capsys):
    from glviz.cli import main

    assert main(["generate", "--weights", str(folders["broken"]), "--tokens", "1"]) == 2
    cli_line = capsys.readouterr().err.strip()
    assert cli_line.startswith("glviz: error: ") and "\n" not in cli_line
    app.set_input("CCBBAA")
    app.open_checkpoint(folders["broken"])
    loaded(app, fbo)
    assert app.messages[-1] == cli_line
    assert app.model_name == "nano" and app.letters == "CCBBAA"
    assert app.models.requested == "nano"
    frames(app, fbo)
    assert app.panel.open is not None and app.messages[-1] == cli_line  # shown in the panel, the app lives


def test_a_failed_open_is_no_longer_shown_once_a_checkpoint_opens(app, fbo, folders):
    """The failure's line stayed at the top of the panel for good: over the next checkpoint, opened fine, it
    read "glviz: error: ..." as if about that one. It goes when a model comes on screen; a screenshot's
    line (not a failure) stays."""
    app.open_checkpoint(folders["broken"])
    loaded(app, fbo)
    assert app.message_shown.startswith("glviz: error: ")
    app.open_checkpoint(folders["alpha"])
    loaded(app, fbo)
    assert _is_checkpoint_on_screen(app, folders["alpha"]) and app.message_shown is None
    app.panel.open._open_typed(app, str(folders["root"] / "nowhere"))  # typed, not found: the same
    assert app.message_shown.startswith("glviz: error: ")
    app.switch_model("nano", wait=True)
    frames(app, fbo)
    assert app.message_shown is None
    app.message("a screenshot's line")
    app.switch_model(app.models.checkpoint.name, wait=True)
    frames(app, fbo)
    assert app.message_shown == "a screenshot's line"


def test_a_prompt_longer_than_the_context_is_refused_with_the_clis_line(app, fbo, folders):
    """Tokens to open a checkpoint with that do not fit its context: the model's own one-line refusal, the
    app stays where it was."""
    app.set_input("CCBBAA")
    app.open_checkpoint(folders["alpha"], tokens=[1] * (SMALL.block_size + 1))
    loaded(app, fbo)
    assert app.messages[-1].endswith(f"more tokens than the model's context of {SMALL.block_size} "
                                     f"({SMALL.block_size + 1} tokens)")
    assert app.model_name == "nano" and app.letters == "CCBBAA"


def test_the_last_thing_asked_for_wins_across_loads_and_switches(app, fbo, folders):
    from glviz.ui.controls import KEY_1

    app.open_checkpoint(folders["alpha"])
    app.open_checkpoint(folders["beta"])  # asked for last
    loaded(app, fbo)
    assert _is_checkpoint_on_screen(app, folders["beta"])

    app.open_checkpoint(folders["alpha"])
    app.key(KEY_1, True)  # nano, while alpha loads
    loaded(app, fbo)
    frames(app, fbo, 3)
    assert app.model_name == "nano"
    assert not any(v.path is not None and v.path.name == "alpha" for v in app.models.views.values())

    app.key(KEY_1 + 1, True)  # GPT-2 small's layout builds in the background ...
    app.open_checkpoint(folders["alpha"])  # ... and a load starts: asked for last
    while app.building is not None or app.loading is not None:
        app.frame(fbo, dt=0.016)
    frames(app, fbo)
    assert _is_checkpoint_on_screen(app, folders["alpha"])

    alpha = app.models.checkpoint
    app.switch_model("nano")
    app.open_checkpoint(folders["beta"])  # loading ...
    app.switch_model(alpha.name)  # ... when alpha, still open, is chosen in the selector: the load stops
    assert app.loading is None
    frames(app, fbo)
    assert _is_checkpoint_on_screen(app, folders["alpha"])

    app.switch_model("gpt2")  # built above: instant
    app.key(KEY_1, True)
    app.switch_model(app.models.checkpoint.name)  # the checkpoint in the selector, asked for last
    frames(app, fbo)
    assert _is_checkpoint_on_screen(app, folders["alpha"])
    app.key(KEY_1 + 3, True)  # keys 1–4 still choose the presets
    while app.building is not None:
        app.frame(fbo, dt=0.016)
    assert app.model_name == "gpt3"


def test_a_checkpoint_without_tokenizer_shows_token_ids(app, fbo, tmp_path):
    folder = checkpoint(tmp_path / "ids-only", tokenizer=None)
    app.open_checkpoint(folder)
    loaded(app, fbo)
    view = app.view
    assert view.weights.tokenizer is None
    assert view.trace.tokens.tolist() == list(range(8)) and view.prompt == "0, 1, 2, 3, 4, 5, 6, 7"
    assert app.edit_prompt("5, 6, 7")
    app.view.worker.wait()
    frames(app, fbo, 3)
    assert app.view.trace.tokens.tolist() == [5, 6, 7] and app.view.layout.n_tokens == 3
    assert not app.edit_prompt("5, x") and "whole numbers separated by commas" in app.prompt.error
    assert "--tokens" not in app.prompt.error  # the CLI's option, not in the panel
    assert not app.edit_prompt(f"{SMALL.vocab_size}") and "outside the vocabulary" in app.prompt.error
    assert app.view.trace.tokens.tolist() == [5, 6, 7]


def test_a_sort_model_opened_as_a_checkpoint_reads_letters(app, fbo, tmp_path):
    """A model of the sort task (train-sort's .npz: vocabulary A, B, C, no tokenizer) opened as a checkpoint
    showed ids: eight of them as its prompt ("0, 1, 2, 0, ..."), chips "2", "1", candidates "0". It now
    reads as letters: six to sort, letter chips and candidates, letters typed, and a refusal that names the
    letter it cannot read."""
    import shutil

    from glviz.resources import model_path
    from glviz.ui.sections.prompt_field import prompt_label

    path = tmp_path / "mine.npz"
    shutil.copy(model_path("nano-sort.npz"), path)  # (what `glviz train-sort --out mine.npz` writes)
    app.open_checkpoint(path)
    loaded(app, fbo)
    view = app.view
    assert view.is_checkpoint and view.prompt == "CBABBC"
    assert view.trace.tokens.tolist() == [2, 1, 0, 1, 1, 2]  # A, B, C = 0, 1, 2
    assert prompt_label(view.weights).startswith("Letters from A, B, C")
    assert [app.prompt.label(view.weights, t) for t in range(3)] == ["A", "B", "C"]
    ids, _ = app.generation.candidates()
    assert app.prompt.label(view.weights, ids[0]) == "A"  # the first of CBABBC sorted
    app.generation.generate(10)
    settled(app, fbo)
    assert app.view.trace.tokens.tolist() == [2, 1, 0, 1, 1, 2, 0, 1, 1, 1, 2]  # ...then A B B B C: full
    frames(app, fbo, 2)  # a full context is the task's end here, said as such, not as a failure in red
    assert app.panel.generation.full_line.startswith("The context of 11 tokens is full: the model has")
    assert not app.edit_prompt("cbad") and "not 'd' ('cbad')" in app.prompt.error
    assert app.view.trace.T == 11  # the model stays as it was
    assert app.edit_prompt("c b, a")
    app.view.worker.wait()
    frames(app, fbo, 3)
    assert app.view.trace.tokens.tolist() == [2, 1, 0] and app.view.layout.n_tokens == 3


@pytest.mark.parametrize("vocab", [3, 320, 50257])
def test_the_prompt_asks_for_ids_in_the_models_range_with_an_example_from_it(vocab):
    """Without a tokenizer the prompt box asked for ids "e.g. 464, 2068" whatever the model: nano's .npz
    (three tokens) opened as a checkpoint was offered ids it refuses. It now says the range and takes its
    example from it."""
    import re

    from glviz.ui.sections.prompt_field import ids_label

    text = ids_label(vocab)
    assert f"from 0 to {vocab - 1} " in text
    example = [int(i) for i in re.search(r"e\.g\. ([\d, ]+):$", text).group(1).split(",")]
    assert example and all(0 <= i < vocab for i in example), (text, example)


def test_config_json_of_another_model_type_is_refused(app, fbo, tmp_path):
    folder = checkpoint(tmp_path / "bert")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "bert"}))
    app.open_checkpoint(folder)
    loaded(app, fbo)
    assert "model_type must be gpt2" in app.messages[-1] and app.model_name == "nano"
    assert np.isfinite(app.view.trace["probs"]).all()


def test_a_load_says_it_is_opening_the_file_until_it_knows_how_many_tensors(folders):
    """Before the file's header is read the count of tensors is unknown: the line said '0 of ? tensors'."""
    from glviz.ui.loading import CheckpointLoad
    from glviz.ui.sections.open_checkpoint import progress_label

    load = CheckpointLoad("alpha", folders["alpha"])  # not started: nothing read yet
    assert progress_label(load) == "Loading alpha: opening the file"
    load.done, load.total = 3, 10
    assert progress_label(load) == "Loading alpha: 3 of 10 tensors"
    load.tracing = True
    assert progress_label(load) == "Loading alpha: tracing the prompt"
