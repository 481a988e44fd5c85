"""What the chapters Layer norm, Self-attention and Softmax share: the token, layer and head they follow, how
they write small numbers, and the geometry of lining cells up in rows (ghosts paired with × and +)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glviz.formatting import fmt, fmt_term
from glviz.walkthrough.chapters import embedding
from glviz.walkthrough.script import Script
from glviz.walkthrough.timeline import Step, ease_out

FOLLOW = embedding.FOLLOW  # the token followed, as in the Embedding chapter
LAYER = 0  # the layer walked through in detail (the others do the same with their own weights)
HEAD = 0  # the head followed: the front one
INK_SOFT = (0.30, 0.32, 0.40, 1.0)  # headers over lined-up cells: quieter than the numbers


def exact(value: float) -> str:
    """A number to 4 significant digits (layer norm's inputs are a few hundredths: 3 decimals lose them)."""
    return fmt(value)


def exact_term(value: float) -> str:
    """`exact` after + or −: in parentheses when negative."""
    return fmt_term(value)


@dataclass(frozen=True)
class Cells:
    """A line of `count` cells of a block: from cell `first` (row, col), stepping by `along` (drow, dcol)."""

    name: str
    first: tuple[int, int]
    along: tuple[int, int]


@dataclass(frozen=True)
class DotSteps:
    """The stretches of one dot product drawn term by term: the two lines of cells fly out and stand side by
    side (`out`), × between each pair (`pair`), each pair becomes its product (`multiply`), + between the
    products (`add`), and everything, the bias too, lands in the result cell (`merge`)."""

    out: Step
    pair: Step
    multiply: Step
    add: Step
    merge: Step


def dot_steps(s: Script, out: float = 2.5, pair: float = 2.5, multiply: float = 1.5, add: float = 1.5,
              merge: float = 2.0) -> DotSteps:
    """The next stretches of the timeline for a dot product (seconds each)."""
    return DotSteps(s.step(out, ease_out), s.step(pair), s.step(multiply), s.step(add),
                    s.step(merge, ease_out))


def dot_product(s: Script, w: Cells, x: Cells, count: int, top, steps: DotSteps, *, target, bias: Cells | None
                = None, visible: int = 14, products: tuple[str, ...] = (), size: float | None = None) -> None:
    """One dot product Σ w·x (+ b) term by term with ghost cells: the line `w` stands in a column with its top
    at `top`, the line `x` in a column beside it, row i pairing w_i with x_i; `products` are the first
    products' texts, written left of their pairs; `visible` rows get the × and + marks (what the camera
    shows). Everything lands in `target` (a world point) during steps.merge."""
    cell = s.cell_size(x.name) if size is None else size
    top = np.asarray(top, np.float64)
    down = (0.0, -cell, 0.0)
    pitch = 1.5 * cell
    w_at, x_at, mid = top, top + (2 * pitch, 0.0, 0.0), top + (pitch, 0.0, 0.0)
    hold = steps.multiply.start - steps.out.end
    small = 0.7 * cell
    for line_, place in ((w, w_at), (x, x_at)):
        s.ghosts(line_.name, line_.first, line_.along, count, steps.out, to=place, to_step=down, size=None,
                 to_size=cell, stagger=0.4, hold=hold)
        s.ghosts(line_.name, line_.first, line_.along, count, steps.multiply, origin=place, origin_step=down,
                 to=mid, to_step=down, size=cell, to_size=small, hold=steps.merge.start - steps.multiply.end)
        s.ghosts(line_.name, line_.first, line_.along, count, steps.merge, origin=mid, origin_step=down,
                 to=target, size=small, to_size=0.5 * cell, stagger=0.3)
    if bias is not None:
        s.ghosts(bias.name, bias.first, bias.along, 1, steps.merge, to=target, to_size=0.5 * cell)
    rows = min(visible, count)
    em = 0.8 * cell
    if steps.pair.started and not steps.multiply.started:
        for i in range(rows):
            s.mark("×", mid + (0.0, -i * cell, 0.0), em, steps.pair, centred=True)
    if steps.add.started and not steps.merge.started:
        for i in range(rows - 1):
            s.mark("+", mid + (0.9 * cell, -(i + 0.5) * cell, 0.0), 0.7 * em, steps.add, centred=True)
    mark_em = 0.55 * cell
    x0 = w_at[0] - 1.0 * cell - 0.5 * mark_em * max((len(t) for t in products), default=0)
    for i, text in enumerate(products):
        s.mark(text, (x0, top[1] - i * cell - 0.35 * mark_em, top[2]), mark_em, steps.pair, until=steps.merge)




