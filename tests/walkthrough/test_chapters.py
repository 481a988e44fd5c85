"""Every chapter of the tour, in both languages: its text and its script agree, its terms name real blocks,
its numbers come from the trace, and it renders at any time, the same picture whatever was drawn before."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.i18n import LANGUAGES
from glviz.walkthrough.chapters import CHAPTERS
from glviz.walkthrough.markdown import block_targets, parse
from glviz.walkthrough.stages import nano_stage, stages_from
from glviz.walkthrough.text import load_text, placeholders
from glviz.walkthrough.tour import Tour


@pytest.fixture(scope="module")
def stage():
    return nano_stage("CBABBC")


@pytest.fixture(scope="module")
def stages() -> dict:
    """The stage in each language, as the app makes it: numbers are listed with that language's words."""
    return {lang: nano_stage("CBABBC", lang=lang) for lang in LANGUAGES}


def tour_on(stage) -> Tour:
    return Tour(stages_from(stage))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.id)
def test_the_script_and_the_text_name_the_same_paragraphs(stages, chapter, lang):
    stage = stages[lang]
    tour = tour_on(stage)
    index = tour.index_of(chapter.id)
    state = tour.state(index, lang)
    keys = [p.key for p in state.events.paragraphs]
    assert keys == list(load_text(chapter.id, lang).paragraphs), "the paragraphs in the script's order"
    assert len(set(keys)) == len(keys)
    assert state.events.pauses and state.events.duration >= state.events.pauses[-1].end
    values = chapter.values(stage)
    for key, text in load_text(chapter.id, lang).paragraphs.items():
        assert placeholders(text) <= set(values), (key, placeholders(text) - set(values))
        assert "{" not in state.texts[key].replace("{{", ""), key  # every number filled in


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_linked_term_lights_at_least_one_block(stage, lang):
    import fnmatch

    stage_of = stages_from(stage)
    chapter_ids = {c.id for c in CHAPTERS}
    for chapter in CHAPTERS:
        names = [b.name for b in stage_of(chapter.scene, lang).layout.blocks]
        for key, text in load_text(chapter.id, lang).paragraphs.items():
            for block in parse(text):
                for run in block.runs:
                    if run.link.startswith("block:"):
                        for pattern in block_targets(run.link):
                            found = any(fnmatch.fnmatchcase(n, pattern) for n in names)
                            assert found, (chapter.id, key, pattern)
                    elif run.link.startswith("chapter:"):
                        assert run.link.split(":", 1)[1] in chapter_ids, (chapter.id, key, run.link)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.id)
def test_playback_stops_on_every_paragraph_before_the_next_one(stages, chapter, lang):
    """A paragraph that only played its animation before the next one began was gone before a learner had
    read it, and the picture it described was gone from the pause that followed."""
    events = tour_on(stages[lang]).events(CHAPTERS.index(chapter), lang)
    paragraphs = events.paragraphs
    for here, after in zip(paragraphs, paragraphs[1:], strict=False):
        assert any(here.start - 1e-4 <= p.start < after.start - 1e-4 for p in events.pauses), here.key


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("chapter_id", "key"), [("self_attention", "heads"), ("attention_output", "heads")])
def test_the_number_of_heads_is_the_models(chapter_id, key, lang):
    """How many heads there are, and which, is read from the model: no count or head number is written in."""
    import re

    text = load_text(chapter_id, lang).paragraphs[key]
    assert "{H}" in text
    words = re.sub(r"\{\w+\}|\(block:[^)]*\)|1 つ", "", text)  # 1 つ: "one each", not a head
    assert not re.search(r"\d", words), words


def test_the_numbers_quoted_follow_the_input():
    first, second = nano_stage("CBABBC"), nano_stage("AACCBA")
    for chapter in CHAPTERS:
        a, b = chapter.values(first), chapter.values(second)
        assert a.keys() == b.keys()
        changed = [k for k in a if a[k] != b[k]]
        assert changed, f"{chapter.id} quotes nothing that depends on the input"
    embedding = next(c for c in CHAPTERS if c.id == "embedding")
    values = embedding.values(second)
    trace = second.trace
    from glviz.walkthrough.chapters.embedding import FOLLOW

    # The sum the chapter quotes is the trace's, cell for cell.
    assert values["e0"] == _short(trace["embed"][FOLLOW, 0])
    assert values["te0"] == _short(trace["tok_emb"][FOLLOW, 0])
    assert abs(float(trace["tok_emb"][FOLLOW, 0]) + float(trace["pos_emb"][FOLLOW, 0])
               - float(trace["embed"][FOLLOW, 0])) < 1e-6
    assert values["letter"] == "AACCBA"[FOLLOW]


def _short(x) -> str:
    from glviz.formatting import fmt_short

    return fmt_short(float(x))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.id)
def test_a_frame_depends_on_its_time_only(stages, chapter, lang):
    tour = tour_on(stages[lang])
    index = tour.index_of(chapter.id)
    duration = tour.events(index, lang).duration
    times = np.linspace(0.0, duration, 9)
    direct = [tour.frame(index, t, lang) for t in times]
    for t, frame in zip(times[::-1], direct[::-1], strict=True):  # backwards, after everything else
        again = tour.frame(index, t, lang)
        for name in ("opacity", "highlight", "offset", "scale", "reveal"):
            np.testing.assert_array_equal(getattr(again, name), getattr(frame, name), err_msg=(t, name))
        assert again.camera == frame.camera and again.paragraph == frame.paragraph
        assert again.marks.texts == frame.marks.texts and again.arrows == frame.arrows
        assert [vars(g) for g in again.ghosts] == [vars(g) for g in frame.ghosts]


def test_the_tour_has_its_twelve_chapters_in_order():
    from glviz.walkthrough.chapters import ORDER

    assert [c.id for c in CHAPTERS] == list(ORDER) and len(ORDER) == 12
    assert ORDER[:3] == ("overview", "preliminaries", "embedding") and ORDER[-2:] == ("generation", "scale")
