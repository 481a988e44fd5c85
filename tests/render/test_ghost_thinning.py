"""Ghost rows thinned where they overlap under a pixel apart (render/ghost_plan.py): staggered rows by phases
(arrived, in flight, not yet left), and rows of ghosts under a pixel wide, which are one flat colour. The
places of the ghosts drawn are checked against GhostGroup.positions (walkthrough/frame.py, the tour's own
account of where each ghost is), and the pictures against every ghost drawn."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from glviz.walkthrough.frame import GhostGroup, ghost_progress

from .test_tour_vocabulary import thinned_and_whole


def _staggered_row(progress: float, count: int = 301, size: float = 2.0) -> GhostGroup:
    """`count` ghosts leaving a column one after another (stagger 0.5) for a row: steps 0.04 - 0.05. Slightly
    translucent, so that only the overlap rule thins them (opaque rows may keep fewer: further below)."""
    return GhostGroup(0, 0, 0, 0, 1, count, (-2.0, -3.0, 0.5), (0.0, -0.04, 0.0), (-2.0, -1.5, 0.5),
                      (0.05, 0.0, 0.0), progress, size, size, opacity=0.9, stagger=0.5)


@pytest.mark.parametrize("progress", [0.0, 0.3, 0.62, 0.95, 1.0])
def test_a_staggered_row_is_thinned_with_every_ghost_drawn_where_it_is(progress):
    from glviz.render.ghost_plan import GHOST_OVERLAP, thinned

    group = _staggered_row(progress)
    parts = thinned(group, px_per_unit=2.0)  # 0.08 - 0.1 pixels a step
    cells = np.concatenate([part.col0 + part.dcol * np.arange(part.count) for part in parts])
    assert cells[0] == 0 and cells[-1] == 300 and (np.diff(cells) > 0).all()  # the first and the last cell
    assert len(cells) < 301 // 2  # fewer
    every = group.positions()  # (301, 3): where the tour has each ghost
    drawn = np.concatenate([part.positions() for part in parts])
    np.testing.assert_allclose(drawn, every[cells], atol=1e-9)  # each drawn where it is, with its progress
    sizes = np.concatenate([p.start_size + (p.end_size - p.start_size) * ghost_progress(p.progress, p.stagger,
                                                                                          p.count)
                            for p in parts])
    np.testing.assert_allclose(sizes, group.start_size + (group.end_size - group.start_size)
                               * ghost_progress(progress, 0.5, 301)[cells], atol=1e-9)
    # Every ghost left out is within an eighth of its size of a ghost drawn (its cover).
    nearest = np.linalg.norm(every[:, None, :] - drawn[None, :, :], axis=2).min(axis=1)  # (301,)
    assert nearest.max() <= group.start_size / GHOST_OVERLAP + 1e-9


def test_ghosts_of_a_staggered_row_that_do_not_overlap_are_all_drawn():
    from glviz.render.ghost_plan import thinned

    group = _staggered_row(0.5, size=0.03)  # narrower than a step: each shows pixels the others do not
    assert thinned(group, px_per_unit=2.0) == [group]


@pytest.mark.parametrize(("size", "stagger"), [(0.08, 0.0), (0.08, 0.5), (0.2, 0.0), (0.2, 0.5)])
def test_opaque_rows_of_ghosts_are_thinned_further_and_look_the_same(offscreen, monkeypatch, size, stagger):
    values = np.linspace(-2.0, 2.0, 3001)  # every ghost its own colour
    # 3,001 ghosts on steps of 0.004 units (0.05 px), 0.08 units (about a pixel, one flat colour) or 0.2
    # (2.5 px, a disc of its value inside a rim) wide; arrived (progress 1), or the first 80% arrived and
    # the rest on their way along the row (stagger: those arrived are a straight row of equal ghosts, thinned
    # as one).
    row = GhostGroup(0, 0, 0, 0, 1, 3001, (-2.0, -1.0, 0.5), (0.004, 0.0, 0.0), (-2.0, -1.5, 0.5),
                     (0.004, 0.0, 0.0), 1.0 if stagger == 0 else 0.9, size, size, stagger=stagger)
    images, drawn = thinned_and_whole(offscreen, monkeypatch, row, values)
    assert drawn[1] == 3001 and drawn[0] < 3001 // 7  # (eight over each point would keep ~3001 // 6)
    ink = (images[1] < 200).any(axis=2)
    assert ink.sum() > 200
    changed = (np.abs(images[0] - images[1]) > 8).any(axis=2)
    if stagger == 0:  # a straight row: the same pixels, in the same colours (the rims', the last disc)
        assert changed.sum() == 0
    else:  # ghosts in flight move up as well as along: a pixel at the ragged edge may come or go
        assert changed.sum() <= 0.02 * ink.sum()


@pytest.mark.parametrize("axis", [0, 1])
def test_a_straight_opaque_row_of_rims_is_drawn_as_a_bar_with_the_same_pixels(offscreen, monkeypatch, axis):
    from glviz.render.ghost_plan import RimBar, thinned

    values = np.linspace(-2.0, 2.0, 3001)
    step = tuple(0.004 if k == axis else 0.0 for k in range(3))  # 0.05 px: a pixel shows a rim but in ghost 0
    row = GhostGroup(0, 0, 0, 0, 1, 3001, (-2.0, -3.0, 0.5), step, (-4.0, -4.5, 0.5), step, 1.0, 0.2, 0.2)
    parts = thinned(row, px_per_unit=12.5)
    assert not isinstance(parts[0], RimBar) and parts[0].count == 1 and parts[0].col0 == 0  # ghost 0 whole
    cells = np.concatenate([part.col0 + part.dcol * np.arange(part.count) for part in parts[1:]])
    assert all(isinstance(part, RimBar) for part in parts[1:]) and cells[0] == 1 and cells[-1] == 3000
    assert np.diff(cells).max() * 0.004 < 0.2  # neighbours overlap: no gap in the bar
    # A diagonal row, a translucent one and one of ghosts a pixel apart are not bars.
    for other in (replace(row, end_step=(0.004, 0.004, 0.0)), replace(row, opacity=0.9),
                  replace(row, start_step=(0.08, 0.0, 0.0), end_step=(0.08, 0.0, 0.0))):
        assert not any(isinstance(part, RimBar) for part in thinned(other, px_per_unit=12.5))
    images, drawn = thinned_and_whole(offscreen, monkeypatch, row, values)  # (about 12.5 px a unit)
    assert drawn[1] == 3001 and drawn[0] < 3001 // 30  # overlapping rims a few pixels apart
    ink = (images[1] < 200).any(axis=2)
    assert ink.sum() > 300 and (np.abs(images[0] - images[1]) > 8).any(axis=2).sum() == 0
