"""The panel in narrow windows: what shares a line (the language choice, the tour's controls, nano's verdict,
Generate's buttons and sampling's fields, the heatmaps' "all heads") stays inside the panel and takes the next
line where it does not fit; the logit lens shows as many token columns as fit whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def _app(gl_ctx, tmp_path, size: tuple[int, int], **options) -> Iterator[tuple[object, object]]:
    """(a headless GlvizApp of `size` with `options`, a framebuffer of that size); released afterwards, the
    language put back to English (an app in Japanese sets it for the process)."""
    from glviz import i18n
    from glviz.ui.app import GlvizApp

    fbo = gl_ctx.simple_framebuffer(size)
    app = GlvizApp(gl_ctx, size=size, screenshot_dir=tmp_path, **options)
    try:
        yield app, fbo
    finally:
        app.release()
        i18n.set_language("en")


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [1280, 640, 520])
def test_the_tour_controls_stay_in_the_panel_however_narrow(gl_ctx, tmp_path, width, lang):
    """Continue, Back, Skip and the speed share a line while they fit; in a narrow window the speed ran past
    the panel's edge (at 640 px, its arrow was cut off in Japanese). What does not fit goes on the next
    line."""
    from glviz.ui.app import GlvizApp

    app = GlvizApp(gl_ctx, size=(width, 500), screenshot_dir=tmp_path, tour=True,
                   state_path=tmp_path / "state.json", lang=lang)
    try:
        fbo = gl_ctx.simple_framebuffer((width, 500))
        for _ in range(3):  # imgui shows the scroll bar from the third frame
            app.frame(fbo, dt=0.016)
        assert app.tour.touring
        x0 = app.viewport[2]
        rects = app.panel.tour.control_rects
        assert set(rects) == {"play", "back", "skip", "speed"}
        for lo_x, _, hi_x, _ in rects.values():
            assert x0 <= lo_x and hi_x <= width, (rects, x0, width)
        if width == 1280:  # room for all four: one line
            assert len({round(lo_y) for _, lo_y, _, _ in rects.values()}) == 1, rects
    finally:
        app.release()


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [1280, 520])
def test_the_chapters_title_stays_left_of_the_next_chapter_arrow(gl_ctx, tmp_path, width, lang):
    """At 520 px the title ran under the right arrow ("8/12 MLP（多層パーセプトロン）", "9/12 The transformer
    stack"). A title that does not fit is cut short ("…"); where it fits it is whole."""
    from glviz.i18n import tr

    with _app(gl_ctx, tmp_path, (width, 500), tour=True, state_path=tmp_path / "state.json",
              lang=lang) as (app, fbo):
        panel = app.panel.tour
        cut = 0
        for chapter in range(len(app.tour.tour)):
            app.tour.goto(chapter)
            for _ in range(3):
                app.frame(fbo, dt=0.016)
            title, arrow = panel.header_rects["title"], panel.header_rects["next"]
            assert title[2] <= arrow[0], (chapter, title, arrow)
            whole = tr("tour.chapter", number=chapter + 1, count=len(app.tour.tour),
                       title=app.tour.state().title)
            shown = panel.title_shown
            assert shown == whole or (shown.endswith("…") and whole.startswith(shown[:-1])), (shown, whole)
            cut += shown != whole
        assert (cut == 0) if width == 1280 else (cut > 0), cut


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [1280, 640])
def test_the_sorted_letters_verdict_stays_in_the_panel(gl_ctx, tmp_path, width, lang):
    """The verdict after the model's sorted letters ("correct") was squeezed against the panel's edge at
    640 px in Japanese; it now takes the next line where it does not fit."""
    from imgui_bundle import imgui

    from glviz.ui.app import GlvizApp

    app = GlvizApp(gl_ctx, size=(width, 420), screenshot_dir=tmp_path, lang=lang)
    try:
        fbo = gl_ctx.simple_framebuffer((width, 420))
        for _ in range(3):  # imgui shows the scroll bar from the third frame
            app.frame(fbo, dt=0.016)
        assert not app.tour.touring
        lo_x, lo_y, hi_x, hi_y = rect = app.panel.letters.verdict_rect
        # Inside the panel, left of its scroll bar, on one line (squeezed beside the answer, "正解" was
        # broken into a column of single characters at the panel's edge).
        assert app.viewport[2] <= lo_x and hi_x <= width - imgui.get_style().scrollbar_size, (rect, width)
        assert hi_y - lo_y <= imgui.get_text_line_height() + 1, rect
    finally:
        app.release()


@pytest.mark.parametrize("width", [1280, 700, 520])
def test_the_language_choice_stays_in_the_panel_however_narrow(gl_ctx, tmp_path, width):
    """EN / 日本語 sit at the panel's top right; in a narrow window they ran past its edge (日本語 could not
    be clicked at 700 px). The subtitle gives way first, then the choice takes a line of its own."""
    from glviz.ui.app import GlvizApp

    app = GlvizApp(gl_ctx, size=(width, 500), screenshot_dir=tmp_path)
    try:
        fbo = gl_ctx.simple_framebuffer((width, 500))
        for _ in range(3):  # imgui shows the scroll bar from the third frame
            app.frame(fbo, dt=0.016)
        x0 = app.viewport[2]  # the panel starts where the 3D view ends
        rects = app.panel.language_rects
        assert set(rects) == {"en", "ja"}
        for lo_x, _, hi_x, _ in rects.values():
            assert x0 <= lo_x and hi_x <= width, (rects, x0, width)
    finally:
        app.release()


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [1280, 640])
def test_generates_buttons_stay_in_the_panel(gl_ctx, tmp_path, width, lang):
    """Next token, Generate N with its N, Stop (and nano's From the letters), and sampling's fields with their
    labels: at 640 px in Japanese, Stop and the labels of top-k and top-p were cut off at the panel's edge.
    Generate N keeps its N beside it on whichever line it goes."""
    from imgui_bundle import imgui

    from glviz.ui.app import GlvizApp

    app = GlvizApp(gl_ctx, size=(width, 420), screenshot_dir=tmp_path, lang=lang)
    try:
        app.generation.greedy = False  # sampling: its fields are shown
        fbo = gl_ctx.simple_framebuffer((width, 420))
        for _ in range(3):  # imgui shows the scroll bar from the third frame
            app.frame(fbo, dt=0.016)
        rects = app.panel.generation.rects
        shown = {"next", "generate", "n", "stop", "restart", "temperature", "top_k", "top_p", "seed"}
        assert shown <= set(rects)
        right = width - imgui.get_style().scrollbar_size
        for name, (lo_x, _, hi_x, _) in rects.items():
            assert app.viewport[2] <= lo_x and hi_x <= right, (name, rects, width)
        assert rects["generate"][1] == rects["n"][1]  # N on Generate's line
    finally:
        app.release()


@pytest.mark.parametrize("width", [1280, 600])
def test_the_logit_lens_shows_its_tokens_whole(gl_ctx, tmp_path, width):
    """The lens's token columns: at 640 px all three were cut (a token and its chance overran its cell into
    the next). It now shows as many as fit whole: no cell's text runs into the next or past the panel."""
    from checkpoint_helpers import checkpoint, click, frames, loaded

    from glviz.model.config import GPTConfig
    from glviz.ui.app import GlvizApp

    size = (width, 1400)
    fbo = gl_ctx.simple_framebuffer(size)
    # A small model with GPT-2's vocabulary and no tokenizer: each token shows as its id, '#41107 0.2%'.
    config = GPTConfig(n_layer=2, n_head=2, n_embd=24, vocab_size=50257, block_size=48, name="wide")
    app = GlvizApp(gl_ctx, size=size, screenshot_dir=tmp_path,
                   weights=checkpoint(tmp_path / "wide", config, tokenizer=None))
    try:
        loaded(app, fbo)
        frames(app, fbo)
        click(app, fbo, app.panel.lens.header)
        frames(app, fbo, 3)
        rows = app.panel.lens.cell_rects
        assert rows and all(rows), rows
        if width == 1280:
            assert len(rows[0]) == 3  # all three where the panel is 400 px wide
        for cells in rows:
            for (_, _, hi_x, _), (lo_x, _, _, _) in zip(cells, cells[1:], strict=False):
                assert hi_x <= lo_x, cells
            assert cells[-1][2] <= width, cells
    finally:
        app.release()


def test_fitted_cuts_a_line_to_a_width_keeping_its_end(gl_ctx, tmp_path):
    """The candidates' and the lens's tokens are cut to their room: a token of GPT-2 such as
    '·isEnabled 34842' ran under its bar."""
    from imgui_bundle import imgui

    from glviz.ui.app import GlvizApp
    from glviz.ui.style import fitted

    app = GlvizApp(gl_ctx, size=(1280, 800), screenshot_dir=tmp_path)
    try:
        app.frame(gl_ctx.simple_framebuffer((1280, 800)), dt=0.016)
        width = imgui.calc_text_size("·internationalization 12345").x
        assert fitted("·internationalization", width + 1, " 12345") == "·internationalization 12345"
        cases = (("·internationalization", " 12345"), ("上位 k 件（0：なし）", ""), ("·isEnabled", " 34842"))
        for line, keep in cases:
            cut = fitted(line, 80.0, keep)
            kept = cut[: -len("…" + keep)]
            assert cut.endswith("…" + keep) and line.startswith(kept), cut
            assert imgui.calc_text_size(cut).x <= 80.0, cut
            assert imgui.calc_text_size(line[: len(kept) + 1] + "…" + keep).x > 80.0  # no shorter than needed
    finally:
        app.release()


def test_the_hover_tooltip_stays_inside_a_narrow_view(gl_ctx, tmp_path):
    """Near the middle of a narrow window's view (700 px wide: a 300 px view) the tooltip flipped to the
    left of the cursor by a fixed distance from the view's edge and went past the view's left edge: its
    title, "入力埋め込み", read "力埋め込み". It now goes where it fits, else against the view's edge."""
    from glviz.ui.sections import overlays

    size = (700, 600)
    with _app(gl_ctx, tmp_path, size, lang="ja") as (app, fbo):
        for _ in range(3):
            app.frame(fbo, dt=0.016)
        view_width = app.viewport[2]
        checked = 0
        for x in range(int(view_width * 0.35), int(view_width * 0.7), 12):
            for y in range(80, 560, 24):
                app.mouse_move(x, y)
                for _ in range(3):  # imgui sizes a window to its text a frame late; then it is placed
                    app.frame(fbo, dt=0.016)
                if app.hovering.cell is None:
                    continue
                x0, y0, x1, y1 = overlays.last_rect
                assert 0 <= x0 and x1 <= view_width + 1, (x, y, overlays.last_rect, view_width)
                assert 0 <= y0 and y1 <= size[1] + 1, (x, y, overlays.last_rect)
                checked += 1
        assert checked >= 5


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_blocks_statistics_stay_in_the_panel(gl_ctx, tmp_path, lang):
    """The statistics under a hovered cell's explanation were one unwrapped line each: a GPT-2 block's
    ("layers.11.attn.h11.scores: 524,800 values (523,776 masked)") ran under the scroll bar and
    off the panel. Here nano's in a 640 px window; every line now ends inside the panel."""
    from camera_helpers import pixel_of  # tests/ui/
    from imgui_bundle import imgui

    from glviz.render.camera import block_pose
    from glviz.ui.sections import explanation

    size = (640, 700)
    with _app(gl_ctx, tmp_path, size, lang=lang) as (app, fbo):
        layout = app.view.layout
        index = layout.by_name["layers.2.attn.h0.scores"]  # the front head
        block = layout.blocks[index]
        app.camera.set_pose(block_pose(layout, index, aspect=app.aspect))
        app.mouse_move(*pixel_of(app, index, block.rows - 1, 0))
        explanation.STATS_RECTS.clear()
        for _ in range(3):  # imgui shows the scroll bar from the third frame
            app.frame(fbo, dt=0.016)
        assert app.hover is not None and app.hover.block == index and app.hover.stats is not None
        assert app.hover.stats.finite < app.hover.stats.count  # its line names the masked ones
        right = size[0] - imgui.get_style().scrollbar_size
        rects = explanation.STATS_RECTS
        assert set(rects) == {"count", "range", "moments"}
        for name, (lo_x, _, hi_x, _) in rects.items():
            assert app.viewport[2] <= lo_x and hi_x <= right, (name, rects, right)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_hovered_cells_breadcrumb_stays_in_the_view(gl_ctx, tmp_path, lang):
    """The breadcrumb in the view's corner was one line: in a 720 px window "Transformer 0 / 自己注意機構 /
    ヘッド 0 / アテンションのソフトマックス" ran under the panel. It now breaks after a " /" where it does not
    fit, and stays one line where it does."""
    from camera_helpers import pixel_of  # tests/ui/
    from imgui_bundle import imgui

    from glviz.render.camera import block_pose
    from glviz.ui.sections import overlays

    for width, lines in ((520, 2), (1600, 1)):
        size = (width, 600)
        with _app(gl_ctx, tmp_path, size, lang=lang) as (app, fbo):
            layout = app.view.layout
            index = layout.by_name["layers.2.attn.h0.probs"]
            block = layout.blocks[index]
            app.camera.set_pose(block_pose(layout, index, aspect=app.aspect))
            app.mouse_move(*pixel_of(app, index, block.rows - 1, 0))
            overlays.crumb_rect[:] = [0.0] * 4
            for _ in range(2):
                app.frame(fbo, dt=0.016)
            assert app.hover is not None and app.hover.block == index
            crumb = overlays.breadcrumb(app.hover)
            assert crumb.count(" / ") == 3, crumb  # layer, self-attention, head, the block
            x0, y0, x1, y1 = overlays.crumb_rect
            assert 0 < x0 and x1 <= app.viewport[2], (width, overlays.crumb_rect, app.viewport)
            shown = round((y1 - y0 - 8) / imgui.get_text_line_height())  # the plate: 4 px above and below
            assert shown == lines if lines == 1 else shown >= lines, (width, shown)


def test_the_help_lists_every_shortcut_and_wraps_japanese_where_it_may_break(gl_ctx, tmp_path, monkeypatch):
    """The help's actions were wrapped by imgui, which breaks Japanese anywhere: in a narrow window "入力
    （埋め込み）の表示" put "）" at the start of a line, "PNG" was cut in two. They now wrap by
    i18n.linebreak, as the panel's other text does. ← / → (the tour's chapters) were missing from it."""
    from imgui_bundle import imgui

    from glviz.i18n.linebreak import NO_START
    from glviz.ui import controls
    from glviz.ui.sections import help as help_section

    rows = {controls.KEY_F: "f", controls.KEY_HOME: "home", controls.KEY_W: "w", controls.KEY_I: "i",
            controls.KEY_SPACE: "space", controls.KEY_BACKSPACE: "backspace", controls.KEY_T: "t",
            controls.KEY_RIGHT: "arrows", controls.KEY_LEFT: "arrows", controls.KEY_P: "p"}
    with _app(gl_ctx, tmp_path, (700, 2400), lang="ja") as (app, fbo):
        assert set(app.key_actions()) == set(rows) and set(rows.values()) <= set(help_section.ROWS)
        drawn: list[str] = []
        text_colored = imgui.text_colored
        monkeypatch.setattr(imgui, "text_colored", lambda colour, text: (drawn.append(text),
                                                                         text_colored(colour, text)))
        monkeypatch.setattr(help_section, "header", lambda key: True)  # the help open
        for _ in range(3):
            app.frame(fbo, dt=0.016)
        shown = [text for text in drawn if "埋め込み" in text and "入力" in text]
        assert shown, "the help's row for I was not drawn"
        for text in drawn:
            for line in text.split("\n")[1:]:
                assert line[:1] not in NO_START, text


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [1280, 700])
def test_the_legend_stays_in_the_panel(gl_ctx, tmp_path, width, lang):
    """The three block colours shared a line whatever its width: at 700 px "aggregates" ran past the
    panel's edge. Each now goes on the next line where it does not fit."""
    from imgui_bundle import imgui

    from glviz.ui.sections import legend

    with _app(gl_ctx, tmp_path, (width, 1600), lang=lang) as (app, fbo):
        for _ in range(3):
            app.frame(fbo, dt=0.016)
        assert len(legend.kind_rects) == 3
        right = width - imgui.get_style().window_padding.x + 1
        for x0, _, x1, _ in legend.kind_rects:
            assert app.viewport[2] <= x0 and x1 <= right, (legend.kind_rects, width)
        if width == 1280:
            assert len({round(r[1]) for r in legend.kind_rects}) == 1  # one line where there is room


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [1280, 700])
def test_the_model_selector_shows_the_chosen_model_whole(gl_ctx, tmp_path, width, lang):
    """The closed selector's text was cut at its arrow: at 700 px "nano (sort) · パラメータ数 85.7" lost "k
    [1]" (in English "[1]"), and a checkpoint with a long name lost its size. It now shows the whole label or
    its short form (without the key, which the list shows), beside its label or on the line under it; a
    checkpoint's name too long for any of those is cut with "…", its size kept."""
    from checkpoint_helpers import checkpoint, frames, loaded
    from imgui_bundle import imgui

    from glviz.model.config import param_count
    from glviz.ui.sections.model_picker import _choice_label, _short_label

    folder = checkpoint(tmp_path / "a-checkpoint-folder-with-a-name-longer-than-any-panel-is-wide")
    with _app(gl_ctx, tmp_path, (width, 600), lang=lang) as (app, fbo):
        for model in ("nano", "gpt3", "checkpoint"):
            if model == "checkpoint":
                app.open_checkpoint(folder)
                loaded(app, fbo)
            else:
                app.switch_model(model, wait=True)
            frames(app, fbo, 3)  # imgui shows the scroll bar from the third frame
            picker = app.panel.picker
            x0, _, x1, _ = picker.rect
            assert app.viewport[2] <= x0 and x1 <= width - imgui.get_style().window_padding.x + 1, picker.rect
            room = x1 - x0 - 2 * imgui.get_style().frame_padding.x - imgui.get_frame_height()
            assert imgui.calc_text_size(picker.preview).x <= room, (model, picker.preview, room)
            choices = app.model_choices()
            i = [name for name, _, _ in choices].index(app.model_name)
            whole = (_choice_label(choices[i], i), _short_label(choices[i]))
            if model != "checkpoint":
                assert picker.preview in whole, picker.preview
            else:  # cut, its size kept
                size_text = _short_label(("", "", param_count(app.config)))  # " · 23.3k params"
                assert "…" in picker.preview and picker.preview.endswith(size_text), picker.preview
                assert picker.preview.startswith("a-checkpoint")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_short_checkpoint_name_is_shown_whole_rather_than_cut_for_its_size(gl_ctx, tmp_path, lang):
    """At 520 px in Japanese the selector read "gpt… · パラメータ数 3.38M": the name, which says which
    checkpoint is open, was cut to keep its size. Where the name fits alone it is shown whole."""
    from checkpoint_helpers import checkpoint, frames, loaded
    from imgui_bundle import imgui

    with _app(gl_ctx, tmp_path, (520, 600), lang=lang) as (app, fbo):
        app.open_checkpoint(checkpoint(tmp_path / "gpt2-tiny"))
        loaded(app, fbo)
        frames(app, fbo, 3)
        picker = app.panel.picker
        x0, _, x1, _ = picker.rect
        room = x1 - x0 - 2 * imgui.get_style().frame_padding.x - imgui.get_frame_height()
        assert picker.preview.startswith("gpt2-tiny"), picker.preview
        assert imgui.calc_text_size(picker.preview).x <= room, (picker.preview, room)
