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
from dataclasses import dataclass, replace

import numpy as np

from glviz.render.chunks import boxes_outside
from glviz.walkthrough.frame import GhostGroup

GHOST_CHUNK = 64  # ghosts culled together (visible_ghost_ranges)
GHOST_OVERLAP = 8  # a thinned row still covers each point with this many ghosts
# Opaque rows can be thinned further and look the same, with two ghosts over each point: ghosts at most
# FLAT_GHOST_PX wide are their rim's colour all over (ghosts.frag: the rim reaches 0.6 pixels in), so they
# may lie up to a pixel apart; in a row of wider ones that moves as one, each pixel shows the ghost drawn
# first over it (they lie in one plane: the depth test lets no later one over it), whose far edge is less than
# a step away, so with steps of at most RIM_GHOST_PX every pixel but the first ghost's shows a rim there too.
# (A row along an axis keeps exactly its pixels; a diagonal one may gain or lose a pixel at its ragged edges,
# where the squares drawn leave slivers of the others.)
FLAT_GHOST_PX = 1.2
RIM_GHOST_PX = 0.5
FLAT_GHOST_OVERLAP = 2
# Such a row of rims (steps of at most RIM_GHOST_PX), lying along the x or y axis, is its first ghost and
# then one flat bar of the rim's colour: drawn as rim-coloured squares that still overlap (each step at most
# this part of a ghost), the bar covers the same pixels with a few of them a pixel or two apart (the Scale
# chapter's rows of 12,288 terms, 2 - 3 px wide on steps of 0.09 px: 5,250 ghosts drawn, 7 ms of its busiest
# frame; 1,060 now).
BAR_STEP = 0.75


@dataclass
class RimBar(GhostGroup):
    """Ghosts drawn in their rim's colour all over (ghosts.frag): together, a flat bar."""


def _along(place, step, i: float) -> tuple[float, float, float]:
    """place + i·step (Python floats: a plan handles a few groups a frame, where numpy's calls on 3-vectors
    cost more than the arithmetic)."""
    return (float(place[0] + i * step[0]), float(place[1] + i * step[1]), float(place[2] + i * step[2]))


def _turn(group) -> tuple[float, float, float]:
    """end_step - start_step: how the step between a row's ghosts changes from its start to its end."""
    return _along(group.end_step, group.start_step, -1.0)


def _step_at(group, p: float) -> tuple[float, float, float]:
    """The step between neighbouring ghosts of a row at progress p (0: the start's step, 1: the end's)."""
    return _along(group.start_step, _turn(group), p)


def _stagger_line(group) -> tuple[float, float]:
    """(P, K): ghost i's progress is clip(P - i·K, 0, 1) (walkthrough.frame.ghost_progress)."""
    if group.stagger <= 0 or group.count <= 1:
        return float(group.progress), 0.0
    return group.progress * (1.0 + group.stagger), group.stagger / (group.count - 1)


def _piece(group, first: int, count: int, every: int = 1):
    """Ghosts first, first + every, ... (`count` of them) of `group` as a group of their own, each with the
    place, cell and progress it has in `group`."""
    P, K = _stagger_line(group)
    P -= first * K
    if K == 0.0 or count <= 1:
        progress, stagger = min(max(P, 0.0), 1.0), 0.0
    else:
        stagger = K * every * (count - 1)  # the same fall of progress from ghost to ghost
        progress = P / (1.0 + stagger)
    return replace(group, count=count, row0=group.row0 + first * group.drow,
                   col0=group.col0 + first * group.dcol, drow=group.drow * every, dcol=group.dcol * every,
                   start=_along(group.start, group.start_step, first),
                   end=_along(group.end, group.end_step, first),
                   start_step=_along((0.0, 0.0, 0.0), group.start_step, every),
                   end_step=_along((0.0, 0.0, 0.0), group.end_step, every), progress=progress,
                   stagger=stagger)


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
    turn = _turn(group)
    step = max(math.hypot(*_step_at(group, p)) for p in span)
    if K > 0 and span[1] < 1.0 and span[0] > 0.0:  # some in flight
        path = _along(group.end, group.start, -1.0)
        longest = max(math.hypot(*path), math.hypot(*_along(path, turn, group.count - 1)))
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
    bar = _rim_bar(group, size, step, px_per_unit)
    if bar is not None and len(bar) < -(-group.count // max(s, 1)):
        return bar
    if s <= 1:
        return [group]
    last = group.count - 1
    every = _piece(group, 0, -(-group.count // s), s)  # ghosts 0, s, 2s, ...
    return [every] if last % s == 0 else [every, _piece(group, last, 1)]  # and the last one


def _rim_bar(group, size: float, step: float, px_per_unit: float) -> list | None:
    """An opaque row of rims along the x or y axis (steps of at most RIM_GHOST_PX, all ghosts one size: no
    stagger) as its first ghost, whole, then a bar of rim-coloured ghosts BAR_STEP of a ghost apart from the
    second to the last; None for any other row. Each pixel of such a row shows the ghost drawn first over it,
    whose far edge is under RIM_GHOST_PX away, so it is the rim's colour (ghosts.frag) but in the first
    ghost; the squares of the bar overlap, so they cover the row's rectangle exactly."""
    n = group.count
    if group.opacity < 1.0 or group.stagger > 0 or n < 4 or step * px_per_unit > RIM_GHOST_PX:
        return None
    along = _step_at(group, float(group.progress))
    if along[2] != 0.0 or (along[0] != 0.0) == (along[1] != 0.0):  # not along x or y: a staircase edge
        return None
    every = int(BAR_STEP * size / step)
    if every <= 1:
        return None
    # Ghost 0, then ghosts 1, 1 + every, ... (and the last).
    bar = [_piece(group, 0, 1), RimBar(**vars(_piece(group, 1, -(-(n - 1) // every), every)))]
    if (n - 2) % every:
        bar.append(RimBar(**vars(_piece(group, n - 1, 1))))
    return bar


def _line_ends(groups) -> np.ndarray:
    """(G, 4, 3): each group's first and last ghost's start and end places (every ghost lies between them)."""
    return np.array([(g.start, _along(g.start, g.start_step, g.count - 1), g.end,
                      _along(g.end, g.end_step, g.count - 1)) for g in groups], dtype=np.float64)


def drawn_groups(groups, view_projection: np.ndarray, pixel_scale: float) -> list:
    """The groups as drawn from this view (`thinned`; pixel_scale: pixels a world unit at unit depth)."""
    if not groups:
        return []
    m = np.asarray(view_projection, dtype=np.float64)
    near = (_line_ends(groups) @ m[:3, 3] + m[3, 3]).min(axis=1)  # (G,) clip w: a row is nearest at an end
    out = []
    for group, depth in zip(groups, near.tolist(), strict=True):
        out += thinned(group, pixel_scale / depth if depth > 0 else 0.0)
    return out


def visible_ghost_ranges(groups, view_projection: np.ndarray) -> list[tuple[int, int]]:
    """(first, count) ranges of the ghosts of `groups` (numbered as ghosts.group_texels does) that may be in
    view, tested GHOST_CHUNK at a time. Ghost i of a group sits, at any progress and stagger, between its
    start place a + i·s and its end place b + i·e: a chunk i0..i1 lies inside the box of those four places,
    grown by half the larger size. Groups with no opacity are left out. All groups' chunks in one go."""
    firsts = np.cumsum([0] + [g.count for g in groups])[:-1]
    shown = [k for k, g in enumerate(groups) if g.count > 0 and g.opacity > 0]
    if not shown:
        return []
    kept = [groups[k] for k in shown]
    lines = np.array([(g.start, g.start_step, g.end, g.end_step) for g in kept], np.float64)  # (G, 4, 3)
    counts = np.array([g.count for g in kept], dtype=np.int64)
    margins = np.array([max(g.start_size, g.end_size) / 2 for g in kept])
    chunks = -(-counts // GHOST_CHUNK)  # (G,)
    owner = np.repeat(np.arange(len(kept)), chunks)  # (K,) the group of each chunk
    i0 = (np.arange(len(owner)) - np.repeat(np.cumsum(chunks) - chunks, chunks)) * GHOST_CHUNK  # (K,)
    i1 = np.minimum(i0 + GHOST_CHUNK, counts[owner]) - 1
    line = lines[owner]  # (K, 4, 3)
    ends = [line[:, place] + i[:, None] * line[:, place + 1] for place in (0, 2) for i in (i0, i1)]
    lo = np.minimum.reduce(ends) - margins[owner, None]  # (K, 3)
    hi = np.maximum.reduce(ends) + margins[owner, None]
    m = np.asarray(view_projection, dtype=np.float64)
    centres = np.concatenate([(lo + hi) / 2, np.ones((len(lo), 1))], axis=1)  # (K, 4)
    inside = ~boxes_outside(centres, (hi - lo) / 2, m, m.tobytes())  # (K,)
    starts = (firsts[np.array(shown)][owner] + i0)[inside]
    stops = starts + (i1 - i0 + 1)[inside]
    # Adjacent chunks in view: one range.
    breaks = np.flatnonzero(starts[1:] != stops[:-1]) + 1
    first, last = np.r_[0, breaks], np.r_[breaks, len(starts)] - 1
    return list(zip(starts[first].tolist(), (stops[last] - starts[first]).tolist(), strict=True))
