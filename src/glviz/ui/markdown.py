"""Draws the tour's Markdown in the panel: wrapped styled text, links that light blocks, dimmed and current
paragraphs.

imgui-bundle's rich_md draws Markdown too, but gives no way to know which term the mouse is over (the tour
lights a term's blocks when it is hovered, and a term when its block is), nor to dim one paragraph and
outline another, and it wraps only at spaces (a Japanese sentence would run off the panel). So the text is
laid out here: runs from walkthrough.markdown, lines broken where i18n.linebreak allows, each piece drawn
with the panel's regular, bold or italic font. Layouts are cached per text and width; a frame only draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from imgui_bundle import imgui

from glviz.i18n.linebreak import break_points
from glviz.ui import style
from glviz.walkthrough.markdown import MdBlock, Run, is_wide, parse

BULLET_INDENT = 16.0  # pixels
PARAGRAPH_GAP = 6.0
LINK_COLOUR = (0.55, 0.75, 1.0, 1.0)
CODE_COLOUR = (1.0, 0.9, 0.6, 1.0)
LIT_BACKGROUND = (0.0, 0.82, 0.95, 0.28)  # a term whose block the mouse is over in 3D


@dataclass
class Piece:
    """Text of one style on one line, at x (pixels from the block's left) with its width."""

    text: str
    run: Run
    x: float
    width: float


@dataclass
class Line:
    pieces: list[Piece] = field(default_factory=list)
    y: float = 0.0


@dataclass
class LaidBlock:
    """A Markdown block laid out at a width: its lines, or a widget."""

    block: MdBlock
    lines: list[Line]
    indent: float
    height: float


def _style_of(run: Run) -> str:
    return "bold" if run.bold else "italic" if run.italic else "regular"


class TextMeasure:
    """Text widths in the panel's fonts, remembered (layouts are redone when the width changes)."""

    def __init__(self) -> None:
        self._widths: dict[tuple[str, str], float] = {}

    def width(self, text: str, style_name: str) -> float:
        key = (style_name, text)
        w = self._widths.get(key)
        if w is None:
            imgui.push_font(style.font(style_name), style.FONT_SIZE)
            w = imgui.calc_text_size(text).x
            imgui.pop_font()
            if len(self._widths) > 20000:
                self._widths.clear()
            self._widths[key] = w
        return w


def layout_block(block: MdBlock, width: float, measure: Callable[[str, str], float], line_height: float
                 ) -> LaidBlock:
    """Break a block's runs into lines no wider than `width` where break_points allows."""
    indent = BULLET_INDENT if block.kind == "li" else 0.0
    room = max(width - indent, 40.0)
    full = "".join(r.text for r in block.runs)
    owner = [i for i, r in enumerate(block.runs) for _ in r.text]  # character -> run index
    cuts = [0, *break_points(full), len(full)]
    lines = [Line()]
    x = 0.0
    for a, b in zip(cuts, cuts[1:], strict=False):
        # One unbreakable atom, maybe made of several runs (a term in bold followed by a comma).
        parts: list[tuple[str, Run]] = []
        i = a
        while i < b:
            j = i
            while j < b and owner[j] == owner[i]:
                j += 1
            parts.append((full[i:j], block.runs[owner[i]]))
            i = j
        widths = [measure(text, _style_of(run)) for text, run in parts]
        visible = sum(widths) - (measure(" ", _style_of(parts[-1][1])) if full[b - 1] == " " else 0.0)
        if x > 0 and x + visible > room:
            lines.append(Line(y=len(lines) * line_height))
            x = 0.0
            if parts and parts[0][0].startswith(" "):  # a new line does not start with a space
                parts[0] = (parts[0][0].lstrip(" "), parts[0][1])
                widths[0] = measure(parts[0][0], _style_of(parts[0][1]))
        for (text, run), w in zip(parts, widths, strict=True):
            line = lines[-1]
            if line.pieces and line.pieces[-1].run is run:  # merge with the piece before: fewer draws
                last = line.pieces[-1]
                last.text += text
                last.width += w
            else:
                line.pieces.append(Piece(text, run, x, w))
            x += w
    return LaidBlock(block, lines, indent, len(lines) * line_height)


class MarkdownView:
    """Lays out (cached) and draws Markdown paragraphs; reports the link under the mouse."""

    def __init__(self) -> None:
        self.measure = TextMeasure()
        self._layouts: dict[tuple[str, float], list[LaidBlock]] = {}
        # What the last frame drew of the links: (x0, y0, x1, y1, link, lit), for tests and tools.
        self.links_drawn: list[tuple[float, float, float, float, str, bool]] = []

    def laid_out(self, text: str, width: float) -> list[LaidBlock]:
        key = (text, round(width))
        laid = self._layouts.get(key)
        if laid is None:
            line_height = imgui.get_text_line_height_with_spacing()
            laid = [layout_block(b, width, self.measure.width, line_height) if b.kind != "widget"
                    else LaidBlock(b, [], 0.0, 0.0) for b in parse(text)]
            if len(self._layouts) > 512:
                self._layouts.clear()
            self._layouts[key] = laid
        return laid

    def draw(self, text: str, width: float, alpha: float = 1.0, colour_of: Callable | None = None,
             lit: Callable | None = None, widget: Callable | None = None) -> str | None:
        """Draw `text` at the cursor, `width` pixels wide; `colour_of(link)` colours terms, `lit(link)` says
        which terms to mark, `widget(name)` draws a widget line. Returns the link under the mouse, if any."""
        hovered = None
        draw = imgui.get_window_draw_list()
        mouse = imgui.get_mouse_pos()
        for laid in self.laid_out(text, width):
            if laid.block.kind == "widget":
                if widget is not None:
                    widget(laid.block.widget)
                continue
            origin = imgui.get_cursor_screen_pos()
            x0 = origin.x + laid.indent
            if laid.block.kind == "li":
                bullet = imgui.ImVec2(origin.x + 5.0, origin.y + imgui.get_text_line_height() / 2)
                draw.add_circle_filled(bullet, 2.5, _u32(style.DIM_COLOUR, alpha))
            height = imgui.get_text_line_height()
            for line in laid.lines:
                y = origin.y + line.y
                for piece in line.pieces:
                    run = piece.run
                    x = x0 + piece.x
                    if run.link:
                        inside = x <= mouse.x < x + piece.width and y <= mouse.y < y + height
                        if inside:
                            hovered = run.link
                        is_lit = lit is not None and lit(run.link)
                        self.links_drawn.append((x, y, x + piece.width, y + height, run.link, is_lit))
                        if is_lit or inside:
                            corner = imgui.ImVec2(x + piece.width + 1, y + height)
                            background = _u32(LIT_BACKGROUND, alpha)
                            draw.add_rect_filled(imgui.ImVec2(x - 1, y), corner, background, 3.0)
                    colour = _u32(_colour(run, colour_of), alpha)
                    font = style.font(_style_of(run))
                    draw.add_text(font, style.FONT_SIZE, imgui.ImVec2(x, y), colour, piece.text)
                    if run.bold and any(is_wide(ch) for ch in piece.text):
                        # The Japanese font has no bold: drawn again a little to the right, it reads bold.
                        draw.add_text(font, style.FONT_SIZE, imgui.ImVec2(x + 0.7, y), colour, piece.text)
                    if run.link:  # a thin underline says "hover me"
                        draw.add_line(imgui.ImVec2(x, y + height), imgui.ImVec2(x + piece.width, y + height),
                                      _u32(_colour(run, colour_of), 0.45 * alpha), 1.0)
            imgui.dummy(imgui.ImVec2(width, laid.height + PARAGRAPH_GAP))
        return hovered


def _colour(run: Run, colour_of) -> tuple:
    if run.link:
        colour = colour_of(run.link) if colour_of is not None else None
        return colour or LINK_COLOUR
    if run.code:
        return CODE_COLOUR
    return style.WHITE


def _u32(colour, alpha: float = 1.0) -> int:
    r, g, b, a = colour
    return imgui.get_color_u32(imgui.ImVec4(r, g, b, a * alpha))
