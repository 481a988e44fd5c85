"""Label placement (no GL): block and section labels of nano neither overlap each other nor cover cells."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.layout.build import build_layout
from glviz.model.config import PRESETS
from glviz.render.label_sets import LabelSet, block_labels, load_atlas, section_labels

from .conftest import rendering

ASCENT, DESCENT = 0.75, 0.2  # em: capitals' height above the baseline and descenders' depth below it


@pytest.fixture(scope="module")
def atlas():
    return load_atlas()


def label_boxes(labels: LabelSet, atlas) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) (L, 2) x-y rectangles of the text labels (in the blocks' plane), and their z (L,)."""
    width = np.array([atlas.text_width(t) for t in labels.texts]) * labels.em
    lo = np.stack([labels.origin[:, 0], labels.origin[:, 1] - DESCENT * labels.em], axis=1)
    hi = np.stack([labels.origin[:, 0] + width, labels.origin[:, 1] + ASCENT * labels.em], axis=1)
    return np.concatenate([lo, hi], axis=1), labels.origin[:, 2]


def overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, B) bool: rectangles (x0, y0, x1, y1) of a and b intersect."""
    return ((a[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < a[:, None, 2])
            & (a[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < a[:, None, 3]))


def nano_labels(atlas):
    layout = build_layout(PRESETS["nano"], n_tokens=11)
    labels = LabelSet.concat([block_labels(layout, atlas), section_labels(layout)])
    text = np.isnan(labels.box[:, 0])
    labels = labels.take(np.flatnonzero(text))
    return layout, labels


def test_nano_labels_do_not_overlap_each_other(atlas):
    _, labels = nano_labels(atlas)
    boxes, z = label_boxes(labels, atlas)
    same_plane = np.abs(z[:, None] - z[None, :]) < 2.0  # heads' planes are further apart
    hit = overlaps(boxes, boxes) & same_plane & ~np.eye(len(boxes), dtype=bool)
    pairs = [(labels.texts[i], labels.texts[j]) for i, j in zip(*np.nonzero(hit), strict=True) if i < j]
    assert not pairs


def test_nano_labels_do_not_cover_cells(atlas):
    layout, labels = nano_labels(atlas)
    boxes, _ = label_boxes(labels, atlas)
    faces = np.concatenate([layout.mins[:, :2], layout.maxs[:, :2]], axis=1)
    hit = overlaps(boxes, faces)
    pairs = [(labels.texts[i], layout.blocks[j].name) for i, j in zip(*np.nonzero(hit), strict=True)]
    assert not pairs


def test_attention_row_labels_share_the_row_without_running_together(atlas):
    """"Attention Softmax", "max" and "sum exp" each end before the next one starts, and "sum exp" is not
    squeezed far below "max"."""
    layout, labels = nano_labels(atlas)
    boxes, _ = label_boxes(labels, atlas)
    row = {t: k for k, t in enumerate(labels.texts) if t in ("Attention Softmax", "max", "sum exp")
           and abs(labels.origin[k, 1] - layout.maxs[layout.by_name["layers.0.attn.h0.probs"], 1]) < 4}
    assert boxes[row["Attention Softmax"], 2] < boxes[row["max"], 0]
    assert boxes[row["max"], 2] < boxes[row["sum exp"], 0]
    assert labels.em[row["sum exp"]] >= 0.8 * labels.em[row["max"]]


def test_labels_read_left_to_right_from_behind(gl_ctx, atlas):
    """Seen from behind, a label shows the same picture as from the front (not its mirror image)."""
    from glviz.layout.blocks import Block, Kind, Layout, Section
    from glviz.render.camera import OrbitCamera, Pose
    from glviz.scene import SceneState

    text, em = "Fig 7", 1.0
    # One block far below, out of view (a layout needs one); the label alone in the middle of the view.
    block = Block("far", "", Kind.WEIGHT, 1, 1, ("1", "1"), (0.0, -500.0, 0.0), (1.0, 1.0, 1.0), "far")
    layout = Layout(PRESETS["nano"], [block], [Section(text, (0.0, 0.0, 0.0), em, 0)]).finish()
    centre = (atlas.text_width(text) * em / 2, 0.35 * em, 0.0)
    with rendering(gl_ctx, (160, 80)) as renderer:
        renderer.frame.set_layout(layout)
        front, back = (renderer.render(SceneState(layout), OrbitCamera(Pose(centre, azimuth, 0.0, 5.0)))
                       for azimuth in (0.0, 180.0))
    ink = front.astype(int).sum(axis=2) < 500
    assert ink.sum() > 100  # the label is drawn
    same = np.abs(back.astype(int) - front).max(axis=2) > 60
    mirrored = np.abs(back.astype(int) - front[:, ::-1]).max(axis=2) > 60
    assert same.mean() < 0.01 < mirrored.mean()


def render_label_alone(ctx, text: str, size: tuple[int, int], pose_for) -> np.ndarray:
    """(h, w) float ink (0 background .. 1 text colour) of one label alone, seen from the front."""
    from glviz.layout.blocks import Block, Kind, Layout, Section
    from glviz.render.camera import OrbitCamera
    from glviz.scene import SceneState

    block = Block("far", "", Kind.WEIGHT, 1, 1, ("1", "1"), (0.0, -500.0, 0.0), (1.0, 1.0, 1.0), "far")
    layout = Layout(PRESETS["nano"], [block], [Section(text, (0.0, 0.0, 0.0), 1.0, 0)]).finish()
    with rendering(ctx, size) as renderer:
        renderer.frame.set_layout(layout)
        image = renderer.render(SceneState(layout), OrbitCamera(pose_for(layout))).astype(np.float64)
    grey = image.mean(axis=2)
    background = np.median(grey)
    return np.clip((background - grey) / (background - 40.0), 0.0, 1.0)


def test_small_text_is_the_large_text_blurred(gl_ctx, atlas):
    """Text about 10 pixels an em (the card's small lines at 800 x 500) looks like the same text drawn 4x
    larger and shrunk: blurred, not with strokes lost or moved (a '4' without its diagonal, '8' read '9')."""
    from glviz.render.camera import Pose

    text, (w, h) = "C = 48", (32, 12)
    width = atlas.text_width(text)

    def pose(_layout):  # the label's width fills 90% of the view's width: an em of about 10 pixels
        return Pose((width / 2, 0.35, 0.0), 0.0, 0.0, width / 2 / 0.9 / np.tan(np.radians(22.5)) / (w / h))

    small = render_label_alone(gl_ctx, text, (w, h), pose)
    large = render_label_alone(gl_ctx, text, (4 * w, 4 * h), pose)
    shrunk = large.reshape(h, 4, w, 4).mean(axis=(1, 3))
    assert small.sum() > 20  # drawn, not hidden
    assert np.abs(small - shrunk).mean() < 0.06
    assert np.corrcoef(small.ravel(), shrunk.ravel())[0, 1] > 0.95


def test_a_corrupt_font_cache_is_baked_again(tmp_path, monkeypatch):
    """A truncated ~/.cache/glviz/sdf-*.npz (a crash while writing, a full disk) is rebuilt, not an error."""
    import numpy as np

    from glviz.render import sdf_font

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    good = load_atlas()  # bakes and writes the cache
    (cache,) = list((tmp_path / "glviz").glob("sdf-*.npz"))
    data = cache.read_bytes()
    cache.write_bytes(data[: len(data) // 3])  # truncated
    again = load_atlas()
    assert np.array_equal(again.image, good.image) and again.index == good.index
    assert sdf_font._read_cached_atlas(cache) is not None  # the cache was written again, whole
    np.savez(cache, image=np.zeros((3, 3)), advance=np.zeros(2), solid=0, ascent=0.5)  # wrong shapes
    assert sdf_font._read_cached_atlas(cache) is None
    assert np.array_equal(load_atlas().image, good.image)


def test_block_labels_follow_the_language_for_every_token_count():
    """What a label says is kept per model and language (label_sets), and follows a change of language."""
    from glviz import i18n
    from glviz.render.label_sets import label_atlas

    atlas = label_atlas()
    nano = PRESETS["nano"]
    english = block_labels(build_layout(nano, n_tokens=5), atlas).texts
    before = i18n.language()
    try:
        i18n.set_language("ja")
        japanese = block_labels(build_layout(nano, n_tokens=6), atlas).texts
    finally:
        i18n.set_language(before)
    assert english == block_labels(build_layout(nano, n_tokens=7), atlas).texts
    assert len(japanese) == len(english) and japanese != english


def test_every_character_of_labels_cards_and_marks_is_in_the_label_atlas():
    """The 3D text of either language never falls back to "?": the Japanese mark
    "exp(x)（最大値を引かない場合）" once came out as "exp(x)?最大値??????合?" (the marks' characters were
    not baked)."""
    from glviz.i18n import LANGUAGES, catalogue
    from glviz.render.label_sets import label_atlas

    atlas = label_atlas()
    missing = {(lang, key, ch) for lang in LANGUAGES for key, text in catalogue(lang).items()
               if key.startswith(("label.", "card.", "mark.", "list.")) for ch in text
               if ch not in atlas.index and not ch.isspace() and ch not in "{}"}
    assert not missing


def test_ink_boxes_hold_every_inked_texel_of_their_cell():
    """A glyph's quad is cut to its ink box (sdf_font.ink_boxes): every texel of the cell whose field reaches
    INK_FIELD lies inside it with INK_MARGIN to spare (where the cell allows), and no box leaves the cell's
    1/28 .. 27/28."""
    from glviz.render.label_sets import label_atlas
    from glviz.render.sdf_font import CELL, INK_FIELD, INK_MARGIN, ink_boxes

    atlas = label_atlas()
    boxes = ink_boxes(atlas)
    columns = atlas.image.shape[1] // CELL
    assert (boxes[boxes[:, 2] > 0] >= 1 / 28 - 1e-6).all() and (boxes <= 27 / 28 + 1e-6).all()
    for ch in "Ag,.|W最":
        if ch not in atlas.index:
            continue
        cell = atlas.index[ch]
        row, col = divmod(cell, columns)
        field = atlas.image[row * CELL:(row + 1) * CELL, col * CELL:(col + 1) * CELL]
        rows, cols = np.nonzero(field > INK_FIELD)
        x0, y0, x1, y1 = boxes[cell] * CELL  # y up from the cell's bottom
        assert x0 <= max(cols.min() - INK_MARGIN, CELL / 28) + 1e-3
        assert x1 >= min(cols.max() + 1 + INK_MARGIN, CELL * 27 / 28) - 1e-3
        assert y1 >= min(CELL - rows.min() + INK_MARGIN, CELL * 27 / 28) - 1e-3
        assert y0 <= max(CELL - rows.max() - 1 - INK_MARGIN, CELL / 28) + 1e-3


def test_the_model_card_shows_its_small_lines_whatever_the_size_of_its_title(gl_ctx, atlas):
    """The card (a box) and its title have the same em, its other lines two thirds of it: with the title
    just large enough for the one-sample program and the lines not, the box must still be drawn first."""
    from glviz.layout.framing import OVERVIEW_AZIMUTH, OVERVIEW_ELEVATION
    from glviz.render.camera import OrbitCamera, Pose
    from glviz.render.label_sets import model_card
    from glviz.render.text import LARGE_TEXT_PX
    from glviz.scene import SceneState

    layout = build_layout(PRESETS["nano"], n_tokens=11)
    card = model_card(layout, atlas)  # two boxes, the title, three smaller lines
    size = (640, 400)
    centre = card.origin[1] + (card.origin[-1] - card.origin[1]) / 2

    def em_px(cam: OrbitCamera, label: int) -> float:
        _, up, _ = cam.basis()
        points = np.array([card.origin[label], card.origin[label] + up * card.em[label]])
        clip = np.c_[points, np.ones(2)] @ cam.view_projection(size[0] / size[1]).astype(np.float64)
        return float(np.linalg.norm(np.diff(clip[:, :2] / clip[:, 3:], axis=0)) * size[1] / 2)

    probe = OrbitCamera(Pose(tuple(centre), OVERVIEW_AZIMUTH, OVERVIEW_ELEVATION, 100.0))
    distance = 100.0 * em_px(probe, 2) / (1.25 * LARGE_TEXT_PX)  # the title's em 1.25x the threshold
    cam = OrbitCamera(Pose(tuple(centre), OVERVIEW_AZIMUTH, OVERVIEW_ELEVATION, distance))
    assert em_px(cam, 2) >= LARGE_TEXT_PX > em_px(cam, 3)
    with rendering(gl_ctx, size) as renderer:
        renderer.frame.set_layout(layout)
        image = renderer.render(SceneState(layout), cam).astype(int).sum(axis=2)
    vp = cam.view_projection(size[0] / size[1]).astype(np.float64)
    right, up, _ = cam.basis()
    for line in (3, 4, 5):  # the middle of each small line: dark ink on the light card
        width = atlas.text_width(card.texts[line]) * card.em[line]
        middle = card.origin[line] + right * width / 2 + up * 0.35 * card.em[line]
        clip = np.append(middle, 1.0) @ vp
        col, row = ((clip[:2] / clip[3]) * [1, -1] + 1) / 2 * size
        r = int(em_px(cam, line) / 2)
        window = image[int(row) - r:int(row) + r, int(col) - 3 * r:int(col) + 3 * r]
        assert (window < 300).sum() > 10, card.texts[line]


def test_text_drawn_with_one_sample_is_as_legible_as_larger_text_shrunk(gl_ctx, atlas):
    """Text just large enough for the one-sample program (render/text.py LARGE_TEXT_PX) looks like the same
    text drawn 4x larger and shrunk, as small text drawn with four samples does."""
    from glviz.render.camera import Pose
    from glviz.render.text import LARGE_TEXT_PX

    text = "C = 48"
    width = atlas.text_width(text)
    h = int(LARGE_TEXT_PX * 1.1 * 1.2)  # an em of 1.1x the threshold: the view is 1.2 em tall
    w = int(np.ceil(h * width / 1.2 / 0.9))

    def pose(_layout):  # the label's width fills 90% of the view's width
        return Pose((width / 2, 0.35, 0.0), 0.0, 0.0, width / 2 / 0.9 / np.tan(np.radians(22.5)) / (w / h))

    small = render_label_alone(gl_ctx, text, (w, h), pose)
    large = render_label_alone(gl_ctx, text, (4 * w, 4 * h), pose)
    shrunk = large.reshape(h, 4, w, 4).mean(axis=(1, 3))
    assert small.sum() > 20
    assert np.abs(small - shrunk).mean() < 0.06
    assert np.corrcoef(small.ravel(), shrunk.ravel())[0, 1] > 0.95


def test_a_long_model_name_does_not_shrink_the_card_lines(atlas):
    """A cached model is called by its name ("openai-community/gpt2"): set at the title's size it made the
    card wide, and the card's width sets the size of every line, so C, T, layers and parameters came out at
    two thirds of their size. The title now gives way first (down to the lines' size)."""
    import dataclasses

    from glviz.render.label_sets import model_card

    def card_of(name: str):
        config = dataclasses.replace(PRESETS["gpt2"], n_layer=2, n_embd=64, n_head=4, name=name)
        return model_card(build_layout(config, n_tokens=9), atlas)  # two boxes, the title, three lines

    short, long = card_of("gpt2"), card_of("openai-community/gpt2")
    assert long.texts[2] == "openai-community/gpt2"
    for line in (3, 4, 5):
        assert long.em[line] >= 0.95 * short.em[line], (line, long.em[line], short.em[line])
    assert long.em[2] >= long.em[3]  # the title is never smaller than the lines
    title_width = atlas.text_width(long.texts[2]) * long.em[2]
    assert title_width <= long.box[1, 0] * long.em[1]  # and it fits on the card
