"""The Output chapter: the numbers it quotes are the final layer norm, the LM head's logits, the softmax and
the sampling distribution recomputed here with numpy from the last layer's residual stream and the weights;
its claims (std = √(Var + ε), an LM head of its own without bias, probabilities that add up to 1, the
argmax is the prediction) hold on the trace; and its animation shows those numbers."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.model.sort_task import LETTERS, N_LETTERS, greedy_sort, parse_letters
from glviz.walkthrough.chapters.ch_c_common import OUTPUT_COMPUTED, chance, close_to_whole
from glviz.walkthrough.chapters.output import CHAPTER, FOLLOW, HOT
from glviz.walkthrough.frame import ALL
from glviz.walkthrough.stages import nano_stage
from glviz.walkthrough.tour import Tour

INPUTS = ("CBABBC", "AACCBA", "CCCAAB")


@pytest.fixture(scope="module", params=INPUTS)
def stage(request):
    return nano_stage(request.param)


def _numpy_output(stage):
    """The output of position FOLLOW recomputed in float64 from the residual stream the last layer left."""
    trace, config = stage.trace, stage.layout.config
    w = trace.weights
    x = np.asarray(trace[f"layers.{config.n_layer - 1}.resid2"][FOLLOW], np.float64)  # (C,)
    mean = x.mean()
    std = np.sqrt(((x - mean) ** 2).mean() + config.layer_norm_eps)
    y = (x - mean) / std * np.asarray(w["ln_f.gamma"], np.float64) + np.asarray(w["ln_f.beta"], np.float64)
    head = np.asarray(w["lm_head"], np.float64)  # (V, C)
    logits = head @ y  # (V,)
    e = np.exp(logits - logits.max())
    hot = np.exp((logits - logits.max()) / HOT)
    return x, mean, std, y, head, logits, e.sum(), e / e.sum(), hot / hot.sum()


def _agrees(text: str, x: float, scale: float = 1.0, slack: float = 1e-6) -> bool:
    """Whether a quoted number is x (times scale) to the digits it shows (and float32's `slack`)."""
    body = text.rstrip("%").replace("−", "-")
    decimals = len(body.split(".")[1]) if "." in body else 0
    return abs(float(body) - scale * float(x)) <= 0.5001 * 10.0 ** -decimals + slack


def test_the_numbers_quoted_are_the_output_recomputed(stage):
    values = CHAPTER.values(stage)
    x, mean, std, y, head, logits, expsum, probs, hot = _numpy_output(stage)
    weights = stage.trace.weights
    for key, want in (("x0", x[0]), ("mean", mean), ("std", std), ("y0", y[0]),
                      ("g0", weights["ln_f.gamma"][0]), ("h0", head[0, 0]), ("p0", head[0, 0] * y[0]),
                      ("max", logits.max())):
        assert _agrees(values[key], want), (key, values[key], want)
    assert _agrees(values["expsum"], expsum, slack=2.5e-7), (values["expsum"], expsum)  # float32 near 1
    for v, letter in enumerate(LETTERS):
        assert _agrees(values[f"logit_{letter.lower()}"], logits[v])
        quoted = values[f"p_{letter.lower()}"]
        assert _agrees(quoted, probs[v], 100.0), (letter, quoted)
    best = int(np.argmax(probs))
    assert values["first"] == LETTERS[best]
    assert _agrees(values["hot_p"], hot[best], 100.0)
    letters = "".join(LETTERS[t] for t in np.asarray(stage.trace.tokens)[:N_LETTERS])
    assert values["sorted"] == "".join(sorted(letters))
    sorted_by_model = greedy_sort(weights, parse_letters(letters)[None, :])[0]
    assert values["sorted"] == "".join(LETTERS[t] for t in sorted_by_model)


def test_probabilities_are_quoted_with_the_digits_that_matter():
    assert chance(0.375) == "37.5%" and chance(0.5) == "50%"
    assert chance(1.66e-7) == "0.000017%"
    assert chance(0.99999964, 3.6e-7) == "99.999964%"
    assert chance(1.0, 0.0) == "100%" and chance(0.0) == "0%"
    assert close_to_whole(1.00000037) == "1.0000004" and close_to_whole(2.5) == "2.5"


def test_what_the_text_claims_holds_on_the_trace(stage):
    trace, config = stage.trace, stage.layout.config
    w = trace.weights
    # std is √(Var + ε), with the population variance, and each cell is (x − mean) / std × γ + β.
    x, mean, std, y, head, logits, expsum, probs, _ = _numpy_output(stage)
    assert np.isclose(trace["ln_f.mean"][FOLLOW], mean, atol=1e-5)
    assert np.isclose(trace["ln_f.std"][FOLLOW], std, rtol=1e-5)
    np.testing.assert_allclose(trace["ln_f.out"][FOLLOW], y, atol=1e-4)
    # The LM head is not tied: a V × C matrix of its own, not the token embedding table; and no bias.
    assert not config.tied_head
    assert head.shape == (config.vocab_size, config.n_embd)
    assert not np.allclose(head, np.asarray(w["wte"], np.float64))
    assert not any(name.startswith("lm_head") and name != "lm_head" for name in w.names())
    out = np.asarray(trace["ln_f.out"], np.float64)
    np.testing.assert_allclose(trace["logits"], out @ head.T, atol=1e-4)
    # The softmax: max, sum of e^(x − max), probabilities adding up to 1; the prediction is the argmax.
    np.testing.assert_allclose(trace["probs.max"], np.max(trace["logits"], axis=1), atol=1e-6)
    np.testing.assert_allclose(np.sum(trace["probs"], axis=1), 1.0, atol=1e-6)
    assert np.isclose(trace["probs.expsum"][FOLLOW], expsum, rtol=1e-5)
    np.testing.assert_allclose(trace["probs"][FOLLOW], probs, atol=1e-6)
    # A temperature above 1 flattens the distribution: the winner's chance falls.
    values = CHAPTER.values(stage)
    assert float(values["hot_p"].rstrip("%")) <= float(values[f"p_{values['first'].lower()}"].rstrip("%"))


@pytest.fixture(scope="module")
def played():
    stage = nano_stage("CBABBC")
    tour = Tour(lambda scene, lang: stage)
    index = tour.index_of("output")
    events = tour.events(index, "en")
    return stage, tour, index, events


def test_the_animation_shows_the_quoted_numbers_and_computes_every_position(played):
    stage, tour, index, events = played
    values = CHAPTER.values(stage)
    layout = stage.layout
    ids = [layout.by_name[name] for name in OUTPUT_COMPUTED]
    first = tour.frame(index, 0.0, "en")
    assert (first.reveal[ids, 1] == 0).all(), "the output is not computed yet"
    texts: set[str] = set()
    for t in np.arange(0.0, events.duration, 0.1):
        texts.update(tour.frame(index, float(t), "en").marks.texts)
    for wanted in (f"mean = {values['mean']}", f"Σ = {values['logit_a']}", f"max = {values['max']}",
                   f"A: {values['p_a']}", f"{values['h0']} × {values['y0_term']} = {values['p0']}"):
        assert wanted in texts, wanted
    assert "×" in texts and "+" in texts
    last = tour.frame(index, events.duration, "en")
    assert (last.reveal[ids, 1] == ALL).all(), "every position at once"
    marks = zip(last.marks.texts, last.marks.positions, strict=True)
    letters = sorted((p[0], t) for t, p in marks if len(t) == 1)
    assert "".join(t for _, t in letters) == values["sorted"], "the answer under positions 5 to 10"


def test_the_overview_quotes_the_first_letters_chance_as_this_chapter_does(stage):
    """Chapter 1 and chapter 10 speak of the same probability (position 5's letter): the same words."""
    from glviz.walkthrough.chapters import overview

    first = overview.values(stage)["first"]
    ours = CHAPTER.values(stage)
    assert overview.values(stage)["first_p"] == ours[f"p_{first.lower()}"]
    probs = np.asarray(stage.trace["probs"][FOLLOW], np.float64)
    assert overview.values(stage)["first_p"] == chance(probs.max(), probs.sum() - probs.max())
