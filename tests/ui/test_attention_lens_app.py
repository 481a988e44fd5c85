"""Attention heatmaps and the logit lens in the app, headless on EGL: a heatmap cell hovered is the same cell
hovered in 3D and the other way round; the grid of all heads; values let go at long prompts are computed
again on request; the lens table reads the trace."""

from __future__ import annotations

import numpy as np
import pytest
from checkpoint_helpers import checkpoint, click, frames, loaded, settled

TALL = (1280, 2000)  # every section of the panel in view
W, H = 1280, 800  # the app fixture's window (tests/ui/conftest.py)


@pytest.fixture(scope="module")
def tall_fbo(gl_ctx):
    return gl_ctx.simple_framebuffer(TALL)


@pytest.fixture
def tall_app(gl_ctx, tall_fbo, tmp_path):
    from glviz.ui.app import GlvizApp

    app = GlvizApp(gl_ctx, size=TALL, screenshot_dir=tmp_path, weights=checkpoint(tmp_path / "small", seed=9))
    loaded(app, tall_fbo)
    yield app
    app.release()


def _cell_pixel(rect, n: int, row: int, col: int) -> tuple[float, float]:
    x0, y0, x1, y1 = rect
    return x0 + (col + 0.5) * (x1 - x0) / n, y0 + (row + 0.5) * (y1 - y0) / n


def test_heatmap_hover_is_the_3d_hover_and_back(tall_app, tall_fbo, gl_ctx):
    from glviz.ui.attention import Cell

    app, fbo = tall_app, tall_fbo
    frames(app, fbo)
    click(app, fbo, app.panel.attention.header)
    frames(app, fbo)
    section, maps = app.panel.attention, app.attention
    assert set(section.plot_rects) == {0}  # layer 0, head 0
    T = app.view.trace.T
    row, col = T - 2, 3
    app.mouse_move(*_cell_pixel(section.plot_rects[0], T, row, col))
    frames(app, fbo, 2)
    block = app.view.layout.by_name["layers.0.attn.h0.probs"]
    assert maps.hovered == Cell(0, 0, row, col)
    assert app.hovering.cell == (block, row, col) and app.scene.hovered == (block, row, col)
    assert app.hover.value == pytest.approx(float(app.view.trace["layers.0.attn.probs"][0, row, col]))
    # A probability hovered in 3D: the heatmap follows to its layer and head and marks the cell.
    other = app.view.layout.by_name["layers.1.attn.h1.probs"]
    app.mouse_move(TALL[0] - 5, TALL[1] - 5)  # over the panel's empty bottom: 3D hover stays as set
    frames(app, fbo)
    app.hovering.set((other, 4, 2))
    frames(app, fbo, 2)
    assert maps.layer == 1 and maps.head == 1
    assert maps.marked(app) == Cell(1, 1, 4, 2)
    # All heads of the layer as a grid.
    maps.grid = True
    frames(app, fbo, 2)
    assert set(section.plot_rects) == set(range(app.view.config.n_head))
    app.mouse_move(*_cell_pixel(section.plot_rects[1], T, 5, 1))
    frames(app, fbo, 2)
    assert app.hovering.cell == (other, 5, 1)
    assert gl_ctx.error == "GL_NO_ERROR"


def test_attention_let_go_at_long_prompts_is_computed_again_for_the_heatmap(tmp_path):
    from glviz.model.forward import Trace
    from glviz.model.weights import load_weights
    from glviz.ui.attention import AttentionMaps
    from glviz.ui.models import ModelView
    from glviz.ui.trace_worker import TraceWorker

    weights = load_weights(checkpoint(tmp_path / "small", seed=9))

    def keep_little(w, tokens):
        trace = Trace(w, tokens, keep_bytes=1)  # every droppable value let go once computed
        trace["probs"]
        return trace

    worker = TraceWorker(weights, tracer=keep_little)
    worker.retrace(np.arange(20))
    worker.wait()
    view = ModelView("x", weights.config, None, None, None, weights, worker.trace, worker=worker)
    maps = AttentionMaps()
    assert worker.trace.peek("layers.0.attn.probs") is None
    assert maps.probs(view) is None  # asked for: the worker computes it
    worker.wait()
    probs = maps.probs(view)
    assert probs is not None and probs.shape == (2, 20, 20)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=1e-5)
    worker.close()


# ImPlot's Viridis colour map at 0 and at 1 (its first and last stops, as published with matplotlib's).
VIRIDIS_0, VIRIDIS_1 = (68, 1, 84), (253, 231, 37)


def test_the_heatmaps_colour_scale_reads_0_to_100_percent(tall_app, tall_fbo):
    """Under the heatmap, a bar from 0% to 100% in the heatmap's colours: the first query's own key (100%,
    the only key it sees) has the bar's right end colour and a masked cell (0%) its left end's."""
    app, fbo = tall_app, tall_fbo
    frames(app, fbo)
    click(app, fbo, app.panel.attention.header)
    frames(app, fbo, 3)
    section = app.panel.attention
    image = np.frombuffer(fbo.read(components=3), np.uint8).reshape(TALL[1], TALL[0], 3)[::-1].astype(int)

    def at(x: float, y: float) -> np.ndarray:
        return image[int(y), int(x)]

    x0, y0, x1, y1 = section.scale_rect
    middle = (y0 + y1) / 2
    left, right = at(x0 + 1, middle), at(x1 - 2, middle)
    assert np.abs(left - VIRIDIS_0).max() <= 12 and np.abs(right - VIRIDIS_1).max() <= 12, (left, right)
    T = app.view.trace.T
    own = at(*_cell_pixel(section.plot_rects[0], T, 0, 0))  # query 0, key 0: probability 1
    masked = at(*_cell_pixel(section.plot_rects[0], T, 0, 1))  # query 0, key 1: after it, 0
    assert np.abs(own - right).max() <= 12 and np.abs(masked - left).max() <= 12, (own, masked)


def test_the_logit_lens_table(tall_app, tall_fbo):
    app, fbo = tall_app, tall_fbo
    frames(app, fbo)
    click(app, fbo, app.panel.lens.header)
    frames(app, fbo)
    rows = app.panel.lens.drawn
    view = app.view
    assert [r.stage for r in rows] == ["embed", 0, 1]
    T = view.trace.T
    probs = view.trace["probs"][T - 1]
    np.testing.assert_array_equal(rows[-1].ids, np.argsort(-probs, kind="stable")[:3])
    # Each chance as a percentage, as the next-token candidates write it: with two decimals a random
    # model's 0.3% read "0.00" in every cell.
    from glviz.formatting import percent

    texts = app.panel.lens.cell_texts
    assert [t.rsplit(" ", 1)[1] for t in texts[-1]] == [percent(probs[i]) for i in rows[-1].ids]
    assert all(not t.endswith(" 0.00") for row in texts for t in row)
    app.panel.lens.position = 2
    frames(app, fbo)
    np.testing.assert_array_equal(app.panel.lens.drawn[-1].ids,
                                  np.argsort(-view.trace["probs"][2], kind="stable")[:3])


def test_the_lens_names_its_positions_token_and_shows_a_cut_token_whole(tall_app, tall_fbo):
    """The table cuts long tokens to their column ("·ur…") and said only "position 8": the line above names
    the token at the position, and hovering a cell shows its token whole, with its id."""
    app, fbo = tall_app, tall_fbo
    frames(app, fbo)
    click(app, fbo, app.panel.lens.header)
    frames(app, fbo)
    lens, view = app.panel.lens, app.view
    tokenizer = view.weights.tokenizer

    def spelled(token: int) -> str | None:  # as a chip writes it; None for part of a character
        text = tokenizer.decode([token])
        return None if "\ufffd" in text else text.replace(" ", "·")

    T = view.trace.T
    last = spelled(int(view.trace.tokens[T - 1]))
    assert last is not None and f"{T - 1}" in lens.explanation and last in lens.explanation
    cells = [(r, k) for r, row in enumerate(lens.drawn) for k in range(len(lens.cell_rects[r]))
             if spelled(int(row.ids[k])) is not None]
    assert cells
    for r, k in cells[-2:]:
        x0, y0, x1, y1 = lens.cell_rects[r][k]
        app.mouse_move((x0 + x1) / 2, (y0 + y1) / 2)
        frames(app, fbo)
        token = int(lens.drawn[r].ids[k])
        assert lens.tooltip.startswith(f"{spelled(token)} {token}:"), lens.tooltip


def test_open_sections_stay_open_when_the_language_changes(tall_app, tall_fbo):
    """The panel's sections were collapsing headers named by their titles: in another language each was a new
    header, so switching the language closed every section the learner had opened (the heatmaps, the lens,
    the tour's contents) and opened again the ones closed."""
    from glviz import i18n

    app, fbo = tall_app, tall_fbo
    frames(app, fbo)
    click(app, fbo, app.panel.attention.header)
    click(app, fbo, app.panel.lens.header)
    frames(app, fbo)
    assert app.panel.attention.plot_rects and app.panel.lens.drawn
    try:
        app.set_language("ja")
        app.panel.attention.plot_rects.clear()
        app.panel.lens.drawn = []
        frames(app, fbo)
        assert app.panel.attention.plot_rects, "the heatmaps closed"
        assert app.panel.lens.drawn, "the logit lens closed"
    finally:
        i18n.set_language("en")


def test_the_key_labels_across_a_heatmap_do_not_overlap(tall_app, tall_fbo, monkeypatch):
    """The tokens under the heatmap stand side by side: every n-th of at most 16 was shown, whatever their
    width, so at 9 tokens of GPT-2 in the 400 px panel "·quick", "brown" and "·fox" ran into one another.
    Now every n-th such that the widest fits its columns."""
    app, fbo = tall_app, tall_fbo
    # Labels as wide as GPT-2 words (the test tokenizer's pieces are a letter or two)
    monkeypatch.setattr(app.prompt, "label", lambda weights, token: f"·word{token % 100:03d}")
    for text in ("The quick brown fox jumps", "The quick brown fox jumps over the lazy dog, again"):
        assert app.edit_prompt(text), app.prompt.error
        settled(app, fbo)
        if not app.panel.attention.plot_rects:
            click(app, fbo, app.panel.attention.header)
        frames(app, fbo)
        labels = app.panel.attention.x_labels
        assert len(labels) >= 2, labels
        for (a, wa), (b, wb) in zip(labels, labels[1:], strict=False):
            assert b - a >= (wa + wb) / 2, (app.view.trace.T, labels)


def test_the_heatmap_stays_under_the_pointer_while_the_explanation_above_grows(app, fbo, tmp_path):
    """Hovering a heatmap cell explains it in "How was this computed?" above the heatmaps: that section grew
    by its formula and histogram (and changed height again between masked and other cells), so the heatmap
    jumped from under the pointer. The panel now scrolls by what the heatmap moved; a tooltip by the
    pointer gives the cell's chance, the explanation being above, out of view."""
    from glviz.formatting import percent
    from glviz.ui.attention import Cell

    app.open_checkpoint(checkpoint(tmp_path / "small", seed=9))
    loaded(app, fbo)
    section = app.panel.attention
    frames(app, fbo)
    app.mouse_move(W - 100, H / 2)
    for _ in range(10):  # the panel scrolled to its end: the section in view
        app.scroll(0, -5)
        frames(app, fbo)
    click(app, fbo, section.header)
    for _ in range(10):
        app.scroll(0, -5)
        frames(app, fbo)
    assert 0 in section.plot_rects and section.plot_rects[0][3] < H, section.plot_rects
    T = app.view.trace.T
    before = section.plot_rects[0]
    for row, col in ((T - 1, 1), (1, T - 1), (T - 2, 2)):  # a cell, a masked one, another
        x, y = _cell_pixel(section.plot_rects[0], T, row, col)
        app.mouse_move(x, y)
        frames(app, fbo, 4)
        assert section.plot_rects[0][1] == pytest.approx(before[1], abs=1), "the heatmap moved"
        assert app.attention.hovered == Cell(0, 0, row, col)
        p = percent(app.view.trace["layers.0.attn.probs"][0, row, col])
        assert section.tooltip.endswith(p), section.tooltip



def test_a_heatmap_cells_tooltip_names_its_tokens_whole(tall_app, tall_fbo, tmp_path):
    """The axes cut a token's text to 8 characters, and the tooltip quoted the cut text: a cell of
    "·Kazakhstan" said '"·Kazakhs"', a token of its own to a learner. The axes now mark the cut with "…",
    and the tooltip names the tokens whole."""
    from tokenizers import ByteLevelBPETokenizer

    from glviz.ui.sections.attention import token_labels

    app, fbo = tall_app, tall_fbo
    folder = checkpoint(tmp_path / "long-words", seed=3)
    bpe = ByteLevelBPETokenizer()  # a real tokenizer whose words are single long tokens
    bpe.train_from_iterator([" Kazakhstan and Uzbekistan"] * 20, vocab_size=300, min_frequency=1,
                            show_progress=False)
    bpe.save(str(folder / "tokenizer.json"))
    app.open_checkpoint(folder)
    loaded(app, fbo)
    assert app.edit_prompt(" Kazakhstan and Uzbekistan"), app.prompt.error
    settled(app, fbo)
    view = app.view
    assert [app.prompt.label(view.weights, t) for t in view.trace.tokens] == ["·Kazakhstan", "·and",
                                                                              "·Uzbekistan"]
    assert token_labels(app, view, 0, 3) == ["·Kazakh…", "·and", "·Uzbeki…"]
    click(app, fbo, app.panel.attention.header)
    frames(app, fbo)
    app.mouse_move(*_cell_pixel(app.panel.attention.plot_rects[0], 3, 2, 0))
    frames(app, fbo, 2)
    assert app.panel.attention.tooltip.startswith('query 2 "·Uzbekistan", key 0 "·Kazakhstan": ')


def test_another_layer_and_head_can_be_chosen_after_hovering_a_heatmap(tall_app, tall_fbo):
    """Hovering a heatmap cell hovers it in 3D, and that hover stays while the pointer is in the panel; the
    section followed the 3D hover to its layer and head every frame, so the sliders snapped back to them.
    It follows a new 3D hover once, and the learner's choice stands."""
    app, fbo = tall_app, tall_fbo
    frames(app, fbo)
    click(app, fbo, app.panel.attention.header)
    frames(app, fbo)
    section, maps = app.panel.attention, app.attention
    T = app.view.trace.T
    app.mouse_move(*_cell_pixel(section.plot_rects[0], T, T - 1, 1))
    frames(app, fbo, 4)  # (the explanation above grows by the cell's: the section moves down, once)
    assert app.hovering.cell is not None and (maps.layer, maps.head) == (0, 0)
    for slider in ("layer", "head"):  # a click at a slider's right end: its last value
        x0, y0, x1, y1 = section.slider_rects[slider]
        click(app, fbo, (x0 + 100, y0, x0 + 116, y1))  # (the rect runs on under the label)
        frames(app, fbo, 2)
    assert (maps.layer, maps.head) == (1, 1)
    assert app.hovering.cell is not None  # the 3D hover stayed: it no longer pulls the section back
    assert set(section.plot_rects) == {1}
    other = app.view.layout.by_name["layers.0.attn.h1.probs"]  # a new hover in 3D is still followed
    app.hovering.set((other, 3, 2))
    frames(app, fbo, 2)
    assert (maps.layer, maps.head) == (0, 1)
