"""Which of the tour's ghosts to draw (no GL): rows of ghosts thinned where neighbours overlap and lie under
a pixel apart, and ranges culled outside the view. The Scale chapter's rows of 12,288 terms (26,208 ghosts in
all) cost 17 - 26 ms of vertex work a frame on software GL, most of them under a pixel apart or out of view.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from glviz.render.chunks import boxes_outside

GHOST_CHUNK = 64  # ghosts culled together (visible_ghost_ranges)
GHOST_OVERLAP = 8  # a thinned row still covers each point with this many ghosts


def _ends(group, i0: np.ndarray, i1: np.ndarray) -> list[np.ndarray]:
    """The start and end places of ghosts i0 and of ghosts i1 ((k,) each): four (k, 3) arrays, start at i0,
    start at i1, end at i0, end at i1. Ghosts i0..i1 lie between them, at any progress and stagger."""
    lines = ((group.start, group.start_step), (group.end, group.end_step))
    return [np.asarray(place, np.float64) + np.outer(i, step) for place, step in lines for i in (i0, i1)]


def _places(group) -> np.ndarray:
    """(4, 3): the first and last ghost's start and end places (every ghost lies between them)."""
    return np.concatenate(_ends(group, np.zeros(1), np.full(1, float(group.count - 1))))


def thinned(group, px_per_unit: float) -> list:
    """`group` as drawn: every s-th ghost and the last one, where each ghost is at least GHOST_OVERLAP·s steps
    wide and s steps are under a pixel (`px_per_unit`: pixels a world unit at the group's nearest point); the
    others lie under neighbours that overlap them, in pixels they share. Holds in flight too (a step and a
    size in between are mixed alike); groups with a stagger stay whole."""
    if group.stagger > 0 or group.count < 3 or not px_per_unit > 0:
        return [group]
    s = group.count
    for size, step in ((group.start_size, group.start_step), (group.end_size, group.end_step)):
        length = float(np.linalg.norm(step))
        if length > 0:
            s = min(s, int(size / (GHOST_OVERLAP * length)), int(1.0 / (length * px_per_unit)))
    if s <= 1:
        return [group]
    every = replace(group, count=-(-group.count // s), drow=group.drow * s, dcol=group.dcol * s,
                    start_step=tuple(float(v) * s for v in group.start_step),
                    end_step=tuple(float(v) * s for v in group.end_step))  # ghosts 0, s, 2s, ...
    last = group.count - 1
    if last % s == 0:
        return [every]
    places = _places(group)
    final = replace(group, count=1, row0=group.row0 + last * group.drow, col0=group.col0 + last * group.dcol,
                    start=tuple(places[1].tolist()), end=tuple(places[3].tolist()))
    return [every, final]


def drawn_groups(groups, view_projection: np.ndarray, pixel_scale: float) -> list:
    """The groups as drawn from this view (`thinned`; pixel_scale: pixels a world unit at unit depth)."""
    m = np.asarray(view_projection, dtype=np.float64)
    out = []
    for group in groups:
        depth = (np.c_[_places(group), np.ones(4)] @ m)[:, 3]  # (4,) clip w: the distance along the view
        near = float(depth.min())  # a row is nearest at one of its ends
        out += thinned(group, pixel_scale / near if near > 0 else 0.0)
    return out


def visible_ghost_ranges(groups, view_projection: np.ndarray) -> list[tuple[int, int]]:
    """(first, count) ranges of the ghosts of `groups` (numbered as ghosts.group_texels does) that may be in
    view, tested GHOST_CHUNK at a time. Ghost i of a group sits, at any progress and stagger, between its
    start place a + i·s and its end place b + i·e: a chunk i0..i1 lies inside the box of those four places,
    grown by half the larger size. Groups with no opacity are left out."""
    lows, highs, firsts, counts = [], [], [], []
    first = 0
    for g in groups:
        if g.count > 0 and g.opacity > 0:
            i0 = np.arange(0, g.count, GHOST_CHUNK, dtype=np.float64)  # (k,)
            i1 = np.minimum(i0 + GHOST_CHUNK, g.count) - 1
            ends = _ends(g, i0, i1)  # (k, 3) each
            margin = max(g.start_size, g.end_size) / 2
            lows.append(np.minimum.reduce(ends) - margin)
            highs.append(np.maximum.reduce(ends) + margin)
            firsts.append(first + i0.astype(np.int64))
            counts.append((i1 - i0 + 1).astype(np.int64))
        first += g.count
    if not lows:
        return []
    lo, hi = np.concatenate(lows), np.concatenate(highs)  # (K, 3)
    m = np.asarray(view_projection, dtype=np.float64)
    centres = np.concatenate([(lo + hi) / 2, np.ones((len(lo), 1))], axis=1)  # (K, 4)
    inside = ~boxes_outside(centres, (hi - lo) / 2, m, m.tobytes())  # (K,)
    ranges: list[tuple[int, int]] = []
    for start, count in zip(np.concatenate(firsts)[inside].tolist(), np.concatenate(counts)[inside].tolist(),
                            strict=True):
        if ranges and ranges[-1][0] + ranges[-1][1] == start:  # adjacent chunks: one draw
            ranges[-1] = (ranges[-1][0], ranges[-1][1] + count)
        else:
            ranges.append((start, count))
    return ranges
