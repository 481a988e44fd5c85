"""The panel's look: fonts, the dark style, and the colours that tie its text to the 3D scene."""

from __future__ import annotations

from pathlib import Path

from imgui_bundle import imgui

from glviz import fonts
from glviz.i18n import tr, tr_in
from glviz.i18n.linebreak import wrap

FONT_SIZE = 16.0
STYLES = ("regular", "bold", "italic")

KIND_COLOURS = {  # text colours matching the scene's block colours
    "weight": (0.45, 0.65, 1.0, 1.0),
    "intermediate": (0.45, 0.85, 0.5, 1.0),
    "aggregate": (1.0, 0.85, 0.35, 1.0),
}
ERROR_COLOUR = (1.0, 0.45, 0.4, 1.0)
MESSAGE_COLOUR = (1.0, 0.85, 0.45, 1.0)
SECTION_COLOUR = (1.0, 0.8, 0.4, 1.0)  # the hovered cell's section labels
DIM_COLOUR = (0.65, 0.65, 0.7, 1.0)
ACCENT_COLOUR = (1.0, 0.9, 0.6, 1.0)  # formulas, keys in the help
GOOD_COLOUR = (0.45, 0.85, 0.5, 1.0)
WHITE = (1.0, 1.0, 1.0, 1.0)
LETTER_COLOURS = ((0.95, 0.45, 0.4, 1.0), (0.45, 0.8, 0.45, 1.0), (0.45, 0.6, 1.0, 1.0))  # A, B, C bars


_font_order: dict[str, int] = {}  # style -> its index in the atlas's fonts, as setup_style added them
# (font index, Japanese font, Latin font) of the styles whose Japanese setup_style left to complete_fonts
_pending_merges: list[tuple[int, Path, Path]] = []


def setup_style() -> None:
    """Fonts and a dark style; call once after creating the imgui context.

    Roboto (it has the Greek letters and math signs of the formulas) regular, bold and italic, each with
    Noto Sans JP merged in for the characters Roboto lacks. imgui 1.92 loads glyphs when first drawn, so no
    glyph ranges are given and the fonts cost little until Japanese is shown. The regular style gets its
    Japanese now (the panel writes 日本語 in every language); bold and italic when `complete_fonts` is
    called: each merge reads the 4.5 MB font, 7.5 ms of start-up, and English text needs neither."""
    _font_order.clear()
    _pending_merges.clear()
    atlas = imgui.get_io().fonts
    japanese = fonts.japanese() if japanese_available() else None
    for style in STYLES:
        path = fonts.roboto(style)
        if path is None:
            continue
        try:
            atlas.add_font_from_file_ttf(str(path), FONT_SIZE)
        except RuntimeError:  # an unreadable file: imgui's default font stays
            continue
        _font_order[style] = len(atlas.fonts) - 1
        if japanese is not None and style == "regular":
            _merge(atlas, japanese, path)
        elif japanese is not None:
            _pending_merges.append((len(atlas.fonts) - 1, japanese, path))
    _dark_style()


def complete_fonts() -> None:
    """Merge Japanese into the styles setup_style left without it (the app: before its first frame in
    Japanese, else after its first frame); nothing when done. Call it between frames."""
    atlas = imgui.get_io().fonts
    while _pending_merges:
        index, japanese, latin = _pending_merges.pop(0)
        if index < len(atlas.fonts):
            _merge(atlas, japanese, latin, into=atlas.fonts[index])


def _merge(atlas, japanese, latin, into=None) -> None:
    """Merge the Japanese font into `into` (default: the font just added), its em as large as the Latin
    font's em."""
    merge = imgui.ImFontConfig()
    merge.merge_mode = True  # Roboto's glyphs first, the Japanese font's for the rest
    if into is not None:
        merge.dst_font = into
    # imgui sizes fonts by line height, which is 1.45 em in Noto Sans JP and 1.17 em in Roboto: at one
    # size its kanji would be a fifth smaller than the Latin letters beside them.
    ratio = (fonts.height_em(japanese) or 1.0) / (fonts.height_em(latin) or 1.0)
    try:
        atlas.add_font_from_file_ttf(str(japanese), FONT_SIZE * ratio, merge)
    except RuntimeError:  # the panel then shows only Latin glyphs
        pass


def _dark_style() -> None:
    """imgui's dark colours, square windows, slightly rounded frames."""
    style = imgui.get_style()
    imgui.style_colors_dark(style)
    style.window_rounding = 0.0
    style.frame_rounding = 3.0
    style.item_spacing = imgui.ImVec2(8, 5)


def font(style: str = "regular") -> imgui.ImFont:
    """The panel's font of `style` ("regular", "bold" or "italic"), for `imgui.push_font(font, 0.0)`; the
    regular font where that style could not be loaded, imgui's default before setup_style."""
    if style not in STYLES:
        raise ValueError(f"unknown font style {style!r} (one of {', '.join(STYLES)})")
    loaded = imgui.get_io().fonts.fonts
    index = _font_order.get(style, _font_order.get("regular", 0))
    return loaded[index] if index < len(loaded) else imgui.get_font()


def can_draw(letter: str) -> bool:
    """Whether the panel's regular font has a glyph for `letter` (True without an imgui context)."""
    return imgui.get_current_context() is None or font("regular").is_glyph_in_font(ord(letter))


def japanese_available() -> bool:
    """Whether the Japanese font is installed and readable (its cmap has kana and kanji)."""
    path = fonts.japanese()
    return path is not None and all(fonts.has_glyph(path, ch) for ch in "あア字")


def language_or_fallback(lang: str) -> tuple[str, str | None]:
    """The language to show for a wish of `lang`, and a one-line English message when it is not `lang`:
    Japanese needs the Japanese font, English is shown without it."""
    if lang == "ja" and not japanese_available():
        return "en", tr_in("en", "app.no_japanese_font")
    return lang, None


def fitted(line: str, width: float, keep: str = "") -> str:
    """`line` followed by `keep`, `line` cut short with '…' where the whole would be wider than `width`
    pixels (`keep`, e.g. a token's id, is always shown whole)."""
    room = width - (imgui.calc_text_size(keep).x if keep else 0.0)
    if imgui.calc_text_size(line).x <= room:
        return line + keep
    while line and imgui.calc_text_size(line + "…").x > room:
        line = line[:-1]
    return line + "…" + keep


def item_rect() -> tuple[float, float, float, float]:
    """Where the last item was drawn: (x0, y0, x1, y1) in window pixels (the panel's tests click and
    measure by it)."""
    lo, hi = imgui.get_item_rect_min(), imgui.get_item_rect_max()
    return lo.x, lo.y, hi.x, hi.y


def button_width(label: str) -> float:
    """The width of imgui.button(label) (the text up to any '##')."""
    return imgui.calc_text_size(label.split("##")[0]).x + 2 * imgui.get_style().frame_padding.x


def checkbox_width(label: str) -> float:
    """The width of imgui.checkbox(label): its box and its text."""
    return imgui.get_frame_height() + imgui.get_style().item_inner_spacing.x + imgui.calc_text_size(label).x


def beside(width: float) -> bool:
    """Put the next item, `width` pixels wide, on the same line if it fits there, else on the next line (in
    a narrow window's panel it would run past the edge); whether it stayed on the line."""
    imgui.same_line()
    if imgui.get_content_region_avail().x >= width:
        return True
    imgui.new_line()
    return False


def text(colour: tuple[float, float, float, float], line: str) -> None:
    """One line of text in a colour."""
    imgui.text_colored(imgui.ImVec4(*colour), line)


def dim(line: str) -> None:
    """Secondary text, wrapped at the panel's edge (a Japanese line is often longer than its English)."""
    wrapped(DIM_COLOUR, line)


def labels_under_bar(x0: float, width: float, low: str, middle: str, high: str) -> None:
    """One line of dim labels under a bar that starts at window x `x0`: at its two ends and its middle."""
    grey = imgui.ImVec4(*DIM_COLOUR)
    imgui.set_cursor_pos_x(x0)
    imgui.text_colored(grey, low)
    imgui.same_line(x0 + (width - imgui.calc_text_size(middle).x) / 2)
    imgui.text_colored(grey, middle)
    imgui.same_line(x0 + width - imgui.calc_text_size(high).x)
    imgui.text_colored(grey, high)


def wrapped(colour: tuple[float, float, float, float], line: str) -> None:
    """Text in a colour, wrapped at the panel's edge where English and Japanese may break (i18n.linebreak:
    imgui's own wrap breaks only at spaces, and would run a Japanese sentence off the panel)."""
    width = imgui.get_content_region_avail().x
    if width <= 0 or imgui.calc_text_size(line).x <= width:
        imgui.text_colored(imgui.ImVec4(*colour), line)
        return
    lines = wrap(line, lambda piece: imgui.calc_text_size(piece).x, width)
    imgui.text_colored(imgui.ImVec4(*colour), "\n".join(lines))


shown_headers: dict[str, tuple[str, float, tuple]] = {}  # (tests) key -> (title drawn, width, rect)


def header(key: str, default_open: bool = False) -> bool:
    """A collapsing header titled by the catalogue's `key`, its id the key itself: open or closed, it stays so
    when the language changes (an id made of the title would be a new header, in its default state)."""
    flags = imgui.TreeNodeFlags_.default_open if default_open else 0
    title = tr(key)
    # In a narrow panel the title is cut with '…' (imgui clips it mid-letter otherwise), whole in a tooltip.
    padding = imgui.get_style().frame_padding.x
    shown = fitted(title, imgui.get_content_region_avail().x - imgui.get_font_size() - 3 * padding)
    opened = imgui.collapsing_header(f"{shown}###{key}", flags)
    shown_headers[key] = (shown, imgui.calc_text_size(shown).x, item_rect())
    if shown != title and imgui.is_item_hovered():
        imgui.set_tooltip(title)
    return opened
