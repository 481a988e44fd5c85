"""`glviz bench tour`: every chapter played offscreen at 1280×720, and `glviz record` throughput.

Per chapter, time steps evenly through the chapter (FRAMES_PER_CHAPTER of them, each drawn REPEATS times):
a frame is timed from computing the tour's frame to the end of ctx.finish(), the first draw of a time step
warming caches (as in playback) and the faster of the others kept (what the frame costs, not a pause of the
machine's: on a shared 2-core machine single draws jumped to 2x now and then); fps is 1 / that time,
reported as the minimum over the chapter (its busiest moment) and the median. Python CPU ms per frame is
this thread's CPU time for the frame minus the time spent inside GL calls (software GL shades vertices
there): the tour's script, the scene and the renderer's Python. The TourFrame alone is timed at t = 0 and at
the chapter's end (median of several), which shows that a frame's cost does not grow with t. `record_fps`
is the rate at which `glviz record --chapter all` writes 1280×720 MP4 frames, rendering and encoding
together.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from glviz.bench.common import machine_description, print_result, print_table, requested_runs

SIZE = (1280, 720)
FRAMES_PER_CHAPTER = 40
REPEATS = 3  # each time step drawn three times: the first warms caches, the faster of the others is kept
STATE_RUNS = 15
RECORD_FRAMES = 240
FPS_TARGET = 60.0
CPU_TARGET_MS = 2.0
RECORD_TARGET = 20.0


def _frame_seconds(view, index: int, t: float) -> tuple[float, float]:
    """(wall seconds, Python CPU seconds) of one frame of the chapter at t."""
    frame_renderer = view.offscreen.frame
    gl0 = frame_renderer.gl_thread_seconds
    t0, c0 = time.perf_counter(), time.thread_time()
    view.draw(index, t)
    c1 = time.thread_time()
    view.ctx.finish()
    t1 = time.perf_counter()
    return t1 - t0, c1 - c0 - (frame_renderer.gl_thread_seconds - gl0)


def measure_chapters(view, frames: int) -> dict:
    """Per chapter: fps min and median, Python ms median and max, TourFrame ms at the start and the end."""
    out = {}
    for index, chapter in enumerate(view.tour.chapters):
        duration = view.duration(index)
        view.draw(index, 0.0)  # warm-up: the chapter's poses and names are resolved once
        walls, cpus = [], []
        for k in range(frames):
            t = duration * k / max(frames - 1, 1)
            _frame_seconds(view, index, t)
            wall, cpu = min(_frame_seconds(view, index, t) for _ in range(REPEATS - 1))
            walls.append(wall)
            cpus.append(cpu)
        state = {}
        for label, t in (("start", 0.0), ("end", duration)):
            times = []
            for _ in range(STATE_RUNS):
                t0 = time.perf_counter()
                view.tour.frame(index, t, view.lang)
                times.append(time.perf_counter() - t0)
            state[label] = statistics.median(times) * 1e3
        out[chapter.id] = {
            "fps_min": round(1.0 / max(walls), 1),
            "fps_median": round(1.0 / statistics.median(walls), 1),
            "cpu_ms_median": round(statistics.median(cpus) * 1e3, 3),
            "cpu_ms_max": round(max(cpus) * 1e3, 3),
            "state_ms_start": round(state["start"], 3),
            "state_ms_end": round(state["end"], 3),
            "duration_s": round(duration, 1),
        }
    return out


def measure_record(frames: int) -> float:
    """Frames per second `glviz record --chapter all` writes at 1280×720 into an MP4 (the first `frames`)."""
    from glviz.commands.record import record
    from glviz.model.sort_task import DEFAULT_LETTERS
    from glviz.walkthrough.chapters import CHAPTERS

    with tempfile.TemporaryDirectory() as folder:
        stats = record(Path(folder) / "tour.mp4", list(range(len(CHAPTERS))), SIZE, 30, DEFAULT_LETTERS, "en",
                       progress=False, max_frames=frames)
    return stats["frames_per_s"]


def run(args: argparse.Namespace) -> int:
    """Play every chapter offscreen, measure recording; print a table (and one JSON object with --json)."""
    from glviz import i18n
    from glviz.model.sort_task import DEFAULT_LETTERS
    from glviz.render.context import renderer_name
    from glviz.render.tour_view import TourView

    i18n.set_language("en")
    frames = max(FRAMES_PER_CHAPTER, 8 * requested_runs(args))
    view = TourView(SIZE, DEFAULT_LETTERS, "en")
    renderer = renderer_name(view.ctx)
    chapters = measure_chapters(view, frames)
    view.release()
    record_fps = measure_record(RECORD_FRAMES)
    machine = machine_description()
    rows = [("machine", f"{machine['cpu']}, {machine['cores']} cores"), ("renderer", renderer)]
    for name, c in chapters.items():
        rows.append((name, f"{c['fps_min']:7.1f} fps min  {c['fps_median']:7.1f} median  "
                           f"{c['cpu_ms_median']:6.3f} ms Python median  {c['cpu_ms_max']:6.3f} max  "
                           f"frame {c['state_ms_start']:.3f} ms at t=0, {c['state_ms_end']:.3f} at the end"))
    rows.append(("record --chapter all (MP4, 1280x720)", f"{record_fps:.1f} frames/s written"))
    rows.append(("targets", f"every chapter >= {FPS_TARGET:.0f} fps at its busiest, Python <= "
                            f"{CPU_TARGET_MS} ms median, record >= {RECORD_TARGET:.0f} frames/s"))
    print_table(f"bench tour ({SIZE[0]}x{SIZE[1]}, {frames} frames per chapter)", rows)
    print_result({"renderer": renderer, "record_fps": round(record_fps, 1), "chapters": chapters,
                  "machine": machine}, args.json)
    return 0
