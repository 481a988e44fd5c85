"""TourFrame: everything the tour wants on screen at one moment, as plain arrays (no GL).

Per block (N blocks of the scene's layout): opacity, highlight (a glow), offset and scale (moved blocks),
and which cells are computed so far (a range in the block's order, and the cell being computed). Beside the
blocks: lit cell ranges, ghost cells flying between blocks, data-flow arrows, floating text (numbers,
operators, captions), the camera pose and the current paragraph. The scene state takes a TourFrame as its
base layer (scene.SceneState.set_tour).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ALL = np.float32(np.inf)  # reveal end of a block whose every cell is computed
ORDER_ROWS, ORDER_COLUMNS = 0, 1  # a block's cells are computed row by row, or column by column


@dataclass
class GhostGroup:
    """`count` copies of cells of `block` (cell i is (row0 + i·drow, col0 + i·dcol)) flying from a line of
    places to another: ghost i sits at `start + i·start_step` at progress 0 and `end + i·end_step` at 1.

    Sizes are the ghosts' edge length in world units. With `stagger` > 0 later ghosts leave later (0: all
    at once; 1: the last leaves when the first arrives). The renderer draws them with the source cells'
    colours and values."""

    block: int
    row0: int
    col0: int
    drow: int
    dcol: int
    count: int
    start: tuple[float, float, float]
    start_step: tuple[float, float, float]
    end: tuple[float, float, float]
    end_step: tuple[float, float, float]
    progress: float
    start_size: float = 1.0
    end_size: float = 1.0
    opacity: float = 1.0
    stagger: float = 0.0

    def positions(self) -> np.ndarray:
        """(count, 3) world centres of the ghosts at `progress`, as the renderer computes them."""
        i = np.arange(self.count, dtype=np.float64)[:, None]  # (k, 1)
        local = ghost_progress(self.progress, self.stagger, self.count)[:, None]  # (k, 1)
        a = np.asarray(self.start) + i * np.asarray(self.start_step)  # (k, 3)
        b = np.asarray(self.end) + i * np.asarray(self.end_step)  # (k, 3)
        return a + (b - a) * local


def ghost_progress(progress: float, stagger: float, count: int) -> np.ndarray:
    """(count,) progress of each ghost of a group: with stagger s, ghost i runs over [i·s/(k-1)·…]."""
    if count <= 1 or stagger <= 0:
        return np.full(count, float(progress))
    delay = np.arange(count) / (count - 1) * stagger / (1.0 + stagger)  # (k,)
    return np.clip((progress - delay) * (1.0 + stagger), 0.0, 1.0)


@dataclass
class Marks:
    """Floating text in 3D: numbers beside cells, × and + between ghosts, captions. Parallel arrays."""

    texts: list[str] = field(default_factory=list)
    positions: list[tuple[float, float, float]] = field(default_factory=list)  # left end of the baseline
    sizes: list[float] = field(default_factory=list)  # em height, world units
    colours: list[tuple[float, float, float, float]] = field(default_factory=list)

    def add(self, text: str, position, size: float, colour=(0.1, 0.1, 0.15, 1.0), centred: bool = False,
            em_width: float = 0.55) -> None:
        """One text; `centred` puts its middle (estimated from `em_width` per character) at `position`."""
        x, y, z = position
        x, y, z = float(x), float(y), float(z)
        if centred:
            x -= 0.5 * em_width * size * len(text)
            y -= 0.35 * size
        self.texts.append(text)
        self.positions.append((x, y, z))
        self.sizes.append(float(size))
        r, g, b, a = colour
        self.colours.append((float(r), float(g), float(b), float(a)))

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class CellRange:
    """Cells [r0, r1) × [c0, c1) of a block lit by the tour (at most 8 at once: the renderer's limit)."""

    block: int
    rows: tuple[int, int]
    cols: tuple[int, int]


@dataclass
class TourFrame:
    """The tour at one moment. Arrays are per block of the scene's layout; in the tour's frames, offset, scale
    and reveal are read-only where the chapter left them at rest (`base(shared=True)`, `own`)."""

    scene: str  # which layout: "nano" (the app's nano model) or "scale" (nano, GPT-2 and GPT-3 together)
    opacity: np.ndarray  # (N,) float32 0..1; below 1 the block is drawn translucent
    highlight: np.ndarray  # (N,) float32 0..1: glow and frame of focused blocks
    offset: np.ndarray  # (N, 3) float32 world units the block has moved
    scale: np.ndarray  # (N,) float32 size factor about the block's centre
    reveal: np.ndarray  # (N, 3) float32: [first, end) of the cells computed, in the block's order (ORDER_*),
    # and the cell being computed now (-1: none), outlined
    camera: object  # render.camera.Pose
    ranges: list[CellRange] = field(default_factory=list)
    ghosts: list[GhostGroup] = field(default_factory=list)
    marks: Marks = field(default_factory=Marks)
    arrows: dict[str, float] = field(default_factory=dict)  # arrow name -> opacity
    paragraph: int = -1  # index of the current paragraph in the chapter's events

    @staticmethod
    def base(scene: str, n_blocks: int, camera, shared: bool = False) -> TourFrame:
        """Every block shown as it is: opaque, not lit, in place, every cell computed. `shared`: offset,
        scale and reveal are the arrays at rest, read-only, shared by every such frame until `own` copies
        one to write it (a chapter moves no block in most frames: 2 MB less to copy each frame at scale)."""
        rest = at_rest(n_blocks)
        opacity, highlight = rest[0].copy(), rest[1].copy()
        offset, scale, reveal = rest[2:] if shared else (a.copy() for a in rest[2:])
        return TourFrame(scene=scene, opacity=opacity, highlight=highlight, offset=offset, scale=scale,
                         reveal=reveal, camera=camera)

    def own(self, name: str) -> np.ndarray:
        """The per-block array `name`, writable: a copy of it replaces a shared one (see `base`)."""
        array = getattr(self, name)
        if not array.flags.writeable:
            array = array.copy()
            setattr(self, name, array)
        return array

    @property
    def moved(self) -> bool:
        """Whether any block is away from its place or size."""
        return bool(self.offset.any() or (self.scale != 1.0).any())


_REST: dict[int, tuple[np.ndarray, ...]] = {}  # n -> the base frame's arrays, copied for each frame


def at_rest(n: int) -> tuple[np.ndarray, ...]:
    """Read-only (opacity, highlight, offset, scale, reveal) of n blocks as TourFrame.base shows them (and the
    renderer without a tour: opaque, not lit, in place, every cell computed)."""
    hit = _REST.get(n)
    if hit is None:
        reveal = np.zeros((n, 3), dtype=np.float32)
        reveal[:, 1] = ALL
        reveal[:, 2] = -1.0
        hit = (np.ones(n, np.float32), np.zeros(n, np.float32), np.zeros((n, 3), np.float32),
               np.ones(n, np.float32), reveal)
        for array in hit:
            array.setflags(write=False)
        if len(_REST) > 8:
            _REST.clear()
        _REST[n] = hit
    return hit
