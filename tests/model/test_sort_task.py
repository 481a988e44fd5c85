"""The sort task and the shipped nano model: every input sorted, input parsing, `glviz generate --input`."""

from __future__ import annotations

import numpy as np
import pytest

from glviz.cli import main
from glviz.errors import GlvizError
from glviz.model.config import PRESETS
from glviz.model.sort_task import (
    all_inputs,
    format_letters,
    greedy_sort,
    load_nano,
    nano_sequence,
    parse_letters,
    sort_accuracy,
    training_batch,
)

BAD_INPUTS = ["CBABBD", "CBA", "", "CBABBCA", "CB BBC", "123456", "ÄBCABC"]


@pytest.fixture(scope="module")
def nano():
    return load_nano()


def test_shipped_model_is_the_nano_preset(nano):
    assert nano.config == PRESETS["nano"]


def test_shipped_model_sorts_all_729_inputs(nano):
    inputs = all_inputs()  # (729, 6)
    predicted = greedy_sort(nano, inputs)  # (729, 6)
    wrong = np.flatnonzero(np.any(predicted != np.sort(inputs, axis=1), axis=1))
    assert predicted.shape == (729, 6)
    examples = [f"{format_letters(inputs[i])} -> {format_letters(predicted[i])}" for i in wrong[:10]]
    assert not len(wrong), examples


def test_sort_accuracy_counts_failures(nano):
    # A model with random weights cannot sort: the accuracy measure must see that.
    from glviz.model.weights import random_weights

    inputs = all_inputs()[::9]  # (81, 6)
    assert sort_accuracy(nano, inputs) == 1.0
    assert sort_accuracy(random_weights(PRESETS["nano"], seed=1), inputs) < 0.5


def test_greedy_sort_with_its_cache_equals_decoding_every_prefix_afresh():
    # Random weights: the letters chosen are not the sorted ones, so this checks the decoding, not the task.
    from glviz.model.forward import logits
    from glviz.model.weights import random_weights

    weights = random_weights(PRESETS["nano"], seed=3)
    inputs = all_inputs()[::9]  # (81, 6)
    sequence = inputs
    for _ in range(6):  # each next letter from the whole prefix, recomputed
        last = logits(weights, sequence, last_only=True)[:, -1, :]  # (81, 3)
        sequence = np.concatenate([sequence, np.argmax(last, axis=-1)[:, None]], axis=1)
    expected = sequence[:, 6:]
    assert (expected != np.sort(inputs, axis=1)).any()
    np.testing.assert_array_equal(greedy_sort(weights, inputs), expected)


def test_all_inputs_are_every_combination_once():
    inputs = all_inputs()
    assert inputs.shape == (729, 6) and inputs.dtype == np.int64
    assert len({tuple(row) for row in inputs}) == 729
    assert inputs.min() == 0 and inputs.max() == 2


def test_training_batch_masks_all_but_the_sorted_targets():
    inputs = np.array([[2, 1, 0, 1, 1, 2], [0, 0, 0, 0, 0, 0]])
    tokens, targets, mask = training_batch(inputs)
    assert tokens.shape == targets.shape == mask.shape == (2, 11)
    np.testing.assert_array_equal(tokens[0], [2, 1, 0, 1, 1, 2, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(targets[0], [1, 0, 1, 1, 2, 0, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(mask[0], [False] * 5 + [True] * 6)
    np.testing.assert_array_equal(targets[0][mask[0]], [0, 1, 1, 1, 2, 2])


def test_nano_sequence_is_the_input_then_five_sorted_letters(nano):
    inputs = parse_letters("CBABBC")
    sequence = nano_sequence(nano, inputs)
    assert sequence.shape == (11,) and sequence.dtype == np.int64
    assert format_letters(sequence) == "CBABBC" + "ABBBC"


@pytest.mark.parametrize("text,expected", [("CBABBC", [2, 1, 0, 1, 1, 2]), ("cbabbc", [2, 1, 0, 1, 1, 2]),
                                           ("aBcCbA", [0, 1, 2, 2, 1, 0])])
def test_parse_letters_accepts_any_case(text, expected):
    tokens = parse_letters(text)
    assert tokens.dtype == np.int64
    np.testing.assert_array_equal(tokens, expected)
    assert format_letters(tokens) == text.upper()


@pytest.mark.parametrize("text", BAD_INPUTS)
def test_parse_letters_rejects_anything_else(text):
    with pytest.raises(GlvizError) as error:
        parse_letters(text)
    message = str(error.value)
    assert message.startswith("input must be exactly 6 letters from A, B, C (") and repr(text) in message


@pytest.mark.parametrize("text,expected", [("CBABBC", "ABBBCC"), ("cabcab", "AABBCC"), ("CCCCCA", "ACCCCC")])
def test_generate_command_prints_the_sorted_letters(text, expected, capsys):
    assert main(["generate", "--model", "nano", "--input", text]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == expected


@pytest.mark.parametrize("text", BAD_INPUTS)
def test_generate_command_rejects_bad_input_with_one_line(text, capsys):
    assert main(["generate", "--model", "nano", "--input", text]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("glviz: error: input must be exactly 6 letters from A, B, C (")
