"""Chapter 9, The transformer stack: the layers share their shapes, not their weights; the residual stream
is the embedding plus every branch's result; the lengths quoted are the trace's, recomputed here; the
animation moves the stream side by side and back, and ends with every layer computed."""

from __future__ import annotations

import numpy as np
import pytest
from quoted import paragraph_start, played, quotes  # tests/walkthrough/quoted.py

from glviz.layout.arrows import build_arrows
from glviz.layout.blocks import Kind
from glviz.walkthrough.chapters.transformer import CHAPTER, FOLLOW, stream_names
from glviz.walkthrough.frame import ALL
from glviz.walkthrough.stages import nano_stage

INPUTS = ("CBABBC", "AACCBA", "ABCABC")


@pytest.fixture(scope="module", params=INPUTS)
def stage(request):
    return nano_stage(request.param)


def test_the_layers_have_the_same_shapes_and_their_own_weights(stage):
    layout, weights = stage.layout, stage.trace.weights
    L = layout.config.n_layer
    values = CHAPTER.values(stage)
    for i in range(1, L):
        mine = [(b.role, b.rows, b.cols) for b in layout.blocks if b.layer == i]
        first = [(b.role, b.rows, b.cols) for b in layout.blocks if b.layer == 0]
        assert mine == first
    firsts = [float(weights[f"layers.{i}.mlp.wfc"][0, 0]) for i in range(L)]
    assert all(quotes(values[f"w{i}"], w) for i, w in enumerate(firsts))
    assert len(set(firsts)) == L  # learned separately: not the same numbers
    assert values["F"] == str(weights["layers.0.mlp.wfc"].shape[1]) == str(4 * layout.config.n_embd)


def test_the_stream_is_the_embedding_plus_every_branch(stage):
    trace = stage.trace
    stream = np.asarray(trace["embed"], np.float64)
    for i in range(stage.layout.config.n_layer):
        stream = stream + trace[f"layers.{i}.attn.proj"]
        np.testing.assert_allclose(trace[f"layers.{i}.resid1"], stream, atol=1e-4)
        stream = stream + trace[f"layers.{i}.mlp.proj"]
        np.testing.assert_allclose(trace[f"layers.{i}.resid2"], stream, atol=1e-4)
    names = {a.name for a in build_arrows(stage.layout)}  # the arrows the chapter shows exist
    assert all(f"layers.{i}.skip{k}" in names for i in range(stage.layout.config.n_layer) for k in (1, 2))


def test_the_lengths_quoted_are_the_traces(stage):
    values = CHAPTER.values(stage)
    names = stream_names(stage.layout.config.n_layer)
    columns = [np.asarray(stage.trace[n][FOLLOW], np.float64) for n in names]
    for i, column in enumerate(columns):
        assert quotes(values[f"n{i}"], np.sqrt(np.sum(column ** 2)))
    for i in range(1, len(columns)):
        assert quotes(values[f"d{i}"], np.sqrt(np.sum((columns[i] - columns[i - 1]) ** 2)))


def test_the_stream_goes_side_by_side_and_back_and_every_layer_is_computed():
    stage, tour, index, events = played("transformer")
    layout = stage.layout
    names = [layout.by_name[n] for n in stream_names(layout.config.n_layer)]
    at = paragraph_start(events, "all")
    frame = tour.frame(index, at - 1e-3, "en")
    lo, hi = layout.mins[names] + frame.offset[names], layout.maxs[names] + frame.offset[names]
    np.testing.assert_allclose(hi[:, 1], hi[0, 1])  # in a row, level
    assert np.all(lo[1:, 0] > hi[:-1, 0])  # left to right, apart
    assert np.all(lo[:, 0] > layout.maxs[:, 0].max())  # clear of the model
    end = tour.frame(index, events.duration, "en")
    assert not end.offset.any()
    layers = [b.index for b in layout.blocks if b.layer >= 0 and b.kind != Kind.WEIGHT]
    assert np.all(end.reveal[layers, 1] == ALL)
    middle = tour.frame(index, (at + events.duration) / 2, "en")  # during the run, some are still plain
    assert np.any(middle.reveal[layers, 1] < ALL)
