"""The data-flow arrows: named only once some are asked for (a layout is made for every new token), and
drawn when shown."""

from __future__ import annotations

import numpy as np

from glviz.layout.arrows import build_arrows
from glviz.layout.build import build_layout
from glviz.model.config import PRESETS
from glviz.render.camera import OrbitCamera, overview_pose
from glviz.scene import SceneState

from .conftest import rendering


def test_arrows_are_named_when_first_asked_for(gl_ctx):
    from glviz.render.arrows import ArrowRenderer

    arrows = ArrowRenderer(gl_ctx)
    layout = build_layout(PRESETS["nano"], n_tokens=5)
    arrows.set_layout(layout)
    arrows.set_opacity({}, 0.0)
    assert (arrows.names, arrows.any_visible) == ([], False)
    arrows.set_opacity({}, 1.0)
    assert arrows.names == [a.name for a in build_arrows(layout)] and arrows.any_visible
    longer = build_layout(PRESETS["nano"], n_tokens=6)
    arrows.set_layout(longer)  # the next token: hidden, nothing named
    assert (arrows.names, arrows.any_visible) == ([], False)
    first = build_arrows(longer)[0].name
    arrows.set_opacity({first: 1.0})
    assert arrows.index[first] == 0 and arrows.any_visible
    arrows.release()


def test_shown_arrows_are_drawn(gl_ctx):
    layout = build_layout(PRESETS["nano"], n_tokens=5)
    camera = OrbitCamera(overview_pose(layout, 320 / 200))
    pictures = []
    with rendering(gl_ctx, (320, 200)) as renderer:
        for shown in (False, True, False):
            scene = SceneState(layout)
            scene.show_labels, scene.show_arrows = False, shown
            pictures.append(renderer.render(scene, camera).astype(int))
    assert np.array_equal(pictures[0], pictures[2])
    assert (np.abs(pictures[1] - pictures[0]).sum(axis=2) > 30).sum() > 10  # the arrows' (thin here)


def test_only_runs_of_shown_arrows_are_drawn():
    from glviz.render.arrows import shown_runs

    starts = np.array([0, 9, 18, 30, 39, 48])  # five arrows' first vertices, and the end
    opacity = np.array([0.0, 0.5, 1.0, 0.0, 0.3])
    assert shown_runs(opacity, starts) == [(9, 21), (39, 9)]
    assert shown_runs(np.zeros(5), starts) == []
    assert shown_runs(np.ones(5), starts) == [(0, 48)]
    assert shown_runs(np.array([0.005, 0.02, 0.0, 0.0, 0.0]), starts) == [(9, 9)]  # under 0.01: hidden
