"""What the chapters on attention's output, the MLP and the transformer stack share: the arithmetic in 3D (a
dot product of a weight row and a column, two columns added cell by cell), a computation that goes on from
where an earlier step left it, a camera near a line of ghosts, and numbers read once per trace."""

from __future__ import annotations

import numpy as np

from glviz.walkthrough import poses
from glviz.walkthrough.script import Script
from glviz.walkthrough.timeline import Step, ease_out

LIFT = 6.0  # world units in front of the blocks where ghosts line up for arithmetic


def compute_on(s: Script, name: str, first: int, done: int, count: int, st: Step) -> None:
    """Cells [first, first + count) of a block in its order, of which the first `done` are computed already:
    the step computes the rest (compute_cells would start the range over from its first cell)."""
    if not st.started:
        return
    end = first + done + st.raw * (count - done)
    cursor = np.floor(end) if st.raw < 1 else -1.0
    s.reveal[s.index(name)] = (first, end, cursor)


def finish_column(s: Script, weight: str, target: str, col: int, st: Step, view) -> None:
    """The rest of column `col` of `target` (a linear layer's output whose first cell is computed) over the
    step, cell by cell, with the weight row in play lit; the camera back to `view` early in the step, the
    weight's glow going."""
    first, count = s.cells_of_column(target, col)
    compute_on(s, target, first, 1, count, st)
    s.camera(view, st.part(0.0, 0.4))
    s.glow([weight], st, 0.0)
    if st.active:
        row = min(1 + int(st.raw * (count - 1)), count - 1)
        s.light(weight, (row, row + 1), (0, int(s.layout.shapes[s.index(weight), 1])), st)


def near_pose(s: Script, top, rows: float, left: float, right: float, margin: float = 1.05):
    """A camera pose framing a window of `rows` cells below `top` (a point in front of the blocks), `left`
    and `right` cells either side of it: close enough to read the marks beside a line of ghosts."""
    cell = 1.0
    top = np.asarray(top, dtype=np.float64)
    lo = top + (-left * cell, -rows * cell, -LIFT)
    hi = top + (right * cell, 2.5 * cell, 0.5)
    return poses.boxes_pose(lo, hi, s.aspect, margin=margin)


def dot_product(s: Script, *, weight: str, row: int, inputs: list[tuple[str, int, int]], col: int, bias: str,
                target: str, place, out: Step, pair: Step, merge: Step, marks: tuple[int, int],
                result: str, at_bottom: bool = False) -> None:
    """Cell (row, col) of `target` = bias[row] + Σ_i weight[row, i]·x[i], x being column `col` of the
    `inputs` ((block, first row, rows) each, stacked in order). Over `out` the weight's row flies to a
    vertical line at `place` and x to a line beside it; over `pair` a × stands between the two cells of each
    pair in rows [marks) and a + before each product, the bias waits above the lines (below them
    `at_bottom`), `result` (the sum as text) beside it on the right; over `merge` everything collapses into
    the target cell, which is computed then."""
    first, _ = s.cells_of_column(target, col)
    s.compute_cells(target, first + row, 1, merge.part(0.6, 1.0))
    if not out.started or merge.done:  # nothing in flight: no geometry to compute
        return
    cell = s.cell_size(target)
    n = sum(count for _, _, count in inputs)
    down = np.array([0.0, -cell, 0.0])
    left = np.asarray(place, dtype=np.float64)
    right = left + (2.0 * cell, 0.0, 0.0)
    dest = s.cell_centre(target, row, col)
    small = 0.3 * cell
    hold = pair.end - out.end
    still = (0.0, 0.0, 0.0)
    s.ghosts(weight, (row, 0), (0, 1), n, out, to=left, to_step=down, hold=hold, stagger=0.4)
    s.ghosts(weight, (row, 0), (0, 1), n, merge, origin=left, origin_step=down, to=dest, to_step=still,
             to_size=small, stagger=0.3)
    k = 0
    for name, first, count in inputs:
        s.ghosts(name, (first, col), (1, 0), count, out, to=right + k * down, to_step=down, hold=hold,
                 stagger=0.4)
        s.ghosts(name, (first, col), (1, 0), count, merge, origin=right + k * down, origin_step=down, to=dest,
                 to_step=still, to_size=small, stagger=0.3)
        k += count
    top_bias = left + (0.0, 2.0 * cell, 0.0) if not at_bottom else left + down * (n + 1)
    s.ghosts(bias, (row, 0), (0, 0), 1, out, to=top_bias, hold=hold)
    s.ghosts(bias, (row, 0), (0, 0), 1, merge, origin=top_bias, origin_step=still, to=dest, to_size=small)
    if pair.active:
        size = 0.8 * cell
        for r in range(*marks):
            y = left + down * r
            s.mark("×", y + (cell, 0.0, 0.0), size, pair, centred=True)
            s.mark("+", y - (cell, 0.0, 0.0), size, pair, centred=True)
    s.mark(result, top_bias + (3.2 * cell, -0.35 * cell, 0.0), 0.8 * cell, pair, until=merge)


def add_place(s: Script, target: str, col: int) -> np.ndarray:
    """Where column_add puts its first + (in front of the target's column, a row down: its label stays
    clear)."""
    return s.cell_centre(target, 1, col) + (0.0, 0.0, LIFT / 2)


def column_add(s: Script, a: str, b: str, target: str, col: int, out: Step, pair: Step, merge: Step,
               result: str) -> None:
    """Column `col` of `target` = column `col` of `a` + of `b`, cell by cell: the two columns fly out in front
    of the target (a on the left, b on the right), a + between the cells of each row, `result` (the first
    row's sum as text) left of them, and merge into the target's column."""
    s.compute_cells(target, *s.cells_of_column(target, col), merge.part(0.5, 1.0))
    if not out.started or merge.done:  # nothing in flight: no geometry to compute
        return
    cell = s.cell_size(target)
    rows = int(s.layout.shapes[s.index(target), 0])
    top = s.cell_centre(target, 0, col)
    middle = add_place(s, target, col)
    down = (0.0, -cell, 0.0)
    hold = pair.end - out.end
    for source, place in ((a, middle - (1.5 * cell, 0, 0)), (b, middle + (1.5 * cell, 0, 0))):
        s.ghosts(source, (0, col), (1, 0), rows, out, to=place, to_step=down, hold=hold, stagger=0.3)
        s.ghosts(source, (0, col), (1, 0), rows, merge, origin=place, origin_step=down, to=top + (0, 0, 0.3),
                 to_step=down, to_size=0.35 * cell)
    if pair.active:
        for r in range(rows):
            s.mark("+", middle + np.asarray(down) * r, 0.9 * cell, pair, centred=True)
    size = 0.8 * cell
    width = 0.6 * size * len(result)  # a text's width, a little more than the marks' own estimate
    s.mark(result, middle + (-3.5 * cell - width, -0.35 * cell, 0.0), size, pair, until=merge)


def residual_add(s: Script, stream: str, branch: str, target: str, col: int, arrows: list[str], views,
                 seconds: tuple[float, float, float, float], result: str) -> None:
    """A residual add of column `col`, as a stretch of the chapter: the stream, the branch and their sum in
    focus with the arrows carrying them, seen from views[0]; then column_add close up from views[1], its
    four stretches (looking, flying out, pairs, merging) `seconds` long."""
    st = s.step(seconds[0])
    s.focus([stream, branch, target], st, glow=0.0)
    s.arrows(arrows, st)
    s.camera(views[0], st)
    out, pair, merge = s.step(seconds[1], ease_out), s.step(seconds[2]), s.step(seconds[3], ease_out)
    s.camera(views[1], out.part(0.4, 1.0))
    column_add(s, stream, branch, target, col, out, pair, merge, result)


def run_regions(s: Script, stretches, window: float, seconds: float) -> None:
    """Compute stretches of the forward pass ((computed blocks, framed blocks) each, as common.regions gives
    them) one after the other, the camera flying to each and following the computation down it in a window
    `window` world units tall."""
    for computed, framed in stretches:
        ends = s.sweep_poses(framed, window)
        s.camera(ends[0], s.step(0.6))
        with s.together():
            s.compute(computed, s.sweep(seconds))
            s.camera_along(ends, s.sweep(seconds))
