"""`glviz bench forward`: a full trace of GPT-2 small (random weights, T=128, float32) against the GEMM floor.

The floor is the forward's matrix-multiply FLOPs divided by this machine's float32 GEMM rate (a large square
product), measured in the same run. The forward's own products are small in one dimension (T=128) and run
below that rate, so the run also times exactly those products alone (`gemm_shapes_seconds`): the difference
between that and the trace is everything that is not a GEMM (layer norms, softmaxes, GELU, copies, Python).
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import numpy as np

from glviz.bench.common import (
    machine_description,
    median_seconds,
    peak_rss_mb,
    print_result,
    print_table,
    requested_runs,
)
from glviz.model.config import PRESETS, GPTConfig

T_BENCH = 128
GEMM_SIZE = 2048
MIN_RUNS = 9  # the development machine's speed drifts: medians of 5 put the ratio 0.1 apart from run to run
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


def square_gemm() -> tuple[Callable[[], None], int]:
    """One float32 product of two GEMM_SIZE square matrices, as a callable, and its FLOPs: the rate it runs at
    is this machine's float32 GEMM rate."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((GEMM_SIZE, GEMM_SIZE), dtype=np.float32)
    b = rng.standard_normal((GEMM_SIZE, GEMM_SIZE), dtype=np.float32)
    out = np.empty_like(a)
    return lambda: np.matmul(a, b, out=out), 2 * GEMM_SIZE**3


def bracketed_seconds(
    trace: Callable[[], object], product: Callable[[], object], runs: int,
    after_traces: Callable[[], object] | None = None,
) -> tuple[list[float], list[float]]:
    """Wall times of `runs` traces in a row (after a warm-up), and of products timed half before and half
    after them: a shared machine's speed drifts, and the rate that sets the floor must be the traces'.
    `after_traces` runs between the traces and the second half (untimed)."""
    product_times = median_seconds(product, runs=(runs + 1) // 2, warmup=1)[1]
    trace_times = median_seconds(trace, runs=runs, warmup=1)[1]
    if after_traces is not None:
        after_traces()
    product_times += median_seconds(product, runs=(runs + 1) // 2, warmup=0)[1]
    return trace_times, product_times


def forward_gemms_only(weights, T: int) -> Callable[[], None]:
    """The forward's matrix products with its shapes and weights, and nothing else, as one callable."""
    config = weights.config
    C, H, A = config.n_embd, config.n_head, config.head_size
    rng = np.random.default_rng(1)
    x = rng.standard_normal((T, C), dtype=np.float32)
    h = rng.standard_normal((T, 4 * C), dtype=np.float32)
    q = rng.standard_normal((H, T, A), dtype=np.float32)
    p = rng.standard_normal((H, T, T), dtype=np.float32)
    outs = {n: np.empty(shape, np.float32) for n, shape in
            (("qkv", (T, 3 * C)), ("c", (T, C)), ("fc", (T, 4 * C)), ("tt", (H, T, T)), ("ta", (H, T, A)),
             ("head", (T, config.vocab_size)))}  # fmt: skip
    layers = [(weights.qkv(i)[0], weights[f"layers.{i}.attn.wproj"], weights[f"layers.{i}.mlp.wfc"],
               weights[f"layers.{i}.mlp.wproj"]) for i in range(config.n_layer)]  # fmt: skip
    head = weights.head_columns()  # (C, V), as the trace uses it

    def run() -> None:
        for wqkv, wproj, wfc, wmlp in layers:
            np.matmul(x, wqkv, out=outs["qkv"])
            np.matmul(q, q.swapaxes(-1, -2), out=outs["tt"])
            np.matmul(p, q, out=outs["ta"])
            np.matmul(x, wproj, out=outs["c"])
            np.matmul(x, wfc, out=outs["fc"])
            np.matmul(h, wmlp, out=outs["c"])
        np.matmul(x, head, out=outs["head"])

    return run


def _nano_weights():
    from glviz.model.weights import random_weights

    try:
        from glviz.model.sort_task import load_nano

        return load_nano(), "shipped"
    except Exception:  # not trained yet: the same shape with random weights times the same
        return random_weights(PRESETS["nano"]), "random"


def run(args: argparse.Namespace) -> int:
    """Measure and print the forward numbers (a JSON line too with args.json); 0."""
    from glviz.model.forward import Trace, logits
    from glviz.model.weights import random_weights

    runs = max(MIN_RUNS, requested_runs(args))
    config = PRESETS["gpt2"]
    weights = random_weights(config, seed=0)
    tokens = np.random.default_rng(0).integers(0, config.vocab_size, T_BENCH)
    product, product_flops = square_gemm()
    trace_times, product_times = bracketed_seconds(lambda: Trace(weights, tokens).full(), product, runs)
    trace_seconds = statistics.median(trace_times)
    rate = product_flops / statistics.median(product_times)
    flops = forward_flops(config, T_BENCH)
    floor = flops / rate
    shapes_seconds, _ = median_seconds(forward_gemms_only(weights, T_BENCH), runs=runs, warmup=1)
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
        "gpt2_t128_min_seconds": min(trace_times),
        "peak_rss_mb": peak,
        "gemm_gflops": rate / 1e9,
        "gemm_shapes_seconds": shapes_seconds,
        "ratio_to_gemm_shapes": trace_seconds / shapes_seconds,
        "forward_gflop": flops / 1e9,
        "nano_trace_ms": nano_trace * 1e3,
        "nano_logits_ms": nano_logits * 1e3,
        "nano_weights": nano_kind,
        "runs": runs,
        "gpt2_t128_all_seconds": trace_times,
        "machine": machine,
    }
    rows = [
        ("machine", f"{machine['cpu']}, {machine['cores']} cores"),
        ("numpy", f"{machine['numpy']} with {machine['blas']}"),
        ("GPT-2 small full trace, T=128, float32", f"{trace_seconds:.3f} s (median of {runs})"),
        ("float32 GEMM rate", f"{rate / 1e9:.0f} GFLOP/s ({GEMM_SIZE}^3, timed before and after the traces)"),
        ("GEMM floor", f"{floor:.3f} s ({flops / 1e9:.1f} GFLOP)"),
        ("ratio to floor", f"{trace_seconds / floor:.2f} (target <= 1.3)"),
        ("  the fastest trace against it", f"{min(trace_times) / floor:.2f}"),
        ("the forward's GEMMs alone", f"{shapes_seconds:.3f} s ({flops / shapes_seconds / 1e9:.0f} GFLOP/s)"),
        ("ratio to its GEMMs alone", f"{trace_seconds / shapes_seconds:.2f}"),
        ("PyTorch CPU reference", f"{PYTORCH_REFERENCE_SECONDS:.2f} s (measured once on the dev machine)"),
        ("peak memory", f"{peak:.0f} MB"),
        (f"nano full trace ({nano_kind} weights)", f"{nano_trace * 1e3:.3f} ms"),
        ("nano logits (fast path)", f"{nano_logits * 1e3:.3f} ms"),
    ]
    print_table("bench forward", rows)
    print_result(result, args.json)
    return 0
