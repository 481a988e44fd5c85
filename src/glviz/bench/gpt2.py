"""`glviz bench gpt2`: GPT-2 small growing by one token, on a random full-size checkpoint written here.

The checkpoint is a real Hugging Face folder (config.json + model.safetensors, written with the safetensors
package into a temporary directory) read back with `load_weights`, as a user's would be. Each measurement is
one function taking the shared `Setup` and returning its numbers by JSON key; `MEASUREMENTS` lists them in
order and `ROWS` says how each key is printed, so more can be added (the app's own numbers) without touching
the others.

- kv_step_t1024_s: one KV-cache step (the logits of position 1024 given 1023 cached) - what `glviz generate`
  does per token, measured in a child process that runs as `generate` does (the step split among
  processes, model/kv_split.py, where it can be: kv_processes says how many ran it). Its floor,
  kv_floor_t1024_s, is the bytes of the weights the step reads (every matrix and the head once) over the
  memory bandwidth measured before and after the steps in that process, with no helper alive (a 256 MiB
  matrix-vector product on every BLAS thread, the fastest way found here to stream memory into arithmetic:
  24-45 GB/s, numpy's sum 16).
- trace_append_t128_s, trace_append_t1024_s: Trace.append of one token to a fully computed trace (every
  intermediate of the new position, the app's step before its GPU uploads).
- trace_peak_rss_t1024_mb: peak memory of a fresh process that loads the checkpoint and grows a trace to 1024.
- open_to_first_frame_s, append_token_t128_s, append_token_t1024_s, peak_rss_t1024_mb: the same through the
  app (bench/gpt2_app.py): opening the checkpoint to the first frame with values, Next token to the frame
  that shows it, the app process's peak memory at T = 1024.
- fps_overview, fps_close and the renderer's time per new token: glviz.bench.gpt2_view.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glviz.bench.common import machine_description, median_seconds, print_result, print_table, requested_runs
from glviz.bench.forward import bracketed_seconds
from glviz.bench.gpt2_app import measure_app
from glviz.bench.gpt2_view import ROWS as VIEW_ROWS
from glviz.bench.gpt2_view import measure_view
from glviz.model.config import PRESETS, GPTConfig, param_count

MIN_RUNS = 7
BANDWIDTH_MATRIX = (16384, 4096)  # 256 MiB of float32: far beyond any cache


@dataclass
class Setup:
    """What the measurements share: the checkpoint folder, its weights as loaded, how many runs."""

    directory: Path
    weights: Any
    runs: int
    results: dict[str, Any] = field(default_factory=dict)  # what earlier measurements found


def write_checkpoint(directory: Path, config: GPTConfig = PRESETS["gpt2"], seed: int = 0) -> Path:
    """Random GPT-2-shaped weights as a Hugging Face folder."""
    from glviz.model.weights import random_weights, save_hf

    return save_hf(random_weights(config, seed=seed), directory)


def step_weight_bytes(config: GPTConfig) -> int:
    """Bytes of float32 weights one cached step reads: every parameter once (the tied head is the token
    table, read whole), less the position table of which it reads one row."""
    return 4 * (param_count(config) - config.block_size * config.n_embd)


def _tokens(config: GPTConfig, n: int) -> np.ndarray:
    return np.random.default_rng(1).integers(0, config.vocab_size, n)


# ---- measurements: f(setup) -> {json key: value}


def bandwidth_product() -> tuple[Callable[[], object], int]:
    """A matrix-vector product with a 256 MiB matrix, as a callable, and the bytes it streams."""
    matrix = np.random.default_rng(0).standard_normal(BANDWIDTH_MATRIX, dtype=np.float32)
    vector = np.ones(BANDWIDTH_MATRIX[1], np.float32)
    return lambda: matrix @ vector, matrix.nbytes


def kv_step_numbers(directory: str, runs: int, T: int = 1024, split: bool = True) -> dict[str, Any]:
    """One cached step at position T (T - 1 positions in the cache), and its floor: the weights' bytes over
    the bandwidth, timed just before and after the steps (this machine's speed drifts within minutes; a
    product between every two steps would evict what a step finds in cache and slow it by half)."""
    from glviz.model.kv import KVCache
    from glviz.model.weights import load_weights

    weights = load_weights(directory)
    config = weights.config
    tokens = _tokens(config, T)
    cache = KVCache(weights, capacity=T, split=split)  # as `glviz generate` runs it (split=False: in one)
    cache.step(tokens[: T - 1], last_only=True)

    def step() -> None:
        cache.step(tokens[T - 1 :], last_only=True)
        cache.truncate(T - 1)

    processes = 1

    def end_split() -> None:  # the helpers spin on their cores while they live: the products run without them
        nonlocal processes
        processes = cache.processes
        cache.close()

    product, nbytes = bandwidth_product()
    # Products before and after; the warm-up step starts the split's helpers.
    steps, products = bracketed_seconds(step, product, max(runs, 15), after_traces=end_split)
    seconds, bandwidth = statistics.median(steps), nbytes / statistics.median(products)
    floor = step_weight_bytes(config) / bandwidth
    return {"bandwidth_gbs": bandwidth / 1e9, f"kv_step_t{T}_s": seconds, f"kv_floor_t{T}_s": floor,
            f"kv_ratio_t{T}": seconds / floor, "kv_processes": processes}


def measure_kv_step(setup: Setup, T: int = 1024) -> dict[str, Any]:
    """`kv_step_numbers` in a child process that runs as `glviz generate` does, its BLAS threads spinning
    between calls (model/blas.SPINNING_COMMANDS); this process's sleep at once, as the app's must."""
    from glviz.model.blas import spinning_environment

    return _in_child(kv_step_numbers, str(setup.directory), setup.runs, T, env=spinning_environment())


def _in_child(function: Callable[..., dict[str, Any]], *args: object, env: dict[str, str] | None = None
              ) -> dict[str, Any]:
    """What this module's `function(*args)` returns (JSON values), run in a fresh Python process."""
    name = function.__name__
    code = f"import json; from glviz.bench.gpt2 import {name}; print(json.dumps({name}(*{args!r})))"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900, env=env)
    if child.returncode != 0:
        raise RuntimeError(f"the benchmark's child process failed ({name}): {child.stderr.strip()}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def measure_torch_kv_step(setup: Setup, T: int = 1024) -> dict[str, Any]:
    """PyTorch's cached step on the same checkpoint, where torch and transformers are installed."""
    try:
        import torch
        import transformers
    except ImportError:
        return {}
    import inspect
    import warnings

    torch.set_num_threads(os.cpu_count() or 1)
    transformers.logging.set_verbosity_error()  # no progress bar or advice among the bench's lines
    transformers.logging.disable_progress_bar()
    model = transformers.GPT2LMHeadModel.from_pretrained(str(setup.directory)).eval()
    # The cache's argument was `past_key_values` up to transformers 5.x, which calls it `cache`.
    name = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    ids = torch.from_numpy(_tokens(setup.weights.config, T)[None])  # (1, T)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        cache = getattr(model(ids[:, : T - 1], use_cache=True), name)

        def step() -> None:
            model(ids[:, T - 1 :], use_cache=True, **{name: cache})
            cache.crop(-1)  # back to T - 1 positions

        seconds, _ = median_seconds(step, runs=max(setup.runs, 15), warmup=2)
    return {f"torch_kv_step_t{T}_s": seconds, "torch": torch.__version__}


def measure_append(setup: Setup, sizes: tuple[int, ...] = (128, 1024)) -> dict[str, Any]:
    """Trace.append of one token until the trace holds T tokens, after a full trace of the tokens before."""
    from glviz.model.trace import Trace

    config = setup.weights.config
    result: dict[str, Any] = {}
    for T in sizes:
        runs = max(setup.runs, 5)
        tokens = _tokens(config, T)
        trace = Trace(setup.weights, tokens[: T - runs], capacity=config.block_size)
        trace["probs"]  # every stage computed (big values beyond the trace's budget dropped as the app's)
        times = []
        for t in range(T - runs, T):
            start = time.perf_counter()
            trace.append(tokens[t : t + 1])
            times.append(time.perf_counter() - start)
        result[f"trace_append_t{T}_s"] = statistics.median(times)
        result[f"trace_append_t{T}_max_s"] = max(times)
        del trace
    return result


def grown_trace_peak_rss(directory: str, T: int = 1024, prompt: int = 8, chunk: int = 32) -> dict[str, Any]:
    """In a fresh process: load the checkpoint, trace `prompt` tokens fully, append up to T (by `chunk`
    tokens at a time: the same values kept as one by one, in a thirtieth of the time); peak RSS."""
    from glviz.bench.common import own_peak_rss_mb
    from glviz.model.trace import Trace
    from glviz.model.weights import load_weights

    weights = load_weights(directory)
    tokens = _tokens(weights.config, T)
    trace = Trace(weights, tokens[:prompt], capacity=weights.config.block_size)
    trace["probs"]
    for t in range(prompt, T, chunk):
        trace.append(tokens[t : min(t + chunk, T)])
    return {"T": trace.T, "peak_rss_mb": own_peak_rss_mb()}


def measure_peak_rss(setup: Setup, T: int = 1024) -> dict[str, Any]:
    """`grown_trace_peak_rss` in a child process, so that the peak is the trace's and not this process's."""
    found = _in_child(grown_trace_peak_rss, str(setup.directory), T)
    return {f"trace_peak_rss_t{T}_mb": found["peak_rss_mb"]}


MEASUREMENTS: list[Callable[[Setup], dict[str, Any]]] = [
    measure_kv_step,
    measure_torch_kv_step,
    measure_append,
    measure_peak_rss,
    measure_app,
    measure_view,
]

# json key -> (label, format, target); keys a run did not measure are not printed
ROWS: dict[str, tuple[str, str, str]] = {
    "bandwidth_gbs": ("memory bandwidth (256 MiB matrix-vector product)", "{:.1f} GB/s", ""),
    "kv_step_t1024_s": ("KV-cache logits step, T=1024", "{:.4f} s", "<= 1.5x the floor"),
    "kv_floor_t1024_s": ("  floor: weight bytes / bandwidth", "{:.4f} s", ""),
    "kv_ratio_t1024": ("  ratio to the floor", "{:.2f}", "<= 1.5"),
    "kv_processes": ("  processes that ran the step", "{}", ""),
    "torch_kv_step_t1024_s": ("  PyTorch's cached step, same checkpoint", "{:.4f} s", "slower than ours"),
    "trace_append_t128_s": ("Trace.append one token, T=128", "{:.4f} s", ""),
    "trace_append_t128_max_s": ("  slowest of the runs", "{:.4f} s", ""),
    "trace_append_t1024_s": ("Trace.append one token, T=1024", "{:.4f} s", ""),
    "trace_append_t1024_max_s": ("  slowest of the runs", "{:.4f} s", ""),
    "trace_peak_rss_t1024_mb": ("peak RSS, a trace grown to T=1024", "{:.0f} MB", ""),
    "open_to_first_frame_s": ("app: open -> first frame with values, 16 tokens", "{:.2f} s", "<= 2.0 s"),
    "append_token_t128_s": ("app: Next token -> its frame, T=128", "{:.3f} s", "<= 0.1 s"),
    "append_token_t128_max_s": ("  slowest of the runs", "{:.3f} s", ""),
    "append_token_t1024_s": ("app: Next token -> its frame, T=1024", "{:.3f} s", "<= 0.3 s"),
    "append_token_t1024_max_s": ("  slowest of the runs", "{:.3f} s", ""),
    "peak_rss_t1024_mb": ("app: peak RSS with a trace at T=1024", "{:.0f} MB", "<= 2500 MB"),
    **VIEW_ROWS,
}


def run(args: argparse.Namespace) -> int:
    """Measure and print the GPT-2 numbers (a JSON line too with args.json); 0."""
    from glviz.model.weights import load_weights

    runs = max(MIN_RUNS, requested_runs(args))
    with tempfile.TemporaryDirectory(prefix="glviz-bench-gpt2-") as folder:
        directory = write_checkpoint(Path(folder) / "gpt2-random")
        setup = Setup(directory, load_weights(directory), runs)
        for measure in MEASUREMENTS:
            setup.results.update(measure(setup))
    machine = machine_description()
    result = {"benchmark": "gpt2", **setup.results, "runs": runs, "machine": machine}
    rows = [("machine", f"{machine['cpu']}, {machine['cores']} cores"),
            ("numpy", f"{machine['numpy']} with {machine['blas']}")]
    for key, (label, form, target) in ROWS.items():
        if key in setup.results:
            rows.append((label, form.format(setup.results[key]) + (f"  (target {target})" if target else "")))
    print_table(f"bench gpt2 (random GPT-2 small from a Hugging Face folder, medians of {runs}+ runs)", rows)
    print_result(result, args.json)
    return 0
