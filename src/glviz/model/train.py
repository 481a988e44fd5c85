"""Train a GPT with numpy alone: a forward pass that keeps what backward needs, a hand-written backward pass,
and AdamW. It trains the nano sort model; the gradient check in the tests holds it to finite differences.

Parameters are a dict keyed by the canonical weight names of docs/CONTRACTS.md, (in, out) layout so that
y = x @ W + b. A tied head has no `lm_head` entry: the head is `wte`, and its gradient adds to `wte`'s.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from glviz.model.config import GPTConfig
from glviz.model.ops import (
    causal_scores,
    gelu,
    gelu_grad,
    layer_norm,
    linear,
    merge_heads,
    softmax,
    split_heads,
)
from glviz.model.weights import weight_shapes
from glviz.progress import TrainingBar

if TYPE_CHECKING:
    from glviz.model.weights import Weights

Params = dict[str, np.ndarray]


# ---------------------------------------------------------------------------------------------------------
# GELU and its derivative (both from glviz.model.ops, the operations the forward pass uses)


def gelu_and_grad(x: np.ndarray, activation: str) -> tuple[np.ndarray, np.ndarray]:
    """gelu(x) and its derivative d gelu(x) / dx, elementwise."""
    return gelu(x, activation), gelu_grad(x, activation)


# ---------------------------------------------------------------------------------------------------------
# parameters


def init_params(config: GPTConfig, seed: int = 0, dtype=np.float32) -> Params:
    """GPT-2 initialisation: N(0, 0.02) matrices, residual projections scaled by 1/sqrt(2 n_layer),
    zero biases, unit layer-norm gains."""
    rng = np.random.default_rng(seed)
    residual_std = 0.02 / math.sqrt(2 * config.n_layer)
    params: Params = {}
    for name, shape in weight_shapes(config).items():
        if name.endswith(".gamma"):
            value = np.ones(shape)
        elif len(shape) == 1:
            value = np.zeros(shape)
        else:
            std = residual_std if name.endswith("wproj") else 0.02
            value = rng.normal(0.0, std, size=shape)
        params[name] = value.astype(dtype)
    return params


# ---------------------------------------------------------------------------------------------------------
# forward (keeping what backward needs) and backward


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float):
    xhat, _, std = layer_norm(x, 1.0, 0.0, eps)  # (N, C) normalised, (N,)
    return xhat * gamma + beta, (xhat, (1.0 / std)[:, None])


def _layer_norm_backward(dout: np.ndarray, gamma: np.ndarray, cache) -> tuple[np.ndarray, ...]:
    xhat, rstd = cache
    dgamma = (dout * xhat).sum(axis=0)  # (C,)
    dbeta = dout.sum(axis=0)  # (C,)
    dxhat = dout * gamma  # (N, C)
    dx = rstd * (dxhat - dxhat.mean(axis=-1, keepdims=True)
                 - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))  # (N, C)
    return dx, dgamma, dbeta


def _split_heads(x: np.ndarray, B: int, T: int, H: int) -> np.ndarray:
    return x.reshape(B, T, H, -1).transpose(0, 2, 1, 3)  # (N, C) -> (B, H, T, A)


def _merge_heads(x: np.ndarray) -> np.ndarray:
    return merge_heads(x).reshape(-1, x.shape[1] * x.shape[3])  # (B, H, T, A) -> (N, C)


def forward(params: Params, config: GPTConfig, tokens: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Logits (B, T, V) for tokens (B, T), and the cache that `backward` needs."""
    B, T = tokens.shape
    C, H = config.n_embd, config.n_head
    eps, activation = config.layer_norm_eps, config.activation
    scale = 1.0 / math.sqrt(config.head_size)

    x = (params["wte"][tokens] + params["wpe"][:T]).reshape(B * T, C)  # (N, C), N = B*T
    layers = []
    for i in range(config.n_layer):
        p = f"layers.{i}."
        ln1, ln1_cache = _layer_norm(x, params[p + "ln1.gamma"], params[p + "ln1.beta"], eps)  # (N, C)
        w_qkv = np.concatenate([params[p + "attn.wq"], params[p + "attn.wk"], params[p + "attn.wv"]], axis=1)
        b_qkv = np.concatenate([params[p + "attn.bq"], params[p + "attn.bk"], params[p + "attn.bv"]])
        qkv = linear(ln1, w_qkv, b_qkv).reshape(B, T, 3 * C)  # (B, T, 3C)
        q, k, v = split_heads(qkv, H)  # (B, H, T, A) each
        probs, _, _ = softmax(causal_scores(q, k))  # (B, H, T, T)
        heads = _merge_heads(probs @ v)  # (N, C)
        x1 = x + linear(heads, params[p + "attn.wproj"], params[p + "attn.bproj"])  # (N, C)

        ln2, ln2_cache = _layer_norm(x1, params[p + "ln2.gamma"], params[p + "ln2.beta"], eps)  # (N, C)
        fc = linear(ln2, params[p + "mlp.wfc"], params[p + "mlp.bfc"])  # (N, 4C)
        act, dact_dfc = gelu_and_grad(fc, activation)  # (N, 4C) each
        x = x1 + linear(act, params[p + "mlp.wproj"], params[p + "mlp.bproj"])  # (N, C)
        layers.append(dict(ln1=ln1, ln1_cache=ln1_cache, w_qkv=w_qkv, q=q, k=k, v=v, probs=probs,
                           heads=heads, ln2=ln2, ln2_cache=ln2_cache, dact_dfc=dact_dfc, act=act))

    lnf, lnf_cache = _layer_norm(x, params["ln_f.gamma"], params["ln_f.beta"], eps)  # (N, C)
    head = params["wte"] if config.tied_head else params["lm_head"]  # (V, C)
    logits = lnf @ head.T  # (N, V)
    cache = dict(tokens=tokens, layers=layers, lnf=lnf, lnf_cache=lnf_cache, scale=scale)
    return logits.reshape(B, T, -1), cache


def cross_entropy(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over the positions where mask is true, and its gradient w.r.t. logits (B, T, V)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)  # (B, T, V)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=-1, keepdims=True)  # (B, T, 1)
    log_probs = shifted - np.log(sum_exp)  # (B, T, V)
    weight = mask.astype(logits.dtype) / max(int(mask.sum()), 1)  # (B, T)
    target_log_probs = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]  # (B, T)
    loss = -float((target_log_probs * weight).sum())
    dlogits = exp / sum_exp  # (B, T, V)
    index = targets[..., None]  # (B, T, 1)
    np.put_along_axis(dlogits, index, np.take_along_axis(dlogits, index, axis=-1) - 1.0, axis=-1)
    return loss, dlogits * weight[..., None]


def backward(params: Params, config: GPTConfig, cache: dict[str, Any], dlogits: np.ndarray) -> Params:
    """Gradients of every parameter, given dLoss/dlogits (B, T, V) and the cache of `forward`."""
    tokens = cache["tokens"]
    B, T = tokens.shape
    C, H = config.n_embd, config.n_head
    scale = cache["scale"]
    grads: Params = {}

    dlogits = dlogits.reshape(B * T, -1)  # (N, V)
    head = params["wte"] if config.tied_head else params["lm_head"]  # (V, C)
    dhead = dlogits.T @ cache["lnf"]  # (V, C)
    dx, grads["ln_f.gamma"], grads["ln_f.beta"] = _layer_norm_backward(
        dlogits @ head, params["ln_f.gamma"], cache["lnf_cache"])  # (N, C)

    for i in reversed(range(config.n_layer)):
        p, layer = f"layers.{i}.", cache["layers"][i]
        # x = x1 + gelu(ln2 @ wfc + bfc) @ wproj + bproj
        grads[p + "mlp.wproj"] = layer["act"].T @ dx  # (4C, C)
        grads[p + "mlp.bproj"] = dx.sum(axis=0)
        dfc = (dx @ params[p + "mlp.wproj"].T) * layer["dact_dfc"]  # (N, 4C)
        grads[p + "mlp.wfc"] = layer["ln2"].T @ dfc  # (C, 4C)
        grads[p + "mlp.bfc"] = dfc.sum(axis=0)
        dln2, grads[p + "ln2.gamma"], grads[p + "ln2.beta"] = _layer_norm_backward(
            dfc @ params[p + "mlp.wfc"].T, params[p + "ln2.gamma"], layer["ln2_cache"])
        dx1 = dx + dln2  # (N, C)

        # x1 = x + softmax(mask(q k^T * scale)) v @ wproj + bproj
        grads[p + "attn.wproj"] = layer["heads"].T @ dx1  # (C, C)
        grads[p + "attn.bproj"] = dx1.sum(axis=0)
        dheads = _split_heads(dx1 @ params[p + "attn.wproj"].T, B, T, H)  # (B, H, T, A)
        q, k, v, probs = layer["q"], layer["k"], layer["v"], layer["probs"]
        dprobs = dheads @ v.transpose(0, 1, 3, 2)  # (B, H, T, T)
        dv = probs.transpose(0, 1, 3, 2) @ dheads  # (B, H, T, A)
        # softmax backward; masked entries have probs == 0, so they get no gradient
        dscores = probs * (dprobs - (dprobs * probs).sum(axis=-1, keepdims=True)) * scale  # (B, H, T, T)
        dq = dscores @ k  # (B, H, T, A)
        dk = dscores.transpose(0, 1, 3, 2) @ q  # (B, H, T, A)
        dqkv = np.concatenate([_merge_heads(dq), _merge_heads(dk), _merge_heads(dv)], axis=1)  # (N, 3C)
        dw_qkv = layer["ln1"].T @ dqkv  # (C, 3C)
        db_qkv = dqkv.sum(axis=0)  # (3C,)
        for j, name in enumerate("qkv"):
            grads[p + f"attn.w{name}"] = dw_qkv[:, j * C:(j + 1) * C]
            grads[p + f"attn.b{name}"] = db_qkv[j * C:(j + 1) * C]
        dln1, grads[p + "ln1.gamma"], grads[p + "ln1.beta"] = _layer_norm_backward(
            dqkv @ layer["w_qkv"].T, params[p + "ln1.gamma"], layer["ln1_cache"])
        dx = dx1 + dln1  # (N, C)

    dx = dx.reshape(B, T, C)
    dwpe = np.zeros_like(params["wpe"])
    dwpe[:T] = dx.sum(axis=0)
    grads["wpe"] = dwpe
    dwte = np.zeros_like(params["wte"])
    np.add.at(dwte, tokens.reshape(-1), dx.reshape(B * T, C))
    if config.tied_head:
        dwte += dhead
    else:
        grads["lm_head"] = dhead
    grads["wte"] = dwte
    return {name: grads[name] for name in params}


def loss_and_grads(params: Params, config: GPTConfig, tokens: np.ndarray, targets: np.ndarray,
                   mask: np.ndarray) -> tuple[float, Params]:
    """Masked mean cross-entropy of next-token prediction and the gradient of every parameter."""
    logits, cache = forward(params, config, tokens)
    loss, dlogits = cross_entropy(logits, targets, mask)
    return loss, backward(params, config, cache, dlogits)


# ---------------------------------------------------------------------------------------------------------
# optimiser and training loop


class AdamW:
    """Adam with decoupled weight decay, applied to matrices only (not to biases or layer-norm gains)."""

    def __init__(self, params: Params, weight_decay: float = 0.1, betas: tuple[float, float] = (0.9, 0.99),
                 eps: float = 1e-8) -> None:
        self.weight_decay, self.betas, self.eps = weight_decay, betas, eps
        self.m = {name: np.zeros_like(value) for name, value in params.items()}
        self.v = {name: np.zeros_like(value) for name, value in params.items()}
        self.step_count = 0

    def step(self, params: Params, grads: Params, lr: float) -> None:
        """Update params in place."""
        self.step_count += 1
        beta1, beta2 = self.betas
        correction1 = 1.0 - beta1**self.step_count
        correction2 = 1.0 - beta2**self.step_count
        for name, value in params.items():
            g = grads[name]
            m, v = self.m[name], self.v[name]
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * g * g
            if value.ndim == 2 and self.weight_decay:
                value *= 1.0 - lr * self.weight_decay
            value -= lr * (m / correction1) / (np.sqrt(v / correction2) + self.eps)


@dataclass(frozen=True)
class TrainSettings:
    """Hyper-parameters of a training run."""

    steps: int = 2000
    batch_size: int = 64
    lr: float = 2e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    seed: int = 0


def learning_rate(step: int, settings: TrainSettings) -> float:
    """Linear warm-up, then cosine decay to min_lr at the last step."""
    if step < settings.warmup_steps:
        return settings.lr * (step + 1) / settings.warmup_steps
    span = max(settings.steps - settings.warmup_steps, 1)
    progress = min((step - settings.warmup_steps) / span, 1.0)
    return settings.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (settings.lr - settings.min_lr)


def clip_grads(grads: Params, max_norm: float) -> float:
    """Scale all gradients in place so their global norm is at most max_norm; returns the norm before."""
    norm = math.sqrt(sum(float((g * g).sum()) for g in grads.values()))
    if max_norm > 0 and norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return norm


@dataclass
class TrainResult:
    """What a training run produced."""

    params: Params
    losses: list[float]
    seconds: float


def train(config: GPTConfig, tokens: np.ndarray, targets: np.ndarray, mask: np.ndarray,
          settings: TrainSettings, dtype=np.float32, progress: bool = False, lang: str = "en") -> TrainResult:
    """Train from scratch on a fixed data set (rows sampled with replacement); same seed, same weights.
    `progress`: a progress bar on stderr, in `lang`."""
    rng = np.random.default_rng(settings.seed)
    params = init_params(config, seed=settings.seed, dtype=dtype)
    optimizer = AdamW(params, weight_decay=settings.weight_decay)
    bar = TrainingBar(settings.steps, lang=lang) if progress else None
    losses: list[float] = []
    start = time.perf_counter()
    try:
        for step in range(settings.steps):
            rows = rng.integers(0, len(tokens), size=settings.batch_size)  # (B,)
            loss, grads = loss_and_grads(params, config, tokens[rows], targets[rows], mask[rows])
            clip_grads(grads, settings.grad_clip)
            optimizer.step(params, grads, learning_rate(step, settings))
            losses.append(loss)
            if bar:
                bar.update(step + 1, float(np.mean(losses[-20:])))
    finally:  # also on Ctrl+C: what follows on stderr starts a line of its own
        if bar:
            bar.close()
    return TrainResult(params=params, losses=losses, seconds=time.perf_counter() - start)


def train_sort(config: GPTConfig, settings: TrainSettings, progress: bool = False, lang: str = "en"
               ) -> TrainResult:
    """Train a model on the letter-sorting task over all 729 inputs."""
    from glviz.model.sort_task import all_inputs, training_batch

    tokens, targets, mask = training_batch(all_inputs())  # (729, 11) each
    return train(config, tokens, targets, mask, settings, progress=progress, lang=lang)


def to_weights(params: Params, config: GPTConfig) -> Weights:
    """The trained parameters as float32 Weights (what save_npz writes)."""
    from glviz.model.weights import Weights

    tensors = {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in params.items()}
    return Weights(config=config, tensors=tensors, tokenizer=None)
