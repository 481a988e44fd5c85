"""glviz.fonts: the fonts are found, a missing one is None, and the cmap says what Pillow really draws."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from glviz import fonts


def test_roboto_styles_and_the_japanese_font_are_installed():
    paths = {style: fonts.roboto(style) for style in ("regular", "bold", "italic")}
    assert all(p is not None and p.is_file() for p in paths.values())
    assert len(set(paths.values())) == 3
    assert fonts.font_path() == paths["regular"]
    japanese = fonts.japanese()  # a dependency: pylopdf-fonts-jp
    assert japanese is not None and japanese.suffix == ".otf" and japanese.stat().st_size > 1_000_000
    with pytest.raises(ValueError, match="bold, italic"):
        fonts.roboto("light")


def test_roboto_is_found_without_loading_imgui_bundle():
    # A command that draws no panel (render, record) needs Roboto's file, not imgui-bundle's extension.
    code = ("import sys; from glviz import fonts; p = fonts.font_path(); "
            "print(p is not None and p.is_file(), 'imgui_bundle' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


def test_a_missing_imgui_bundle_leaves_no_roboto():
    fonts._roboto.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(sys.modules, "imgui_bundle", None)  # absent
            assert fonts.font_path() is None
    finally:
        fonts._roboto.cache_clear()
    assert fonts.font_path() is not None


def test_a_missing_japanese_package_is_none():
    fonts.japanese.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(sys.modules, "pylopdf_fonts_jp", None)  # how Python marks a module as absent
            assert fonts.japanese() is None
    finally:
        fonts.japanese.cache_clear()  # forget the None
    assert fonts.japanese() is not None


def test_unreadable_fonts_have_no_characters_and_no_height(tmp_path):
    assert fonts.codepoints(tmp_path / "absent.ttf") == frozenset()
    (tmp_path / "junk.ttf").write_bytes(b"\x00\x01\x00\x00" + bytes(40))
    assert fonts.codepoints(tmp_path / "junk.ttf") == frozenset()
    assert fonts.height_em(tmp_path / "junk.ttf") is None and fonts.height_em(tmp_path / "absent.ttf") is None
    (tmp_path / "empty.ttf").write_bytes(b"")  # (a file of no bytes cannot even be mapped)
    assert fonts.codepoints(tmp_path / "empty.ttf") == frozenset()
    assert fonts.height_em(tmp_path / "empty.ttf") is None
    assert not fonts.has_glyph(None, "A")


def test_line_heights_in_em_as_imgui_sizes_fonts():
    assert fonts.height_em(fonts.roboto()) == pytest.approx((1900 + 500) / 2048)  # hhea, unitsPerEm 2048
    assert fonts.height_em(fonts.japanese()) == pytest.approx((1160 + 288) / 1000)


def test_coverage_of_roboto_and_noto_sans_jp():
    roboto, japanese = fonts.font_path(), fonts.japanese()
    for ch in "Aaγ√Σ·–":
        assert fonts.has_glyph(roboto, ch) and fonts.has_glyph(japanese, ch), ch
    for ch in "あア漢、。「」ー":
        assert not fonts.has_glyph(roboto, ch) and fonts.has_glyph(japanese, ch), ch
    assert not fonts.has_glyph(japanese, "한") and not fonts.has_glyph(japanese, "\ue000")
    assert len(fonts.codepoints(japanese)) > 15000  # kana, the jōyō kanji and far more
    assert max(fonts.codepoints(japanese)) > 0xFFFF  # read from the format-12 subtable (Roboto has only 4)


@pytest.mark.parametrize("which", ["roboto", "japanese"])
def test_the_cmap_agrees_with_what_pillow_draws(which):
    """Where the cmap says no glyph, Pillow draws the .notdef box (the same picture as a private-use
    character); where it says yes, something else."""
    from PIL import Image, ImageDraw, ImageFont

    path = fonts.font_path() if which == "roboto" else fonts.japanese()
    font = ImageFont.truetype(str(path), 40, layout_engine=ImageFont.Layout.BASIC)

    def picture(ch: str) -> bytes:
        canvas = Image.new("L", (80, 80), 0)
        ImageDraw.Draw(canvas).text((10, 60), ch, font=font, fill=255, anchor="ls")
        return canvas.tobytes()

    notdef = picture("\ue000")
    covered = fonts.codepoints(path)
    rng = np.random.default_rng(0)
    candidates = [*range(0x21, 0x3100), *rng.integers(0x3100, 0xA000, 600).tolist()]
    for c in candidates:
        assert (picture(chr(c)) != notdef) == (c in covered), hex(c)
