"""Chapter 10, Output: the last input position through the final layer norm, the LM head (its own weights,
not tied to the token embedding), the logits and the softmax over A, B and C; the predicted letter; greedy
decoding and sampling; then every position at once."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from glviz.model.generate import next_token_distribution
from glviz.model.sort_task import LETTERS, N_LETTERS
from glviz.walkthrough import poses
from glviz.walkthrough.chapters import Chapter
from glviz.walkthrough.chapters.ch_c_common import OUTPUT_COMPUTED, centre, chances, close_to_whole, grow
from glviz.walkthrough.chapters.common import OUTPUT, number, number_term, predictions, spaced
from glviz.walkthrough.script import Script, Stage
from glviz.walkthrough.timeline import ease_out

FOLLOW = N_LETTERS - 1  # position 5, the last input letter: its prediction is the first letter of the answer
HOT = 5.0  # the temperature the text quotes


def last_residual(config) -> str:
    """The block the output reads: the residual stream after the last layer."""
    return f"layers.{config.n_layer - 1}.resid2"


def values(stage: Stage) -> dict[str, str]:
    trace, config = stage.trace, stage.layout.config
    weights = trace.weights
    t = FOLLOW
    mean = float(trace["ln_f.mean"][t])
    y0 = float(trace["ln_f.out"][t, 0])
    h0 = float(weights["lm_head"][0, 0])
    logits = np.asarray(trace["logits"][t], dtype=np.float64)  # (V,)
    probs = np.asarray(trace["probs"][t], dtype=np.float64)  # (V,)
    best = int(np.argmax(probs))
    hot = next_token_distribution(logits, temperature=HOT)  # (V,) what sampling at HOT draws from
    answer = predictions(stage)[0]
    out = {
        "t": str(t), "C": str(config.n_embd), "V": str(config.vocab_size), "more": str(config.n_embd - 1),
        "x0": number(trace[last_residual(config)][t, 0]),
        "mean": number(mean), "mean_term": number_term(mean),
        "std": number(trace["ln_f.std"][t]), "g0": number(weights["ln_f.gamma"][0]),
        "b0_term": number_term(weights["ln_f.beta"][0]), "y0": number(y0), "y0_term": number_term(y0),
        "h0": number(h0), "p0": number(h0 * y0),
        "max": number(trace["probs.max"][t]), "expsum": close_to_whole(trace["probs.expsum"][t]),
        "first": LETTERS[best], "hot": f"{HOT:g}", "hot_p": chances(hot)[best],
        "sorted": answer, "sorted_spaced": spaced(answer), "last": str(trace.T - 1),
    }
    for v, (letter, text) in enumerate(zip(LETTERS, chances(probs), strict=False)):
        out[f"logit_{letter.lower()}"] = number(logits[v])
        out[f"p_{letter.lower()}"] = text
    return out


def _geometry(s: Script) -> SimpleNamespace:
    """The chapter's poses, places and texts (made once per stage: no block moves in this chapter)."""
    config = s.layout.config
    C, V, T = config.n_embd, config.vocab_size, s.layout.n_tokens
    last = last_residual(config)
    t = FOLLOW
    v = s.values
    g = SimpleNamespace(last=last)
    g.cell = cell = s.cell_size("ln_f.out")
    g.start_view = s.frame_blocks([last, *OUTPUT], margin=1.05)
    lo = centre(s, "ln_f.out", 7, 0) - (5.0 * cell, 0.0, 1.0)
    hi = centre(s, last, 36, T - 1) + (22.0 * cell, 0.0, 0.0)
    g.ln_f_view = poses.boxes_pose(lo, hi, s.aspect, margin=1.0)
    g.last_column, g.out_column = s.column(last, t), s.column("ln_f.out", t)
    g.stats = [centre(s, target, 0, t) for target in ("ln_f.mean", "ln_f.std")]
    g.head_view = s.frame_blocks(["lm_head", "logits"], margin=1.1)
    right = centre(s, last, 0, T - 1)[0] + 1.2 * cell
    formula = f"({v['x0']} − {v['mean_term']}) / {v['std']} × {v['g0']} + {v['b0_term']} = {v['y0']}"
    g.stat_marks = []
    for text, target in ((s.say("mark.mean", value=v["mean"]), "ln_f.mean"),
                         (s.say("mark.std", value=v["std"]), "ln_f.std"), (formula, "ln_f.out")):
        at = centre(s, target, 0, t)
        g.stat_marks.append((text, (right, at[1] - 0.35 * cell, at[2])))
    g.along = along = np.array([cell, 0.0, 0.0])
    g.upper = upper = centre(s, "lm_head", 0, 0) + (-8.0 * cell, 9.0 * cell, 2.0)  # clear of ln_f's γ and β
    g.lower = lower = upper - (0.0, 2.2 * cell, 0.0)
    middle = (upper + lower) / 2
    g.near = poses.boxes_pose(lower - (2.0 * cell, 3.5 * cell, 0.0),
                              upper + along * (C + 1) + (0.0, 2.5 * cell, 0.0), s.aspect, margin=1.0)
    lo = centre(s, "lm_head", V - 1, C // 2) - (0.0, 5.0 * cell, 0.0)
    hi = centre(s, "logits", 0, T - 1) + (1.0 * cell, 2.5 * cell, 0.0)
    g.merge_view = poses.boxes_pose(lo, hi, s.aspect, margin=1.05)
    g.logit = centre(s, "logits", 0, t)
    g.times = [middle + along * c for c in range(C)]
    g.plus = [middle + along * (c + 0.5) for c in range(C - 1)]
    g.product = (f"{v['h0']} × {v['y0_term']} = {v['p0']}", upper + (-0.5 * cell, 1.0 * cell, 0.0))
    g.sum = (f"Σ = {v['logit_a']}", lower + along * (C - 6) - (0.0, 2.0 * cell, 0.0))
    lo = centre(s, "logits", V - 1, 0) - (1.0 * cell, 5.0 * cell, 0.0)
    hi = centre(s, "probs.max", 0, T - 1) + (14.0 * cell, 2.5 * cell, 0.0)
    g.soft_view = poses.boxes_pose(lo, hi, s.aspect, margin=1.05)
    g.softmax_stats = [centre(s, target, 0, t) for target in ("probs.max", "probs.expsum")]
    side = centre(s, "probs", 0, T - 1)[0] + 1.2 * cell
    g.below = below = centre(s, "probs", V - 1, t) + (0.0, -2.4 * cell, 0.0)
    g.best = LETTERS.index(v["first"])
    g.all_view = s.frame_blocks(["ln_f.*", "logits", "probs", "probs.*"], margin=1.1)
    lo = centre(s, "logits", 0, 0) - (1.0 * cell, 6.0 * cell, 0.0)
    hi = centre(s, "probs.max", 0, T - 1) + (2.0 * cell, 2.0 * cell, 0.0)
    g.answer_view = poses.boxes_pose(lo, hi, s.aspect, margin=1.1)
    g.answer = [(letter, centre(s, "probs", V - 1, t + k) + (0.0, -1.6 * cell, 0.0))
                for k, letter in enumerate(v["sorted"][1:], 1)]  # the first is there already
    g.rows = [(LETTERS[r], centre(s, "lm_head", r, 0) - (1.6 * cell, 0.35 * cell, 0.0)) for r in range(V)]
    bottom = centre(s, "logits", V - 1, t)[1] - 0.5 * cell
    g.scores = []  # (logit mark, probability mark) per letter
    for r in range(V):
        key = LETTERS[r].lower()
        x = centre(s, "logits", r, t)[0] - 1.6 * cell
        at = centre(s, "probs", r, t)
        logit_mark = (f"{LETTERS[r]}: {v['logit_' + key]}", (x, bottom - (1.6 + 1.3 * r) * cell, g.logit[2]))
        g.scores.append((logit_mark, (f"{LETTERS[r]}: {v['p_' + key]}", (side, at[1] - 0.35 * cell, at[2]))))
    g.softmax_marks = []
    for target, text in (("probs.max", s.say("mark.max", value=v["max"])),
                         ("probs.expsum", f"Σ e^(x − max) = {v['expsum']}")):
        at = centre(s, target, 0, t)
        g.softmax_marks.append((text, (side, at[1] - 0.35 * cell, at[2])))
    g.hot = (s.say("mark.temperature", t=v["hot"], letter=v["first"], p=v["hot_p"]),
             (side, below[1] - 0.6 * cell, below[2]))
    return g


def script(s: Script) -> None:
    config = s.layout.config
    C, V = config.n_embd, config.vocab_size
    t = FOLLOW
    g = s.memo("output", lambda: _geometry(s))
    last, cell, v = g.last, g.cell, s.values
    start = s.now()
    s.hide_values(OUTPUT_COMPUTED, start)
    s.focus([last, *OUTPUT], start, glow=0.0)
    s.camera(g.start_view, start)

    s.para("intro")
    intro = s.step(2.0)
    s.glow([last], intro)
    s.pause()

    # The final layer norm of column t: the column collapses into its mean, then its std, then is normalised.
    s.para("ln_f")
    st = s.step(1.2)
    s.camera(g.ln_f_view, st)
    s.glow([last], st, 0.0)
    s.glow(["ln_f.mean", "ln_f.std", "ln_f.out"], st)
    mean_fly = s.step(2.0, ease_out)
    std_fly = s.step(2.0, ease_out)
    normalise = s.sweep(2.5)
    s.light(last, *g.last_column, intro, until=normalise)
    for target, fly, place in (("ln_f.mean", mean_fly, g.stats[0]), ("ln_f.std", std_fly, g.stats[1])):
        s.ghosts(last, (0, t), (1, 0), C, fly, to=place, to_size=0.3 * cell, stagger=0.5)
        s.compute_cells(target, t, 1, fly.part(0.8, 1.0))
    s.compute_cells("ln_f.out", t * C, C, normalise)
    s.light("ln_f.gamma", (0, C), (0, 1), normalise, until=normalise.part(1.0, 1.5))
    s.light("ln_f.beta", (0, C), (0, 1), normalise, until=normalise.part(1.0, 1.5))
    s.pause()

    s.para("lm_head")
    head = s.step(1.5)
    s.camera(g.head_view, head)
    s.glow(["ln_f.mean", "ln_f.std", "ln_f.out"], head, 0.0)
    s.glow(["lm_head"], head)
    for when, (text, place) in zip((mean_fly.part(0.8, 1.0), std_fly.part(0.8, 1.0), normalise), g.stat_marks,
                                   strict=True):
        s.mark(text, place, cell, when, until=head)
    s.pause()

    # Logit A: row A of the head and the normalised column line up in pairs, multiply, and add up.
    s.para("logits")
    out = s.step(2.0, ease_out)
    pair = s.step(2.5)
    add = s.step(1.5)
    merge = s.step(1.8, ease_out)
    rest = s.sweep(1.5)
    s.light("ln_f.out", *g.out_column, out, until=merge)
    s.light("lm_head", (0, 1), (0, C), out, until=merge)
    along, upper, lower = g.along, g.upper, g.lower
    s.camera(g.near, out)
    s.camera(g.merge_view, merge)
    s.ghosts("lm_head", (0, 0), (0, 1), C, out, to=upper, to_step=along, hold=add.end - out.end)
    s.ghosts("ln_f.out", (0, t), (1, 0), C, out, to=lower, to_step=along, stagger=0.5, hold=add.end - out.end)
    for source, first, step, place in (("lm_head", (0, 0), (0, 1), upper),
                                       ("ln_f.out", (0, t), (1, 0), lower)):
        s.ghosts(source, first, step, C, merge, origin=place, origin_step=along, to=g.logit,
                 to_size=0.3 * cell)
    if pair.active:
        for place in g.times:
            s.mark("×", place, 0.8 * cell, pair, centred=True)
    if add.active:
        for place in g.plus:
            s.mark("+", place, 0.8 * cell, add, centred=True)
    s.mark(*g.product, cell, pair, until=merge)
    s.mark(*g.sum, 1.2 * cell, add, until=merge)
    s.compute_cells("logits", t * V, 1, merge.part(0.6, 1.0))
    grow(s, "logits", t * V, t * V + 1, V - 1, rest)
    s.pause()

    # The softmax of the column: its max, the sum of the exponentials, the probabilities.
    s.para("softmax")
    soft = s.step(1.2)
    s.camera(g.soft_view, soft)
    s.glow(["lm_head"], soft, 0.0)
    s.glow(["probs", "probs.max", "probs.expsum"], soft)
    s.light("lm_head", (1, V), (0, C), rest, until=soft)
    max_fly = s.step(1.8, ease_out)
    sum_fly = s.step(1.8, ease_out)
    divide = s.sweep(2.0)
    for target, fly, place in (("probs.max", max_fly, g.softmax_stats[0]),
                               ("probs.expsum", sum_fly, g.softmax_stats[1])):
        s.ghosts("logits", (0, t), (1, 0), V, fly, to=place, to_size=0.4 * cell)
        s.compute_cells(target, t, 1, fly.part(0.8, 1.0))
    grow(s, "probs", t * V, t * V, V, divide)
    s.pause()

    s.para("choose")
    pick = s.step(1.5, ease_out)
    hot = s.step(1.5)
    best = g.best
    s.glow(["probs.max", "probs.expsum"], pick, 0.0)
    s.pause()

    # Every position at once; then the letters of the answer under their columns.
    s.para("all")
    st = s.step(1.2)
    s.light("probs", (best, best + 1), (t, t + 1), pick, until=st)
    s.camera(g.all_view, st)
    s.calm(st)
    s.arrows(["output.ln_f", "output.logits", "output.lm_head", "output.probs"], st)
    s.compute(OUTPUT_COMPUTED, s.sweep(3.5))
    answer = s.step(2.0, ease_out)
    s.camera(g.answer_view, answer)
    for k, (letter, place) in enumerate(g.answer, 1):
        s.mark(letter, place, 0.9 * cell, answer.part(0.2 * k - 0.2, 1.0), centred=True)
    s.pause()

    # Numbers and letters that stay beside their cells until a later paragraph (added here, once the step
    # that ends them is known).
    for letter, place in g.rows:
        s.mark(letter, place, 0.9 * cell, head.part(0.5, 1.0), until=soft)
    for r, (logit_mark, prob_mark) in enumerate(g.scores):
        s.mark(*logit_mark, cell, rest.part(0.3 * r, 1.0), until=st)
        s.mark(*prob_mark, 0.8 * cell, divide.part(0.3 * r, 1.0), until=st)
    for (text, place), fly in zip(g.softmax_marks, (max_fly, sum_fly), strict=True):
        s.mark(text, place, 0.8 * cell, fly.part(0.8, 1.0), until=st)
    s.mark(v["first"], g.below, 1.6 * cell, pick, until=answer, centred=True)
    s.mark(v["first"], g.below + (0.0, 0.8 * cell, 0.0), 0.9 * cell, answer, centred=True)
    s.mark(*g.hot, 0.8 * cell, hot, until=st)


CHAPTER = Chapter("output", "nano", script, values)
