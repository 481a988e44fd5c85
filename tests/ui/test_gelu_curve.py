"""The GELU panel widget of the MLP chapter: the points it shows follow the tour's computation, and it draws
the curve on a real imgui/implot frame."""

from __future__ import annotations

import numpy as np
import pytest
from imgui_helpers import draw_frame  # tests/ui/imgui_helpers.py

W, H = 360, 240


@pytest.fixture(scope="module")
def stage():
    from glviz.walkthrough.stages import nano_stage

    return nano_stage("CBABBC")


def _frame_at(stage, fraction: float):
    from glviz.walkthrough.tour import Tour

    tour = Tour(lambda scene, lang: stage)
    index = tour.index_of("mlp")
    events = tour.events(index, "en")
    return tour.frame(index, fraction * events.duration, "en"), tour, index


def test_the_points_are_the_followed_cells_and_appear_as_they_are_computed(stage):
    from glviz.model.ops import gelu
    from glviz.ui.widgets.gelu_curve import column_points, computed
    from glviz.walkthrough.chapters.mlp import FOLLOW, LAYER

    x, y = column_points(stage, LAYER, FOLLOW)
    assert x.shape == y.shape == (4 * stage.layout.config.n_embd,)
    np.testing.assert_allclose(gelu(x, stage.layout.config.activation), y, atol=1e-6)
    block = stage.layout.by_name[f"layers.{LAYER}.mlp.gelu"]
    start, tour, index = _frame_at(stage, 0.0)
    assert computed(start, block, FOLLOW, len(x))[0] == 0  # hidden at the chapter's start
    assert computed(None, block, FOLLOW, len(x)) == (len(x), -1)
    events = tour.events(index, "en")
    gelu_start = next(p.start for p in events.paragraphs if p.key == "gelu")
    project = next(p.start for p in events.paragraphs if p.key == "project")
    seen = [computed(tour.frame(index, t, "en"), block, FOLLOW, len(x))
            for t in np.linspace(gelu_start, project, 40)]
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[0] == 0 and done[-1] == len(x)
    assert any(0 <= row < len(x) for _, row in seen)  # the cell being computed is shown


@pytest.fixture(scope="module")
def fbo(gl_ctx):
    # Module-wide and never released here: moderngl raises a spurious GL error when a framebuffer is
    # created right after the bound one was released, which would blame the next test.
    return gl_ctx.simple_framebuffer((W, H))


def test_the_widget_draws_a_plot(gl_ctx, imgui_ctx, fbo, stage):
    from imgui_bundle import imgui, implot

    from glviz.ui import widgets
    from glviz.ui.imgui_renderer import ImguiRenderer

    frame = _frame_at(stage, 0.5)[0]
    context = implot.create_context()
    renderer = ImguiRenderer(gl_ctx)
    try:
        def build() -> None:
            imgui.set_next_window_pos((0, 0))
            imgui.set_next_window_size((W, H))
            imgui.begin("panel")
            widgets.draw("gelu_curve", stage, frame, 0.0)
            imgui.end()

        draw_frame(renderer, fbo, build)
        image = draw_frame(renderer, fbo, build)
        assert gl_ctx.error == "GL_NO_ERROR"
        # The curve's blue is drawn inside the plot.
        blue = (image[..., 2].astype(int) - image[..., 0].astype(int)) > 80
        assert blue[40:, :].sum() > 50
    finally:
        renderer.release()
        implot.destroy_context(context)
