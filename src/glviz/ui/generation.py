"""Generation in the app: Next token, Generate N and Stop, greedy or sampled, for a checkpoint and for nano.

The panel's settings live here; the work is the view's TraceWorker's (ui/trace_worker.py), which appends to
the trace the view shows; ui/tracing.py puts each new token on screen. On nano the same controls run the
sort one letter at a time: from the six letters (T = 6) up to the context (T = 11).
"""

from __future__ import annotations

import numpy as np

from glviz.errors import GlvizError, Text
from glviz.formatting import fmt
from glviz.model.generate import check_sampling
from glviz.ui.trace_worker import Sampling, candidates

MAX_N = 1024
SETTINGS = ("temperature", "top_k", "top_p", "seed")


def _refusal(name: str, value: str, kept: str) -> Text:
    """Why a value typed for setting `name` is not taken (each key written out: tests/test_errors.py checks
    every Text names one catalogue key with the values its text takes)."""
    if name == "temperature":
        return Text("generate.refused_temperature", value=value, kept=kept)
    if name == "top_k":
        return Text("generate.refused_top_k", value=value, kept=kept)
    if name == "top_p":
        return Text("generate.refused_top_p", value=value, kept=kept)
    return Text("generate.refused_seed", value=value, kept=kept)


def _acceptable(name: str, value: float | int) -> bool:
    """Whether a sampling setting means something: what `glviz generate` accepts (model.generate's
    check_sampling), the panel's top-k 0 being off (None there)."""
    try:
        check_sampling(**{name: (value or None) if name == "top_k" else value})
    except GlvizError:
        return False
    return True


def _shown(value: float | int) -> str:
    """A setting as the refusal writes it: a float to 4 digits (NaN, ∞), an integer whole; minus signs."""
    return fmt(value) if isinstance(value, float) else str(value).replace("-", "−")


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
        # Why the last value typed into a sampling field was not taken (catalogue text: written in the
        # language shown); None once a value is taken.
        self.refusal: Text | None = None

    def set(self, name: str, value: float | int) -> bool:
        """A sampling setting from the panel (`SETTINGS`): taken when it means something, else refused (a
        negative temperature would pick the least likely tokens, a top-p of 0 or a NaN none at all) and the
        setting keeps its value. Whether it was taken."""
        if not _acceptable(name, value):
            kept = _shown(getattr(self, name))
            self.refusal = _refusal(name, _shown(value), kept)
            return False
        if name in ("temperature", "top_p"):
            # imgui's float is a float32: 0.7 comes as 0.699999988. The decimal it stands for is what the
            # panel shows and what `glviz generate --temperature 0.7` takes; + 0.0: a typed −0 is 0.
            setattr(self, name, float(str(np.float32(value))) + 0.0)
        else:
            setattr(self, name, int(value))
        self.refusal = None
        return True

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
        """The 10 most likely next tokens and their probabilities under the current settings (fewer where
        top-k or top-p leaves fewer that can be drawn), for the position after the last one of the trace on
        screen; None while it is not known."""
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
