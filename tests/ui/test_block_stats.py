"""A block's statistics in the hover explanation (min, max, mean, std, histogram): equal to numpy's over the
finite values, computed in pieces, on a thread for big blocks (and not tried again when that fails), and
leaving out what a causal mask makes."""

from __future__ import annotations

import time

import numpy as np
import pytest

from glviz.layout.blocks import block_values
from glviz.ui import block_stats as block_stats_module
from glviz.ui import hover
from glviz.ui.hover import HoverExplainer, block_stats


def test_statistics_count_only_the_finite_values_they_describe(nano):
    layout, trace = nano
    block = layout.by_name["layers.0.attn.h0.scores"]
    stats = HoverExplainer(layout, trace).stats(block)
    assert stats.count_text == "66 values (55 masked)"  # 11·12/2 causal pairs of 11·11
    assert HoverExplainer(layout, trace).stats(layout.by_name["embed"]).count_text == "528 values"


def test_statistics_of_the_block(nano):
    layout, trace = nano
    block = layout.by_name["layers.0.attn.h0.scores"]
    values = block_values(layout.blocks[block], trace)
    stats = block_stats(values)
    finite = values[np.isfinite(values)]
    assert stats.min == pytest.approx(float(finite.min())) and stats.max == pytest.approx(float(finite.max()))
    assert stats.mean == pytest.approx(float(finite.mean()), rel=1e-6)
    assert stats.std == pytest.approx(float(finite.std()), rel=1e-5)
    assert stats.counts.sum() == finite.size
    assert HoverExplainer(layout, trace).explain(block, 0, 0).stats.count == values.size


def test_statistics_in_pieces_equal_numpy_on_a_transposed_view_with_masked_values(monkeypatch):
    """Several pieces (a small STATS_CHUNK), a transposed view, −∞ and NaN among the values: the same min,
    max, mean, std and histogram as numpy over the finite values in float64."""
    monkeypatch.setattr(block_stats_module, "STATS_CHUNK", 64)
    rng = np.random.default_rng(5)
    base = rng.standard_normal((300, 41)).astype(np.float32) * 3.0
    base[rng.random(base.shape) < 0.1] = -np.inf
    base[3, 7] = np.nan
    values = base.T  # (41, 300), not C-contiguous
    stats = block_stats(values)
    finite = np.asarray(values, np.float64)[np.isfinite(values)]
    assert (stats.min, stats.max) == (finite.min(), finite.max())
    assert stats.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert stats.std == pytest.approx(finite.std(), rel=1e-12)
    bins = block_stats_module.HISTOGRAM_BINS
    reference, _ = np.histogram(finite, bins=bins, range=(finite.min(), finite.max()))
    assert np.abs(stats.counts - reference).max() <= 1  # a value on a bin edge may fall either side
    assert stats.counts.sum() == finite.size and stats.finite == finite.size and stats.count == values.size
    assert stats.shares == pytest.approx(100.0 * reference / finite.size, abs=100.0 / finite.size)
    assert stats.shares.sum() == pytest.approx(100.0)


def test_statistics_of_a_big_block_come_from_a_thread(nano, monkeypatch):
    """Blocks over BIG_STATS values are explained at once without statistics (marked pending); poll() then
    reports their arrival and the next explanation has them, equal to the ones computed directly."""
    monkeypatch.setattr(hover, "BIG_STATS", 100)
    layout, trace = nano
    block = layout.by_name["layers.0.mlp.fc"]
    explainer = HoverExplainer(layout, trace)
    first = explainer.explain(block, 1, 2)
    assert first.value is not None and first.stats is None and first.stats_pending
    deadline = time.monotonic() + 20
    while not explainer.poll():
        assert time.monotonic() < deadline, "the statistics never came"
        time.sleep(0.01)
    later = explainer.explain(block, 1, 2)
    direct = block_stats(block_values(layout.blocks[block], trace))
    assert not later.stats_pending and later.stats is not None
    assert (later.stats.mean, later.stats.std, later.stats.count) == (direct.mean, direct.std, direct.count)
    assert not explainer.poll()  # reported once


@pytest.mark.parametrize("big_stats", [10**9, 100])  # computed at once, and on a thread
def test_a_probabilities_blocks_statistics_leave_out_its_masked_cells(nano, monkeypatch, big_stats):
    """The masked half of an attention probabilities block (keys after the query) is 0 by the mask: the
    statistics describe the computed cells, as the scores' do. Expected: a causal softmax of the scores
    block in float64, row by row."""
    monkeypatch.setattr(hover, "BIG_STATS", big_stats)
    layout, trace = nano
    scores = block_values(layout.blocks[layout.by_name["layers.1.attn.h2.scores"]], trace).astype(np.float64)
    kept = []
    for t in range(scores.shape[0]):  # query t: keys 0..t
        e = np.exp(scores[t, : t + 1] - scores[t, : t + 1].max())
        kept.extend(e / e.sum())
    kept = np.array(kept)
    block = layout.by_name["layers.1.attn.h2.probs"]
    explainer = HoverExplainer(layout, trace)
    explainer.stats(block)
    deadline = time.monotonic() + 20
    while (stats := explainer.stats(block)) is None:
        assert time.monotonic() < deadline, "the statistics never came"
        time.sleep(0.01)
    assert stats.count_text == "66 values (55 masked)" and stats.counts.sum() == kept.size == 66
    assert stats.mean == pytest.approx(kept.mean(), rel=1e-5)
    assert stats.std == pytest.approx(kept.std(), rel=1e-4)
    assert stats.min == pytest.approx(kept.min(), abs=1e-7)
    assert stats.max == pytest.approx(kept.max(), rel=1e-6)
    assert np.isfinite(block_values(layout.blocks[block], trace)).all()  # the trace's own values untouched


@pytest.mark.app_errors_expected
def test_statistics_that_fail_on_their_thread_are_not_pending_nor_tried_again(nano, monkeypatch):
    """A thread that cannot compute a block's statistics reports once; the cell is then explained without
    them and without the pending line, and no thread is started for it again (the window would keep
    waking)."""
    layout, trace = nano
    monkeypatch.setattr(hover, "BIG_STATS", 100)
    calls = []

    def broken(values, bins=block_stats_module.HISTOGRAM_BINS):
        calls.append(1)
        raise MemoryError("no room")

    monkeypatch.setattr(hover, "block_stats", broken)
    block = layout.by_name["layers.0.mlp.fc"]
    explainer = HoverExplainer(layout, trace)
    assert explainer.explain(block, 0, 0).stats_pending
    deadline = time.monotonic() + 20
    while not explainer.poll():
        assert time.monotonic() < deadline, "the thread never reported"
        time.sleep(0.01)
    again = explainer.explain(block, 0, 0)
    assert again.stats is None and not again.stats_pending and not explainer.computing(block)
    assert len(calls) == 1
