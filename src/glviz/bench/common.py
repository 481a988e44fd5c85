"""Helpers shared by the benchmarks: timing medians, peak memory, a description of the machine."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any


def median_seconds(fn: Callable[[], Any], runs: int = 5, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall time of `fn()` over `runs` runs after `warmup` unmeasured ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def requested_runs(args: Any) -> int:
    """The --runs the user asked for (5 when args has none or it is 0); each benchmark applies its minimum."""
    return int(getattr(args, "runs", 5) or 5)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def own_peak_rss_mb() -> float:
    """Peak resident set size of this program since it started (Linux VmHWM), in MB. Unlike ru_maxrss, it
    does not count the parent's memory that a child started by fork held until its exec."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return peak_rss_mb()


def current_rss_mb() -> float:
    """Current resident set size of this process, in MB (Linux /proc; falls back to the peak)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def machine_description() -> dict[str, Any]:
    """CPU model, core count, Python and numpy versions, numpy's BLAS."""
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas_name(),
    }


def _blas_name() -> str:
    """The BLAS numpy was built with, e.g. "scipy-openblas 0.3.31" ("unknown" where numpy does not say)."""
    import numpy as np

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas['version']}"
    except Exception:  # older numpy, or a build that records no BLAS
        return "unknown"


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    """Print `title`, then one aligned `name  value` line per row."""
    width = max(len(name) for name, _ in rows)
    print(title)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def print_result(result: dict[str, Any], as_json: bool) -> None:
    """Print a benchmark's result; with `as_json` the last line is one JSON object."""
    if as_json:
        print(json.dumps(result))
