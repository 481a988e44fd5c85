"""Helpers of the app's checkpoint tests: small GPT-2 checkpoints written as Hugging Face folders (with a
byte-level BPE tokenizer, tests/model/helpers.py), and driving the headless app until its workers are done."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for model.helpers

from glviz.model.config import GPTConfig  # noqa: E402
from model.helpers import varied_weights, write_checkpoint  # noqa: E402

SMALL = GPTConfig(n_layer=2, n_head=2, n_embd=24, vocab_size=320, block_size=48, name="small")
LONG = GPTConfig(n_layer=1, n_head=2, n_embd=16, vocab_size=320, block_size=512, name="long")


def checkpoint(directory: Path, config: GPTConfig = SMALL, seed: int = 0, tokenizer: str | None = "json"
               ) -> Path:
    """A GPT-2 folder (config.json, model.safetensors, tokenizer.json) of random, varied weights."""
    return write_checkpoint(directory, varied_weights(config, seed=seed), tokenizer=tokenizer)


def frames(app, fbo, n: int = 2) -> None:
    for _ in range(n):
        app.frame(fbo, dt=0.016)


def until(app, fbo, done, timeout: float = 60.0) -> None:
    """Draw frames until `done()` (a load finished, a worker idle); fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        app.frame(fbo, dt=0.016)
        time.sleep(0.005)
    frames(app, fbo)


def loaded(app, fbo) -> None:
    """Until no load runs."""
    until(app, fbo, lambda: app.loading is None)


def settled(app, fbo) -> None:
    """Until the view's worker is idle and what it made is on screen."""
    worker = app.models.current.worker
    worker.wait()
    frames(app, fbo, 3)


def click(app, fbo, rect: tuple[float, float, float, float]) -> None:
    """A left click in the middle of a panel item's rectangle (window pixels)."""
    from glviz.ui.controls import LEFT

    x, y = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    app.mouse_move(x, y)
    app.frame(fbo, dt=0.016)
    app.mouse_press(x, y, LEFT)
    app.frame(fbo, dt=0.016)
    app.mouse_release(x, y, LEFT)
    app.frame(fbo, dt=0.016)


def quick_clicks(app, fbo, rect: tuple[float, float, float, float], n: int = 2, stall: float = 0.0) -> None:
    """n left clicks at one spot, a double- (n = 2) or triple-click, handed over as the window does
    (ui/window.py): a frame after each event, then a poll whose events may have happened as early as the
    poll before it (controls.events_since). imgui sees them 32 ms apart (within its 0.3 s and 6 px).
    `stall`: seconds the frame after the first click takes besides its own (a busy machine), while the
    next press waits."""
    from glviz.ui.controls import LEFT

    x, y = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    app.mouse_move(x, y)
    app.frame(fbo, dt=0.016)
    polled = time.monotonic()
    for k in range(n):
        for event in (app.mouse_press, app.mouse_release):
            app.controls.events_since = polled
            event(x, y, LEFT)
            app.controls.events_since = None
            polled = time.monotonic()
            app.frame(fbo, dt=0.016)
        if k == 0:
            time.sleep(stall)
