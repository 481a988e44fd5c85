"""The label atlas with extra characters: Japanese glyphs from Noto Sans JP on Roboto's baseline, cached per
character set, and drawn by the label renderer as themselves (not as the '?' of an unknown character).
Noto Sans JP is a dependency (pylopdf-fonts-jp): these tests fail, not skip, without it."""

from __future__ import annotations

import numpy as np
import pytest

from glviz import fonts
from glviz.render import sdf_font
from glviz.render.sdf_font import CELL, CHARSET, FONT_PX, SPREAD, atlas_charset, load_atlas

from .conftest import rendering

JAPANESE = "自己注意機構はトークンを見る。「重み」"
MISSING = "한"  # Hangul: neither Roboto nor the Japanese subset of Noto Sans has it


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    """An atlas baked (not read from the user's cache) with the Japanese characters and a missing one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        return load_atlas(JAPANESE + MISSING)


def cell(atlas, ch: str) -> np.ndarray:
    """(CELL, CELL) distance field of `ch`'s glyph cell."""
    c0, r0, c1, r1 = atlas.cell_uv(atlas.index[ch])
    h, w = atlas.image.shape
    return atlas.image[round(r0 * h):round(r1 * h), round(c0 * w):round(c1 * w)]


def ink_rows(field: np.ndarray) -> tuple[int, int]:
    """First and last texel row inside the glyph's outline."""
    rows = np.flatnonzero((field > 0.5).any(axis=1))
    return int(rows[0]), int(rows[-1])


def test_extra_characters_follow_the_charset_once_each_in_one_order():
    assert atlas_charset("") == CHARSET
    assert atlas_charset("語日語a\n") == CHARSET + "日語"  # sorted, once, nothing CHARSET has, no controls
    assert atlas_charset("日語") == atlas_charset("語日")


def test_the_index_covers_the_extra_characters_and_measures_them(atlas):
    assert set(JAPANESE) <= atlas.index.keys()
    assert atlas.index.keys() == set(atlas_charset(JAPANESE + MISSING))
    assert atlas.text_width("注意") == pytest.approx(2.0, abs=0.01)  # ideographs are one em wide
    assert atlas.text_width("注A") == pytest.approx(atlas.text_width("注") + atlas.text_width("A"))
    assert atlas.text_width(MISSING) == pytest.approx(atlas.text_width("?"))


def test_japanese_glyphs_sit_on_the_latin_baseline(atlas):
    h_top, h_bottom = ink_rows(cell(atlas, "H"))  # H stands on the baseline
    for ch in "自見重構":
        top, bottom = ink_rows(cell(atlas, ch))
        assert abs(bottom - h_bottom) <= 0.1 * FONT_PX, ch  # Noto's ideographs dip 0.07 em below it
        assert abs((top + bottom) / 2 - (h_top + h_bottom) / 2) <= 0.12 * FONT_PX, ch
        field = cell(atlas, ch)
        edges = np.concatenate([field[0], field[-1], field[:, 0], field[:, -1]])
        assert edges.max() == 0.0, ch  # the glyph and its whole halo fit in the cell: nothing cut off


def test_a_character_no_font_has_is_the_question_mark_and_others_are_not(atlas):
    question = cell(atlas, "?")
    assert np.array_equal(cell(atlas, MISSING), question)
    for ch in "注トは「":
        assert np.abs(cell(atlas, ch) - question).max() > 0.3, ch


def test_the_distance_field_is_exact_within_the_spread():
    """The windowed field equals measuring every texel against every outline point (clipped alike)."""
    from PIL import Image, ImageDraw, ImageFont

    big = CELL * sdf_font.OVERSAMPLE
    coverage = []
    for ch, path in (("機", fonts.japanese()), ("g", fonts.font_path())):  # a long outline, and a short one
        font = ImageFont.truetype(str(path), FONT_PX * sdf_font.OVERSAMPLE)
        canvas = Image.new("L", (big, big), 0)
        ImageDraw.Draw(canvas).text((36, 150), ch, font=font, fill=255, anchor="ls")
        coverage.append(np.asarray(canvas, dtype=np.float32) / 255.0)
    coverage = np.stack(coverage)
    fields = sdf_font._signed_distances(coverage)
    glyph, edge = sdf_font._outline_points(coverage)
    centres = (np.arange(CELL) + 0.5) * sdf_font.OVERSAMPLE
    yy, xx = np.meshgrid(centres, centres, indexing="ij")
    for g in range(len(coverage)):
        e = edge[glyph == g].astype(np.float64)
        d = np.sqrt(((yy[..., None] - e[:, 0]) ** 2 + (xx[..., None] - e[:, 1]) ** 2).min(axis=2))
        inside = coverage[g][yy.astype(int), xx.astype(int)] >= 0.5
        signed = np.where(inside, d, -d) / sdf_font.OVERSAMPLE
        expected = np.clip(0.5 + signed / (2 * SPREAD), 0.0, 1.0)
        assert np.abs(fields[g] - expected).max() < 1e-5
        assert 0.0 < fields[g].mean() < 1.0 and (fields[g] > 0.5).sum() > 20  # a glyph, not blank


def test_each_character_set_has_its_own_cache_file(tmp_path, monkeypatch, atlas):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    again = load_atlas(MISSING + JAPANESE[::-1])  # the same characters in another order
    (cache,) = list((tmp_path / "glviz").glob("sdf-*.npz"))
    assert np.array_equal(again.image, atlas.image) and again.index == atlas.index
    assert sdf_font._read_cached_atlas(cache, atlas_charset(JAPANESE + MISSING)) is not None
    assert sdf_font._read_cached_atlas(cache, atlas_charset("日")) is None  # not another set's atlas
    load_atlas("日")
    assert len(list((tmp_path / "glviz").glob("sdf-*.npz"))) == 2


def render_with_atlas(ctx, atlas, text: str, width: float, size=(240, 60)) -> np.ndarray:
    """(h, w) float ink (0 background .. 1 text colour) of one section label alone, drawn by a
    LabelRenderer holding `atlas`, seen so that `width` em fill 80% of the view from its left edge."""
    from glviz.layout.blocks import Block, Kind, Layout, Section
    from glviz.model.config import PRESETS
    from glviz.render.camera import OrbitCamera, Pose
    from glviz.render.text import LabelRenderer
    from glviz.scene import SceneState

    block = Block("far", "", Kind.WEIGHT, 1, 1, ("1", "1"), (0.0, -500.0, 0.0), (1.0, 1.0, 1.0), "far")
    layout = Layout(PRESETS["nano"], [block], [Section(text, (0.0, 0.0, 0.0), 1.0, 0)]).finish()
    aspect = size[0] / size[1]
    distance = width / 2 / 0.8 / np.tan(np.radians(22.5)) / aspect
    pose = Pose((width / 2, 0.35, 0.0), 0.0, 0.0, distance)
    with rendering(ctx, size) as renderer:
        renderer.frame.labels.release()
        renderer.frame.labels = LabelRenderer(ctx, atlas=atlas)
        image = renderer.render(SceneState(layout), OrbitCamera(pose)).astype(np.float64)
    grey = image.mean(axis=2)
    background = np.median(grey)
    return np.clip((background - grey) / (background - 40.0), 0.0, 1.0)


def test_japanese_labels_are_drawn_with_their_own_glyphs(gl_ctx, atlas, tmp_path):
    text = "注意機構"
    width = atlas.text_width(text)
    ink = render_with_atlas(gl_ctx, atlas, text, width)
    assert gl_ctx.error == "GL_NO_ERROR"
    w = ink.shape[1]
    columns = np.flatnonzero(ink.max(axis=0) > 0.5)
    assert columns[0] < 0.2 * w and columns[-1] > 0.8 * w  # ink from the first character to the last
    quarters = [ink[:, int(w * (0.1 + 0.2 * k)):int(w * (0.3 + 0.2 * k))].sum() for k in range(4)]
    assert min(quarters) > 0.3 * max(quarters)  # every character has ink
    # The atlas without them draws four question marks: half as wide, and other shapes.
    fallback = render_with_atlas(gl_ctx, load_atlas(), text, width)
    question = render_with_atlas(gl_ctx, atlas, "????", width)
    assert np.abs(fallback - question).max() < 0.1  # what an unknown character looks like
    assert np.flatnonzero(fallback.max(axis=0) > 0.5)[-1] < 0.6 * w
    assert np.abs(ink - fallback).mean() > 0.1
