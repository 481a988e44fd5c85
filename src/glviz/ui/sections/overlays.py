"""What imgui draws over the 3D view: the hovered cell's breadcrumb and section labels, and its tooltip."""

from __future__ import annotations

from collections.abc import Callable

from imgui_bundle import imgui

from glviz.i18n import tr
from glviz.i18n.labels import label, path
from glviz.render.text import MAX_LABEL_PX
from glviz.ui.hover import HoverInfo
from glviz.ui.hovering import SectionMark
from glviz.ui.style import DIM_COLOUR, KIND_COLOURS, SECTION_COLOUR

READABLE_EM_PX = 12.0  # a 3D label at least this high (its em, in pixels) is framed only: it reads as it is
TOOLTIP_FLIP_PX = (300, 90)  # the tooltip's size until it is first drawn; its note wraps within this width
TOOLTIP_GAP = (18, 18, 14, 10)  # pixels from the cursor: right of it, below it, left of it, above it
last_rect = [0.0, 0.0, 0.0, 0.0]  # where the tooltip was drawn last (x0, y0, x1, y1): its size places it


CRUMB_JOIN = " / "
crumb_rect = [0.0, 0.0, 0.0, 0.0]  # where the breadcrumb's plate was drawn last (x0, y0, x1, y1): tests


def breadcrumb(info: HoverInfo) -> str:
    """Where the hovered cell is, in the current language: its section path and its block's label."""
    return CRUMB_JOIN.join(part for part in (path(info.section), label(info.label)) if part)


def crumb_lines(crumb: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """The breadcrumb on as few lines as fit `width` (pixels, by `measure`), broken after a " /" so that
    each part stays whole (a part wider than `width` alone gets a line of its own): in a narrow window
    "Transformer 0 / 自己注意機構 / ヘッド 0 / アテンションのソフトマックス" ran under the panel."""
    lines: list[str] = []
    for part in crumb.split(CRUMB_JOIN):
        if lines and measure(lines[-1] + CRUMB_JOIN + part) <= width:
            lines[-1] += CRUMB_JOIN + part
        else:
            if lines:
                lines[-1] += CRUMB_JOIN.rstrip()
            lines.append(part)
    return lines


def title(info: HoverInfo) -> str:
    """The tooltip's title: the block's label in the current language (else its name)."""
    return label(info.label) or info.name


def section_labels(marks: list[SectionMark], info: HoverInfo | None,
                   viewport: tuple[float, float, float, float]) -> None:
    """Where the hovered cell is: its section path as a breadcrumb in the view's top-left corner, and the
    3D section labels of that path (Transformer i, Self-attention, Head h) framed where they are drawn; one
    too small to read gets its text on a plate beside the frame."""
    vx, vy, vw, vh = viewport
    draw = imgui.get_background_draw_list()
    plate = imgui.get_color_u32(imgui.ImVec4(0.12, 0.12, 0.16, 0.82))
    ink = imgui.get_color_u32(imgui.ImVec4(*SECTION_COLOUR))
    if info is not None:
        # The plate is inset 8 px from the view's corner, its text 6 px inside the plate.
        lines = crumb_lines(breadcrumb(info), vw - 28, lambda line: imgui.calc_text_size(line).x)
        height = imgui.get_text_line_height()
        right = vx + 20 + max(imgui.calc_text_size(line).x for line in lines)
        crumb_rect[:] = [vx + 8, vy + 8, right, vy + 16 + height * len(lines)]
        draw.add_rect_filled(imgui.ImVec2(vx + 8, vy + 8), imgui.ImVec2(*crumb_rect[2:]), plate, 4.0)
        for i, line in enumerate(lines):
            draw.add_text(imgui.ImVec2(vx + 14, vy + 12 + i * height), ink, line)
    plates = []  # (x0, y0, x1, y1) of each plate to draw, and its mark
    for mark in marks:
        x0, y0, x1, y1 = mark.box
        if x1 < vx or x0 >= vx + vw or y1 < vy or y0 >= vy + vh or mark.em_px >= MAX_LABEL_PX:
            continue  # off the view, or a label too large to be drawn (the breadcrumb still names it)
        draw.add_rect(imgui.ImVec2(x0 - 3, y0 - 3), imgui.ImVec2(x1 + 3, y1 + 3), ink, 3.0, 2.0)
        if mark.em_px >= READABLE_EM_PX:
            continue
        size = imgui.calc_text_size(mark.text)
        x, y = mark.x, y0 - 5  # the plate sits on the frame's top edge, its text from the label's start
        plates.append(((x - 4, y - size.y - 6, x + size.x + 4, y), mark))
    for (px0, py0, px1, py1), (_, mark) in zip(apart([box for box, _ in plates]), plates, strict=True):
        draw.add_rect_filled(imgui.ImVec2(px0, py0), imgui.ImVec2(px1, py1), plate, 4.0)
        draw.add_text(imgui.ImVec2(px0 + 4, py0 + 3), ink, mark.text)


def apart(boxes: list[tuple[float, float, float, float]], gap: float = 4.0) -> list[tuple[float, ...]]:
    """The plates' boxes (x0, y0, x1, y1) moved right, each past those before it that it would cover (the
    path's labels of nested sections can sit close: a head's plate would hide its layer's)."""
    placed: list[tuple[float, ...]] = []
    for x0, y0, x1, y1 in boxes:
        moved = True
        while moved:
            moved = False
            for a0, b0, a1, b1 in placed:
                if x0 < a1 + gap and a0 < x1 + gap and y0 < b1 and b0 < y1:  # covers (or touches) one placed
                    x0, x1 = a1 + gap, x1 + (a1 + gap - x0)
                    moved = True
        placed.append((x0, y0, x1, y1))
    return placed


def tooltip(
    info: HoverInfo | None, x: float, y: float, bounds: tuple[float, float], pending: bool = False
) -> None:
    """A small label by the cursor in the 3D view: block, indices, value (as on LLM Visualization).
    `pending`: the tour has not computed the cell yet (it is drawn plain); the label says so."""
    if info is None:
        return
    flags = (imgui.WindowFlags_.no_decoration | imgui.WindowFlags_.no_inputs
             | imgui.WindowFlags_.always_auto_resize | imgui.WindowFlags_.no_saved_settings
             | imgui.WindowFlags_.no_focus_on_appearing | imgui.WindowFlags_.no_nav)
    imgui.set_next_window_pos(imgui.ImVec2(*tooltip_place(x, y, bounds)))
    imgui.set_next_window_bg_alpha(0.88)
    imgui.begin("##hover-tooltip", None, flags)
    imgui.text_colored(imgui.ImVec4(*KIND_COLOURS.get(info.kind, DIM_COLOUR)), title(info))
    imgui.same_line()
    imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), info.index_text)
    if info.computed:
        if info.formula and info.lines:
            imgui.text(f"{info.formula} = {info.value_text}")
        else:
            imgui.text(info.value_text)
        imgui.push_text_wrap_pos(imgui.get_cursor_pos_x() + TOOLTIP_FLIP_PX[0] - 60)
        for line in (info.note, tr("hover.tour_pending") if pending else ""):
            if line:
                imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), line)
        imgui.pop_text_wrap_pos()
    elif not info.kept:  # let go by the trace for now: it says so rather than show nothing
        imgui.text_colored(imgui.ImVec4(*DIM_COLOUR), info.value_text)
    pos, size = imgui.get_window_pos(), imgui.get_window_size()
    last_rect[:] = [pos.x, pos.y, pos.x + size.x, pos.y + size.y]
    imgui.end()


def tooltip_place(x: float, y: float, bounds: tuple[float, float]) -> tuple[float, float]:
    """The tooltip's top-left corner: right of and below the cursor, else left of / above it where that
    side has the room, else against the view's edge. (Flipped by a fixed distance from the edge, in a
    narrow window it went past the view's left edge, its start cut off.)"""
    w, h = last_rect[2] - last_rect[0], last_rect[3] - last_rect[1]
    if w <= 0:
        w, h = TOOLTIP_FLIP_PX
    right, below, left, above = TOOLTIP_GAP
    return _side(x, right, left, w, bounds[0]), _side(y, below, above, h, bounds[1])


def _side(at: float, after: float, before: float, size: float, limit: float) -> float:
    """Along one axis: after the cursor where it fits, else before it, else against the view's far edge."""
    if at + after + size <= limit:
        return at + after
    if at - before - size >= 0:
        return at - before - size
    return max(0.0, limit - size)
