"""`glviz bench app`: time from process start to the first frame of `glviz app`; picking time per mouse move.

Start-up: `glviz app` is launched as a subprocess (under the current DISPLAY, or a private Xvfb when there is
none) with GLVIZ_EXIT_AFTER_FIRST_FRAME set, which makes it print the time to its first frame and exit; the
wall time from spawning the process to that line is the number reported (median of the runs). For comparison,
the LLM Visualization page needs about 1.0 s to its first frame on this machine.

Picking: the ray through the pixel and the nearest block and cell (what every mouse move over the 3D view
costs on the CPU), along a sweep of the overview of nano and of GPT-3.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from glviz.bench.common import machine_description, print_result, print_table, requested_runs
from glviz.errors import GlvizError

FIRST_FRAME_TARGET_S = 0.8
LLM_VIZ_FIRST_FRAME_S = 1.0
PICK_TARGET_MS = 2.0
VIEWPORT = (880.0, 800.0)  # the 3D view of a 1280×800 window beside the 400-pixel panel
SWEEP = 400  # mouse positions per model


@contextmanager
def _display():
    """The DISPLAY to start the app on: the current one, or a private Xvfb for the duration."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"], "current display"
        return
    if shutil.which("Xvfb") is None:
        raise GlvizError("error.bench.no_xvfb")
    number = next(n for n in range(120, 300) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise GlvizError("error.bench.xvfb_failed", display=f":{number}")
            time.sleep(0.05)
        yield f":{number}", "Xvfb 1280x800"
    finally:
        server.terminate()
        server.wait(timeout=10)


def first_frame_seconds(display: str) -> tuple[float, float]:
    """(wall seconds from spawn to the first-frame line, the app's own process-age figure) for one launch."""
    from glviz.ui.window import FIRST_FRAME_ENV

    # A first launch: a config folder of its own, so the tour opens at chapter 1 (the most work to show).
    config = tempfile.mkdtemp(prefix="glviz-bench-")
    env = {**os.environ, "DISPLAY": display, FIRST_FRAME_ENV: "1", "XDG_CONFIG_HOME": config}
    # As on a user's machine, Python keeps its compiled modules (a sandbox may forbid it: then every launch
    # would compile glviz's ~110 modules again, 0.25 s here).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "glviz", "app"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    wall = time.perf_counter() - start
    process.wait(timeout=60)
    shutil.rmtree(config, ignore_errors=True)
    if "first frame" not in line:
        raise GlvizError("error.bench.no_first_frame", output=process.stderr.read().strip()[-200:])
    own = float(line.split("after")[1].split()[0])
    return wall, own


def pick_milliseconds(model: str) -> tuple[float, int, int]:
    """(median ms per mouse move, blocks, hits) for a sweep of the overview of `model`."""
    from glviz.layout.build import build_layout
    from glviz.model.config import PRESETS
    from glviz.render.camera import OrbitCamera, ndc, overview_pose
    from glviz.render.picking import pick

    layout = build_layout(PRESETS[model])
    camera = OrbitCamera(overview_pose(layout))
    width, height = VIEWPORT
    rng = np.random.default_rng(0)
    # Half over blocks (the centres of random blocks, projected), half anywhere in the view.
    chosen = rng.choice(len(layout.blocks), SWEEP // 2, replace=len(layout.blocks) < SWEEP // 2)
    centres = ndc(camera.view_projection(width / height), (layout.mins[chosen] + layout.maxs[chosen]) / 2)
    points = [(float((x + 1) / 2 * width), float((1 - y) / 2 * height)) for x, y in centres]
    points += [(float(x), float(y)) for x, y in rng.uniform((0, 0), (width, height), (SWEEP // 2, 2))]
    pick(layout, *camera.ray(width / 2, height / 2, VIEWPORT))  # builds the chunk index once, as the app does
    times, hits = [], 0
    for x, y in points:
        t0 = time.perf_counter()
        hit = pick(layout, *camera.ray(x, y, VIEWPORT))
        times.append(time.perf_counter() - t0)
        hits += hit is not None
    return statistics.median(times) * 1e3, len(layout.blocks), hits


def run(args: argparse.Namespace) -> int:
    """Measure first-frame time and picking, print them (a JSON line too with args.json); 0."""
    runs = max(3, requested_runs(args))
    with _display() as (display, display_kind):
        first_frame_seconds(display)  # warm the file cache and write the bytecode, as for any second launch
        launches = [first_frame_seconds(display) for _ in range(runs)]
    walls = [wall for wall, _ in launches]
    first_frame = statistics.median(walls)
    picking = {model: pick_milliseconds(model) for model in ("nano", "gpt3")}

    machine = machine_description()
    result = {
        "benchmark": "app",
        "first_frame_s": first_frame,
        "first_frame_runs_s": walls,
        "first_frame_self_reported_s": statistics.median(own for _, own in launches),
        "display": display_kind,
        "pick_ms": {model: ms for model, (ms, _, _) in picking.items()},
        "pick_blocks": {model: blocks for model, (_, blocks, _) in picking.items()},
        "pick_hits": {model: hits for model, (_, _, hits) in picking.items()},
        "runs": runs,
        "machine": machine,
    }
    rows = [
        ("machine", f"{machine['cpu']}, {machine['cores']} cores"),
        (f"first frame of `glviz app` ({display_kind})",
         f"{first_frame:.3f} s (median of {runs}; target <= {FIRST_FRAME_TARGET_S} s, "
         f"LLM Visualization ~{LLM_VIZ_FIRST_FRAME_S} s)"),
    ]
    for model, (ms, blocks, hits) in picking.items():
        rows.append((f"picking per mouse move, {model} ({blocks} blocks)",
                     f"{ms:.3f} ms median over {SWEEP} moves, {hits} hits (target < {PICK_TARGET_MS} ms)"))
    print_table("bench app", rows)
    print_result(result, args.json)
    return 0
