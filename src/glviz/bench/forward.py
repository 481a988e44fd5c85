"""`glviz bench forward`: a full trace of GPT-2 small (random weights, T=128, float32) against the GEMM floor.

The floor is the forward's matrix-multiply FLOPs divided by this machine's float32 GEMM rate, measured in the
same run; the ratio says how much time goes to everything that is not a GEMM (layer norms, softmax, GELU,
copies, Python).
"""

from __future__ import annotations

import argparse

import numpy as np

from glviz.bench.common import machine_description, median_seconds, peak_rss_mb, print_result
from glviz.model.config import PRESETS, GPTConfig

T_BENCH = 128
GEMM_SIZE = 2048
# PyTorch 2.x CPU forward of the same model on the development machine (2 cores), for comparison only.
PYTORCH_REFERENCE_SECONDS = 0.23


def forward_flops(config: GPTConfig, T: int) -> int:
    """Multiply-add FLOPs (2 per MAC) of the forward's matrix products at T tokens, LM head included."""
    C, V = config.n_embd, config.vocab_size
    per_layer = (
        2 * T * C * 3 * C  # q, k, v
        + 2 * T * T * C  # scores, all heads, masked entries included (they are computed)
        + 2 * T * T * C  # probs @ v
        + 2 * T * C * C  # attention projection
        + 2 * 2 * T * C * 4 * C  # MLP up and down
    )
    return config.n_layer * per_layer + 2 * T * C * V


def gemm_rate(runs: int) -> float:
    """This machine's float32 GEMM rate in FLOP/s: median over `runs` square products of size GEMM_SIZE."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((GEMM_SIZE, GEMM_SIZE), dtype=np.float32)
    b = rng.standard_normal((GEMM_SIZE, GEMM_SIZE), dtype=np.float32)
    out = np.empty_like(a)
    seconds, _ = median_seconds(lambda: np.matmul(a, b, out=out), runs=runs, warmup=1)
    return 2 * GEMM_SIZE**3 / seconds


def _nano_weights():
    from glviz.model.weights import random_weights

    try:
        from glviz.model.sort_task import load_nano

        return load_nano(), "shipped"
    except Exception:  # not trained yet: the same shape with random weights times the same
        return random_weights(PRESETS["nano"]), "random"


def run(args: argparse.Namespace) -> int:
    from glviz.model.forward import Trace, logits
    from glviz.model.weights import random_weights

    runs = max(5, int(getattr(args, "runs", 5) or 5))
    config = PRESETS["gpt2"]
    weights = random_weights(config, seed=0)
    tokens = np.random.default_rng(0).integers(0, config.vocab_size, T_BENCH)
    trace_seconds, trace_times = median_seconds(lambda: Trace(weights, tokens).full(), runs=runs, warmup=1)
    rate = gemm_rate(runs)
    flops = forward_flops(config, T_BENCH)
    floor = flops / rate
    peak = peak_rss_mb()

    nano, nano_kind = _nano_weights()
    nano_tokens = np.arange(nano.config.block_size) % nano.config.vocab_size
    nano_trace, _ = median_seconds(lambda: Trace(nano, nano_tokens).full(), runs=max(runs, 200), warmup=10)
    nano_logits, _ = median_seconds(lambda: logits(nano, nano_tokens), runs=max(runs, 200), warmup=10)

    machine = machine_description()
    result = {
        "benchmark": "forward",
        "gpt2_t128_seconds": trace_seconds,
        "gemm_floor_seconds": floor,
        "ratio": trace_seconds / floor,
        "peak_rss_mb": peak,
        "gemm_gflops": rate / 1e9,
        "forward_gflop": flops / 1e9,
        "nano_trace_ms": nano_trace * 1e3,
        "nano_logits_ms": nano_logits * 1e3,
        "nano_weights": nano_kind,
        "runs": runs,
        "gpt2_t128_all_seconds": trace_times,
        "machine": machine,
    }
    rows = [
        ("machine", f"{machine['cpu']}, {machine['cores']} cores, numpy {machine['numpy']}"),
        ("GPT-2 small full trace, T=128, float32", f"{trace_seconds:.3f} s (median of {runs})"),
        ("float32 GEMM rate", f"{rate / 1e9:.0f} GFLOP/s ({GEMM_SIZE}^3)"),
        ("GEMM floor", f"{floor:.3f} s ({flops / 1e9:.1f} GFLOP)"),
        ("ratio to floor", f"{trace_seconds / floor:.2f} (target <= 1.3)"),
        ("PyTorch CPU reference", f"{PYTORCH_REFERENCE_SECONDS:.2f} s (measured once on the dev machine)"),
        ("peak memory", f"{peak:.0f} MB"),
        (f"nano full trace ({nano_kind} weights)", f"{nano_trace * 1e3:.3f} ms"),
        ("nano logits (fast path)", f"{nano_logits * 1e3:.3f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    print("bench forward")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print_result(result, args.json)
    return 0
