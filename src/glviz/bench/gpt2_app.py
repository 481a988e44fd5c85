"""The app's numbers for `glviz bench gpt2`: a headless GlvizApp on EGL at 1280×720 opening the benchmark's
random full-size GPT-2 small checkpoint and growing its trace through the app's own path.

- open_to_first_frame_s: from `app.open_checkpoint(folder, 16 tokens)` to the end of the first frame drawn
  with the checkpoint's values (read, traced, laid out, uploaded, drawn; meanwhile the window's loop looks
  every 50 ms and draws the progress bar every 0.25 s, as ui/window.py does, and the load's end wakes it).
- append_token_t128_s / append_token_t1024_s: Next token pressed until the frame that shows it is drawn
  (the worker's append, the layout for the new T, the value upload, one frame), ending at T; the frame is
  drawn when the worker is done, as the window is woken then (ui/wakeup.py). Each press
  comes READ_S after the frame before, as a user reads the token before asking for the next (the app
  prepares the next token's layout meanwhile: trace_worker.prepare_next); Generate N is not measured.
- peak_rss_t1024_mb: the peak memory of that process, which ends with a trace at T = 1024.
All in a fresh child process, so that the peak is the app's own. Values go to the GPU as the app sends them
(ui/tracing.upload_values: the weights once, then only what a new token changed).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

SIZE = (1280, 720)
FRAME_S = 0.05  # the window's loop looks every 50 ms while a load runs (ui/window.py)
READ_S = 0.25  # between a token shown and the next press of Next token


def _frame(app, fbo) -> None:
    app.frame(fbo, dt=FRAME_S)
    app.ctx.finish()


def _open(app, fbo, directory: str, tokens: np.ndarray) -> float:
    start = time.perf_counter()
    app.open_checkpoint(directory, tokens=tokens)
    _frame(app, fbo)  # the frame of the click
    while True:
        # As the window's loop: it waits for events up to 50 ms, then asks; the load's end wakes it
        # (ui/wakeup.py).
        load = app.loading
        if load is not None:
            load.ended.wait(FRAME_S)
        else:
            time.sleep(FRAME_S)
        if not app.background_frame_due():
            continue
        _frame(app, fbo)
        if app.view.is_checkpoint:
            return time.perf_counter() - start
        if app.loading is None:
            raise RuntimeError(f"the checkpoint did not open: {app.messages[-1:]}")


def _retrace(app, fbo, tokens: np.ndarray) -> None:
    """The prompt box given these ids (the benchmark's checkpoint has no tokenizer), traced and shown."""
    if not app.edit_prompt(", ".join(str(int(t)) for t in tokens)):
        raise RuntimeError(app.prompt.error)
    app.view.worker.wait(timeout=1800)
    _frame(app, fbo)


def _appends(app, fbo, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        time.sleep(READ_S)
        T = app.view.trace.T
        start = time.perf_counter()
        app.generation.next_token()
        app.view.worker.wait(timeout=600)
        _frame(app, fbo)
        times.append(time.perf_counter() - start)
        if app.view.layout.n_tokens != T + 1:
            raise RuntimeError(f"the frame after Next token shows T={app.view.layout.n_tokens}, not {T + 1}")
    return times


def app_numbers(directory: str, runs: int = 5, big_runs: int = 3) -> dict[str, Any]:
    """In this process: the app opens the checkpoint, then grows its trace to 128 and to 1024 tokens."""
    from glviz.bench.common import own_peak_rss_mb
    from glviz.render.context import create_standalone_context
    from glviz.ui.app import GlvizApp

    ctx = create_standalone_context()
    fbo = ctx.simple_framebuffer(SIZE)
    with tempfile.TemporaryDirectory(prefix="glviz-bench-app-") as shots:
        app = GlvizApp(ctx, size=SIZE, screenshot_dir=shots)
        _frame(app, fbo)
        rng = np.random.default_rng(2)
        prompt = rng.integers(0, 50257, 16)
        result: dict[str, Any] = {"open_to_first_frame_s": _open(app, fbo, directory, prompt)}
        for T, n in ((128, runs), (1024, big_runs)):
            _retrace(app, fbo, rng.integers(0, 50257, T - n))
            times = _appends(app, fbo, n)
            result[f"append_token_t{T}_s"] = statistics.median(times)
            result[f"append_token_t{T}_max_s"] = max(times)
        result["app_T"] = app.view.trace.T
        result["peak_rss_t1024_mb"] = own_peak_rss_mb()
        app.release()
    return result


def measure_app(setup) -> dict[str, Any]:
    """`app_numbers` in a child process (see the module docstring)."""
    call = f"app_numbers({str(setup.directory)!r}, {max(setup.runs, 5)})"
    code = f"import json; from glviz.bench.gpt2_app import app_numbers; print(json.dumps({call}))"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=3600)
    if child.returncode != 0:
        raise RuntimeError(f"the app child failed: {child.stderr.strip()[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])
