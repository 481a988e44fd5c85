"""The imgui side panel: a fixed window right of the 3D view holding the panel's sections.

The panel only reads the app's state and calls its methods; the only state of its own is the text being typed
in the letters field.
"""

from __future__ import annotations

from imgui_bundle import imgui

from glviz import i18n
from glviz.i18n import LANGUAGES, tr
from glviz.ui.sections import explanation, help, legend, open_checkpoint, overlays
from glviz.ui.sections.attention import AttentionSection
from glviz.ui.sections.generation import GenerationSection
from glviz.ui.sections.letters_field import LettersField
from glviz.ui.sections.logit_lens import LogitLensSection
from glviz.ui.sections.model_picker import ModelPicker
from glviz.ui.sections.open_checkpoint import OpenCheckpoint
from glviz.ui.sections.prompt_field import PromptField
from glviz.ui.sections.tour_panel import TourPanel
from glviz.ui.style import MESSAGE_COLOUR, dim, item_rect, wrapped

PANEL_WIDTH = 400  # logical pixels; the 3D viewport is the window minus the panel
PANEL_SHARE = 0.45  # narrow windows: the panel takes at most this share of the width, the 3D view the rest
LANGUAGE_LABELS = {"en": "EN", "ja": "日本語"}  # each language by its own name, whatever the app's language
WINDOW_FLAGS = (imgui.WindowFlags_.no_move | imgui.WindowFlags_.no_resize | imgui.WindowFlags_.no_collapse
                | imgui.WindowFlags_.no_saved_settings | imgui.WindowFlags_.no_title_bar)


class Panel:
    """Draws the side panel for a GlvizApp each frame."""

    def __init__(self) -> None:
        self.picker = ModelPicker()
        self.letters = LettersField()
        self.open = OpenCheckpoint()
        self.prompt = PromptField()
        self.generation = GenerationSection()
        self.attention = AttentionSection()
        self.lens = LogitLensSection()
        self.tour = TourPanel()
        self._mode_drawn: bool | None = None  # the tab shown last (the T key can change it)
        self.language_rects: dict[str, tuple[float, float, float, float]] = {}  # lang -> where drawn (tests)
        self.tab_rects: dict[str, tuple[float, float, float, float]] = {}  # "tour", "explore" -> where drawn
        self.cancel_rect: tuple[float, float, float, float] | None = None  # a load's Cancel (tests)

    def draw(self, app, x: float, width: float, height: float) -> None:
        """The panel as one fixed window at (x, 0) of size (width, height) in logical pixels."""
        imgui.set_next_window_pos(imgui.ImVec2(x, 0))
        imgui.set_next_window_size(imgui.ImVec2(width, height))
        imgui.begin("glviz##panel", None, WINDOW_FLAGS)
        try:
            self._title_line(app)
            if app.message_shown:  # the latest message (screenshot path, refused input, …) where it is seen
                wrapped(MESSAGE_COLOUR, app.message_shown)
            self._tabs(app)
        finally:
            imgui.end()

    def _title_line(self, app) -> None:
        """"glviz", the subtitle and EN / 日本語 at the top right; in a narrow panel the subtitle goes, then
        the language choice takes a line of its own (it must stay in reach)."""
        gap = imgui.get_style().item_spacing.x
        room = imgui.get_content_region_avail().x
        title = imgui.calc_text_size("glviz").x + gap
        subtitle = imgui.calc_text_size(tr("panel.subtitle")).x + gap
        need = self._language_width()
        imgui.text("glviz")
        if title + subtitle + need <= room:
            imgui.same_line()
            dim(tr("panel.subtitle"))
        self._language(app, same_line=title + need <= room)

    @staticmethod
    def _language_width() -> float:
        spacing = imgui.get_style().item_inner_spacing.x + imgui.get_frame_height() + 4
        return sum(imgui.calc_text_size(label).x + spacing for label in LANGUAGE_LABELS.values())

    def _language(self, app, same_line: bool) -> None:
        """EN / 日本語 at the top right: the whole app switches at once, the tour keeps its place."""
        if same_line:
            imgui.same_line()
        imgui.set_cursor_pos_x(max(imgui.get_cursor_pos_x(), imgui.get_cursor_pos_x()
                                   + imgui.get_content_region_avail().x - self._language_width()))
        for lang in LANGUAGES:
            if lang != LANGUAGES[0]:
                imgui.same_line(0, 4)
            if imgui.radio_button(LANGUAGE_LABELS[lang], i18n.language() == lang) and i18n.language() != lang:
                app.set_language(lang)
            self.language_rects[lang] = item_rect()

    def _tabs(self, app) -> None:
        touring = app.tour.touring
        forced = touring != self._mode_drawn
        self._mode_drawn = touring
        if not imgui.begin_tab_bar("##mode"):
            return
        flags = imgui.TabItemFlags_.set_selected if forced else 0
        selected = imgui.begin_tab_item(tr("panel.tab_tour") + "###tour", None, flags if touring else 0)[0]
        self.tab_rects["tour"] = item_rect()
        if selected:
            if not touring and not forced:
                app.tour.enter()
            self.cancel_rect = open_checkpoint.progress(app)  # a checkpoint loading beside the tour
            self.tour.draw(app)
            imgui.end_tab_item()
        explore_flags = flags if not touring else 0
        selected = imgui.begin_tab_item(tr("panel.tab_explore") + "###explore", None, explore_flags)[0]
        self.tab_rects["explore"] = item_rect()
        if selected:
            if touring and not forced:
                app.tour.leave()
            if not (touring and forced):  # (T just entered the tour, whose tab shows from the next frame:
                self.explore(app)  # its scene, Scale's three models, is none of the selector's models)
            imgui.end_tab_item()
        imgui.end_tab_bar()

    def explore(self, app) -> None:
        """Free exploration: the model (or a checkpoint to open), its input, the hovered cell, generation,
        attention heatmaps, the logit lens, the legend and the help."""
        self.picker.draw(app)
        # A load in progress: its bar and Cancel, under the model it replaces.
        self.cancel_rect = open_checkpoint.progress(app)
        self.open.draw(app)
        if app.has_input:
            self.letters.draw(app)
        elif app.is_checkpoint:
            self.prompt.draw(app)
        explanation.draw(app.hover)  # the hovered cell first: it is what the 3D view is for
        self.generation.draw(app)
        self.attention.draw(app)
        self.lens.draw(app)
        if app.computed:  # below the input field and the explanation, so that those stay where they are
            imgui.separator()
            legend.draw()
        help.draw(app)

    draw_section_labels = staticmethod(overlays.section_labels)
    draw_tooltip = staticmethod(overlays.tooltip)
