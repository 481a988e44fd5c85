"""Script: what a chapter writes, step by step, to build the TourFrame at time t.

A chapter is a function `chapter(s: Script)`. It calls timeline methods (`step`, `para`, `pause`, `together`)
and effects that take the Step they belong to. An effect changes the frame only once its step has started,
moving from the value earlier effects left towards its target as the step progresses; later lines win. So a
chapter reads like its lesson: `st = s.step(2); s.focus(["wte"], st); s.camera(pose, st)`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from glviz.arrays import unique
from glviz.i18n import tr_in
from glviz.layout.blocks import Layout, block_cells
from glviz.walkthrough import poses
from glviz.walkthrough.frame import ALL, CellRange, GhostGroup, TourFrame
from glviz.walkthrough.kept import compute_plan, focus_target, layout_cells
from glviz.walkthrough.markdown import is_wide
from glviz.walkthrough.script_camera import CameraEffects
from glviz.walkthrough.timeline import Events, Step, Timeline, linear, smooth

FADED = 0.12  # opacity of blocks out of play
INK = (0.10, 0.11, 0.16, 1.0)
FRONT = 0.05  # world units in front of a block's face where ghosts and marks float


def name_matches(name: str, pattern: str) -> bool:
    """fnmatch.fnmatchcase(name, pattern), without a regular expression compiled per pattern where '*' is the
    only wildcard (as chapters write them: compiling theirs took 40 ms of the app's start)."""
    if "?" in pattern or "[" in pattern:
        return fnmatch.fnmatchcase(name, pattern)
    if "*" not in pattern:
        return name == pattern
    first, *middle, last = pattern.split("*")
    if len(name) < len(first) + len(last) or not name.startswith(first) or not name.endswith(last):
        return False
    at, end = len(first), len(name) - len(last)
    for part in middle:  # each run of literal text as far left as it goes: what '*' between them allows
        found = name.find(part, at, end)
        if found < 0:
            return False
        at = found + len(part)
    return True


@dataclass
class Stage:
    """What a chapter plays on: a scene's layout and trace, the view's aspect, the language, extra data."""

    name: str
    layout: Layout
    trace: object  # model.trace.Trace, or None for shapes only
    aspect: float = 16 / 9
    lang: str = "en"
    extras: dict = field(default_factory=dict)


_NAMES: dict[tuple, np.ndarray] = {}  # (id(layout), patterns, ordered) -> block indices
_MEMO: dict[tuple, tuple] = {}  # (key, layout, trace, aspect, language) -> (layout, trace, value)


class Script(CameraEffects):
    """Builds one TourFrame from a chapter's script at time t (see the module docstring)."""

    def __init__(self, t: float, stage: Stage, reading_seconds, record: bool = True) -> None:
        self.stage = stage
        self.layout = stage.layout
        self.trace = stage.trace
        self.aspect = stage.aspect
        self.values: dict[str, str] = {}  # the numbers the chapter's text quotes (Chapter.values)
        self.timeline = Timeline(t, reading_seconds, record)  # record: the events too (Timeline)
        start = poses.overview(self.layout, self.aspect)
        self.frame = TourFrame.base(stage.name, len(self.layout.blocks), start, shared=True)

    # --- what a chapter computes once ----------------------------------------------------------------------
    def memo(self, key: str, make: Callable[[], object]) -> object:
        """`make()` once per stage (layout, trace, aspect, language): what a chapter computes the same way
        every frame, such as its poses, the places of its ghosts and the words of its marks. Call it before
        any block moves (cell_centre reads where blocks are drawn now)."""
        stage = self.stage
        full = (key, id(stage.layout), id(stage.trace), round(stage.aspect, 4), stage.lang)
        hit = _MEMO.get(full)
        if hit is None or hit[0] is not stage.layout or hit[1] is not stage.trace:
            if len(_MEMO) > 256:
                _MEMO.clear()
            hit = _MEMO[full] = (stage.layout, stage.trace, make())
        return hit[2]

    # --- the timeline --------------------------------------------------------------------------------------
    @property
    def t(self) -> float:
        return self.timeline.t

    def step(self, seconds: float, ease=smooth) -> Step:
        """The next `seconds` of the chapter."""
        return self.timeline.step(seconds, ease)

    def sweep(self, seconds: float) -> Step:
        """A step at an even pace (computations)."""
        return self.timeline.step(seconds, linear)

    def now(self) -> Step:
        """An instant: effects given it hold from here on."""
        return self.timeline.now()

    def wait(self, seconds: float) -> None:
        self.timeline.wait(seconds)

    def together(self):
        """`with s.together():` the steps inside run at the same time."""
        return self.timeline.together()

    def para(self, key: str) -> None:
        """The text's paragraph `key` becomes current here."""
        self.timeline.paragraph(key)

    def pause(self) -> None:
        """Playback waits here for Continue (after a reading time when recorded)."""
        self.timeline.pause()

    def finish(self) -> tuple[TourFrame, Events]:
        """The frame at t and the chapter's events."""
        events = self.timeline.finish()
        self.frame.paragraph = self.timeline.paragraph_now
        return self.frame, events

    # --- blocks --------------------------------------------------------------------------------------------
    def ids(self, *patterns: str) -> np.ndarray:
        """Block indices of names or shell patterns ("layers.0.attn.h*.q"), in layout order (memoised: a
        chapter asks for the same blocks every frame)."""
        return self._resolve(patterns, ordered=False)

    def index(self, name: str) -> int:
        """The index of one block by its exact name."""
        return self.layout.by_name[name]

    def _resolve(self, names: tuple, ordered: bool) -> np.ndarray:
        key = (id(self.layout), names, ordered)
        found = _NAMES.get(key)
        if found is None:
            by_name = self.layout.by_name
            parts = []
            for pattern in names:
                if pattern in by_name:
                    parts.append(np.array([by_name[pattern]], dtype=np.int64))
                else:
                    parts.append(np.array([b.index for b in self.layout.blocks
                                           if name_matches(b.name, pattern)], dtype=np.int64))
            found = np.concatenate(parts) if parts else np.zeros(0, np.int64)
            if not ordered:
                found = unique(found)
            found.setflags(write=False)
            if len(_NAMES) > 4096:
                _NAMES.clear()
            _NAMES[key] = found
        return found

    def _ids(self, names) -> np.ndarray:
        """Indices of a name, a list of names or patterns, or a list or array of indices."""
        if isinstance(names, str):
            return self._resolve((names,), False)
        if isinstance(names, np.ndarray):
            return names.astype(np.int64, copy=False)
        names = tuple(names)
        if names and not isinstance(names[0], str):
            return np.asarray(names, dtype=np.int64)
        return self._resolve(names, False)

    def _ordered_ids(self, names) -> np.ndarray:
        """Like _ids, but in the order the names are given (patterns in layout order)."""
        if isinstance(names, str):
            return self._resolve((names,), True)
        if isinstance(names, np.ndarray):
            return names.astype(np.int64, copy=False)
        names = tuple(names)
        if names and isinstance(names[0], str):
            return self._resolve(names, True)
        return np.asarray(names, dtype=np.int64)

    @property
    def reveal(self) -> np.ndarray:
        """The frame's (N, 3) reveal rows, to write (TourFrame.own: copied from the shared rows at rest on
        the first write)."""
        return self.frame.own("reveal")

    # --- block effects ------------------------------------------------------------------------------------
    def fade(self, names, st: Step, to: float = FADED) -> None:
        """Blocks towards opacity `to` (translucent; 0 hides them)."""
        if st.started:
            ids = self._ids(names)
            cur = self.frame.opacity[ids]
            self.frame.opacity[ids] = cur + (to - cur) * st.p

    def fade_all(self, st: Step, to: float = FADED) -> None:
        """Every block towards opacity `to`."""
        if st.started:
            cur = self.frame.opacity
            self.frame.opacity[:] = cur + (to - cur) * st.p

    def focus(self, names, st: Step, others: float = FADED, glow: float = 1.0) -> None:
        """These blocks in full and glowing, every other block faded."""
        if not st.started:
            return
        ids = self._ids(names)
        cur = self.frame.opacity
        target = focus_target(ids, len(cur), others)
        self.frame.opacity[:] = cur + (target - cur) * st.p
        self.glow(ids, st, glow)

    def glow(self, names, st: Step, amount: float = 1.0) -> None:
        """Blocks towards highlight `amount` (0 takes the glow away)."""
        if st.started:
            ids = self._ids(names)
            cur = self.frame.highlight[ids]
            self.frame.highlight[ids] = cur + (amount - cur) * st.p

    def calm(self, st: Step) -> None:
        """Every block back to full opacity, no glow."""
        if st.started:
            self.frame.opacity += (1.0 - self.frame.opacity) * st.p
            self.frame.highlight *= 1.0 - st.p

    def move(self, names, st: Step, by=(0.0, 0.0, 0.0), scale: float | None = None) -> None:
        """Blocks towards an offset `by` (world units) from their place, and a size factor `scale`."""
        if not st.started:
            return
        ids = self._ids(names)
        offset = self.frame.own("offset")
        cur = offset[ids]
        offset[ids] = cur + (np.asarray(by, dtype=np.float32) - cur) * st.p
        if scale is not None:
            scales = self.frame.own("scale")
            cur_s = scales[ids]
            scales[ids] = cur_s + (scale - cur_s) * st.p

    # --- computation order --------------------------------------------------------------------------------
    def hide_values(self, names, st: Step | None = None) -> None:
        """Blocks whose cells are not computed yet (they show their kind colour)."""
        if (st or self.now()).started:
            self.reveal[self._ids(names), :] = (0.0, 0.0, -1.0)

    def show_values(self, names, st: Step | None = None) -> None:
        """Blocks with every cell computed."""
        if (st or self.now()).started:
            self.reveal[self._ids(names), :] = (0.0, ALL, -1.0)

    def compute(self, names, st: Step, weights: str = "sqrt") -> None:
        """Compute the blocks one after the other over the step, cell by cell in their order; each block's
        share of the time grows with the square root of its cells (small aggregates do not flash past)."""
        if not st.started:
            return
        ids = self._ordered_ids(names)
        cells, lo, width, done = compute_plan(ids, layout_cells(self.layout), weights)
        if st.raw >= 1.0:  # the usual case once a chapter is under way: the same rows every frame
            self.reveal[ids] = done
            return
        local = np.clip((st.raw - lo) / width, 0.0, 1.0)  # (k,)
        end = local * cells
        cursor = np.where((local > 0) & (local < 1), np.floor(end), -1.0)
        reveal = self.reveal
        reveal[ids, 0] = 0.0
        reveal[ids, 1] = np.where(local >= 1.0, ALL, end)
        reveal[ids, 2] = cursor

    def compute_cells(self, name: str, first: int, count: int, st: Step) -> None:
        """Compute cells [first, first + count) of one block (in its order) over the step."""
        if not st.started:
            return
        i = self.index(name)
        end = first + st.raw * count
        cursor = np.floor(end) if st.raw < 1 else -1.0
        self.reveal[i] = (first, end, cursor)

    def cells_of_column(self, name: str, col: int) -> tuple[int, int]:
        """(first, count) of column `col` of a block computed column by column."""
        rows = int(self.layout.shapes[self.index(name), 0])
        return col * rows, rows

    # --- cells -------------------------------------------------------------------------------------------
    def light(self, name: str, rows: tuple[int, int], cols: tuple[int, int], st: Step,
              until: Step | None = None) -> None:
        """Light cells [r0, r1) × [c0, c1) of a block (as drawn) from the step's start until `until`."""
        if st.started and (until is None or not until.started) and len(self.frame.ranges) < 8:
            self.frame.ranges.append(CellRange(self.index(name), tuple(rows), tuple(cols)))

    def column(self, name: str, col: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """(rows, cols) of one drawn column of a block, for `light`."""
        return (0, int(self.layout.shapes[self.index(name), 0])), (col, col + 1)

    def cell_size(self, name_or_index) -> float:
        """Edge length of a block's cells in world units, as drawn now (scale included)."""
        i = name_or_index if isinstance(name_or_index, int | np.integer) else self.index(name_or_index)
        width = float(self.layout.maxs[i, 0] - self.layout.mins[i, 0]) / int(self.layout.shapes[i, 1])
        return width * float(self.frame.scale[i])

    def cell_centre(self, name_or_index, row: float, col: float) -> np.ndarray:
        """World centre of cell (row, col) on a block's front face, where the block is drawn now."""
        i = name_or_index if isinstance(name_or_index, int | np.integer) else self.index(name_or_index)
        # In Python floats (float64, the numpy form's arithmetic in its order): a chapter asks for many cells.
        (x0, y0, z0), (x1, y1, z1) = self.layout.mins[i].tolist(), self.layout.maxs[i].tolist()
        rows, cols = self.layout.shapes[i].tolist()
        scale = float(self.frame.scale[i])
        dx, dy, dz = self.frame.offset[i].tolist()
        cx, cy, cz = (x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2
        local = (x0 + (col + 0.5) * (x1 - x0) / cols, y1 - (row + 0.5) * (y1 - y0) / rows, z1 + FRONT)
        return np.array([cx + (local[0] - cx) * scale + dx, cy + (local[1] - cy) * scale + dy,
                         cz + (local[2] - cz) * scale + dz])

    def value(self, name: str, row: int, col: int) -> float:
        """The value of a drawn cell, from the trace."""
        block = self.layout.blocks[self.index(name)]
        return float(block_cells(block, self.trace, (row, row + 1), (col, col + 1))[0, 0])

    def ghosts(self, name: str, first: tuple[int, int], along: tuple[int, int], count: int, st: Step, *,
               to, to_step=(0.0, 0.0, 0.0), size: float | None = None, to_size: float | None = None,
               stagger: float = 0.0, hold: float = 0.0, opacity: float = 1.0, progress: float | None = None,
               origin=None, origin_step=None) -> GhostGroup | None:
        """`count` copies of cells of `name` from cell `first` (row, col), stepping by `along` (drow, dcol),
        flying over the step from the cells themselves (or from `origin` + i·`origin_step`) to `to` (the
        first ghost's place) + i·`to_step`. Shown while the step runs and `hold` seconds after it; returns
        the group (or None when not shown)."""
        if not st.during(hold):
            return None
        i = self.index(name)
        if origin is None:
            start = self.cell_centre(i, *first)
            second = self.cell_centre(i, first[0] + along[0], first[1] + along[1])
        else:
            start = np.asarray(origin, dtype=np.float64)
            second = start + np.asarray((0.0, 0.0, 0.0) if origin_step is None else origin_step, np.float64)
        size = self.cell_size(i) if size is None else size
        group = GhostGroup(block=i, row0=first[0], col0=first[1], drow=along[0], dcol=along[1], count=count,
                           start=tuple(start), start_step=tuple(second - start), end=tuple(to),
                           end_step=tuple(to_step), progress=st.p if progress is None else progress,
                           start_size=size, end_size=size if to_size is None else to_size, opacity=opacity,
                           stagger=stagger)
        self.frame.ghosts.append(group)
        return group

    # --- text in 3D, arrows (the camera: script_camera.CameraEffects) ----------------------------------
    @staticmethod
    def text_width(text: str, size: float) -> float:
        """About how wide a mark of `text` is at em height `size` (Japanese characters are an em wide)."""
        return size * sum(1.0 if is_wide(ch) else 0.55 for ch in text)

    def say(self, key: str, **values) -> str:
        """Words of the catalogue in the stage's language, for marks (`mark.*` keys)."""
        return tr_in(self.stage.lang, key, **values)

    def mark(self, text: str, position, size: float, st: Step, until: Step | None = None, colour=INK,
             centred: bool = False, hold: float | None = None) -> None:
        """Floating text from the step's start until `until` starts (or `hold` s after the step, or ever)."""
        if not st.started or (until is not None and until.started):
            return
        if hold is not None and not st.during(hold):
            return
        alpha = min(1.0, st.raw * 4.0) if st.end > st.start else 1.0  # a quick fade-in
        self.frame.marks.add(text, position, size, (*colour[:3], colour[3] * alpha), centred=centred)

    def arrows(self, names, st: Step, to: float = 1.0) -> None:
        """Data-flow arrows (layout.arrows names) towards opacity `to`."""
        if st.started:
            for name in ([names] if isinstance(names, str) else names):
                cur = self.frame.arrows.get(name, 0.0)
                self.frame.arrows[name] = cur + (to - cur) * st.p
