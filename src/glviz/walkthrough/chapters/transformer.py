"""Chapter 9, The transformer stack: the same block three times with different weights, the residual stream
flowing round each branch (the skip arrows), the stream before and after each layer side by side with the
followed token's column and its length, then the whole stack computed layer after layer."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from glviz.layout.blocks import Kind
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.ch_b_common import run_regions
from glviz.walkthrough.chapters.common import number, regions
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.timeline import ease_out

FOLLOW = 3  # the token followed through the chapters


def stream_names(layers: int) -> list[str]:
    """The residual stream before the first layer and after each layer."""
    return ["embed", *(f"layers.{i}.resid2" for i in range(layers))]


def lengths(stage: Stage) -> tuple[np.ndarray, np.ndarray]:
    """The followed token's column of the stream before layer 0 and after each layer: its lengths (L + 1,)
    and the lengths of the changes each layer made (L,), float64."""
    columns = np.stack([np.asarray(stage.trace[name][FOLLOW], dtype=np.float64)
                        for name in stream_names(stage.layout.config.n_layer)])  # (L + 1, C)
    return np.linalg.norm(columns, axis=1), np.linalg.norm(np.diff(columns, axis=0), axis=1)


def values(stage: Stage) -> dict[str, str]:
    config = stage.layout.config
    norms, changes = lengths(stage)
    out = {"L": str(config.n_layer), "C": str(config.n_embd), "F": str(4 * config.n_embd), "t": str(FOLLOW)}
    for i in range(config.n_layer):
        out[f"w{i}"] = number(stage.trace.weights[f"layers.{i}.mlp.wfc"][0, 0])
        out[f"d{i + 1}"] = number(changes[i])
    out.update({f"n{i}": number(n) for i, n in enumerate(norms)})
    return out


def _row_offsets(s: Script, names: list[str]) -> np.ndarray:
    """(k, 3) moves that put the blocks `names` side by side in a row right of the whole model, their tops
    level with the middle layer's resid2, 2.5 gaps apart."""
    layout = s.layout
    anchor = s.index(f"layers.{layout.config.n_layer // 2}.resid2")
    gap = layout.gap
    x = float(layout.maxs[:, 0].max()) + 4.0 * gap
    out = np.zeros((len(names), 3))
    for k, name in enumerate(names):
        i = s.index(name)
        out[k] = (x - layout.mins[i, 0], layout.maxs[anchor, 1] - layout.maxs[i, 1], 0.0)
        x += float(layout.maxs[i, 0] - layout.mins[i, 0]) + 2.5 * gap
    return out


def _geometry(s: Script) -> SimpleNamespace:
    """The chapter's places, poses and texts (made once per stage)."""
    config = s.layout.config
    L, C = config.n_layer, config.n_embd
    g = SimpleNamespace()
    g.whole = poses.whole(s.layout, s.aspect)
    g.layer_views = [s.frame_blocks([f"layers.{i}.*"], margin=1.02) for i in range(L)]
    size = 24.0
    names_said = [s.say("mark.layer", n=i) for i in range(L)]
    g.layer_names = [(names_said[i], s.layout.mins[s.index(f"layers.{i}.ln1.mean")]
                      + (-70.0 - s.text_width(names_said[i], size), -60.0, 0.0)) for i in range(L)]
    g.wfc = [f"layers.{i}.mlp.wfc" for i in range(L)]
    g.wfc_views, g.wfc_marks = [], []
    for i, w in enumerate(g.wfc):
        cell = s.cell_size(w)
        text = s.say("mark.layer_weight", n=i, value=s.values[f"w{i}"])
        size = 5.0 * cell
        left = s.cell_centre(w, 0, 0) + (-1.0 * cell - s.text_width(text, size), -0.35 * size, 0.0)
        # The top of the weights (their first cell in the corner), and room on the left for the whole mark
        # (its width in the stage's language: "layer 2: 0.013 →" ran past the view's edge in a fixed room).
        lo = s.cell_centre(w, 60, 0) + (-36.0, 0.0, -1.0)
        lo[0] = min(lo[0], left[0] - 2.0)
        hi = s.cell_centre(w, 0, C - 1) + (2.0, 10.0, 0.0)
        g.wfc_views.append(poses.boxes_pose(lo, hi, s.aspect, margin=1.1))
        g.wfc_marks.append((text, left, size))
    g.stream = ["embed", *(f"layers.{i}.resid{k}" for i in range(L) for k in (1, 2))]
    g.stream_sweep = s.sweep_poses(g.stream, 150.0, margin=1.3)
    g.skips = [f"layers.{i}.skip{k}" for i in range(L) for k in (1, 2)]
    g.flow = [f"layers.{i}.{name}" for i in range(L) for name in ("ln1", "resid1", "ln2", "resid2")]
    # The stream side by side: where the blocks go, the camera, and the marks below and between them.
    g.names = names = stream_names(L)
    g.offsets = offsets = _row_offsets(s, names)
    order = {s.index(n): k for k, n in enumerate(names)}
    in_layout_order = np.array([offsets[order[i]] for i in s.ids(*names)])
    g.row_view = s.frame_blocks(names, margin=1.25, azimuth=-8.0, moved_by=in_layout_order)
    norms, changes = lengths(s.stage)
    g.row_marks = []  # (text, position, size, centred)
    for k, name in enumerate(names):
        cell = s.cell_size(name)
        below = s.cell_centre(name, C - 1, 0) + offsets[k] + (-0.5 * cell, -3.0 * cell, 0.0)
        said = s.say("mark.before_layer") if k == 0 else s.say("mark.after_layer", n=k - 1)
        g.row_marks.append((said, below, 1.6 * cell, False))
        g.row_marks.append((f"√Σx² = {number(norms[k])}", below + (0.0, -2.5 * cell, 0.0), 1.6 * cell, False))
        if k:
            a = s.cell_centre(names[k - 1], C // 2, s.layout.n_tokens - 1) + offsets[k - 1]
            middle = (a + s.cell_centre(name, C // 2, 0) + offsets[k]) / 2  # between the two blocks
            g.row_marks.append(("→", middle + (0.0, 1.0 * cell, 0.0), 2.5 * cell, True))
            change = s.say("mark.change", value=number(changes[k - 1]))
            g.row_marks.append((change, middle + (0.0, -1.5 * cell, 0.0), 1.1 * cell, True))
    layer_ids = s.ids("layers.*")
    g.computed = layer_ids[s.layout.kinds[layer_ids] != int(Kind.WEIGHT)]
    g.stretches = regions(L, config.n_head)[1:-1]  # the embedding and the output are other chapters'
    return g


def script(s: Script) -> None:
    config = s.layout.config
    L, C, t = config.n_layer, config.n_embd, FOLLOW
    g = s.memo("transformer", lambda: _geometry(s))
    start = s.now()
    s.camera(g.whole, start)

    # The same block, three times.
    s.para("intro")
    for i in range(L):
        st = s.step(2.0)
        s.focus([f"layers.{i}.*"], st, others=0.25, glow=0.0)
        s.camera(g.layer_views[i], st)
        text, corner = g.layer_names[i]
        s.mark(text, corner, 24.0, st.part(0.4, 1.0), hold=1.0)
    s.pause()

    # Same shapes, different weights: the camera visits each layer's MLP weights and their first weight.
    s.para("weights")
    for i, w in enumerate(g.wfc):
        st = s.step(2.0)
        s.focus(g.wfc, st, others=0.15, glow=0.0)
        s.glow([w], st)
        s.camera(g.wfc_views[i], st)
        s.light(w, (0, 1), (0, 1), st)
        text, left, size = g.wfc_marks[i]
        s.mark(text, left, size, st.part(0.5, 1.0))
    s.pause()

    # The residual stream and the arrows carrying it round each branch.
    s.para("stream")
    st = s.step(2.0)
    s.glow(g.wfc, st, 0.0)
    s.focus(g.stream, st, others=0.2, glow=0.5)
    s.camera(g.stream_sweep[0], st)
    s.arrows(g.skips, st)
    s.arrows(g.flow, st, to=0.6)
    s.camera_along(g.stream_sweep, s.sweep(7.0))  # down the stream, from the embedding to the last layer
    s.pause()

    # The stream before layer 0 and after each layer, side by side, the followed column lit.
    s.para("compare")
    st = s.step(3.0)
    s.arrows([*g.skips, *g.flow], st.part(0.0, 0.3), to=0.0)
    s.focus(g.names, st, others=0.1, glow=0.0)
    for name, by in zip(g.names, g.offsets, strict=True):
        s.move(name, st, by=by)
    s.camera(g.row_view, st)
    marks = s.step(2.0, ease_out)
    for text, position, size, centred in g.row_marks:
        s.mark(text, position, size, marks, centred=centred)
    s.pause()

    # The whole stack, layer after layer: the blocks go back and every layer is computed in turn.
    s.para("all")
    st = s.step(2.0)
    for name in g.names:
        s.light(name, *s.column(name, t), marks, until=st)
        s.move(name, st, by=(0.0, 0.0, 0.0))
    s.calm(st)
    s.arrows([*g.skips, *g.flow], st, to=0.8)
    s.camera(g.whole, st)
    s.hide_values(g.computed, st.part(0.99, 1.0))
    run_regions(s, g.stretches, window=0.35 * C * 3, seconds=2.0)
    s.camera(g.whole, s.step(1.5))
    s.pause()


CHAPTER = Chapter("transformer", "nano", script, values)
