"""The panel in a window 420 px wide (the panel then gets about 190 px), as a learner found it: section
titles clipped mid-letter by imgui ("How was this comput"), a chip cut under the chips' scroll bar, and
"Sample" (「サンプリング」) running past the panel's edge; and the heatmaps' "All heads" at 600 px (more in
test_panel_fits.py)."""

from __future__ import annotations

import pytest
from checkpoint_helpers import frames, loaded  # tests/ui/ (the `small` checkpoint: conftest.py)

SIZE = (420, 700)


def _app(gl_ctx, tmp_path, size, **options):
    from glviz.ui.app import GlvizApp

    return GlvizApp(gl_ctx, size=size, screenshot_dir=tmp_path, **options)


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("width", [1280, 420])
def test_section_titles_fit_the_panel_or_end_with_an_ellipsis(gl_ctx, tmp_path, width, lang):
    from imgui_bundle import imgui

    from glviz import i18n
    from glviz.ui import style

    size = (width, 700)
    app = _app(gl_ctx, tmp_path, size, lang=lang)
    try:
        fbo = gl_ctx.simple_framebuffer(size)
        style.shown_headers.clear()
        frames(app, fbo, 3)  # imgui shows the scroll bar from the third frame
        drawn = dict(style.shown_headers)
        assert "explain.header" in drawn and "help.header" in drawn, sorted(drawn)
        padding = imgui.get_style().frame_padding.x
        cut = []
        for key, (shown, text_width, (x0, _, x1, _)) in drawn.items():
            title = i18n.tr(key)
            text_start = x0 + style.FONT_SIZE + 2 * padding  # after imgui's arrow
            assert text_start + text_width <= x1, (key, shown, text_start + text_width, x1)
            if shown != title:
                assert shown.endswith("…") and title.startswith(shown[:-1]) and len(shown) > 1, (key, shown)
                cut.append(key)
        if width == 1280:
            assert not cut  # room for every title whole
        else:
            assert "explain.header" in cut  # "How was this computed?" / 「この値はどう計算されたか」
    finally:
        app.release()
        i18n.set_language("en")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_chips_and_the_sampling_choice_stay_in_the_panel(gl_ctx, tmp_path, small, lang):
    """Nine chips take more lines than the box shows at this width: the box scrolls, and its bar covered
    the right end of the chips laid out for the width without it. Greedy and Sample shared a line however
    narrow the panel."""
    from imgui_bundle import imgui

    from glviz import i18n

    app = _app(gl_ctx, tmp_path, SIZE, weights=small, lang=lang)
    try:
        fbo = gl_ctx.simple_framebuffer(SIZE)
        loaded(app, fbo)
        frames(app, fbo, 3)
        chips = app.panel.prompt.chip_rects
        box = app.panel.prompt.rect  # the text box above: the chips' box has its width
        assert len(chips) >= 4  # (those in view)
        bar_left = box[2] - imgui.get_style().scrollbar_size
        for t, (_, _, x1, _) in chips.items():
            assert x1 <= bar_left, (t, x1, bar_left)
        rects = app.panel.generation.rects
        for name in ("greedy", "sample"):
            assert app.viewport[2] <= rects[name][0] and rects[name][2] <= SIZE[0] - 12, (name, rects[name])
    finally:
        app.release()
        i18n.set_language("en")


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_heatmaps_all_heads_choice_stays_in_the_panel(gl_ctx, tmp_path, lang):
    """"All heads" beside the layer's slider: at 640 px in Japanese its label ran under the scroll bar. Here
    the window is tall enough for the panel to need no scroll bar (its header can be clicked), and
    narrower."""
    from checkpoint_helpers import checkpoint, click, frames, loaded
    from imgui_bundle import imgui

    from glviz.ui.app import GlvizApp

    size = (600, 1400)
    fbo = gl_ctx.simple_framebuffer(size)
    app = GlvizApp(gl_ctx, size=size, screenshot_dir=tmp_path, weights=checkpoint(tmp_path / "small"),
                   lang=lang)
    try:
        loaded(app, fbo)
        frames(app, fbo)
        click(app, fbo, app.panel.attention.header)
        frames(app, fbo, 3)
        lo_x, _, hi_x, _ = rect = app.panel.attention.all_heads_rect
        assert app.viewport[2] <= lo_x and hi_x <= size[0] - imgui.get_style().window_padding.x, rect
    finally:
        app.release()
