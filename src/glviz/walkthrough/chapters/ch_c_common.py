"""What the Output and Generation chapters share: probabilities as the text quotes them, the output blocks,
and computing cells while keeping the ones computed before (a column added to what is there, as a
key/value cache keeps the earlier positions)."""

from __future__ import annotations

import math

import numpy as np

from glviz.layout.blocks import cell_order
from glviz.walkthrough.chapters.common import number
from glviz.walkthrough.script import Script, Step

# The output's computed blocks in the order the model makes them.
OUTPUT_COMPUTED = ["ln_f.mean", "ln_f.std", "ln_f.out", "logits", "probs.max", "probs.expsum", "probs"]


def chance(p: float, rest: float | None = None) -> str:
    """A probability as a percentage with the digits that tell it apart from 0% or 100% (two significant
    digits of what it lacks): 37.5%, 0.000017%, 99.99998%. `rest`, the sum of the other probabilities,
    gives what a probability near 1 lacks more exactly than 1 − p in float32."""
    value = 100.0 * float(p)
    if 0.1 <= value <= 99.9:
        return f"{value:.1f}".rstrip("0").rstrip(".") + "%"
    small = value if value < 0.1 else 100.0 * float(rest) if rest is not None else 100.0 - value
    if small <= 1e-12:
        return "0%" if value < 0.1 else "100%"
    digits = min(max(1 - math.floor(math.log10(small)), 1), 14)
    text = f"{(value if value < 0.1 else 100.0 - small):.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


def chances(probs) -> list[str]:
    """chance() of each of a distribution's probabilities (the others' sum giving what each lacks)."""
    probs = np.asarray(probs, dtype=np.float64)
    total = float(probs.sum())
    return [chance(p, total - p) for p in probs]


def grow(s: Script, name: str, keep_from: int, first: int, count: int, st: Step) -> None:
    """Compute cells [first, first + count) of a block over the step, keeping cells [keep_from, first)
    computed (Script.compute_cells shows the new range only)."""
    if not st.started:
        return
    end = first + st.raw * count
    cursor = math.floor(end) if st.raw < 1 else -1.0
    s.reveal[s.index(name)] = (keep_from, end, cursor)


_UNITS: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # (id(layout), names) -> arrays


def _units(s: Script, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The blocks named (exact names) in the order given, the cells one position adds to each (a column of a
    block computed column by column, a row of one computed row by row: attention's query rows), and each
    block's share of a sweep's time (memoised per layout)."""
    key = (id(s.layout), names)
    hit = _UNITS.get(key)
    if hit is None:
        ids = np.array([s.index(name) for name in names], dtype=np.int64)
        shapes = s.layout.shapes[ids]
        by_column = cell_order(s.layout)[ids] > 0.5
        unit = np.where(by_column, shapes[:, 0], shapes[:, 1]).astype(np.float64)  # (k,)
        share = np.sqrt(unit)
        edges = np.concatenate([[0.0], np.cumsum(share)]) / max(float(share.sum()), 1e-9)  # (k + 1,)
        hit = (ids, unit, edges)
        if len(_UNITS) > 256:
            _UNITS.clear()
        _UNITS[key] = hit
    return hit


def show_positions(s: Script, names, n: int, st: Step | None = None) -> None:
    """These blocks with the cells of positions 0..n-1 computed and the rest not (n = 0: none)."""
    if not (st or s.now()).started:
        return
    ids, unit, _ = _units(s, tuple(names))
    s.reveal[ids, 0] = 0.0
    s.reveal[ids, 1] = unit * n
    s.reveal[ids, 2] = -1.0


def compute_positions(s: Script, names, a: int, b: int, st: Step) -> None:
    """Compute positions a..b-1 of these blocks, one block after the other in the order given (a column of
    each block computed column by column, query rows of attention's), keeping positions 0..a-1 computed."""
    if not st.started:
        return
    ids, unit, edges = _units(s, tuple(names))
    local = np.clip((st.raw - edges[:-1]) / np.maximum(edges[1:] - edges[:-1], 1e-9), 0.0, 1.0)  # (k,)
    end = unit * (a + local * (b - a))
    s.reveal[ids, 0] = 0.0
    s.reveal[ids, 1] = np.where(local >= 1.0, unit * b, end)
    s.reveal[ids, 2] = np.where((local > 0) & (local < 1), np.floor(end), -1.0)



def close_to_whole(x: float) -> str:
    """A number near a whole one with a digit that shows how near (1.0000004), others as number()."""
    x = float(x)
    gap = abs(x - round(x))
    if not 0 < gap < 1e-3:
        return number(x)
    digits = min(-math.floor(math.log10(gap)), 12)  # one digit of the gap: float32 holds no more near 1
    return f"{x:.{digits}f}".replace("-", "−")


_SPANS: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}  # (id(layout), names) ->


def _spans(s: Script, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The blocks of `names`, the cells one position adds to each, and their top and bottom edges (y)."""
    key = (id(s.layout), names)
    hit = _SPANS.get(key)
    if hit is None:
        ids, unit, _ = _units(s, names)
        top = s.layout.maxs[ids, 1].astype(np.float64)
        bottom = s.layout.mins[ids, 1].astype(np.float64)
        hit = (ids, unit, top, np.minimum(bottom, top - 1e-6))
        if len(_SPANS) > 256:
            _SPANS.clear()
        _SPANS[key] = hit
    return hit


def wave(s: Script, names, p: int, st: Step, y_from: float, y_to: float) -> float:
    """Position p of these blocks computed by a front going down the model from height y_from to y_to over
    the step: a block's new column (or query row) fills as the front crosses it, so blocks side by side (the
    heads, which run in parallel) fill together and a camera following the front sees each one fill.
    Positions before p stay computed. Returns the front's height now."""
    front = y_from + (y_to - y_from) * st.raw
    if not st.started:
        return front
    ids, unit, top, bottom = _spans(s, tuple(names))
    if st.raw >= 1.0:  # a wave that has passed: the same rows every frame after it
        key = (id(ids), p, front)
        hit = _PASSED.get(key)
        if hit is None or hit[0] is not ids:
            rows = np.zeros((len(ids), 3), dtype=np.float32)
            _wave_rows(rows, unit, top, bottom, p, front)
            if len(_PASSED) > 1024:
                _PASSED.clear()
            hit = _PASSED[key] = (ids, rows)
        s.reveal[ids] = hit[1]
        return front
    rows = s.reveal[ids]
    _wave_rows(rows, unit, top, bottom, p, front)
    s.reveal[ids] = rows
    return front


_PASSED: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # (id(ids), p, front) -> (ids, reveal rows)


def _wave_rows(rows: np.ndarray, unit, top, bottom, p: int, front: float) -> None:
    """The reveal rows (k, 3) of blocks (unit cells per position, top and bottom edges) as the front at
    height `front` computes position p."""
    local = np.clip((top - front) / (top - bottom), 0.0, 1.0)  # (k,)
    end = unit * (p + local)
    rows[:, 0] = 0.0
    rows[:, 1] = end
    rows[:, 2] = np.where((local > 0) & (local < 1), np.floor(end), -1.0)


class NearMarks:
    """Marks gathered during a script and drawn at its end only if near the camera's target (height within
    `reach` camera distances). The renderer draws the tour's marks as one set and judges its size at its
    middle: marks at the top and the bottom of the model at once would all be culled as too small."""

    def __init__(self, reach: float = 1.2) -> None:
        self.reach = reach
        self.items: list[tuple[tuple, dict]] = []

    def add(self, text: str, position, size: float, st: Step, **kw) -> None:
        if st.started:
            self.items.append(((text, position, size, st), kw))

    def draw(self, s: Script) -> None:
        camera = s.frame.camera
        y, reach = float(camera.target[1]), self.reach * float(camera.distance)
        for args, kw in self.items:
            if abs(float(args[1][1]) - y) <= reach:
                s.mark(*args, **kw)


_CENTRES: dict[tuple, np.ndarray] = {}  # (id(layout), name, row, col) -> the cell's centre


def centre(s: Script, name: str, row: float, col: float) -> np.ndarray:
    """Script.cell_centre memoised per layout, for chapters that move no block (a frame asks for dozens)."""
    key = (id(s.layout), name, row, col)
    hit = _CENTRES.get(key)
    if hit is None:
        hit = s.cell_centre(name, row, col)
        hit.setflags(write=False)
        if len(_CENTRES) > 4096:
            _CENTRES.clear()
        _CENTRES[key] = hit
    return hit
