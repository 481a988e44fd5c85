"""Chapter 12, Scale: nano, GPT-2 small and GPT-3 side by side with their parameter counts; one output cell
of a matrix product followed in each, its terms laid out as a row of ghost cells so that the length itself is
seen: 48 for nano, 768 for GPT-2, 12,288 for GPT-3."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from glviz.layout.build import LAYERS_PER_COLUMN
from glviz.layout.framing import network_bounds
from glviz.model.config import PRESETS, param_count
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.stages import SCALE_MODELS
from glviz.walkthrough.timeline import ease_out

ROW_Y = 400.0  # the rows of terms float above the models' tops (y = 0) and in front of them
ROW_Z = 300.0
FOLLOW = 3  # the token whose column is followed
VOCABULARY_WIDE = ("wte", "lm_head", "logits", "probs", "probs.max", "probs.expsum")


def values(stage: Stage) -> dict[str, str]:
    out = {"t": str(FOLLOW)}
    for name in SCALE_MODELS:
        config = PRESETS[name]
        out[f"{name}_params"] = f"{param_count(config):,}"
        out[f"{name}_C"] = f"{config.n_embd:,}"
        out[f"{name}_layers"] = str(config.n_layer)
        out[f"{name}_heads"] = str(config.n_head)
        out[f"{name}_context"] = f"{config.block_size:,}"
        out[f"{name}_vocab"] = f"{config.vocab_size:,}"
    gpt3_layers = PRESETS["gpt3"].n_layer  # drawn LAYERS_PER_COLUMN to a column (layout/build.py)
    out["gpt3_columns"] = str(-(-gpt3_layers // LAYERS_PER_COLUMN))
    out["layers_per_column"] = str(min(gpt3_layers, LAYERS_PER_COLUMN))
    out["gpt3_over_nano"] = f"{param_count(PRESETS['gpt3']) / param_count(PRESETS['nano']):,.0f}"
    out["value"] = _short(stage.trace["layers.0.attn.q"][0, FOLLOW, 0])  # the nano cell followed: q[h0, t, 0]
    return out


def _short(x: float) -> str:
    from glviz.formatting import fmt_short

    return fmt_short(float(x))


def _weight_row(s: Script, model: str) -> str:
    """The block holding head 0's query weights (GPT-3 merges q, k and v into one block per head)."""
    merged = f"{model}/layers.0.attn.h0.wqkv"
    return merged if merged in s.layout.by_name else f"{model}/layers.0.attn.h0.wq"


def _part_pose(s: Script, model: str, share: float = 0.12) -> object:
    """A pose on the top `share` of a model of the scene (its card, embedding and first layer)."""
    part = next(p for p in s.layout.parts if p.prefix == model)
    lo, hi = network_bounds(part.layout)
    lo, hi = lo + part.offset, hi + part.offset
    lo = np.array([lo[0], hi[1] - share * (hi[1] - lo[1]), lo[2]])
    return poses.boxes_pose(lo, hi, s.aspect, margin=1.2)


def _thickness(C: int) -> float:
    """A row of C cells framed whole shows cells at least this tall (world units)."""
    return max(0.9, C / 350.0)


def _row_y(k: int) -> float:
    """Where model k's rows float: farther apart as the rows get longer."""
    return ROW_Y - (0.0, 12.0, 300.0)[k]


def _view_width(t: float, steps, widths) -> float:
    """The width the camera frames at t: moving from one row's length to the next over their flights."""
    width = widths[0]
    for k, step in enumerate(steps[1:], 1):
        if step.started:
            width = widths[k - 1] + (widths[k] - widths[k - 1]) * step.p
    return width


def _row_pose(s: Script, width: float, y: float) -> object:
    thickness = _thickness(int(width))
    lo = np.array([-0.05 * width, y - 4 * thickness, ROW_Z - 1.0])
    hi = np.array([1.05 * width, y + 2 * thickness, ROW_Z + 1.0])
    return poses.boxes_pose(lo, hi, s.aspect, azimuth=0.0, elevation=0.0, margin=1.05)


def _geometry(s: Script) -> SimpleNamespace:
    """The chapter's poses, blocks and marks (made once per stage)."""
    g = SimpleNamespace()
    g.hidden = [f"{m}/{name}" for m in SCALE_MODELS[1:] for name in VOCABULARY_WIDE]
    g.parts = [_part_pose(s, "nano", 0.25), _part_pose(s, "gpt2"), _part_pose(s, "gpt3", 0.02)]
    g.whole = poses.whole(s.layout, s.aspect)
    g.models = []  # per model: C, its row's y, the two blocks followed, the camera on the row, its count
    for k, model in enumerate(SCALE_MODELS):
        C = PRESETS[model].n_embd
        y = _row_y(k)
        count = s.values[f"{model}_C"]
        height = max(C / 40.0, 2.0)
        count_mark = (count, (C - 0.6 * height * len(count), y + 1.5 * _thickness(C), ROW_Z), height)
        g.models.append((C, y, _weight_row(s, model), f"{model}/layers.0.ln1.out", _row_pose(s, C, y),
                         count_mark))
    size = _thickness(PRESETS["nano"].n_embd)
    g.times = [(0.5 + i, _row_y(0) - 0.65 * size, ROW_Z + 0.1) for i in range(PRESETS["nano"].n_embd)]
    return g


def script(s: Script) -> None:
    g = s.memo("scale", lambda: _geometry(s))
    start = s.now()
    s.fade(g.hidden, start, 0.0)  # 50,257-wide tables would dwarf the rest: left out here
    s.camera(g.parts[0], start)

    s.para("intro")
    s.wait(2.0)
    s.pause()

    s.para("gpt2")
    s.camera(g.parts[1], s.step(3.0))
    s.pause()

    s.para("gpt3")
    s.camera(g.parts[2], s.step(3.5))
    s.pause()

    # One output cell in each model: its weight row and the input column, laid out as two rows of cells. A
    # row stays readable as the camera pulls back for the longer ones: its cells grow with the view's width.
    s.para("terms")
    steps, widths = [], []
    for model, (C, y, row, column, view, count_mark) in zip(SCALE_MODELS, g.models, strict=True):
        fly = s.step(3.0, ease_out)
        s.wait(1.0)
        steps.append(fly)
        widths.append(1.1 * C)
        s.camera(view, fly)
        s.glow([row, column], fly.part(0.0, 0.3))
        s.glow([row, column], fly.part(0.7, 1.0), 0.0)
        size = _thickness(C)
        s.ghosts(row, (0, 0), (0, 1), C, fly, to=(0.5, y, ROW_Z), to_step=(1.0, 0.0, 0.0), to_size=size,
                 stagger=0.5)
        s.ghosts(column, (0, FOLLOW), (1, 0), C, fly, to=(0.5, y - 1.3 * size, ROW_Z),
                 to_step=(1.0, 0.0, 0.0), to_size=size, stagger=0.5)
        text, place, height = count_mark
        s.mark(text, place, height, fly.part(0.8, 1.0))
        if model == "nano":  # nano's 48 products can be written out; GPT-3's 12,288 could not be read
            last = fly.part(0.9, 1.0)
            for place in g.times:
                s.mark("×", place, 0.6 * size, last, centred=True)
    view = _view_width(s.t, steps, widths)
    for k, (C, y, row, column, _, _) in enumerate(g.models):  # rows in place, once their flight is over
        if steps[k].done:
            size = max(_thickness(C), view / 600.0)
            for name, first, along, place in ((row, (0, 0), (0, 1), (0.5, y, ROW_Z)),
                                              (column, (0, FOLLOW), (1, 0), (0.5, y - 1.3 * size, ROW_Z))):
                s.ghosts(name, first, along, C, s.now(), origin=place, origin_step=(1.0, 0.0, 0.0), to=place,
                         to_step=(1.0, 0.0, 0.0), size=size, hold=10_000.0, progress=1.0)
    s.pause()

    s.para("all")
    st = s.step(4.0)
    s.camera(g.whole, st)
    s.pause()


CHAPTER = Chapter("scale", "scale", script, values)
