"""The thread that computes a view's trace: a new prompt traced afresh, generated tokens appended one by one.

The UI thread only asks (`retrace`, `generate`, `stop`, `ensure`) and reads what is published: `trace` (the
latest Trace; its `snapshot()` and `peek()` never wait), `last` (the next-token logits at its last position),
`error` (written in the language of the moment it is read) and `busy`. Nothing here waits for the worker
except `wait()`, for tests and benchmarks.
The newest request wins: a retrace drops what was queued and stops a generation after its current step.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from glviz.errors import GlvizError
from glviz.model.blas import blas_threads
from glviz.model.generate import next_token_distribution
from glviz.model.stages import head_matrix
from glviz.ui.wakeup import wake

TOP_CANDIDATES = 10
# A token's step is matrix-vector products (memory-bound). Beside other work (the window drawing the token
# before, the layout being prepared) one BLAS thread: two contend badly with it (model/blas.py). Alone (the
# first token of a request, its layout made while the user read the last one, the window waiting for it) two:
# GPT-2's step at T = 128 takes 39 ms instead of 55 on this 2-core machine.
STEP_BLAS_THREADS = 1
ALONE_BLAS_THREADS = 2


@dataclass(frozen=True)
class Sampling:
    """How the next token is chosen: the most likely one (greedy), or sampled from the distribution that
    temperature, top-k and top-p make (model/generate.py), reproducibly from `seed`."""

    greedy: bool = True
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    seed: int = 0

    def distribution(self, logits: np.ndarray) -> np.ndarray:
        """(V,) float64: what the next token is drawn from (greedy: the model's own probabilities)."""
        if self.greedy or self.temperature == 0:
            return next_token_distribution(logits)
        return next_token_distribution(logits, self.temperature, self.top_k, self.top_p)

    def choose(self, logits: np.ndarray, rng: np.random.Generator) -> int:
        """The next token id, as `glviz generate` chooses it (the same draws for the same seed)."""
        if self.greedy or self.temperature == 0:
            return int(np.argmax(logits))
        p = self.distribution(logits)
        return int(rng.choice(p.size, p=p))


def candidates(logits: np.ndarray, sampling: Sampling, k: int = TOP_CANDIDATES
               ) -> tuple[np.ndarray, np.ndarray]:
    """The k most likely next tokens under `sampling`: (ids (<= k,), probabilities), most likely first.

    Only tokens that can be drawn: with top-k 3, three (the others' probability is 0 after the cut, and a
    list of them in arbitrary order at 0% would read as candidates)."""
    p = sampling.distribution(logits)  # (V,)
    k = min(k, p.size)
    top = np.argpartition(-p, k - 1)[:k]
    top = top[np.argsort(-p[top], kind="stable")]
    top = top[p[top] > 0]
    return top.astype(np.int64), p[top]


@dataclass(frozen=True)
class LastLogits:
    """The logits (V,) that predict the token after position T - 1 of `trace` at T."""

    trace: object
    T: int
    logits: np.ndarray


class TraceWorker:
    """One background thread per view; see the module docstring."""

    def __init__(self, weights, tracer=None, prepare: Callable[[int], object] | None = None) -> None:
        """`tracer(weights, tokens) -> Trace` makes a fresh, computed trace (default: every stage).
        `prepare(T)` makes what showing T tokens needs (default: ui/tracing.prepare_layout for the weights'
        model): for a generated token, on a thread of its own while the token is computed (the step is
        mostly BLAS, which lets it run), so that the window's thread finds it made (`prepared`)."""
        self.weights = weights
        self._prepare = prepare if prepare is not None else _layout_preparer(weights)
        self._prepared: dict[int, Future] = {}
        # One thread for the prepares, kept: starting a thread waits until it runs, and it ran at once and
        # kept the interpreter for a switch interval (5 ms), at the end of the frame that showed a token.
        self._preparer: ThreadPoolExecutor | None = None
        self._prepared_lock = threading.Lock()  # asked ahead by the worker (a step) and the UI (prepare_next)
        self._warm_asked = False
        self.trace = None
        self.last: LastLogits | None = None
        # Why the last request failed: a GlvizError, kept as catalogue text so that it is written in the
        # panel's language when shown (a bug's line, Python's words, as a string); None otherwise.
        self.failure: GlvizError | str | None = None
        self.generated = 0  # tokens appended since the trace was made
        self._tracer = tracer or full_trace
        self._jobs: deque = deque()
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._running: str | bool = False  # the name of the job running
        self._closed = False
        self._rng: np.random.Generator | None = None
        self._rng_seed: int | None = None
        self._thread: threading.Thread | None = None

    # --- asking (UI thread) -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A request is queued or running."""
        return self._running or bool(self._jobs)

    @property
    def error(self) -> str:
        """Why the last request failed (one line, in the current language), "" otherwise."""
        failure = self.failure
        return "" if failure is None else str(failure)

    @property
    def generating(self) -> bool:
        """A generation is queued or running (Stop has something to stop)."""
        return self._doing("generate")

    @property
    def tracing(self) -> bool:
        """The prompt's values are being computed: a trace, or values the view lacks (not the copies that
        only prepare the next token)."""
        return self._doing("retrace", "ensure")

    def _doing(self, *kinds: str) -> bool:
        with self._wake:
            return self._running in kinds or any(job[0] in kinds for job in self._jobs)

    def adopt(self, trace) -> None:
        """A trace made and computed elsewhere (the nano letters, a load) becomes this worker's at once;
        queued work is dropped and a generation on the old trace stops."""
        with self._wake:
            self._jobs.clear()
            self._stop.set()
        self._use(trace)

    def retrace(self, tokens: np.ndarray) -> None:
        """Trace `tokens` afresh (a new prompt); what was queued is dropped, a generation stops."""
        self._submit(("retrace", np.asarray(tokens, dtype=np.int64).copy()), replace=True)

    def generate(self, n: int, sampling: Sampling) -> None:
        """Append `n` tokens chosen by `sampling`, one at a time (each one published as it comes). Values
        asked for by `ensure` give way: they are asked again for the longer trace."""
        with self._wake:
            self._jobs = deque(job for job in self._jobs if job[0] != "ensure")
            if self._running == "ensure":
                self._stop.set()
        self._submit(("generate", int(n), sampling))

    def ensure(self, *names: str) -> None:
        """Compute trace values that are not kept (e.g. a layer's attention matrices, dropped at large T);
        a generation asked for later goes first."""
        self._submit(("ensure", names))

    def stop(self) -> None:
        """Stop a generation after the token being computed; queued generations are dropped too."""
        with self._wake:
            self._jobs = deque(job for job in self._jobs if job[0] != "generate")
            self._stop.set()

    def prepare_next(self) -> None:
        """Prepare what a Next token needs, while the user reads the trace (call once the window has drawn
        it, not before: the two would share the CPU): the layout of one more token, and once per model the
        head's copy that its logits read and the down projections column-major. The token then finds them
        made, and its step has both cores."""
        trace = self.trace
        if trace is None:
            return
        if not self._warm_asked and self.weights.head_columns(make=False) is None:
            self._warm_asked = True
            self._submit(("warm",))
        if trace.T < trace.config.block_size:
            self._prepare_ahead(trace.T + 1)

    def prepare_due(self) -> bool:
        """Whether prepare_next would start work now: the layout of one more token not asked for yet, or the
        model's copies."""
        trace = self.trace
        if trace is None:
            return False
        if not self._warm_asked and self.weights.head_columns(make=False) is None:
            return True
        return (self._prepare is not None and trace.T < trace.config.block_size
                and trace.T + 1 not in self._prepared)

    def prepared(self, T: int, wait: float = 0.0):
        """What `prepare(T)` made for a generated token, if it is ready within `wait` seconds; None when
        nothing was prepared for T, or it failed, or it is not ready (the caller makes it itself)."""
        future = self._prepared.get(T)
        if future is None:
            return None
        try:
            return future.result(timeout=wait)
        except Exception:  # not ready in time (TimeoutError), or prepare failed: the caller makes it
            return None

    def wait(self, timeout: float = 120.0) -> None:
        """Block until nothing is queued or running (tests, benchmarks)."""
        with self._wake:
            self._wake.wait_for(lambda: not self.busy, timeout)

    def close(self) -> None:
        """End the thread (after the step it is in)."""
        with self._wake:
            self._closed = True
            self._jobs.clear()
            self._stop.set()
            self._wake.notify_all()
        with self._prepared_lock:
            if self._preparer is not None:
                self._preparer.shutdown(wait=False, cancel_futures=True)

    def _submit(self, job: tuple, replace: bool = False) -> None:
        with self._wake:
            if replace:
                self._jobs.clear()
                self._stop.set()
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True, name="glviz-trace")
                self._thread.start()
            self._wake.notify_all()

    # --- working (the worker thread) ------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._jobs or self._closed)
                if self._closed:
                    return
                job = self._jobs.popleft()
                self._running = job[0]
                self._stop.clear()
            try:
                getattr(self, "_" + job[0])(*job[1:])
            except GlvizError as exc:
                self.failure = exc
            except Exception as exc:  # a bug must not kill the thread: the panel shows it, the log has it all
                logging.getLogger("glviz").exception("trace worker: %s", job[0])
                self.failure = f"{type(exc).__name__}: {exc}"
            finally:
                with self._wake:
                    self._running = False
                    self._wake.notify_all()
                wake()  # the window shows the result (or the failure) now, not at its next look

    def _retrace(self, tokens: np.ndarray) -> None:
        trace = self._tracer(self.weights, tokens)
        if not self._stop.is_set():  # a newer request came while tracing: it decides what is shown
            self._use(trace)

    def _warm(self) -> None:
        # The head's contiguous copy, which makes every generated token's row of logits faster
        # (model/stages.head_matrix), and the MLP's down projections column-major, which make its products
        # faster; made once per model, 0.3 + 0.1 s for GPT-2.
        self.weights.head_columns()
        self.weights.column_major_projections()

    def _use(self, trace) -> None:
        self.failure = None
        self.generated = 0
        self._rng = None  # a new sequence: sampling starts again from the seed
        self.last = _last_logits(trace)
        self.trace = trace

    def _generate(self, n: int, sampling: Sampling) -> None:
        trace = self.trace
        if trace is None:
            return
        if self._rng is None or self._rng_seed != sampling.seed:
            self._rng, self._rng_seed = np.random.default_rng(sampling.seed), sampling.seed
        self.failure = None
        for step in range(n):
            if self._stop.is_set() or trace is not self.trace:
                return
            if trace.T >= trace.config.block_size:
                # The context is full: Generate N ends here, as it would after N (nano has sorted all six
                # letters; a checkpoint's panel says its context is full). Not a failure to show in red.
                return
            last = self.last if self.last is not None and self.last.trace is trace else _last_logits(trace)
            alone = step == 0 and self._prepare_done(trace.T + 1)
            self._prepare_ahead(trace.T + 1)
            with blas_threads(ALONE_BLAS_THREADS if alone else STEP_BLAS_THREADS):
                trace.append([sampling.choose(last.logits, self._rng)])
                last = _last_logits(trace)
            if trace is not self.trace:  # adopted away meanwhile: this trace is no longer shown
                return
            self.generated += 1
            self.last = last
            wake()  # each token is shown as it comes

    def _prepare_ahead(self, T: int) -> None:
        """Start prepare(T) on the prepare thread (once per T; what was made for older T is let go)."""
        with self._prepared_lock:
            if self._prepare is None or T in self._prepared or self._closed:
                return
            if self._preparer is None:
                self._preparer = ThreadPoolExecutor(1, thread_name_prefix="glviz-prepare")
            future = self._preparer.submit(_beside_a_step, self._prepare, T)
            self._prepared = {t: f for t, f in self._prepared.items() if t >= T - 1} | {T: future}

    def _prepare_done(self, T: int) -> bool:
        """Nothing is (or will be) preparing T beside the step: it was made, or there is nothing to make."""
        future = self._prepared.get(T)
        return self._prepare is None or (future is not None and future.done())

    def _ensure(self, names: tuple[str, ...]) -> None:
        trace = self.trace
        for name in names:
            if trace is not None and not self._stop.is_set():
                trace[name]


PREPARE_SWITCH_S = 0.0005  # the interpreter's switch interval while a prepare runs beside a step


def _beside_a_step(function: Callable[[int], object], T: int) -> object:
    # The step hands the interpreter back and forth between BLAS calls; with the default interval (5 ms) it
    # would wait that long for the prepare thread each time, which would serialise the two. (A failure is
    # kept in the future: the window's thread then makes it itself.)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, PREPARE_SWITCH_S))
    try:
        return function(T)
    finally:
        sys.setswitchinterval(interval)


def _layout_preparer(weights) -> Callable[[int], object] | None:
    """prepare(T) for a model's weights: its layout for T tokens and the renderer's CPU part of it."""
    config = getattr(weights, "config", None)
    if config is None:
        return None
    from glviz.ui.tracing import prepare_layout

    return lambda T: prepare_layout(config, T)


def _last_logits(trace) -> LastLogits:
    """The last position's logits: the trace's own where it keeps every position's (an append computed the
    new row: reading the head again would cost as much), else from its final layer-norm output (always
    kept), as the logits stage computes them (see full_trace)."""
    T = trace.T
    logits = trace.peek("logits")
    if logits is not None and logits.shape[0] >= T:
        return LastLogits(trace, T, np.array(logits[T - 1], dtype=np.float32))
    x = np.asarray(trace.rows("ln_f.out", T - 1, T), dtype=np.float32)  # (1, C)
    row = (x @ head_matrix(trace.weights, x.dtype))[0]  # (V,): the head as the logits stage reads it
    return LastLogits(trace, T, row)


def full_trace(weights, tokens: np.ndarray):
    """A Trace of `tokens` with every stage computed (big values beyond its budget let go), with room
    to generate: growing past its capacity moves every value to new buffers while the old ones are still
    shown (twice the trace's memory for a moment), so the room is taken up front."""
    from glviz.model.forward import Trace

    T = len(tokens)
    trace = Trace(weights, tokens, capacity=min(weights.config.block_size, 2 * T + 64))
    # The logits and probabilities of every position (T x V each) are kept only while they fit the trace's
    # budget: beyond it they would be computed (412 MB at T = 1024 for GPT-2) only to be let go at once.
    big = 2 * T * weights.config.vocab_size * trace.dtype.itemsize
    trace["probs" if big <= trace.keep_bytes else "ln_f.out"]
    return trace
