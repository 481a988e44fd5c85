"""Shared by the model tests: varied random weights, and Hugging Face GPT-2 folders written with the
safetensors and tokenizers packages (config.json, model.safetensors, a trained byte-level BPE)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from glviz.model.config import GPTConfig
from glviz.model.weights import Weights, random_weights

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A transformer predicts the next token from the tokens before it.",
    "Every number the model computes can be shown as a small coloured cell.",
    "Attention mixes information between positions; the MLP works on each position alone.",
]

TINY = GPTConfig(n_layer=2, n_head=2, n_embd=12, vocab_size=320, block_size=16, name="tiny")


def varied_weights(config: GPTConfig, seed: int = 0) -> Weights:
    """Random weights with random biases and gains, so that a mix-up of any two tensors changes the logits."""
    weights = random_weights(config, seed=seed, std=0.2)
    rng = np.random.default_rng(seed + 1)
    for name, array in weights.tensors.items():
        if array.ndim == 1:
            array[...] = (1.0 if name.endswith("gamma") else 0.0) + 0.1 * rng.standard_normal(array.shape)
    return weights


def hf_tensors(
    weights: Weights, *, prefix: bool = True, buffers: bool = True, lm_head: bool = False
) -> dict[str, np.ndarray]:
    """Our weights under Hugging Face GPT-2 names, in its Conv1D (in, out) layout."""
    c = weights.config
    pre = "transformer." if prefix else ""
    out = {
        pre + "wte.weight": weights["wte"],
        pre + "wpe.weight": weights["wpe"],
        pre + "ln_f.weight": weights["ln_f.gamma"],
        pre + "ln_f.bias": weights["ln_f.beta"],
    }
    for i in range(c.n_layer):
        h, p = f"{pre}h.{i}.", f"layers.{i}."
        out[h + "ln_1.weight"] = weights[p + "ln1.gamma"]
        out[h + "ln_1.bias"] = weights[p + "ln1.beta"]
        out[h + "attn.c_attn.weight"] = np.concatenate([weights[p + f"attn.w{n}"] for n in "qkv"], axis=1)
        out[h + "attn.c_attn.bias"] = np.concatenate([weights[p + f"attn.b{n}"] for n in "qkv"])
        out[h + "attn.c_proj.weight"] = weights[p + "attn.wproj"]
        out[h + "attn.c_proj.bias"] = weights[p + "attn.bproj"]
        out[h + "ln_2.weight"] = weights[p + "ln2.gamma"]
        out[h + "ln_2.bias"] = weights[p + "ln2.beta"]
        out[h + "mlp.c_fc.weight"] = weights[p + "mlp.wfc"]
        out[h + "mlp.c_fc.bias"] = weights[p + "mlp.bfc"]
        out[h + "mlp.c_proj.weight"] = weights[p + "mlp.wproj"]
        out[h + "mlp.c_proj.bias"] = weights[p + "mlp.bproj"]
        if buffers:
            T = c.block_size
            out[h + "attn.bias"] = np.tril(np.ones((T, T), np.float32))[None, None]
            out[h + "attn.masked_bias"] = np.array(-1e4, np.float32)
    if lm_head or not c.tied_head:
        out["lm_head.weight"] = weights["lm_head"]
    return {k: np.ascontiguousarray(v) for k, v in out.items()}


def hf_config(config: GPTConfig) -> dict:
    return {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "n_layer": config.n_layer,
        "n_head": config.n_head,
        "n_embd": config.n_embd,
        "vocab_size": config.vocab_size,
        "n_positions": config.block_size,
        "n_ctx": config.block_size,
        "layer_norm_epsilon": config.layer_norm_eps,
        "activation_function": {"gelu_new": "gelu_new", "gelu": "gelu"}[config.activation],
        "tie_word_embeddings": config.tied_head,
    }


def write_checkpoint(
    directory: Path, weights: Weights, *, tokenizer: str | None = "json", **options: bool
) -> Path:
    """A Hugging Face GPT-2 folder: config.json, model.safetensors and optionally a trained BPE tokenizer."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(hf_config(weights.config)))
    save_file(hf_tensors(weights, **options), str(directory / "model.safetensors"), metadata={"format": "pt"})
    if tokenizer is not None:
        write_tokenizer(directory, tokenizer)
    return directory


def write_tokenizer(directory: Path, form: str) -> None:
    """A byte-level BPE trained on a few sentences: tokenizer.json ("json") or vocab.json + merges.txt."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(SENTENCES, vocab_size=TINY.vocab_size, min_frequency=1, show_progress=False)
    if form == "json":
        bpe.save(str(directory / "tokenizer.json"))
    else:
        bpe.save_model(str(directory))
