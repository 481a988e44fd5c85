"""The panel's fonts on a real EGL context: Japanese drawn with glyphs of its own (not imgui's fallback) in
the regular, bold and italic fonts, at the Latin letters' size and baseline; English without the font."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from imgui_helpers import draw_frame  # tests/ui/imgui_helpers.py

from glviz import fonts
from glviz.ui import style

W, H = 360, 120
JAPANESE = "自己注意機構はトークンを見る。「重み」、ソフトマックス"


@pytest.fixture(scope="module")
def fbo(gl_ctx):
    return gl_ctx.simple_framebuffer((W, H))


@pytest.fixture
def renderer(gl_ctx, imgui_ctx):
    """An ImguiRenderer for a context whose fonts setup_style loaded."""
    from glviz.ui.imgui_renderer import ImguiRenderer

    style.setup_style()
    style.complete_fonts()  # bold and italic Japanese too, as the app completes them before Japanese is shown
    r = ImguiRenderer(gl_ctx)
    yield r
    r.release()


def line(text: str, font_style: str = "regular", found: dict | None = None):
    """A frame builder: one window with `text` in `font_style`; `found[ch]` records, for every character,
    whether the font drawing it has a glyph of its own (read inside the frame: glyphs load on demand)."""
    from imgui_bundle import imgui

    def build() -> None:
        imgui.set_next_window_pos((0, 0))
        imgui.set_next_window_size((W, H))
        imgui.begin("Panel")
        imgui.push_font(style.font(font_style), 0.0)
        imgui.text(text)
        if found is not None:
            baked = imgui.get_font_baked()
            found.update({ch: baked.find_glyph_no_fallback(ord(ch)) is not None for ch in text})
        imgui.pop_font()
        imgui.end()

    return build


def text_ink(image: np.ndarray) -> np.ndarray:
    """(h, w) bool bright text pixels of the window's first line (below the title bar)."""
    return image[22:44].astype(int).sum(axis=2) > 450


@pytest.mark.parametrize("font_style", style.STYLES)
def test_japanese_is_drawn_with_its_own_glyphs(gl_ctx, renderer, fbo, font_style):
    found: dict[str, bool] = {}
    draw_frame(renderer, fbo, line(JAPANESE, font_style, found))  # loads the glyphs
    image = draw_frame(renderer, fbo, line(JAPANESE, font_style, found))
    assert gl_ctx.error == "GL_NO_ERROR"
    assert found and all(found.values()), [ch for ch, ok in found.items() if not ok]
    ink = text_ink(image)
    assert ink[:, : W // 2].sum() > 150 and ink[:, W // 2:].sum() > 150  # strokes all along the line
    # A character no font has is imgui's fallback glyph: the same picture each time, and not the kanji's.
    missing: dict[str, bool] = {}
    fallback = text_ink(draw_frame(renderer, fbo, line("한한한", font_style, missing)))
    assert not any(missing.values())
    same_width = text_ink(draw_frame(renderer, fbo, line(JAPANESE[:3], font_style)))
    assert (fallback != same_width).sum() > 40


def test_japanese_glyphs_have_the_latin_em_and_baseline(renderer, fbo):
    from imgui_bundle import imgui

    glyphs = {}

    def build() -> None:
        line("HM注あ")()
        baked = style.font("regular").get_font_baked(style.FONT_SIZE)
        glyphs.update({ch: baked.find_glyph_no_fallback(ord(ch)) for ch in "HM注あ"})
        glyphs["ascent"] = baked.ascent

    draw_frame(renderer, fbo, build)
    em = style.FONT_SIZE / fonts.height_em(fonts.roboto())  # Roboto's em in pixels (13.7 at 16)
    kanji, capital = glyphs["注"], glyphs["H"]
    assert abs(kanji.advance_x - em) <= 1.0  # an ideograph is one em wide, as large as the Latin em
    assert capital.y1 == pytest.approx(glyphs["ascent"], abs=0.5)  # H stands on the baseline
    assert abs(kanji.y1 - capital.y1) <= 0.15 * em  # and so does the kanji, dipping a little below
    assert kanji.y0 < capital.y0  # taller than a capital
    assert imgui.get_io().fonts.fonts.size() == 3


def test_bold_and_italic_are_fonts_of_their_own(renderer, fbo):
    names = {s: style.font(s).get_debug_name() for s in style.STYLES}
    assert names == {"regular": "Roboto-Regular.ttf", "bold": "Roboto-Bold.ttf",
                     "italic": "Roboto-RegularItalic.ttf"}
    regular = text_ink(draw_frame(renderer, fbo, line("Weights", "regular")))
    bold = text_ink(draw_frame(renderer, fbo, line("Weights", "bold")))
    assert bold.sum() > 1.2 * regular.sum()
    with pytest.raises(ValueError):
        style.font("light")


def test_without_the_japanese_font_the_panel_speaks_english(imgui_ctx):
    from imgui_bundle import imgui

    assert style.japanese_available()
    assert style.language_or_fallback("ja") == ("ja", None)
    assert style.language_or_fallback("en") == ("en", None)
    fonts.japanese.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(sys.modules, "pylopdf_fonts_jp", None)  # the package is not installed
            assert not style.japanese_available()
            lang, message = style.language_or_fallback("ja")
            assert lang == "en" and "Japanese" in message and "\n" not in message
            assert style.language_or_fallback("en") == ("en", None)
            style.setup_style()  # Roboto alone
            assert style.font("regular").sources.size() == 1
    finally:
        fonts.japanese.cache_clear()
    imgui.get_io().fonts.clear()


def test_bold_and_italic_get_their_japanese_when_the_fonts_are_completed(imgui_ctx):
    """setup_style merges Japanese into the regular font at once (the panel writes 日本語 in English
    too), into bold and italic only at complete_fonts: each merge reads the 4.5 MB font, which English has
    no use for on its way to the first frame."""
    from imgui_bundle import imgui

    def sources() -> dict[str, int]:
        return {s: style.font(s).sources.size() for s in style.STYLES}

    style.setup_style()
    assert sources() == {"regular": 2, "bold": 1, "italic": 1}
    style.complete_fonts()
    assert sources() == {"regular": 2, "bold": 2, "italic": 2}
    style.complete_fonts()  # nothing left to merge
    assert sources() == {"regular": 2, "bold": 2, "italic": 2}
    imgui.get_io().fonts.clear()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_app_completes_the_fonts_before_japanese_or_after_its_first_frame(gl_ctx, tmp_path, lang):
    from glviz.ui.app import GlvizApp

    app = GlvizApp(gl_ctx, size=(640, 400), screenshot_dir=tmp_path, lang=lang)
    try:
        fbo = gl_ctx.simple_framebuffer((640, 400))
        app.frame(fbo, dt=0.016)
        merged = [style.font(s).sources.size() for s in style.STYLES]  # Roboto, and Japanese where merged
        assert merged == ([2, 2, 2] if lang == "ja" else [2, 1, 1])  # Japanese is drawn in the first frame
        app.frame(fbo, dt=0.016)
        assert [style.font(s).sources.size() for s in style.STYLES] == [2, 2, 2]
    finally:
        app.release()


def test_every_character_of_the_japanese_catalogue_has_a_glyph(renderer, fbo):
    from glviz.i18n import catalogue

    text = "".join(sorted({ch for value in catalogue("ja").values() for ch in value if ch != "\n"}))
    found: dict[str, bool] = {}
    for font_style in style.STYLES:
        draw_frame(renderer, fbo, line(text, font_style, found))
        assert len(found) == len(text) > 200
        assert all(found.values()), (font_style, [ch for ch, ok in found.items() if not ok])


def test_secondary_text_in_japanese_wraps_inside_the_panel(renderer, fbo):
    """A Japanese hint has no spaces for imgui's own wrap: it is broken where Japanese may break and stays
    inside the window, on several lines."""
    from imgui_bundle import imgui

    text = "トークンにマウスを重ねると、モデル全体でその列が光ります。" * 2
    rect = {}

    def build() -> None:
        imgui.set_next_window_pos((0, 0))
        imgui.set_next_window_size((200, H))
        imgui.begin("wrap", None, imgui.WindowFlags_.no_decoration)
        style.dim(text)
        lo, hi = imgui.get_item_rect_min(), imgui.get_item_rect_max()
        rect.update(x1=hi.x, height=hi.y - lo.y, line=imgui.get_text_line_height())
        imgui.end()

    draw_frame(renderer, fbo, build)
    draw_frame(renderer, fbo, build)
    assert rect["x1"] <= 200  # inside the window
    assert rect["height"] >= 3 * rect["line"]  # broken into lines, not run off the edge


def _unwrapped_keys() -> set[str]:
    """Catalogue keys the ui code draws as one unwrapped line: `imgui.text(tr("key"))`,
    `imgui.text_colored(colour, tr("key"))` and `style.text(colour, tr("key"))` (no placeholders)."""
    import ast
    from pathlib import Path

    keys = set()
    for path in (Path(style.__file__).resolve().parent).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", ""))
                    in ("text", "text_colored")):
                continue
            for arg in node.args:
                if (isinstance(arg, ast.Call) and getattr(arg.func, "id", "") == "tr" and arg.args
                        and isinstance(arg.args[0], ast.Constant) and not arg.keywords):
                    keys.add(arg.args[0].value)
    return keys


def test_lines_drawn_unwrapped_fit_the_panel_in_both_languages(renderer, fbo):
    """Text the panel draws on one line (not through style.dim or style.wrapped) fits the panel's width in
    English and Japanese: the chip hint, 60 % wider in Japanese, once ran off the panel's edge."""
    from imgui_bundle import imgui

    from glviz.i18n import LANGUAGES, catalogue
    from glviz.ui.panel import PANEL_WIDTH

    keys = _unwrapped_keys()
    assert {"legend.cell_value", "letters.prompt"} <= keys  # the scan finds such calls
    # (The model selector's label is placed by measuring it: test_panel_fits.py.)
    widths = {}

    def build() -> None:
        imgui.set_next_window_pos((0, 0))
        imgui.set_next_window_size((W, H))
        imgui.begin("Panel")
        for lang in LANGUAGES:
            for key in keys:
                widths[lang, key] = imgui.calc_text_size(catalogue(lang)[key]).x
        imgui.end()

    draw_frame(renderer, fbo, build)
    room = PANEL_WIDTH - 2 * 8 - 14  # the panel's window padding and its scrollbar
    assert {k: round(w) for k, w in widths.items() if w > room} == {}
