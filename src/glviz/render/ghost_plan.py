"""Which of the tour's ghosts to draw (no GL): rows of ghosts thinned where neighbours overlap and lie under
a pixel apart, and ranges culled outside the view. The Scale chapter's rows of 12,288 terms (26,208 ghosts in
all) cost 17 - 26 ms of vertex work a frame on software GL, most of them under a pixel apart or out of view.
Rows that leave one ghost after another (a stagger) are thinned by phases: the ghosts that have arrived stand
in a row like any other (Scale's busiest moment, 24,576 ghosts mostly arrived: 6,512 drawn); and rows of
ghosts under a pixel wide, which show one flat colour, need fewer ghosts over each point (the whole of Scale's
rows seen from GPT-3's distance: 1,602 of 26,208).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from glviz.render.chunks import boxes_outside

GHOST_CHUNK = 64  # ghosts culled together (visible_ghost_ranges)
GHOST_OVERLAP = 8  # a thinned row still covers each point with this many ghosts
# Opaque rows can be thinned further and look the same, with two ghosts over each point: ghosts at most
# FLAT_GHOST_PX wide are their rim's colour all over (ghosts.frag: the rim reaches 0.6 pixels in), so they
# may lie up to a pixel apart; in a row of wider ones that moves as one, each pixel shows the ghost drawn
# last over it, whose edge is less than a step away, so with steps of at most RIM_GHOST_PX every pixel but
# the last ghost's shows a rim there too. (A row along an axis keeps exactly its pixels; a diagonal one may
# gain or lose a pixel at its ragged edges, where the squares drawn leave slivers of the others.)
FLAT_GHOST_PX = 1.2
RIM_GHOST_PX = 0.5
FLAT_GHOST_OVERLAP = 2


def _ends(group, i0: np.ndarray, i1: np.ndarray) -> list[np.ndarray]:
    """The start and end places of ghosts i0 and of ghosts i1 ((k,) each): four (k, 3) arrays, start at i0,
    start at i1, end at i0, end at i1. Ghosts i0..i1 lie between them, at any progress and stagger."""
    lines = ((group.start, group.start_step), (group.end, group.end_step))
    return [np.asarray(place, np.float64) + np.outer(i, step) for place, step in lines for i in (i0, i1)]


def _places(group) -> np.ndarray:
    """(4, 3): the first and last ghost's start and end places (every ghost lies between them)."""
    return np.concatenate(_ends(group, np.zeros(1), np.full(1, float(group.count - 1))))


def _stagger_line(group) -> tuple[float, float]:
    """(P, K): ghost i's progress is clip(P - i·K, 0, 1) (walkthrough.frame.ghost_progress)."""
    if group.stagger <= 0 or group.count <= 1:
        return float(group.progress), 0.0
    return group.progress * (1.0 + group.stagger), group.stagger / (group.count - 1)


def _along(place, step, i: int) -> tuple[float, float, float]:
    """place + i·step."""
    return tuple(float(a + i * d) for a, d in zip(place, step, strict=True))


def _piece(group, first: int, count: int, every: int = 1):
    """Ghosts first, first + every, ... (`count` of them) of `group` as a group of their own, each with the
    place, cell and progress it has in `group`."""
    P, K = _stagger_line(group)
    piece = replace(group, count=count, row0=group.row0 + first * group.drow,
                    col0=group.col0 + first * group.dcol, drow=group.drow * every, dcol=group.dcol * every,
                    start=_along(group.start, group.start_step, first),
                    end=_along(group.end, group.end_step, first),
                    start_step=tuple(float(v) * every for v in group.start_step),
                    end_step=tuple(float(v) * every for v in group.end_step))
    P -= first * K
    if K == 0.0 or count <= 1:
        return replace(piece, progress=min(max(P, 0.0), 1.0), stagger=0.0)
    stagger = K * every * (count - 1)  # the same fall of progress from ghost to ghost
    return replace(piece, progress=P / (1.0 + stagger), stagger=stagger)


def _phases(group) -> list:
    """A staggered group as the ghosts that have arrived, those in flight and those not yet left (each a
    group; only the middle one keeps a stagger): the rows that stand still can then be thinned."""
    if group.stagger <= 0 or group.count <= 2:
        return [group]
    P, K = _stagger_line(group)
    arrived = min(max(int(math.floor((P - 1.0) / K)) + 1, 0), group.count)  # P - i·K >= 1 below this
    waiting = min(max(int(math.ceil(P / K)), arrived), group.count)  # P - i·K <= 0 from this on
    # The ghosts that have arrived, or not yet left, stand still in a straight row of equal ghosts: as a
    # group without a stagger (the same places and sizes) they are thinned like one (_thinned_piece).
    pieces = []
    for a, b, still in ((0, arrived, 1.0), (arrived, waiting, None), (waiting, group.count, 0.0)):
        if b > a:
            piece = _piece(group, a, b - a)
            pieces.append(piece if still is None else replace(piece, progress=still, stagger=0.0))
    return pieces


def _sizes_and_step(group) -> tuple[float, float, float]:
    """The smallest and the largest ghost size of the group this frame and the longest step between
    neighbours (world units). A ghost's place a_i + (b_i - a_i)·p_i moves with i by the steps mixed at
    p_i, and, while ghosts are in flight with a stagger, by the path b_i - a_i times how fast p_i falls
    with i."""
    P, K = _stagger_line(group)
    span = [min(max(P - i * K, 0.0), 1.0) for i in (0, group.count - 1)]
    sizes = [group.start_size + (group.end_size - group.start_size) * p for p in span]
    start_step, end_step = np.asarray(group.start_step, np.float64), np.asarray(group.end_step, np.float64)
    step = max(float(np.linalg.norm(start_step + (end_step - start_step) * p)) for p in span)
    if K > 0 and span[1] < 1.0 and span[0] > 0.0:  # some in flight
        path = np.asarray(group.end, np.float64) - np.asarray(group.start, np.float64)
        longest = max(float(np.linalg.norm(path)),
                      float(np.linalg.norm(path + (group.count - 1) * (end_step - start_step))))
        step += longest * K
    return min(sizes), max(sizes), step


def thinned(group, px_per_unit: float) -> list:
    """`group` as drawn: every s-th ghost and the last one, where each ghost is at least GHOST_OVERLAP·s steps
    wide and s steps are under a pixel (`px_per_unit`: pixels a world unit at the group's nearest point); the
    others lie under neighbours that overlap them, in pixels they share. Opaque rows may keep fewer (two
    over each point; FLAT_GHOST_PX, RIM_GHOST_PX). Sizes and steps are this frame's
    (`_sizes_and_step`), so a row that grows as it flies is thinned once its ghosts overlap; a staggered
    group is thinned by phases (`_phases`), its ghosts keeping their own progress."""
    out = []
    for piece in _phases(group):
        out += _thinned_piece(piece, px_per_unit)
    return out if len(out) > 1 or out[0] != group else [group]


def _thinned_piece(group, px_per_unit: float) -> list:
    if group.count < 3 or not px_per_unit > 0:
        return [group]
    size, largest, step = _sizes_and_step(group)
    if not step > 0:
        return [group]
    s = int(min(size / (GHOST_OVERLAP * step), 1.0 / (step * px_per_unit)))
    if group.opacity >= 1.0:
        flat = largest * px_per_unit <= FLAT_GHOST_PX
        if flat or group.stagger <= 0:  # (ghosts of a staggered row differ in size: their edges too)
            apart = 1.0 if flat else RIM_GHOST_PX  # pixels
            s = max(s, int(min(size / (FLAT_GHOST_OVERLAP * step), apart / (step * px_per_unit))))
    s = min(s, group.count)
    if s <= 1:
        return [group]
    last = group.count - 1
    every = _piece(group, 0, -(-group.count // s), s)  # ghosts 0, s, 2s, ...
    return [every] if last % s == 0 else [every, _piece(group, last, 1)]  # and the last one


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
