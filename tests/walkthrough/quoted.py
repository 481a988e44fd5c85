"""Helpers of the chapter tests (tests/walkthrough is on sys.path while they run): a number as a chapter's
text quotes it, compared with a value computed independently."""

from __future__ import annotations


def value_of(text: str) -> float:
    """The number a quoted text shows ("−0.043", "(−0.04)", "1.2")."""
    return float(text.strip("()").replace("−", "-"))


def quotes(text: str, value: float) -> bool:
    """Whether `text` is `value` written to the digits it shows (half a unit of its last digit, and a little
    for float32 sums that land on a rounding edge)."""
    body = text.strip("()")
    decimals = len(body.split(".")[1]) if "." in body else 0
    return abs(value_of(text) - float(value)) <= 0.5 * 10.0 ** -decimals + 1e-6


def played(chapter_id: str, letters: str = "CBABBC"):
    """(stage, tour, chapter index, events) of a chapter played on the nano model sorting `letters`."""
    from glviz.walkthrough.stages import nano_stage
    from glviz.walkthrough.tour import Tour

    stage = nano_stage(letters)
    tour = Tour(lambda scene, lang: stage)
    index = tour.index_of(chapter_id)
    return stage, tour, index, tour.events(index, "en")


def paragraph_start(events, key: str) -> float:
    """When the paragraph `key` becomes current."""
    return next(p.start for p in events.paragraphs if p.key == key)
