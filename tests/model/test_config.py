"""Parameter counts of the presets, and that they agree with the tensors the weights actually hold."""

from __future__ import annotations

import pytest

from glviz.model.config import PRESETS, GPTConfig, param_count
from glviz.model.weights import random_weights, weight_names, weight_shapes


def test_gpt2_small_has_124_439_808_parameters_with_tied_head() -> None:
    assert param_count(PRESETS["gpt2"]) == 124_439_808


def test_gpt3_has_about_175_billion_parameters() -> None:
    assert abs(param_count(PRESETS["gpt3"]) - 175e9) / 175e9 < 0.01


@pytest.mark.parametrize("tied", [True, False])
def test_param_count_equals_stored_tensor_sizes(tied: bool) -> None:
    config = GPTConfig(n_layer=3, n_head=2, n_embd=10, vocab_size=17, block_size=7, tied_head=tied)
    weights = random_weights(config)
    assert set(weights.tensors) == set(weight_shapes(config))
    assert sum(a.size for a in weights.tensors.values()) == param_count(config)
    assert weight_names(config)[-1] == "lm_head" and ("lm_head" in weights.tensors) == (not tied)


def test_gpt2_shapes_add_up_without_allocating() -> None:
    for name in ("gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "gpt3"):
        config = PRESETS[name]
        total = 0
        for shape in weight_shapes(config).values():
            size = 1
            for n in shape:
                size *= n
            total += size
        assert total == param_count(config), name
