"""The tour in the panel: chapter and playback controls, the scrub bar with its pauses, the chapter's text
(current paragraph outlined, later ones dimmed, terms linked to their blocks) and the contents."""

from __future__ import annotations

import numpy as np
from imgui_bundle import imgui

from glviz.i18n import tr
from glviz.layout.blocks import Kind
from glviz.ui import style, widgets
from glviz.ui.markdown import MarkdownView
from glviz.walkthrough.markdown import block_targets
from glviz.walkthrough.playback import SPEEDS

SCRUB_HEIGHT = 14.0
CONTENTS_ROW = 22.0
KIND_OF = {Kind.WEIGHT: "weight", Kind.INTERMEDIATE: "intermediate", Kind.AGGREGATE: "aggregate"}
FUTURE_ALPHA = 0.45
SCROLL_EASE = 0.2  # share of the way to the current paragraph the text scrolls each frame
PLAY_WIDTH = 110.0  # Continue / Pause: one width, so that the row does not jump as the label changes
SPEED_WIDTH = 76.0


class TourPanel:
    """Draws the tour's part of the panel; keeps only what the panel needs between frames."""

    def __init__(self) -> None:
        self.text = MarkdownView()
        self._scroll_to: float | None = None
        self._paragraph_shown = (-1, -1)  # (chapter, paragraph) scrolled to last
        self._link_ids: dict[tuple, np.ndarray] = {}
        self.control_rects: dict[str, tuple[float, float, float, float]] = {}  # where each was drawn (tests)
        self.header_rects: dict[str, tuple[float, float, float, float]] = {}  # the chapter's title, the arrow
        self.title_shown = ""  # the chapter's title as drawn: cut short where the panel is narrow (tests)
        self.note = ""  # the line under the current paragraph: what Space does now (tests)

    def draw(self, app) -> None:
        tour = app.tour
        self._header(tour)
        self._controls(app, tour)
        self._scrub(tour)
        imgui.separator()
        contents_height = CONTENTS_ROW * (len(tour.tour) + 1) if self.contents_open else CONTENTS_ROW + 4
        text_height = max(imgui.get_content_region_avail().y - contents_height - 8, 80.0)
        self._text(app, tour, text_height)
        self._contents(tour)

    # --- header and controls -----------------------------------------------------------------------------
    def _header(self, tour) -> None:
        player = tour.player
        state = tour.state()
        if imgui.arrow_button("##previous-chapter", imgui.Dir.left):
            tour.goto(player.chapter - 1) if player.chapter > 0 else None
        imgui.same_line()
        next_x = imgui.get_content_region_avail().x + imgui.get_cursor_pos_x() - 22  # the right arrow's place
        title = tr("tour.chapter", number=player.chapter + 1, count=player.chapters, title=state.title)
        imgui.push_font(style.font("bold"), style.FONT_SIZE)
        # Cut to the room before the right arrow (in a narrow window the title ran under it), whole in a
        # tooltip.
        room = next_x - imgui.get_cursor_pos_x() - imgui.get_style().item_inner_spacing.x
        shown = style.fitted(title, room)
        imgui.text(shown)
        imgui.pop_font()
        self.title_shown, self.header_rects["title"] = shown, style.item_rect()
        if shown != title and imgui.is_item_hovered():
            imgui.set_tooltip(title)
        imgui.same_line(next_x)
        if imgui.arrow_button("##next-chapter", imgui.Dir.right) and player.chapter + 1 < player.chapters:
            tour.goto(player.chapter + 1)
        self.header_rects["next"] = style.item_rect()

    def _controls(self, app, tour) -> None:
        player = tour.player
        label = tr("tour.pause") if player.playing else tr("tour.continue")
        the_end = player.at_end and player.chapter + 1 >= player.chapters and not player.playing
        imgui.begin_disabled(the_end)  # (nothing to continue to: the note under the text says where to go)
        if imgui.button(f"{label}##play", imgui.ImVec2(PLAY_WIDTH, 0)):
            tour.space()
        imgui.end_disabled()
        self.control_rects["play"] = style.item_rect()
        style.beside(style.button_width(tr("tour.back")))
        if imgui.button(tr("tour.back")):
            tour.back()
        self.control_rects["back"] = style.item_rect()
        style.beside(style.button_width(tr("tour.skip")))
        imgui.begin_disabled(the_end)
        if imgui.button(tr("tour.skip")):
            tour.skip()
        imgui.end_disabled()
        self.control_rects["skip"] = style.item_rect()
        style.beside(SPEED_WIDTH)
        imgui.set_next_item_width(SPEED_WIDTH)
        current = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - player.speed))
        if imgui.begin_combo("##speed", f"{SPEEDS[current]:g}×"):
            for speed in SPEEDS:
                if imgui.selectable(f"{speed:g}×", speed == SPEEDS[current])[0]:
                    player.set_speed(speed)
            imgui.end_combo()
        self.control_rects["speed"] = style.item_rect()
        following = app.cameras.following
        changed, on = imgui.checkbox(tr("tour.follow_camera"), following)
        if changed and on:
            app.cameras.follow_again(tour.frame.camera if tour.frame is not None else app.camera.pose)
        elif changed:
            app.cameras.following = False

    def _scrub(self, tour) -> None:
        """The chapter's time as a bar, its pauses as ticks; click or drag to move through it."""
        player = tour.player
        events = player.events
        width = imgui.get_content_region_avail().x
        at = imgui.get_cursor_screen_pos()
        imgui.invisible_button("##scrub", imgui.ImVec2(width, SCRUB_HEIGHT))
        if imgui.is_item_active() and events.duration > 0:
            x = min(max(imgui.get_mouse_pos().x - at.x, 0.0), width)
            tour.seek(x / width * events.duration)
        draw = imgui.get_window_draw_list()
        mid = at.y + SCRUB_HEIGHT / 2
        draw.add_rect_filled(imgui.ImVec2(at.x, mid - 3), imgui.ImVec2(at.x + width, mid + 3),
                             imgui.get_color_u32(imgui.ImVec4(0.3, 0.3, 0.36, 1.0)), 3.0)
        share = player.t / events.duration if events.duration > 0 else 0.0
        draw.add_rect_filled(imgui.ImVec2(at.x, mid - 3), imgui.ImVec2(at.x + share * width, mid + 3),
                             imgui.get_color_u32(imgui.ImVec4(0.35, 0.6, 0.95, 1.0)), 3.0)
        for pause in events.pauses:
            x = at.x + pause.start / max(events.duration, 1e-9) * width
            draw.add_line(imgui.ImVec2(x, at.y), imgui.ImVec2(x, at.y + SCRUB_HEIGHT),
                          imgui.get_color_u32(imgui.ImVec4(*style.ACCENT_COLOUR)), 2.0)
        draw.add_circle_filled(imgui.ImVec2(at.x + share * width, mid), 5.0,
                               imgui.get_color_u32(imgui.ImVec4(1.0, 1.0, 1.0, 1.0)))

    # --- the text ------------------------------------------------------------------------------------------
    def _text(self, app, tour, height: float) -> None:
        player = tour.player
        state = tour.state()
        events = state.events
        current = events.paragraph_at(player.t)
        imgui.begin_child("##tour-text", imgui.ImVec2(-1, height))
        self.text.links_drawn.clear()
        width = imgui.get_content_region_avail().x - 8
        hovered_link = None
        hovered_block = app.hovering.cell[0] if app.hovering.cell is not None else None
        layout = app.scene.layout
        target_y = note_bottom = None
        for i, paragraph in enumerate(events.paragraphs):
            top = imgui.get_cursor_screen_pos()
            if i == current:
                target_y = imgui.get_cursor_pos_y()
            alpha = FUTURE_ALPHA if i > current else 1.0
            link = self.text.draw(
                state.texts.get(paragraph.key, ""), width, alpha,
                colour_of=lambda lk: self._term_colour(layout, lk),
                lit=lambda lk: hovered_block is not None and hovered_block in self._blocks_of(layout, lk),
                widget=lambda name: widgets.draw(name, state.stage, tour.frame, player.t))
            hovered_link = hovered_link or link
            if i == current:
                bottom = imgui.get_cursor_screen_pos().y - 2
                imgui.get_window_draw_list().add_rect(
                    imgui.ImVec2(top.x - 4, top.y - 3), imgui.ImVec2(top.x + width + 4, bottom),
                    imgui.get_color_u32(imgui.ImVec4(0.35, 0.6, 0.95, 0.9)), 5.0, 1.5)
                note = self._note(player)
                if note:
                    style.wrapped(style.ACCENT_COLOUR, note)
                if note != self.note and note and not player.at_pause:  # a chapter's end: its note in view
                    note_bottom = imgui.get_cursor_pos_y()
                self.note = note
        self._follow_paragraph(player.chapter, current, target_y)
        if note_bottom is not None:  # (below the paragraph it follows: scrolled to from the next frame)
            self._scroll_to = max(self._scroll_to or 0.0, note_bottom - imgui.get_window_height() + 8.0)
        if self._scroll_to is not None:  # the scroll eases over frames: draw them, paused or not
            app.invalidate(1)
        self._terms(app, layout, hovered_link)
        imgui.end_child()

    @staticmethod
    def _note(player) -> str:
        """What Space does now: continue past a pause, or (at a chapter's end, where nothing said it) go to
        the next chapter; at the tour's end, where Continue does nothing, where to go from there."""
        if player.at_pause:
            return tr("tour.press_space")
        if player.playing or not player.at_end:
            return ""
        return tr("panel.chapter_end") if player.chapter + 1 < player.chapters else tr("panel.tour_end")

    def _follow_paragraph(self, chapter: int, current: int, target_y: float | None) -> None:
        """Scroll smoothly to keep the current paragraph near the top of the text."""
        if target_y is None:
            return
        if (chapter, current) != self._paragraph_shown:
            self._paragraph_shown = (chapter, current)
            self._scroll_to = max(target_y - 12.0, 0.0)
        if self._scroll_to is not None:
            y = imgui.get_scroll_y()
            goal = min(self._scroll_to, imgui.get_scroll_max_y())
            step = (goal - y) * SCROLL_EASE
            if abs(step) < 1.0:  # (imgui keeps whole pixels: a smaller step would never get there)
                self._scroll_to = None
            imgui.set_scroll_y(y + step if abs(step) >= 1.0 else goal)

    def _terms(self, app, layout, link: str | None) -> None:
        """A hovered term lights its blocks in 3D; a click flies to the first of them."""
        blocks = self._blocks_of(layout, link) if link else np.zeros(0, np.int64)
        app.scene.set_highlight(blocks)
        if link and imgui.is_mouse_clicked(0) and len(blocks):
            app.focus_block(int(blocks[0]))
        if link and link.startswith("chapter:") and imgui.is_mouse_clicked(0):
            ids = [c.id for c in app.tour.tour.chapters]
            target = link.split(":", 1)[1]
            if target in ids:
                app.tour.goto(ids.index(target))

    def _blocks_of(self, layout, link: str) -> np.ndarray:
        key = (id(layout), link)
        ids = self._link_ids.get(key)
        if ids is None:
            from glviz.walkthrough.script import name_matches

            found = []
            for pattern in block_targets(link):
                found += [b.index for b in layout.blocks if name_matches(b.name, pattern)]
            ids = self._link_ids[key] = np.array(sorted(set(found)), dtype=np.int64)
        return ids

    def _term_colour(self, layout, link: str):
        ids = self._blocks_of(layout, link)
        if not len(ids):
            return None
        kind = KIND_OF.get(Kind(int(layout.kinds[ids[0]])), "intermediate")
        return style.KIND_COLOURS[kind]

    # --- contents ------------------------------------------------------------------------------------------
    contents_open = False

    def _contents(self, tour) -> None:
        self.contents_open = style.header("tour.contents")
        if not self.contents_open:
            return
        player = tour.player
        from glviz import i18n

        for i in range(len(tour.tour)):
            title = tour.tour.state(i, i18n.language()).title
            selected = i == player.chapter
            if imgui.selectable(f"{i + 1}. {title}##chapter{i}", selected, 0, imgui.ImVec2(0, 0))[0]:
                tour.goto(i)
            imgui.same_line(imgui.get_content_region_avail().x + imgui.get_cursor_pos_x() - 70)
            imgui.progress_bar(player.progress(i), imgui.ImVec2(70, 8), "")
