"""Every character the tour writes in 3D (its marks: worked sums, names, numbers) has a glyph in the label
atlas, in both languages: the marks are collected from the chapters' own frames, not from catalogue keys,
so a word the chapters borrow from elsewhere in the catalogue is checked too (the Japanese list comma 、
of Softmax's max(…) once came out as "?")."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.i18n import LANGUAGES
from glviz.walkthrough.chapters import CHAPTERS
from glviz.walkthrough.stages import nano_stage, stages_from
from glviz.walkthrough.tour import Tour

SAMPLES = 60  # times spread over each chapter, besides every pause's start and end


@pytest.fixture(scope="module")
def atlas_chars() -> set[str]:
    from glviz.render.label_sets import label_atlas

    return set(label_atlas().index)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_character_the_tour_writes_in_3d_has_a_glyph(atlas_chars, lang):
    tour = Tour(stages_from(nano_stage("CBABBC", lang=lang)))  # a stage in the language, as the app has
    written: dict[str, set[str]] = {}
    for index, chapter in enumerate(CHAPTERS):
        events = tour.state(index, lang).events
        times = set(np.linspace(0.0, events.duration, SAMPLES).tolist())
        times |= {p.start for p in events.pauses} | {p.end for p in events.pauses}
        for t in sorted(times):
            for text in tour.frame(index, t, lang).marks.texts:
                for ch in text:
                    written.setdefault(ch, set()).add(chapter.id)
    assert len(written) > 20  # the marks were found: digits, signs, words
    missing = {ch: sorted(ids) for ch, ids in written.items() if ch not in atlas_chars and not ch.isspace()}
    assert not missing
