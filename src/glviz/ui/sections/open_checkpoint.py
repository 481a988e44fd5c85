""""Open checkpoint…": the GPT-2 checkpoints of the Hugging Face cache by name, a file list from the home
folder, or from the folder of the checkpoint on screen (folders to browse, checkpoints to open), a path to
type; the load's progress bar and Cancel."""

from __future__ import annotations

from imgui_bundle import imgui

from glviz.i18n import tr
from glviz.ui.checkpoint_browser import CheckpointBrowser
from glviz.ui.style import ACCENT_COLOUR, GOOD_COLOUR, dim, header, item_rect, text

LIST_HEIGHT = 160.0


class OpenCheckpoint:
    """The section; keeps the browser's place and the path being typed."""

    def __init__(self, browser: CheckpointBrowser | None = None) -> None:
        self.browser = browser or CheckpointBrowser()
        self.path = ""
        self._opening: str | None = None  # the model asked for here, until it is shown or given up
        self.rects: dict[str, tuple[float, float, float, float]] = {}  # item -> where drawn (tests)
        self.why_empty: str | None = None  # the catalogue key of what an empty list says (tests)
        self.tooltip: str | None = None  # the whole name shown over a cut one this frame (tests)

    def draw(self, app) -> None:
        self.rects.clear()
        self.tooltip = None
        if self._opening is not None and app.loading is None:
            if app.view.name == self._opening:  # opened: the section closes, as a dialog would
                imgui.set_next_item_open(False)
            self._opening = None  # (failed: it stays open beside the message, to pick another)
        opened = header("open.header")
        self._note("header")
        if not opened:
            return
        browser = self.browser
        if app.view.is_checkpoint:
            browser.start_beside(app.view.path)
        cached = browser.cached
        if cached:
            dim(tr("open.cached"))
            for name, folder in cached:
                room = imgui.get_content_region_avail().x
                if _chosen(f"{name}##cached"):
                    self._open(app, folder)
                self._whole_if_cut(name, room)
                self._note(f"cached:{name}")
        else:
            dim(tr("open.no_cache"))
        imgui.separator()
        dim(str(browser.folder))
        if imgui.button(tr("open.up")):
            browser.up()
        self._note("up")
        imgui.same_line()
        if imgui.button(tr("open.refresh")):
            browser.refresh()
        if browser.here_openable:
            imgui.same_line()
            if imgui.button(tr("open.this_folder")):
                self._open(app, browser.folder)
        imgui.begin_child("##files", imgui.ImVec2(-1, LIST_HEIGHT), imgui.ChildFlags_.borders)
        if not browser.entries:  # say why the list is empty, rather than leave a blank box
            readable = "open.empty" if browser.readable else "open.unreadable"
            self.why_empty = "open.gone" if browser.gone else readable
            dim(tr(self.why_empty))
            self._note("empty")
        for entry in browser.entries:
            label = entry.name + ("/" if entry.folder else "")
            room = imgui.get_content_region_avail().x
            if entry.openable:
                imgui.push_style_color(imgui.Col_.text, imgui.ImVec4(*GOOD_COLOUR))
            clicked = _chosen(f"{label}##{entry.name}")
            if entry.openable:
                imgui.pop_style_color()
            self._whole_if_cut(label, room)
            self._note(f"entry:{entry.name}")
            if clicked:
                if entry.openable:
                    self._open(app, entry.path)
                else:
                    browser.enter(entry.path)
            elif entry.openable and entry.folder and imgui.is_item_clicked(imgui.MouseButton_.right):
                browser.enter(entry.path)
        imgui.end_child()
        if browser.total > len(browser.entries):  # a folder of thousands: the rest are reached by typing
            dim(tr("open.cut", shown=len(browser.entries), total=browser.total))
            self._note("cut")
        dim(tr("open.hint"))
        imgui.set_next_item_width(-80)
        entered, self.path = imgui.input_text("##path", self.path, imgui.InputTextFlags_.enter_returns_true)
        self._note("path")
        imgui.same_line()
        if (imgui.button(tr("open.open")) or entered) and self.path.strip():
            self._open_typed(app, self.path.strip())

    def _whole_if_cut(self, label: str, room: float) -> None:
        """A tooltip with the whole of the last item's `label` when it is wider than the `room` it had (the
        list's edge cuts it: long folder names often differ only at their end)."""
        if imgui.is_item_hovered() and imgui.calc_text_size(label).x > room:
            imgui.set_tooltip(label)
            self.tooltip = label

    def _open(self, app, path) -> None:
        app.open_checkpoint(path)
        self._opening = app.models.requested

    def _open_typed(self, app, text_typed: str) -> None:
        """A typed path or a cached model's name, resolved as `--weights` is; a folder that is not a
        checkpoint is browsed (the list shows what is in it) rather than refused."""
        from pathlib import Path

        from glviz.errors import GlvizError, Text
        from glviz.model.hf_cache import is_checkpoint, resolve_weights

        folder = Path(text_typed).expanduser()
        try:
            browse = folder.is_dir() and not is_checkpoint(folder)
        except OSError:  # a folder on the way that may not be searched: load_weights says so in one line
            browse = False
        if browse:
            self.browser.enter(folder.resolve())
            return
        try:
            self._open(app, resolve_weights(text_typed))
        except GlvizError as exc:
            app.message(Text("checkpoint.failed", error=exc), until_another_model=True)

    def _note(self, key: str) -> None:
        self.rects[key] = item_rect()


def _chosen(label: str) -> bool:
    """A list entry clicked, once: the later clicks of a double- or triple-click (learners used to file
    managers double-click) are not further choices. The first click has acted already, entering a folder or
    starting a load whose progress bar pushes the list down, so the next would land on whatever entry is then
    under the mouse. (imgui counts the clicks of a run: the last one's count is 1 for a single click.)"""
    clicked = imgui.selectable(label, False, imgui.SelectableFlags_.allow_double_click)[0]
    return clicked and imgui.get_io().mouse_clicked_last_count[0] < 2


def progress(app) -> tuple[float, float, float, float] | None:
    """The load in progress: what, how far (tensors read, then tracing the prompt), and Cancel; going on
    beside the tour, when it will show. Returns where Cancel was drawn (None: no load)."""
    load = app.loading
    if load is None:
        return None
    text(ACCENT_COLOUR, progress_label(load))
    imgui.progress_bar(load.fraction, imgui.ImVec2(-90, 0))
    imgui.same_line()
    if imgui.button(tr("open.cancel")):
        app.cancel_load()
    cancel = item_rect()
    if load.beside_tour:
        dim(tr("open.beside_tour"))
    return cancel


def progress_label(load) -> str:
    """What a load in progress is doing: opening the file (its count of tensors not known yet), reading
    tensors, or tracing the prompt."""
    if load.tracing:
        return tr("open.tracing", name=load.name)
    if not load.total:  # the file's header not read yet: no count to give
        return tr("open.opening", name=load.name)
    return tr("open.loading", name=load.name, done=load.done, total=load.total)
