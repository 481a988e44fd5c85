"""The numpy training code: backward pass against finite differences, the optimiser, reproducibility."""

from __future__ import annotations

import io

import numpy as np
import pytest

from glviz.cli import main
from glviz.model.config import PRESETS, GPTConfig
from glviz.model.forward import gelu
from glviz.model.forward import logits as product_logits
from glviz.model.sort_task import all_inputs, training_batch
from glviz.model.train import (
    AdamW,
    TrainSettings,
    cross_entropy,
    forward,
    gelu_and_grad,
    init_params,
    loss_and_grads,
    to_weights,
    train_sort,
)
from glviz.model.weights import load_weights, weight_shapes
from glviz.progress import TrainingBar

CASES = [(activation, tied) for activation in ("gelu", "gelu_new") for tied in (True, False)]


def tiny_config(activation: str, tied: bool) -> GPTConfig:
    # C = 6 with 2 heads of 3: nothing is a power of two; T = 6 < block_size leaves a wpe row unused.
    return GPTConfig(n_layer=2, n_head=2, n_embd=6, vocab_size=5, block_size=7,
                     activation=activation, tied_head=tied)


def tiny_problem(activation: str, tied: bool):
    """A tiny config, float64 parameters far from their init (so every gradient is non-trivial), a batch."""
    config = tiny_config(activation, tied)
    rng = np.random.default_rng(7)
    params = {name: value + rng.normal(0.0, 0.4, value.shape)
              for name, value in init_params(config, seed=3, dtype=np.float64).items()}
    tokens = rng.integers(0, config.vocab_size, size=(3, 6))  # (B, T)
    targets = rng.integers(0, config.vocab_size, size=(3, 6))  # (B, T)
    mask = rng.random((3, 6)) < 0.6  # (B, T)
    mask[0, 0] = True
    return config, params, tokens, targets, mask


def masked_loss(params, config, tokens, targets, mask) -> float:
    return cross_entropy(forward(params, config, tokens)[0], targets, mask)[0]


def finite_difference_grad(params, name, config, tokens, targets, mask, h=1e-5) -> np.ndarray:
    value = params[name]
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        original = value[index]
        value[index] = original + h
        plus = masked_loss(params, config, tokens, targets, mask)
        value[index] = original - h
        minus = masked_loss(params, config, tokens, targets, mask)
        value[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


@pytest.mark.parametrize("activation,tied", CASES)
def test_backward_matches_central_finite_differences(activation, tied):
    config, params, tokens, targets, mask = tiny_problem(activation, tied)
    _, grads = loss_and_grads(params, config, tokens, targets, mask)
    assert set(grads) == set(params) == set(weight_shapes(config))
    assert ("lm_head" in grads) is (not tied)
    for name in params:
        numeric = finite_difference_grad(params, name, config, tokens, targets, mask)
        analytic = grads[name]
        assert analytic.shape == params[name].shape, name
        if name.endswith("attn.bk"):
            # q . bk is the same for every key of a query's row, and softmax ignores a constant shift per row,
            # so the true gradient is exactly zero: require both to be zero to rounding.
            assert np.abs(numeric).max() < 1e-9 and np.abs(analytic).max() < 1e-12, name
            continue
        scale = max(np.abs(numeric).max(), np.abs(analytic).max())
        assert scale > 1e-6, f"{name}: gradient is zero, the check would prove nothing"
        relative_error = np.abs(numeric - analytic).max() / scale
        assert relative_error < 1e-6, f"{name}: relative error {relative_error:.2e}"


@pytest.mark.parametrize("activation,tied", CASES)
def test_training_forward_is_the_product_forward(activation, tied):
    # The model that training optimises must be the one glviz.model.forward runs.
    config, params, tokens, _, _ = tiny_problem(activation, tied)
    weights = to_weights(params, config)
    ours = forward(params, config, tokens)[0]  # (B, T, V) float64
    product = product_logits(weights, tokens)  # (B, T, V) float32
    np.testing.assert_allclose(ours, product, rtol=1e-4, atol=1e-4)


def test_gelu_derivative_matches_central_differences():
    x = np.linspace(-6.0, 6.0, 2001)
    h = 1e-6
    for activation in ("gelu", "gelu_new"):
        value, grad = gelu_and_grad(x, activation)
        np.testing.assert_allclose(value, gelu(x, activation), rtol=1e-13, atol=1e-15)
        numeric = (gelu(x + h, activation) - gelu(x - h, activation)) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-7, atol=1e-8, err_msg=activation)


def test_adamw_decays_matrices_only():
    config = tiny_config("gelu", tied=False)
    params = init_params(config, seed=0, dtype=np.float64)
    before = {name: value.copy() for name, value in params.items()}
    optimizer = AdamW(params, weight_decay=0.5)
    optimizer.step(params, {name: np.zeros_like(v) for name, v in params.items()}, lr=0.1)
    for name, value in params.items():
        if value.ndim == 2:
            np.testing.assert_allclose(value, before[name] * (1 - 0.1 * 0.5), err_msg=name)
        else:
            np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_adamw_first_step_moves_each_parameter_by_lr_against_its_gradient_sign():
    params = {"w": np.array([[1.0, -2.0]]), "b": np.array([0.5, 0.5])}
    grads = {"w": np.array([[3.0, -0.01]]), "b": np.array([-4.0, 0.0])}
    AdamW(params, weight_decay=0.0).step(params, grads, lr=0.01)
    np.testing.assert_allclose(params["w"], [[0.99, -1.99]], rtol=1e-6)
    np.testing.assert_allclose(params["b"], [0.51, 0.5], rtol=1e-6)


def test_a_few_steps_reduce_the_loss():
    config = PRESETS["nano"]
    tokens, targets, mask = training_batch(all_inputs())
    start = masked_loss(init_params(config, seed=0), config, tokens, targets, mask)
    result = train_sort(config, TrainSettings(steps=30, warmup_steps=5, seed=0))
    end = masked_loss(result.params, config, tokens, targets, mask)
    assert len(result.losses) == 30
    assert end < 0.8 * start, (start, end)


def test_same_seed_same_weights_other_seed_other_weights():
    config = PRESETS["nano"]
    settings = TrainSettings(steps=4, batch_size=16, seed=5)
    first = train_sort(config, settings).params
    second = train_sort(config, settings).params
    other = train_sort(config, TrainSettings(steps=4, batch_size=16, seed=6)).params
    assert set(first) == set(weight_shapes(config))
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)
    assert any(not np.array_equal(first[name], other[name]) for name in first)


def test_progress_bar_shows_step_loss_and_eta_on_one_line():
    stream = io.StringIO()
    bar = TrainingBar(200, stream=stream, interval_s=0.0)
    bar.update(50, 0.25)
    bar.update(200, 0.125)
    bar.close()
    text = stream.getvalue()
    assert text.startswith("\rstep  50/200") and text.endswith("\n")
    assert text.count("\n") == 1
    assert "loss 0.25" in text and "loss 0.125" in text and "eta 0:00" in text


def test_train_sort_command_writes_weights_and_reports_accuracy(tmp_path, capsys):
    out = tmp_path / "sub" / "nano.npz"
    out.parent.mkdir()  # train-sort writes into an existing folder, as render and trace do
    assert main(["train-sort", "--out", str(out), "--steps", "3", "--seed", "1", "--quiet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("accuracy: ") and "/729 inputs sorted correctly" in lines[-1]
    weights = load_weights(out)
    assert weights.config == PRESETS["nano"]
    assert set(weights.tensors) == set(weight_shapes(weights.config))


@pytest.mark.parametrize("argv", [["--out", "x.txt"], ["--out", "x.npz", "--steps", "0"],
                                  ["--out", "x.npz", "--seed", "-1"]])
def test_train_sort_command_rejects_bad_options_with_one_line(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train-sort", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glviz: error: ") and err.count("\n") == 1
    assert not list(tmp_path.iterdir())
