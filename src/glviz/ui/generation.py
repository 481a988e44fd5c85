"""Generation in the app: Next token, Generate N and Stop, greedy or sampled, for a checkpoint and for nano.

The panel's settings live here; the work is the view's TraceWorker's (ui/trace_worker.py), which appends to
the trace the view shows; ui/tracing.py puts each new token on screen. On nano the same controls run the
sort one letter at a time: from the six letters (T = 6) up to the context (T = 11).
"""

from __future__ import annotations

import numpy as np

from glviz.ui.trace_worker import Sampling, candidates

MAX_N = 1024


class GenerationControls:
    """The settings of the panel's generation section and what its buttons do."""

    def __init__(self, app) -> None:
        self.app = app
        self.greedy = True
        self.temperature = 1.0
        self.top_k = 0  # 0: off
        self.top_p = 1.0  # 1: off
        self.seed = 0
        self.n = 20
        self._candidates: tuple | None = None  # (LastLogits, Sampling, result) of the last ones asked for

    # --- state ---------------------------------------------------------------------------------------------
    @property
    def view(self):
        view = self.app.models.current
        return view if view is not None and view.worker is not None and self.app.shown is view else None

    @property
    def sampling(self) -> Sampling:
        """The panel's settings as a Sampling."""
        return Sampling(greedy=self.greedy, temperature=float(self.temperature),
                        top_k=int(self.top_k) if self.top_k > 0 else None,
                        top_p=float(self.top_p) if self.top_p < 1.0 else None, seed=int(self.seed))

    @property
    def busy(self) -> bool:
        """The worker is computing (a prompt being traced, tokens being generated)."""
        view = self.view
        return view is not None and view.worker.busy

    @property
    def generating(self) -> bool:
        view = self.view
        return view is not None and view.worker.generating

    @property
    def full(self) -> bool:
        """The trace fills the model's context: no room for another token."""
        view = self.view
        return view is not None and view.trace is not None and view.trace.T >= view.config.block_size

    @property
    def nano(self) -> bool:
        view = self.view
        return view is not None and view.name == "nano"

    @property
    def error(self) -> str:
        view = self.view
        return "" if view is None else view.worker.error

    def candidates(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The 10 most likely next tokens and their probabilities under the current settings, for the
        position after the last one of the trace on screen; None while it is not known."""
        view = self.view
        last = None if view is None else view.worker.last
        if last is None or last.trace is not view.trace or last.T != view.trace.T:
            return None
        sampling = self.sampling
        cached = self._candidates
        if cached is None or cached[0] is not last or cached[1] != sampling:  # the object, not its id: ids
            self._candidates = cached = (last, sampling, candidates(last.logits, sampling))  # are reused
        return cached[2]

    # --- actions -------------------------------------------------------------------------------------------
    def next_token(self) -> None:
        """Append one token (nano with a full context: back to the six letters first)."""
        self.generate(1)

    def generate(self, n: int | None = None) -> None:
        """Append `n` tokens (default: the panel's N), one at a time; Stop ends it early."""
        view = self.view
        if view is None:
            return
        n = int(self.n if n is None else n)
        if view.name == "nano":
            self._leave_tour()
            if self.full:
                self.restart()
                n -= 1  # the start over is the first step: T = 6 with its candidates shown
        if n > 0:
            view.worker.generate(min(n, MAX_N), self.sampling)
        self.app.invalidate()

    def stop(self) -> None:
        """Stop Generate N after the token being computed."""
        view = self.view
        if view is not None:
            view.worker.stop()
        self.app.invalidate()

    def restart(self) -> None:
        """nano: back to the six letters (T = 6), to sort them one letter at a time."""
        from glviz.model.sort_task import N_LETTERS, parse_letters

        view = self.view
        if view is None or view.name != "nano":
            return
        self._leave_tour()
        view.worker.retrace(parse_letters(self.app.letters)[:N_LETTERS])
        self.app.invalidate()

    def _leave_tour(self) -> None:
        """The tour plays on the sorted letters at T = 11: stepping through them is free exploring, on nano
        (not the model explored before the tour)."""
        if self.app.tour.touring:
            self.app.tour.leave(go_back=False)
