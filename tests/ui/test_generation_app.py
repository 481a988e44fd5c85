"""A checkpoint's prompt and generation in the app, headless on EGL: prompt edits (chips, T, refusals), Next
token (greedy: the argmax of the trace's last probabilities), Generate N and Stop, sampling reproducible from
its seed (the same tokens as `glviz generate`), and nano sorting one letter at a time."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from checkpoint_helpers import LONG, SMALL, checkpoint, click, frames, loaded, settled

from glviz.errors import GlvizError
from glviz.model.generate import generate
from value_probe import gpu_cells

W, H = 1280, 800


def _encode(folder, text: str) -> list[int]:
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(folder / "tokenizer.json")).encode(text).ids


def test_prompt_edits_retrace_and_show_chips_and_refusals_keep_the_model(ckpt_app, fbo, small):
    app = ckpt_app
    text = "Attention mixes information between positions."
    assert app.edit_prompt(text)
    settled(app, fbo)
    expected = _encode(small, text)
    view = app.view
    assert view.trace.tokens.tolist() == expected
    T = len(expected)
    assert view.layout.n_tokens == T and view.layout["layers.1.resid2"].cols == T
    assert app.scene.layout is view.layout and view.renderer.layout is view.layout
    assert sorted(app.panel.prompt.chip_rects) == list(range(T))  # one chip per token
    assert app.panel.prompt.buffer == text
    # Refused: longer than the context (48 tokens), or nothing: the model keeps what it showed.
    long_text = " ".join(["transformer"] * 60)
    assert not app.edit_prompt(long_text)
    assert f"longer than the model's context of {SMALL.block_size}" in app.prompt.error
    assert not app.edit_prompt("")
    assert "encodes to no tokens" in app.prompt.error
    settled(app, fbo)
    assert app.view.trace.tokens.tolist() == expected and app.view.layout.n_tokens == T
    assert app.edit_prompt(text) and app.prompt.error == ""


def test_a_long_prompt_wraps_in_its_box(ckpt_app, fbo):
    """The prompt box did not wrap: a prompt longer than a line ran past its right edge, out of sight, and
    the box's second line stayed empty. Now the text wraps at the box's width."""
    from glviz.render.frame import read_pixels

    app = ckpt_app
    assert app.edit_prompt("WOMBAT MOW " * 4), app.prompt.error  # wider than the box, within the context
    settled(app, fbo)
    x0, y0, x1, y1 = (round(v) for v in app.panel.prompt.rect)
    line = app.panel.prompt.rect[3] - app.panel.prompt.rect[1]
    second_line = read_pixels(fbo)[y0 + round(line * 0.45): y0 + round(line * 0.7), x0 + 8: x1 - 20]
    assert (second_line.max(axis=2) > 180).sum() > 50, "no text on the box's second line"


def test_typing_in_the_prompt_box_retraces(ckpt_app, fbo, small):
    app = ckpt_app
    frames(app, fbo)
    click(app, fbo, app.panel.prompt.rect)
    from glviz.ui.imgui_renderer import MOD_CONTROL

    key_a = 65  # glfw's A
    app.key(key_a, True, MOD_CONTROL)  # select all: typing replaces the prompt
    app.frame(fbo, dt=0.016)
    app.key(key_a, False, 0)  # Ctrl released too: imgui ignores characters typed while it is down
    app.frame(fbo, dt=0.016)
    for ch in "The dog":
        app.char(ord(ch))
        app.frame(fbo, dt=0.016)
    settled(app, fbo)
    assert app.view.prompt == "The dog"
    assert app.view.trace.tokens.tolist() == _encode(small, "The dog")


def test_next_token_appends_the_greedy_argmax(ckpt_app, fbo):
    app = ckpt_app
    view = app.view
    T = view.trace.T
    probs = np.asarray(view.trace.snapshot()["probs"])[T - 1]  # the model's last-position probabilities
    ids, shown = app.generation.candidates()
    assert len(ids) == 10 and ids[0] == int(np.argmax(probs))
    np.testing.assert_allclose(shown, np.sort(probs)[::-1][:10], atol=1e-5)
    drawn = app.panel.generation.candidate_rects  # ten rows, each token's text ending before its bar
    assert len(drawn) == 10 and all(label[2] <= bar_x for label, bar_x in drawn), drawn
    app.generation.next_token()
    settled(app, fbo)
    assert view.trace.T == T + 1 and view.trace.tokens[-1] == int(np.argmax(probs))
    assert view.layout.n_tokens == T + 1 and app.scene.layout is view.layout
    embed = view.layout.by_name["embed"]  # (C, T + 1): the new token's column is on the GPU
    new_column = np.asarray(view.trace.snapshot()["embed"])[T]  # (C,)
    np.testing.assert_allclose(gpu_cells(view.renderer, embed)[:, T], new_column, atol=1e-6)
    assert view.worker.generated == 1 and sorted(app.panel.prompt.chip_rects) == list(range(T + 1))
    info = view.explainer.explain(view.layout.by_name["layers.0.mlp.fc"], 5, T)  # the new position
    assert info.computed and info.matches


def test_the_window_draws_for_a_token_when_it_comes_and_prepares_the_next_layout(ckpt_app, fbo):
    app = ckpt_app
    view = app.view
    settled(app, fbo)
    T = view.trace.T
    assert not app.tracing.news() and not app.background_frame_due()  # nothing new, the worker idle
    layout = view.worker.prepared(T + 1, wait=30)  # made after the frame that showed T
    assert layout is not None and layout.n_tokens == T + 1
    app.generation.next_token()
    app.frame(fbo, dt=0.016)  # the frame of the click: it sees the worker busy
    view.worker.wait()
    assert app.tracing.news() and app.working and app.background_frame_due()  # the token, not yet shown
    app.frame(fbo, dt=0.016)
    assert view.layout is layout and view.trace.T == T + 1
    assert not app.tracing.news() and not app.background_frame_due()
    assert view.worker.prepared(T + 2, wait=30).n_tokens == T + 2


def test_generate_n_and_stop(app, fbo, tmp_path):
    folder = checkpoint(tmp_path / "long", LONG, seed=2)
    app.open_checkpoint(folder)
    loaded(app, fbo)
    worker = app.view.worker
    T0 = app.view.trace.T
    app.generation.generate(5)
    settled(app, fbo)
    assert app.view.trace.T == T0 + 5 and app.view.layout.n_tokens == T0 + 5
    T1 = app.view.trace.T
    app.generation.generate(400)
    trace = app.view.trace
    deadline = time.monotonic() + 60
    while trace.T < T1 + 3:
        assert time.monotonic() < deadline, "the generation did not start"
        app.frame(fbo, dt=0.016)
    with trace._compute:  # the worker waits before its next token: Stop comes mid-generation on any machine
        assert app.generation.generating
        app.generation.stop()
    worker.wait()
    frames(app, fbo, 3)
    stopped = app.view.trace.T
    assert T1 + 3 <= stopped < T1 + 400 and not app.generation.generating
    frames(app, fbo, 3)
    assert app.view.trace.T == stopped and app.view.layout.n_tokens == stopped


def test_sampling_is_reproducible_from_its_seed_and_is_glviz_generate(ckpt_app, fbo, small):
    app = ckpt_app
    controls = app.generation
    controls.greedy, controls.temperature, controls.top_k, controls.top_p = False, 1.0, 50, 0.9
    controls.seed = 7
    prompt = "The quick brown"
    runs = []
    for _ in range(2):
        app.edit_prompt(prompt + " fox")
        settled(app, fbo)
        app.edit_prompt(prompt)
        settled(app, fbo)
        controls.generate(6)
        settled(app, fbo)
        runs.append(app.view.trace.tokens.tolist())
    assert runs[0] == runs[1]
    prompt_ids = _encode(small, prompt)
    expected = generate(app.view.weights, prompt_ids, 6, temperature=1.0, top_k=50, top_p=0.9, seed=7)
    assert runs[0] == prompt_ids + expected.tolist()
    controls.seed = 8  # another seed: another sequence (with these weights and settings)
    app.edit_prompt(prompt + " ")
    settled(app, fbo)
    app.edit_prompt(prompt)
    settled(app, fbo)
    controls.generate(6)
    settled(app, fbo)
    assert app.view.trace.tokens.tolist() != runs[0]


def test_nano_sorts_one_letter_at_a_time(app, fbo):
    from glviz.model.sort_task import LETTERS, greedy_sort, parse_letters

    app.set_input("CBACBA")
    controls = app.generation
    assert controls.nano and controls.full  # T = 11: "Start from the six letters"
    controls.next_token()
    settled(app, fbo)
    view = app.view
    assert view.trace.T == 6 and view.layout.n_tokens == 6 and app.letters == "CBACBA"
    ids, probs = controls.candidates()
    assert sorted(ids.tolist()) == [0, 1, 2] and probs.sum() == pytest.approx(1.0)
    frames(app, fbo)  # the panel draws the partial sequence too
    for T in range(7, 12):
        controls.next_token()
        settled(app, fbo)
        assert view.trace.T == T and view.layout.n_tokens == T
    last = int(np.argmax(view.trace["probs"][-1]))  # the sixth sorted letter: predicted at position 10
    answer = view.trace.tokens[6:].tolist() + [last]
    inputs = parse_letters("CBACBA")[None]
    assert answer == greedy_sort(view.weights, inputs)[0].tolist()
    assert "".join(LETTERS[i] for i in answer) == "AABBCC"
    assert app.prediction[0] == "AABBCC"
    # Generate N from the full context starts over: 6 letters, then N - 1 more.
    controls.generate(3)
    settled(app, fbo)
    assert view.trace.T == 8
    app.set_input("BBBAAA")  # new letters: the whole sequence again
    frames(app, fbo)
    assert view.trace.T == 11 and view.layout.n_tokens == 11 and app.letters == "BBBAAA"


def test_nanos_tokens_are_letters_in_the_panels_lists(app, fbo):
    """The heatmaps' axes, the lens's position and the candidates write nano's tokens as its letters (the
    six typed, then the sorted ones), not as ids."""
    from glviz.ui.sections.attention import token_labels

    app.set_input("CBABBC")
    frames(app, fbo)
    view = app.view
    assert view.trace.T == 11
    assert token_labels(app, view, 0, 11) == list("CBABBC" + "ABBBC")
    ids, _ = app.generation.candidates()
    assert [app.prompt.shown_with_id(view, i) for i in ids.tolist()][0] == "C"  # the sixth sorted letter


def test_generate_n_past_the_context_stops_there_without_an_error(app, fbo, small):
    """Generate N (20 by default) on nano sorts the letters to the end of its context, T = 11; that is the
    sort done, not a failure: no "cannot generate" line in red (one showed, in English in either language).
    A checkpoint's context filled the same way says so once, with the panel's own line."""
    controls = app.generation
    controls.next_token()  # the full sequence on screen: start from the six letters
    settled(app, fbo)
    controls.generate()
    settled(app, fbo)
    assert app.view.trace.T == 11 and app.prediction[0] == "ABBBCC"
    assert controls.error == ""
    app.open_checkpoint(small)
    loaded(app, fbo)
    controls.generate(SMALL.block_size)
    settled(app, fbo)
    assert app.view.trace.T == SMALL.block_size and controls.full and controls.error == ""


def test_next_token_stays_where_it_was_clicked_while_nano_sorts(app, fbo):
    """Each letter the model sorted added a row of chances above the Generate section: Next token moved down
    a row after every click, and the next click at the same place missed it. The rows to come are kept
    empty: the button stays put from the six letters to the end."""
    controls = app.generation
    controls.next_token()  # start from the six letters: T = 6
    settled(app, fbo)
    places = []
    for _ in range(5):
        places.append(app.panel.generation.rects["next"][1])
        controls.next_token()
        settled(app, fbo)
    places.append(app.panel.generation.rects["next"][1])
    assert app.view.trace.T == 11
    assert max(places) - min(places) < 1, places


def test_the_tour_puts_the_sorted_sequence_back(app, fbo):
    app.generation.restart()
    settled(app, fbo)
    assert app.view.trace.T == 6
    app.tour.enter()
    frames(app, fbo, 3)
    assert app.models.views["nano"].trace.T == 11 and app.tour.touring


def test_hovering_a_chip_lights_its_column_in_the_token_blocks_in_view(ckpt_app, fbo):
    from glviz.scene import MAX_DEPENDENCY_RANGES

    app = ckpt_app
    frames(app, fbo)
    t = 2
    x0, y0, x1, y1 = app.panel.prompt.chip_rects[t]
    app.mouse_move((x0 + x1) / 2, (y0 + y1) / 2)
    frames(app, fbo, 2)
    ranges = app.scene.dependencies
    layout = app.scene.layout
    assert 1 <= len(ranges) <= MAX_DEPENDENCY_RANGES and app.scene.hovered is None
    for r in ranges:
        block = layout.blocks[r.block]
        assert block.dims[1] == "T" and r.cols == (t, t + 1) and r.rows == (0, block.rows)
    app.mouse_move(10, 10)  # back over the 3D view: the chip's light goes
    frames(app, fbo, 2)
    lit = {q.block for q in ranges}
    assert all(r.cols != (t, t + 1) or r.block not in lit for r in app.scene.dependencies)


def test_a_chip_that_holds_part_of_a_character_names_the_character(ckpt_app, fbo):
    """The test tokenizer knows no Japanese: 日 (E6 97 A5 in UTF-8) becomes three one-byte tokens. Each chip
    shows its byte in hex, and hovering one says which character the bytes belong to."""
    from glviz.i18n import tr

    app = ckpt_app
    assert app.edit_prompt("a 日")
    settled(app, fbo)
    frames(app, fbo)
    labels = [app.prompt.label(app.view.weights, k) for k in app.view.trace.tokens]
    assert labels[-3:] == ["<E6>", "<97>", "<A5>"]  # (the space is a token of its own here)
    x0, y0, x1, y1 = app.panel.prompt.chip_rects[len(labels) - 2]
    app.mouse_move((x0 + x1) / 2, (y0 + y1) / 2)
    frames(app, fbo, 2)
    line = app.panel.prompt.chip_line
    assert "日" in line and "<97>" in line and line != tr("prompt.chip_hint")
    x0, y0, x1, y1 = app.panel.prompt.chip_rects[0]  # "a": a whole character
    app.mouse_move((x0 + x1) / 2, (y0 + y1) / 2)
    frames(app, fbo, 2)
    assert app.panel.prompt.chip_line == tr("prompt.chip", t=0, id=int(app.view.trace.tokens[0]))


def test_a_character_the_panel_font_cannot_draw_is_spelled_in_bytes(app, fbo, tmp_path):
    """GPT-2 has whole tokens for some emoji (" 🙂" is 'ĠðŁĻĤ' in its vocabulary); the panel's fonts have no
    glyph for them, and imgui drew a '?' box. The chip spells its bytes (🙂 is F0 9F 99 82 in UTF-8) and
    hovering it says why; Japanese, which the merged font draws, stays text."""
    import json

    from tokenizers.pre_tokenizers import ByteLevel

    from glviz.i18n import tr
    from glviz.ui.style import can_draw

    assert can_draw("A") and can_draw("日") and not can_draw("🙂")  # the app's own fonts
    folder = checkpoint(tmp_path / "emoji", tokenizer=None)
    vocab = {letter: i for i, letter in enumerate(sorted(ByteLevel.alphabet()))}
    merges = [("Ġ", "ð"), ("Ġð", "Ł"), ("ĠðŁ", "Ļ"), ("ĠðŁĻ", "Ĥ")]  # a space, then F0 9F 99 82
    for a, b in merges:
        vocab[a + b] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges), "utf-8")
    app.open_checkpoint(folder)
    loaded(app, fbo)
    assert app.edit_prompt("a 🙂")
    settled(app, fbo)
    tokens = app.view.trace.tokens
    assert tokens.tolist() == [vocab["a"], vocab["ĠðŁĻĤ"]]
    assert [app.prompt.label(app.view.weights, k) for k in tokens] == ["a", "·<F0 9F 99 82>"]
    frames(app, fbo)
    x0, y0, x1, y1 = app.panel.prompt.chip_rects[1]
    app.mouse_move((x0 + x1) / 2, (y0 + y1) / 2)
    frames(app, fbo, 2)
    expected = tr("prompt.chip_undrawn", t=1, id=int(tokens[1]), label="·<F0 9F 99 82>")
    assert app.panel.prompt.chip_line == expected


def test_the_window_draws_once_more_when_the_worker_stops(ckpt_app, fbo):
    """A frame drawn while the worker traced shows "tracing …"; when the worker stops with no new trace to
    show (here its trace failed), the window must still draw once, or that word stays, and the failure
    unseen, until the mouse moves (they did)."""
    app = ckpt_app
    view = app.view
    settled(app, fbo)
    gate = threading.Event()

    def failing_tracer(weights, tokens):
        gate.wait(30)
        raise GlvizError("the trace failed (test)")

    view.worker._tracer = failing_tracer
    view.worker.retrace(view.trace.tokens[:-1])
    app.frame(fbo, dt=0.016)  # drawn while the worker traces
    assert view.worker.tracing and app.working
    gate.set()
    view.worker.wait()
    assert not view.worker.busy and not app.tracing.news() and view.worker.error
    assert app.working and app.background_frame_due()
    app.frame(fbo, dt=0.016)
    assert not app.working and not app.background_frame_due()


def test_a_token_past_the_tokenizers_vocabulary_is_shown_by_its_id(small):
    """Candidates and the logit lens name tokens as chips do. An id the tokenizer does not know decodes to
    nothing; shown as "" every such row looked the same, so it shows its id."""
    from types import SimpleNamespace

    from glviz.model.tokenizer import load_tokenizer
    from glviz.ui.prompt import PromptInput

    tokenizer = load_tokenizer(small)
    weights = SimpleNamespace(tokenizer=tokenizer)
    known = tokenizer.encode(" quick")[0]
    unknown = 5000  # the test tokenizer has 320 tokens
    assert tokenizer.decode([unknown]) == "" and tokenizer.piece(unknown) == ""
    labels = PromptInput()
    assert labels.label(weights, unknown) == "#5000" and labels.chip_text(weights, unknown) == "#5000"
    assert labels.chip_text(weights, known) == f"{labels.label(weights, known)} {known}"
    assert labels.label(weights, known) == "·" + tokenizer.decode([known]).lstrip(" ")
