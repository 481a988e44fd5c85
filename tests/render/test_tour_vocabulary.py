"""The tour's animation vocabulary, each with pixel probes on a real EGL context: moved and scaled blocks
(drawn, picked and labelled where they went), cells revealed in computation order, ghost cells, translucent
fading, the focus glow, data-flow arrows and numbers in 3D."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.layout.blocks import Block, Kind, Layout
from glviz.layout.build import build_layout
from glviz.model.config import PRESETS
from glviz.render.camera import OrbitCamera, Pose
from glviz.render.palette import (
    DEPENDENCY_WASH,
    GLOW_COLOR,
    HIGHLIGHT_ACCENT,
    HOVER_RING,
    KIND_COLORS,
    VALUE_NEGATIVE,
    VALUE_POSITIVE,
)
from glviz.render.picking import pick
from glviz.scene import SceneState
from glviz.walkthrough.frame import ALL, CellRange, GhostGroup, TourFrame

from .conftest import renderer_on

SIZE = (240, 160)  # the offscreen fixture's (conftest)


def layout_of(*blocks: Block) -> Layout:
    return Layout(PRESETS["nano"], list(blocks)).finish()


def camera() -> OrbitCamera:
    return OrbitCamera(Pose((3.0, 0.0, 0.0), 0.0, 0.0, 14.0))


def pixel(cam: OrbitCamera, point, size=SIZE) -> tuple[int, int]:
    """(row, col) of a world point in the read-back image."""
    w, h = size
    clip = np.append(np.asarray(point, dtype=np.float64), 1.0) @ cam.view_projection(w / h).astype(np.float64)
    return int((1 - clip[1] / clip[3]) / 2 * h), int((clip[0] / clip[3] + 1) / 2 * w)


def rgb(colour) -> np.ndarray:
    return np.round(np.asarray(colour) * 255)


def light(kind: int) -> np.ndarray:
    """A cell without a value: its kind colour mixed halfway with white."""
    return rgb(0.5 * np.asarray(KIND_COLORS[kind]) + 0.5)


def render(offscreen, layout: Layout, frame: TourFrame | None, values=None, cam=None):
    offscreen.frame.set_layout(layout)
    if values:
        offscreen.frame.blocks.upload_values(values)
    scene = SceneState(layout)
    scene.show_labels = False
    scene.set_tour(frame)
    cam = cam or camera()
    return scene, cam, offscreen.render(scene, cam)


def tour(layout: Layout) -> TourFrame:
    return TourFrame.base("probe", len(layout.blocks), None)


def test_a_moved_block_is_drawn_and_picked_at_its_new_place(offscreen):
    layout = layout_of(Block("a", "A", Kind.INTERMEDIATE, 2, 2, ("C", "T"), (0.0, 0.0, 0.0), (2, 2, 1), "a"))
    frame = tour(layout)
    frame.offset[0] = (4.0, -1.0, 0.0)
    frame.scale[0] = 1.5
    scene, cam, image = render(offscreen, layout, frame)
    old, new = (1.0, 1.0, 1.0), (5.0, 0.0, 1.0)  # centres of the front face before and after
    assert image[pixel(cam, old)].min() > 235, "the old place is empty"
    np.testing.assert_allclose(image[pixel(cam, (5.3, 0.3, 1.0))], light(1), atol=5)
    lo, hi = scene.boxes
    np.testing.assert_allclose(lo[0], (3.5, -1.5, -0.25))  # scaled 1.5x about the centre, then moved
    np.testing.assert_allclose(hi[0], (6.5, 1.5, 1.25))
    origin, _ = cam.ray(0, 0, SIZE)
    for target, expected in ((new, 0), (old, None)):
        direction = np.asarray(target) - origin
        hit = pick(layout, origin, direction, hidden=scene.hidden, boxes=scene.boxes)
        assert (hit.block if hit else None) == expected, target
    hit = pick(layout, origin, np.array([3.8, 1.3, 1.0]) - origin, boxes=scene.boxes)
    assert (hit.row, hit.col) == (0, 0)  # the top-left cell of the moved, scaled block


def test_a_half_revealed_block_shows_values_exactly_up_to_its_sweep(offscreen):
    # 3 rows x 4 columns, columns are tokens: computed column by column, each top to bottom.
    layout = layout_of(Block("x", "X", Kind.INTERMEDIATE, 3, 4, ("C", "T"), (0.0, -1.5, 0.0), (4, 3, 1), "x"))
    values = {0: np.full((3, 4), -2.0, dtype=np.float32)}
    frame = tour(layout)
    frame.reveal[0] = (0.0, 5.0, 5.0)  # cells 0..4 done: column 0, and rows 0-1 of column 1; cell 5 now
    _, cam, image = render(offscreen, layout, frame, values)
    for row in range(3):
        for col in range(4):
            index = col * 3 + row
            centre = (col + 0.5, 1.5 - row - 0.5, 1.0)
            r, c = pixel(cam, centre)
            if index < 5:
                np.testing.assert_allclose(image[r, c], rgb(VALUE_NEGATIVE), atol=6, err_msg=(row, col))
            elif index == 5:  # the cell being computed is ringed
                ring = image[r - 8: r + 9, c - 8: c + 9].reshape(-1, 3).astype(int)
                assert (np.abs(ring - rgb(HOVER_RING)).max(axis=1) < 40).sum() >= 6, (row, col)
            else:
                np.testing.assert_allclose(image[r, c], light(1), atol=5, err_msg=(row, col))
    frame = tour(layout)
    frame.reveal[0] = (0.0, ALL, -1.0)
    _, _, everything = render(offscreen, layout, frame, values)
    np.testing.assert_allclose(everything[pixel(cam, (3.5, -1.0, 1.0))], rgb(VALUE_NEGATIVE), atol=6)


@pytest.mark.parametrize("dims, reveal", [(("C", "T"), (0.0, 5.0, -1.0)), (("T", "C"), (2.0, 7.0, -1.0))])
def test_the_cells_the_hover_calls_computed_are_the_ones_drawn_with_values(offscreen, dims, reveal):
    """The tooltip says a cell is not computed yet (SceneState.tour_computed) exactly where blocks.frag
    draws it plain: column by column for tokens as columns, row by row otherwise, from `first` on."""
    layout = layout_of(Block("x", "X", Kind.INTERMEDIATE, 3, 4, dims, (0.0, -1.5, 0.0), (4, 3, 1), "x"))
    frame = tour(layout)
    frame.reveal[0] = reveal
    scene, cam, image = render(offscreen, layout, frame, {0: np.full((3, 4), -2.0, dtype=np.float32)})
    said = {}
    for row in range(3):
        for col in range(4):
            shown = image[pixel(cam, (col + 0.5, 1.5 - row - 0.5, 1.0))].astype(int)
            drawn = np.abs(shown - rgb(VALUE_NEGATIVE)).max() <= 6
            assert drawn or np.abs(shown - light(1)).max() <= 5, (row, col, shown)
            said[row, col] = scene.tour_computed(0, row, col)
            assert said[row, col] == drawn, (row, col)
    assert 0 < sum(said.values()) < 12  # both kinds of cell were probed
    assert SceneState(layout).tour_computed(0, 2, 3)  # outside the tour every cell is computed


def test_revealed_lit_and_both_each_show_their_own_decorations(offscreen):
    """Three blocks, one partly computed, one with a cell lit, one both: each is drawn by its own program
    (blocks.vert: revealed, lit, decorated), and each shows its values up to the sweep, its ring and its
    wash, and nothing of the others' decorations."""
    blocks = [Block(f"x{i}", f"X{i}", Kind.INTERMEDIATE, 3, 4, ("C", "T"), (4.5 * i, -1.5, 0.0), (4, 3, 1),
                    f"x{i}") for i in range(3)]
    layout = layout_of(*blocks)
    values = {i: np.full((3, 4), -2.0, dtype=np.float32) for i in range(3)}
    frame = tour(layout)
    frame.reveal[0] = frame.reveal[2] = (0.0, 5.0, 5.0)  # cells 0..4 computed (column by column), 5 now
    frame.ranges = [CellRange(1, (0, 1), (0, 1)), CellRange(2, (0, 1), (0, 1))]  # the top-left cell
    cam = OrbitCamera(Pose((6.5, 0.0, 0.0), 0.0, 0.0, 22.0))
    _, _, image = render(offscreen, layout, frame, values, cam)
    negative = rgb(VALUE_NEGATIVE)
    washed = negative + DEPENDENCY_WASH * (rgb(HIGHLIGHT_ACCENT) - negative)
    for block, (revealed, lit) in enumerate(((True, False), (False, True), (True, True))):
        for row in range(3):
            for col in range(4):
                index = col * 3 + row
                r, c = pixel(cam, (4.5 * block + col + 0.5, 1.5 - row - 0.5, 1.0))
                assert 0 <= r < SIZE[1] and 0 <= c < SIZE[0]
                where = (block, row, col)
                if revealed and index == 5:
                    ring = image[r - 5: r + 6, c - 5: c + 6].reshape(-1, 3).astype(int)
                    assert (np.abs(ring - rgb(HOVER_RING)).max(axis=1) < 40).sum() >= 6, where
                elif revealed and index > 5:
                    np.testing.assert_allclose(image[r, c], light(1), atol=5, err_msg=where)
                elif lit and index == 0:
                    np.testing.assert_allclose(image[r, c], washed, atol=6, err_msg=where)
                else:
                    np.testing.assert_allclose(image[r, c], negative, atol=6, err_msg=where)


def test_a_block_with_no_cell_computed_yet_shows_only_its_kind_colour(offscreen):
    """Nothing computed (an empty reveal, no cell being computed): every cell in the kind colour, no value,
    whether the empty stretch starts at the first cell or further on (the plain program draws such blocks)."""
    layout = layout_of(Block("x", "X", Kind.INTERMEDIATE, 3, 4, ("C", "T"), (0.0, -1.5, 0.0), (4, 3, 1), "x"))
    values = {0: np.full((3, 4), -2.0, dtype=np.float32)}
    for reveal in ((0.0, 0.0, -1.0), (7.0, 7.0, -1.0)):
        frame = tour(layout)
        frame.reveal[0] = reveal
        _, cam, image = render(offscreen, layout, frame, values)
        for row in range(3):
            for col in range(4):
                centre = pixel(cam, (col + 0.5, 1.5 - row - 0.5, 1.0))
                np.testing.assert_allclose(image[centre], light(1), atol=5, err_msg=(reveal, row, col))


def test_a_ghost_cell_has_its_source_cells_colour(offscreen):
    layout = layout_of(Block("w", "W", Kind.WEIGHT, 1, 3, ("1", "C"), (0.0, 2.0, 0.0), (3, 1, 1), "w"))
    values = {0: np.array([[-2.0, 0.0, 2.0]], dtype=np.float32)}
    frame = tour(layout)
    # Cells 0 and 2 (negative, positive) halfway from (0, -2) and (1, -2) to (4, -2) and (6, -2).
    frame.ghosts.append(GhostGroup(0, 0, 0, 0, 2, 2, (0.0, -2.0, 0.5), (1.0, 0.0, 0.0), (4.0, -2.0, 0.5),
                                   (2.0, 0.0, 0.0), 0.5, 1.0, 1.0))
    _, cam, image = render(offscreen, layout, frame, values)
    np.testing.assert_allclose(image[pixel(cam, (2.0, -2.0, 0.5))], rgb(VALUE_NEGATIVE), atol=8)
    np.testing.assert_allclose(image[pixel(cam, (3.5, -2.0, 0.5))], rgb(VALUE_POSITIVE), atol=8)
    assert frame.ghosts[0].positions().tolist() == [[2.0, -2.0, 0.5], [3.5, -2.0, 0.5]]
    r, c = pixel(cam, (2.75, -2.0, 0.5))  # between them: nothing
    assert image[r, c].min() > 235


def test_a_faded_block_in_front_does_not_hide_a_focused_one_behind(offscreen):
    front = Block("f", "F", Kind.WEIGHT, 2, 2, ("C", "C"), (0.0, -1.0, 3.0), (2, 2, 1), "f")
    back = Block("b", "B", Kind.AGGREGATE, 2, 2, ("C", "C"), (0.0, -1.0, 0.0), (2, 2, 1), "b")
    layout = layout_of(front, back)
    frame = tour(layout)
    frame.opacity[0] = 0.2
    frame.highlight[1] = 1.0
    cam = OrbitCamera(Pose((1.0, 0.0, 0.0), 0.0, 0.0, 14.0))
    _, _, image = render(offscreen, layout, frame, cam=cam)
    seen = image[pixel(cam, (0.5, -0.5, 4.0))].astype(float)
    behind = light(2) + 0.12 * (255 - light(2))  # the focused block's cell, lightened by its highlight
    expected = 0.2 * light(0) + 0.8 * behind
    np.testing.assert_allclose(seen, expected, atol=8)
    frame.opacity[0] = 1.0
    _, _, opaque = render(offscreen, layout, frame, cam=cam)
    np.testing.assert_allclose(opaque[pixel(cam, (0.5, -0.5, 4.0))], light(0), atol=5)


def test_focused_blocks_glow_around_their_edge(offscreen):
    layout = layout_of(Block("a", "A", Kind.INTERMEDIATE, 2, 2, ("C", "T"), (0.0, -1.0, 0.0), (2, 2, 1), "a"))
    frame = tour(layout)
    _, cam, plain = render(offscreen, layout, frame)
    frame = tour(layout)
    frame.highlight[0] = 1.0
    _, _, lit = render(offscreen, layout, frame)
    r, c = pixel(cam, (2.0, 0.0, 1.0))
    outside = (r, c + 4)  # a few pixels right of the block's edge
    assert plain[outside].min() > 235
    glow = lit[outside].astype(int)
    warm = rgb(GLOW_COLOR)
    assert np.abs(glow - plain[outside]).sum() > 40  # something glows there ...
    assert glow[0] >= glow[2] + 20 and warm[0] > warm[2]  # ... in the warm glow colour


BIG = (480, 320)  # nano's labels need a few pixels more than the probes


@pytest.fixture
def big(gl_ctx):
    yield from renderer_on(gl_ctx, BIG)


def nano_camera() -> OrbitCamera:
    """The embedding band of nano: y from about 27 to 63, x from about -38 to 18."""
    return OrbitCamera(Pose((-10.0, 45.0, 0.0), 0.0, 0.0, 45.0))


def test_arrows_and_numbers_in_3d(big):
    offscreen = big
    layout = build_layout(PRESETS["nano"], n_tokens=11)
    cam = nano_camera()
    frame = tour(layout)
    _, _, plain = render(offscreen, layout, frame, cam=cam)
    frame = tour(layout)
    frame.arrows = {"embed.tok": 1.0}
    frame.marks.add("0.083", (-34.0, 55.0, 2.0), 3.0)
    scene, _, shown = render(offscreen, layout, frame, cam=cam)
    tok, embed = layout["tok_emb"], layout["embed"]
    y = embed.position[1] + embed.size[1] / 2
    middle = ((tok.position[0] + tok.size[0] + embed.position[0]) / 2, y, 1.3)
    r, c = pixel(cam, middle, BIG)
    arrow = shown[r - 1: r + 2, c].astype(int).mean(axis=0)
    assert arrow[1] > arrow[0] + 20 and arrow[1] > arrow[2] + 10, arrow  # green between the two blocks
    assert np.abs(plain[r, c].astype(int) - shown[r, c]).sum() > 40
    r, c = pixel(cam, (-32.0, 56.0, 2.0), BIG)
    patch = (slice(r - 14, r + 14), slice(c - 20, c + 30))
    assert np.abs(shown[patch].astype(int) - plain[patch]).sum() > 3000  # the number's ink
    assert offscreen.ctx.error == "GL_NO_ERROR"


def test_labels_follow_their_moved_block(big):
    offscreen = big
    layout = build_layout(PRESETS["nano"], n_tokens=11)
    cam = nano_camera()
    offscreen.frame.set_layout(layout)
    scene = SceneState(layout)
    moved = tour(layout)
    moved.offset[layout.by_name["wte"]] = (0.0, -10.0, 0.0)
    scene.set_tour(moved)
    with_labels = offscreen.render(scene, cam)
    scene.show_labels = False
    without = offscreen.render(scene, cam)
    wte = layout["wte"]
    top = (wte.position[0] + 1.0, wte.position[1] + wte.size[1] + 1.0, 1.0)  # where its label "wte" was

    def ink(point) -> int:
        r, c = pixel(cam, point, BIG)
        patch = (slice(r - 10, r + 4), slice(c - 4, c + 24))
        return int(np.abs(with_labels[patch].astype(int) - without[patch]).sum())

    assert ink((top[0], top[1] - 10.0, 1.0)) > 1500  # the label went down with its block
    assert ink(top) < 100  # and nothing is left where it was


def _row_of_ghosts(count: int, size: float, progress: float = 1.0, stagger: float = 0.0) -> GhostGroup:
    """`count` ghosts of a 1 x count block's cells flying from one row of places to another, each `size`
    wide on steps of 0.04 - 0.05 (from afar, the Scale chapter's rows overlap like this); slightly
    translucent, so that only the overlap rule thins them (opaque rows: test_ghost_thinning.py)."""
    return GhostGroup(0, 0, 0, 0, 1, count, (-2.0, -3.0, 0.5), (0.04, 0.0, 0.0), (-2.0, -1.5, 0.5),
                      (0.05, 0.0, 0.0), progress, size, size, opacity=0.9, stagger=stagger)


@pytest.mark.parametrize("progress", [0.0, 0.4, 1.0])
def test_overlapping_ghosts_under_a_pixel_apart_are_thinned_to_ones_that_cover_the_others(progress):
    from glviz.render.ghost_plan import GHOST_OVERLAP, thinned

    group = _row_of_ghosts(301, size=2.0, progress=progress)
    parts = thinned(group, px_per_unit=2.0)  # 0.08 - 0.1 pixels a step
    drawn = np.concatenate([part.positions() for part in parts])  # (n, 3) centres of the ghosts drawn
    assert 301 // 10 < len(drawn) < 301 // 2  # fewer
    cells = np.concatenate([part.col0 + part.dcol * np.arange(part.count) for part in parts])
    assert cells[0] == 0 and cells[-1] == 300 and (np.diff(cells) > 0).all()  # the first and the last cell
    size = (1 - progress) * group.start_size + progress * group.end_size
    every = group.positions()  # (301, 3)
    np.testing.assert_allclose(drawn, every[cells], atol=1e-9)  # each drawn where it was
    # Every ghost left out lies under GHOST_OVERLAP drawn ones or more (the row's ends: one at least).
    covering = (np.abs(every[:, None, :2] - drawn[None, :, :2]) <= size / 2 + 1e-9).all(axis=2).sum(axis=1)
    assert covering.min() >= 1 and np.median(covering) >= GHOST_OVERLAP
    # Not thinned: ghosts a pixel or more apart, ghosts that do not overlap (staggered ones:
    # test_ghost_thinning.py).
    assert thinned(group, px_per_unit=25.0) == [group]
    small = _row_of_ghosts(301, size=0.05, progress=progress)
    assert thinned(small, 2.0) == [small]


def test_ghosts_outside_the_view_are_not_drawn():
    from glviz.render.ghost_plan import GHOST_CHUNK, visible_ghost_ranges

    cam = camera()
    vp = cam.view_projection(SIZE[0] / SIZE[1]).astype(np.float64)
    long_row = GhostGroup(0, 0, 0, 0, 1, 4000, (-2.0, 0.0, 0.5), (0.01, 0.0, 0.0), (-2.0, 0.0, 0.5),
                          (0.01, 0.0, 0.0), 1.0, 0.01, 0.01)  # from x = -2 to 38: the view ends near x = 10
    hidden = GhostGroup(0, 0, 0, 0, 1, 100, (0.0, 500.0, 0.5), (0.01, 0.0, 0.0), (0.0, 500.0, 0.5),
                        (0.01, 0.0, 0.0), 1.0, 0.01, 0.01)
    faded = GhostGroup(0, 0, 0, 0, 1, 100, (0.0, 0.0, 0.5), (0.01, 0.0, 0.0), (0.0, 0.0, 0.5),
                       (0.01, 0.0, 0.0), 1.0, 0.01, 0.01, opacity=0.0)
    ranges = visible_ghost_ranges([long_row, hidden, faded], vp)
    drawn = np.zeros(4200, bool)
    for first, count in ranges:
        drawn[first:first + count] = True
    centres = np.c_[long_row.positions(), np.ones(4000)] @ vp
    in_view = (np.abs(centres[:, :2] / centres[:, 3:]) <= 1).all(axis=1)
    assert in_view.sum() > 500 and drawn[:4000][in_view].all()  # every ghost in view is drawn
    assert drawn[:4000].sum() <= in_view.sum() + 2 * GHOST_CHUNK  # and few beyond the edge
    assert not drawn[4000:].any()  # the group above the view and the invisible one: none


def thinned_and_whole(offscreen, monkeypatch, row: GhostGroup, values: np.ndarray
                      ) -> tuple[list[np.ndarray], list[int]]:
    """Ghosts of a 1 x 3001 weight block holding `values` flying as `row`, drawn thinned (ghost_plan's
    rules) and then every ghost: the two images (int RGB) and the ghosts drawn in each."""
    from glviz.render import ghost_plan

    layout = layout_of(Block("w", "W", Kind.WEIGHT, 1, 3001, ("1", "C"), (0.0, 2.0, 0.0), (3, 1, 1), "w"))
    cells = {0: np.asarray(values, dtype=np.float32)[None, :]}
    images, drawn = [], []
    for overlap in (None, 10**9):  # thinned, then every ghost drawn
        if overlap is not None:
            monkeypatch.setattr(ghost_plan, "GHOST_OVERLAP", overlap)
            monkeypatch.setattr(ghost_plan, "FLAT_GHOST_OVERLAP", overlap)
            monkeypatch.setattr(ghost_plan, "BAR_STEP", 0.0)
        frame = tour(layout)
        frame.ghosts.append(row)
        images.append(render(offscreen, layout, frame, cells)[2].astype(int))
        drawn.append(offscreen.frame.ghosts.count)
    return images, drawn


@pytest.mark.parametrize("ramp", [False, True])
def test_a_thinned_row_of_ghosts_looks_as_the_whole_row(offscreen, monkeypatch, ramp):
    from glviz.render import ghosts

    values = np.linspace(-2.0, 2.0, 3001) if ramp else np.full(3001, 1.5)
    row = GhostGroup(0, 0, 0, 0, 1, 3001, (-2.0, -3.0, 0.5), (0.004, 0.0, 0.0), (-2.0, -1.5, 0.5),
                     (0.004, 0.0, 0.0), 0.5, 0.3, 0.3)  # 3,001 ghosts, ~0.05 pixels a step, 0.3 units wide
    images, drawn = thinned_and_whole(offscreen, monkeypatch, row, values)
    assert drawn[0] < drawn[1] // 4 and drawn[1] == 3001
    ink = (images[1] < 200).any(axis=2)
    assert ink.sum() > 300 and ((images[0] < 200).any(axis=2) == ink).mean() > 0.99  # the same extent
    if not ramp:  # one colour: the same pixels
        assert (np.abs(images[0] - images[1]) > 24).any(axis=2).sum() <= 4
    else:  # a pixel shows one of the ghosts over it, thinned or not: alike on average, along the row
        cols = ink.any(axis=0)
        for image in images:
            assert image[ink].mean() == pytest.approx(images[1][ink].mean(), abs=3)
        mean_along = [np.array([img[:, c][ink[:, c]].mean() for c in np.nonzero(cols)[0]]) for img in images]
        assert np.abs(mean_along[0] - mean_along[1]).mean() < 12
    assert isinstance(offscreen.frame.ghosts, ghosts.GhostRenderer)
