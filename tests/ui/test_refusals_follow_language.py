"""Why typed input was refused, and why the trace worker failed, read in the panel's language of the moment:
the letters field's and the prompt's refusals and the worker's failure were written into English (or
Japanese) words when they happened, and a language switch left them so. They are kept as catalogue text."""

from __future__ import annotations

import numpy as np
import pytest
from checkpoint_helpers import SMALL, checkpoint, frames, loaded

from glviz import i18n
from glviz.errors import GlvizError
from glviz.model.sort_task import N_LETTERS


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.set_language("en")


def _switched(app, fbo, lang: str) -> None:
    app.set_language(lang)
    frames(app, fbo)


def test_the_letters_fields_refusals_follow_a_language_switch(app, fbo):
    app.edit_input("ABX")
    frames(app, fbo)
    assert app.input_error == i18n.tr_in("en", "letters.only_abc", chars="'X'")
    _switched(app, fbo, "ja")
    assert app.input_error == i18n.tr_in("ja", "letters.only_abc", chars="'X'")
    app.edit_input("ABC")  # too few: counted
    assert app.input_error == i18n.tr_in("ja", "letters.count", n=N_LETTERS, so_far=3)
    _switched(app, fbo, "en")
    assert app.input_error == i18n.tr_in("en", "letters.count", n=N_LETTERS, so_far=3)
    app.refuse_letter("z")  # a character the field did not take
    _switched(app, fbo, "ja")
    assert app.input_error == i18n.tr_in("ja", "letters.only_abc", chars="'z'")


def test_a_refused_prompt_follows_a_language_switch(app, fbo, tmp_path):
    app.open_checkpoint(checkpoint(tmp_path / "small"))
    loaded(app, fbo)
    assert not app.edit_prompt("")
    english = app.prompt.error
    assert english.startswith(i18n.tr_in("en", "prompt.refused", reason="")) and english.isascii()
    _switched(app, fbo, "ja")
    japanese = app.prompt.error
    assert japanese.startswith(i18n.tr_in("ja", "prompt.refused", reason=""))
    reason = app.prompt.refusal.values["reason"]  # "encodes to no tokens", from the catalogue too
    assert isinstance(reason, GlvizError) and reason.text("ja") in japanese and not japanese.isascii()
    _switched(app, fbo, "en")
    assert app.prompt.error == english


def test_the_trace_workers_failure_follows_a_language_switch():
    from glviz.model.trace import Trace
    from glviz.model.weights import random_weights
    from glviz.ui.trace_worker import TraceWorker

    weights = random_weights(SMALL, seed=1)
    tokens = np.array([1, SMALL.vocab_size + 5])  # an id past the vocabulary: the trace refuses it
    with pytest.raises(GlvizError) as refused:
        Trace(weights, tokens)
    worker = TraceWorker(weights)
    try:
        worker.retrace(tokens)
        worker.wait(60)
    finally:
        worker.close()
    english = worker.error
    assert english == refused.value.text("en") and str(SMALL.vocab_size + 5) in english
    i18n.set_language("ja")
    assert worker.error == refused.value.text("ja") != english
