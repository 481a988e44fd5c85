"""`glviz bench render`: frames per second offscreen, Python CPU time per frame and peak memory per preset.

Each preset runs in a fresh process (`python -m glviz.bench.render PRESET`) so that its peak RSS is its own.
A frame is timed from the start of FrameRenderer.render to the end of ctx.finish(), the camera orbiting a
little every frame; fps is 1 / median frame time after warm-up. Python CPU per frame is this thread's CPU
time inside render minus the time spent inside GL calls (software GL runs vertex shading there, and its
rasteriser threads are not counted): the Python work alone. finish() is outside the measurement.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from glviz.bench.common import print_result, requested_runs
from glviz.model.config import APP_MODELS

SIZES = ((1280, 720), (1920, 1080))
WARMUP_FRAMES = 5
MIN_FRAMES = 30


def measure(preset: str, frames: int = MIN_FRAMES) -> dict:
    """Measure one preset in this process (what the child process runs)."""
    from glviz.bench.common import peak_rss_mb
    from glviz.commands.render import load_scene_data
    from glviz.render.camera import OrbitCamera, overview_pose
    from glviz.render.context import create_standalone_context, renderer_name
    from glviz.render.offscreen import OffscreenRenderer
    from glviz.scene import SceneState

    try:
        layout, trace = load_scene_data(preset, None)
    except Exception:  # nano not trained yet: its layout with random weights still measures the renderer
        layout, trace = _random_nano()
    ctx = create_standalone_context()
    result: dict = {"renderer": renderer_name(ctx), "blocks": len(layout.blocks)}
    cpu_ms: list[float] = []
    frame = None
    for w, h in SIZES:
        offscreen = OffscreenRenderer((w, h), ctx=ctx)
        if frame is None:
            frame = offscreen.frame
            frame.set_layout(layout)
            if trace is not None:
                frame.upload_trace(trace)
        offscreen.frame = frame
        scene = SceneState(layout)
        base = overview_pose(layout)
        camera = OrbitCamera(base)
        times = []
        for i in range(WARMUP_FRAMES + frames):
            camera.set_pose(base)
            camera.rotate(2.0 * ((i % 20) / 10.0 - 1.0), 0.5)
            gl0 = frame.gl_thread_seconds
            t0, c0 = time.perf_counter(), time.thread_time()
            offscreen.draw(scene, camera)
            c1 = time.thread_time()
            ctx.finish()
            t1 = time.perf_counter()
            gl = frame.gl_thread_seconds - gl0
            if i >= WARMUP_FRAMES:
                times.append(t1 - t0)
                cpu_ms.append((c1 - c0 - gl) * 1000)
        result[f"fps_{w}x{h}"] = round(1.0 / statistics.median(times), 1)
        offscreen.release()
    result["cpu_ms_per_frame"] = round(statistics.median(cpu_ms), 3)
    result["draw_calls"] = frame.draw_calls
    result["rss_mb"] = round(peak_rss_mb(), 1)
    return result


def _random_nano():
    from glviz.layout.build import build_layout
    from glviz.model.config import get_preset
    from glviz.model.forward import Trace
    from glviz.model.weights import random_weights

    weights = random_weights(get_preset("nano"), seed=0, std=0.5)
    trace = Trace(weights, list(range(3)) * 3 + [0, 1])
    return build_layout(weights.config, n_tokens=trace.T), trace


def run(args: argparse.Namespace) -> int:
    """Measure each preset in its own process and print a line per preset; 2 if one fails."""
    frames = max(MIN_FRAMES, 6 * requested_runs(args))
    results: dict = {"renderer": None}
    for preset in APP_MODELS:
        child = subprocess.run([sys.executable, "-m", "glviz.bench.render", preset, str(frames)],
                               capture_output=True, text=True)
        if child.returncode != 0:
            reason = (child.stderr.strip().splitlines() or ["no output"])[-1]
            sys.stderr.write(f"glviz: error: render benchmark failed for {preset} ({reason})\n")
            return 2
        data = json.loads(child.stdout.strip().splitlines()[-1])
        results["renderer"] = data.pop("renderer")
        blocks, draws = data.pop("blocks"), data.pop("draw_calls")
        results[preset] = data
        print(f"{preset:8s} {blocks:6d} blocks  {data['fps_1280x720']:8.1f} fps 1280x720  "
              f"{data['fps_1920x1080']:8.1f} fps 1920x1080  {data['cpu_ms_per_frame']:6.3f} ms Python/frame  "
              f"{draws:3d} draws  {data['rss_mb']:6.1f} MB peak RSS", flush=True)
    print(f"renderer: {results['renderer']}")
    print_result(results, args.json)
    return 0


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else MIN_FRAMES)))
