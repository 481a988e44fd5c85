"""Opening a checkpoint in the background: its tensors read one by one (progress, Cancel), the default prompt
traced and its layout built, all off the main thread; the app makes the GL half when the load is done."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from glviz.model.hf_cache import checkpoint_title
from glviz.ui.wakeup import wake

CHECKPOINT_PREFIX = "checkpoint:"  # a checkpoint view's name: the prefix and its folder


def checkpoint_key(path: str | Path) -> str:
    """The name of the view of the checkpoint at `path` (one view per folder)."""
    return CHECKPOINT_PREFIX + str(Path(path).expanduser().resolve())


def is_checkpoint_key(name: str | None) -> bool:
    return bool(name) and name.startswith(CHECKPOINT_PREFIX)


class LoadCancelled(Exception):
    """Raised inside the load's progress callback when the user cancelled it."""


@dataclass
class CheckpointLoad:
    """One load in its thread; `result` gets weights, tokens, trace and layout, or `error`."""

    key: str
    path: Path
    started: float = field(default_factory=time.monotonic)
    done: int = 0  # tensors read
    total: int = 0  # tensors in the file (0 until known)
    tracing: bool = False  # the tensors are read; the prompt is being traced
    tokens: object = None  # the prompt's token ids to trace (default: DEFAULT_PROMPT, see default_tokens)
    restored: bool = False  # the last launch's checkpoint, brought back (its failure is said so)
    beside_tour: bool = False  # the tour took the screen meanwhile: the load goes on and is kept, not shown
    result: dict = field(default_factory=dict)
    cancelled: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    ended: threading.Event = field(default_factory=threading.Event)  # the result (or error) is in

    @property
    def name(self) -> str:
        return checkpoint_title(self.path) or str(self.path)

    @property
    def fraction(self) -> float:
        """0..1 for the progress bar: reading the tensors is most of a load, tracing the rest."""
        read = self.done / self.total if self.total else 0.0
        return 1.0 if self.tracing else 0.9 * read

    @property
    def finished(self) -> bool:
        """The result (or its error) is in: set before the window is woken for it (ui/wakeup.py)."""
        return self.ended.is_set()

    def cancel(self) -> None:
        """Stop at the next tensor; the result is thrown away."""
        self.cancelled.set()

    def start(self) -> CheckpointLoad:
        self.thread = threading.Thread(target=self._run, daemon=True, name="glviz-load")
        self.thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def _progress(self, done: int, total: int) -> None:
        if self.cancelled.is_set():
            raise LoadCancelled
        self.done, self.total = done, total

    def _run(self) -> None:
        from glviz.commands.model_input import default_tokens
        from glviz.layout.build import build_layout
        from glviz.model.weights import load_weights
        from glviz.render.values import prepare_trace_store, prepare_weight_store
        from glviz.ui.trace_worker import full_trace

        try:
            weights = load_weights(self.path, progress=self._progress)
            self.done = self.total
            self._progress(self.done, self.total)
            self.tracing = True
            tokens = default_tokens(weights) if self.tokens is None else self.tokens
            if not 0 < len(tokens) <= weights.config.block_size:
                full_trace(weights, tokens)  # refuses them with the command line's one line
            layout = build_layout(weights.config, n_tokens=len(tokens))
            # The weights' levels of detail (a pass over every weight) on a second thread, beside the trace.
            made: dict = {}
            tiles = threading.Thread(target=lambda: made.update(store=prepare_weight_store(layout, weights)),
                                     daemon=True, name="glviz-weight-tiles")
            tiles.start()
            trace = full_trace(weights, tokens)
            snapshot = trace.snapshot()
            activations = prepare_trace_store(layout, trace, snapshot)
            tiles.join()
            if "store" not in made:
                raise RuntimeError("the weights' values could not be prepared")
            if not self.cancelled.is_set():
                self.result.update(weights=weights, trace=trace, layout=layout, snapshot=snapshot,
                                   stores=(made["store"], activations))
        except LoadCancelled:
            pass
        except Exception as exc:  # GlvizError: the CLI's line; anything else: reported the same way
            self.result["error"] = exc
        finally:
            self.ended.set()
            wake()  # the window takes the model now, not at its next look
