"""A KV cache's one-position step split among processes, one per core: generation's every token.

One position's step is a chain of matrix-vector products and an attention over the cache: memory-bound work
that numpy runs on one core except inside BLAS, and OpenBLAS runs a layer's twelve small attention products
on one thread. Forked helpers take a share of everything instead: of the heads (their q|k|v columns, their
keys and values, their rows of the output projection), of the MLP's hidden units and of the vocabulary. Each
process streams a contiguous copy of its share of every matrix on its own core; after the attention and after
the MLP they add their partial outputs through shared memory, every process summing the same numbers in the
same order, so each keeps the same residual stream. GPT-2 small at T = 1024 on two cores: a step of 18 - 26
ms (median 23) against 24 - 28 (27) in one process (docs/SPEED.md, 2026-12-03 from 10:08).

The processes wait for each other by spinning on counters in shared memory (a sleeping process takes tens of
microseconds to wake, and a step waits 25 times): helpers use their cores fully while they live. Linux on
x86-64 only (fork, and stores seen in program order); elsewhere, or with one core, `SplitStep.start` returns
None and the cache runs the step in one process. Starting the helpers costs a fraction of a second and
the gain grows with the cache, so by default only long generations split, from SPLIT_FROM positions on.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import platform
import signal
import sys
from functools import partial

import numpy as np

from glviz.model.blas import blas_threads
from glviz.model.ops import layer_norm_vector
from glviz.model.vector_step import layer_pieces, run_layers
from glviz.model.weights import Weights

MAX_PROCESSES = 8
MIN_BYTES = 32 << 20  # smaller models' steps take well under a millisecond: a helper would not pay
# What the split gains is mostly the attention over the cache (GPT-2 small: 2 - 3.5 ms a step at 1,024
# positions, nothing measurable under 256), and starting it costs 0.2 - 1.1 s (forks, the shares' copies):
# by default it starts at SPLIT_FROM cached positions, for a generation with MIN_STEPS steps from there.
SPLIT_FROM = 512
MIN_STEPS = 256
CHECK_EVERY = 1 << 14  # spins between checks that the other processes are still there
_PR_SET_PDEATHSIG = 1


def worth_splitting(positions: int) -> bool:
    """Whether a generation that runs `positions` positions in all runs enough of them past SPLIT_FROM."""
    return positions >= SPLIT_FROM + MIN_STEPS


def available_memory() -> int | None:
    """Bytes of memory available to new work (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _shares(n: int, parts: int) -> list[slice]:
    bounds = np.linspace(0, n, parts + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


class HelperGone(RuntimeError):
    """A helper process stopped answering (it died, or the parent went away)."""


class _Channel:
    """The shared memory of a split step: a command, one counter per process, double-buffered partial
    outputs (N, 4C) and the logits."""

    def __init__(self, processes: int, n_embd: int, vocab: int) -> None:
        self.n, self.width = processes, 4 * n_embd
        ints = 8 + processes
        size = 8 * ints + 4 * (2 * processes * self.width + vocab)
        self.memory = mmap.mmap(-1, size)  # MAP_SHARED: forked processes see each other's writes
        self.ints = np.frombuffer(self.memory, np.int64, ints, 0)  # 0 step, 1 token, 2 position, 3 stop
        self.done = self.ints[8:]  # (N,) each process's count of exchanges (and steps) finished
        offset = 8 * ints
        self.parts = np.frombuffer(self.memory, np.float32, 2 * processes * self.width, offset).reshape(
            2, processes, self.width)
        self.logits = np.frombuffer(self.memory, np.float32, vocab, offset + self.parts.nbytes)


class _Share:
    """One process's contiguous copies of its share of every matrix and of its heads' keys and values,
    and its view of the split's record of new positions."""

    def __init__(self, weights: Weights, keys: np.ndarray, values: np.ndarray, new: np.ndarray, me: int,
                 processes: int) -> None:
        c = weights.config
        C, A = c.n_embd, c.head_size
        heads = _shares(c.n_head, processes)[me]
        hidden = _shares(4 * C, processes)[me]
        self.vocab = _shares(c.vocab_size, processes)[me]
        channels = slice(heads.start * A, heads.stop * A)
        qkv_columns = [slice(channels.start + j * C, channels.stop + j * C) for j in range(3)]  # q, k, v
        n, f = channels.stop - channels.start, hidden.stop - hidden.start
        v = self.vocab.stop - self.vocab.start
        arena = _Arena(c.n_layer * (4 * C * n + 2 * C * f) + C * v, weights["wte"].dtype)
        self.layers = []
        for i in range(c.n_layer):
            g1, b1, wqkv, bqkv, wproj, bproj, g2, b2, wfc, bfc, wmproj, bmproj = layer_pieces(weights, i)
            # Each in the order one thread streams fastest here (docs/SPEED.md): the projections' shares
            # (h A, C) row-major and (4C share, C) column-major. The biases after a sum stay whole.
            self.layers.append((
                g1, b1,
                arena.copy_columns(wqkv, qkv_columns),  # (C, 3 h A)
                np.concatenate([bqkv[columns] for columns in qkv_columns]),  # (3 h A,)
                arena.copy(wproj[channels]), bproj,  # (h A, C)
                g2, b2,
                arena.copy(wfc[:, hidden]), bfc[hidden].copy(),  # (C, 4C share)
                arena.copy(wmproj[hidden], order="F"), bmproj,  # (4C share, C)
            ))
        self.head = arena.copy(weights.head_columns()[:, self.vocab])  # (C, V share)
        # Its heads' keys and values: read from a private copy (on huge pages, unlike shared memory: the
        # attention reads them faster), new positions written to it and, as one contiguous row, to the
        # split's shared record of new positions (a position's column of the shared cache would touch a
        # page per channel: 1 - 1.5 ms a step).
        self.keys, self.values = keys[:, 0, heads].copy(), values[:, 0, heads].copy()  # (L, h, A, capacity)
        self.new = new[:, :, :, heads]  # (2, L, positions, h, A) view


class _Arena:
    """Storage for a share's matrices, one allocation aligned to 2 MiB: numpy asks Linux for huge
    pages only for arrays of 4 MiB or more, and the shares' smaller copies (a layer's q|k|v columns, its
    projection's rows) would sit on 4 KiB pages, which one thread streams slower (GPT-2 small at T = 1024:
    1.7 ms more a step). On the development machine, a virtual one, fresh huge pages can cost more to
    fault in: the split starts in 0.4 - 1.1 s against 0.3 with small pages (docs/SPEED.md, 2026-12-03)."""

    ALIGN = 2 << 20

    def __init__(self, size: int, dtype: np.dtype) -> None:
        itemsize = np.dtype(dtype).itemsize
        self.buffer = np.empty(size + self.ALIGN // itemsize, dtype)
        self.used = (-self.buffer.ctypes.data % self.ALIGN) // itemsize

    def take(self, shape: tuple[int, int], order: str = "C") -> np.ndarray:
        """The next unused matrix of `shape`, row-major ("C") or column-major ("F")."""
        n = shape[0] * shape[1]
        out = self.buffer[self.used : self.used + n].reshape(shape if order == "C" else shape[::-1])
        self.used += n
        return out if order == "C" else out.T

    def copy(self, matrix: np.ndarray, order: str = "C") -> np.ndarray:
        """A copy of `matrix` in the arena."""
        out = self.take(matrix.shape, order)
        out[...] = matrix
        return out

    def copy_columns(self, matrix: np.ndarray, columns: list[slice]) -> np.ndarray:
        """A row-major copy of `matrix`'s `columns` side by side (no copy of each on the way)."""
        widths = [s.stop - s.start for s in columns]
        out = self.take((matrix.shape[0], sum(widths)))
        for start, s in zip(np.cumsum([0, *widths[:-1]]), columns, strict=True):
            out[:, start : start + s.stop - s.start] = matrix[:, s]
        return out


class SplitStep:
    """One-position steps of a one-sequence KV cache, from position `first` on, run by this process and
    N - 1 forked helpers. The processes record the keys and values of new positions in shared memory;
    `write_back` copies them into the cache's `keys` and `values`. `close()` ends the helpers."""

    def __init__(self, weights: Weights, keys: np.ndarray, values: np.ndarray, first: int, processes: int
                 ) -> None:
        c = weights.config
        self.weights, self.n, self.first = weights, processes, first
        self.keys, self.values = keys, values  # (L, 1, H, A, capacity) each
        self.channel = _Channel(processes, c.n_embd, c.vocab_size)
        shape = (2, c.n_layer, keys.shape[-1] - first, c.n_head, c.head_size)  # keys|values, L, new, H, A
        self._memory = mmap.mmap(-1, max(1, int(np.prod(shape))) * keys.itemsize)
        self.new = np.frombuffer(self._memory, keys.dtype, int(np.prod(shape))).reshape(shape)
        self.exchanges = 0
        self.parent = os.getpid()
        self.helpers: list[int] = []
        self._blas = None
        try:
            for me in range(1, processes):
                pid = os.fork()
                if pid == 0:
                    self._helper(weights, me)  # never returns
                self.helpers.append(pid)
            self.share = _Share(weights, keys, values, self.new, 0, processes)
        except BaseException:  # no fork, no memory for the copies, Ctrl+C: no helper is left behind
            self.close()
            raise
        # This process's BLAS on one thread too while the helpers live: each core has its process.
        self._blas = blas_threads(1)
        self._blas.__enter__()

    @staticmethod
    def start(weights: Weights, keys: np.ndarray, values: np.ndarray, first: int,
              processes: int | None = None) -> SplitStep | None:
        """A split step from position `first` over `processes`, or None where it cannot run (one core,
        not Linux on x86-64). By default: the usable cores (at most one per head, and 8), for weights of
        at least MIN_BYTES when the memory available holds their shares' copies besides (else None)."""
        n = min(processes or usable_cores(), weights.config.n_head, MAX_PROCESSES)
        if n < 2 or not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "AMD64"):
            return None
        if processes is None:
            size = sum(a.nbytes for a in weights.tensors.values())
            if size < MIN_BYTES or (available_memory() or 0) < 2 * size:
                return None
        try:
            return SplitStep(weights, keys, values, first, n)
        except (OSError, MemoryError):  # the step runs in one process instead
            return None

    def step(self, token: int, position: int) -> np.ndarray:
        """Logits (V,) of `token` at `position` (`first` or later); every process records its heads' key
        and value."""
        ints = self.channel.ints
        ints[1], ints[2] = token, position
        ints[0] += 1  # the helpers start
        self._run(0, self.share, token, position)
        self._wait_all(int(self.exchanges))  # the helpers' logits are written
        return self.channel.logits.copy()

    def write_back(self, length: int) -> None:
        """Copy the keys and values recorded for positions `first` to `length` into the cache."""
        n = length - self.first
        if n > 0:
            new = self.new[:, :, :n].transpose(0, 1, 3, 4, 2)  # (2, L, H, A, n)
            self.keys[:, 0, ..., self.first : length] = new[0]
            self.values[:, 0, ..., self.first : length] = new[1]

    def close(self) -> None:
        """Stop the helpers and wait for them (a helper in the middle of a step stops too)."""
        if not self.helpers:
            return
        self.channel.ints[3] = 1
        for pid in self.helpers:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.helpers = []
        if self._blas is not None:
            self._blas.__exit__(None, None, None)
            self._blas = None

    def __del__(self) -> None:
        if os.getpid() == getattr(self, "parent", None):
            self.close()

    # ---- the work of every process

    def _run(self, me: int, share: _Share, token: int, pos: int) -> None:
        w, c = self.weights, self.weights.config
        new = share.new[:, :, pos - self.first]  # (2, L, h, A): this position's row of the record

        def record(layer: int, k: np.ndarray, v: np.ndarray) -> None:
            new[0, layer] = k
            new[1, layer] = v

        x = w["wte"][token] + w["wpe"][pos]  # (C,), the same in every process
        x = run_layers(x, share.layers, share.keys, share.values, pos, c.head_size, c.layer_norm_eps,
                       c.activation, total=partial(self._sum, me), record=record)
        x = layer_norm_vector(x, w["ln_f.gamma"], w["ln_f.beta"], c.layer_norm_eps)
        np.matmul(x, share.head, out=self.channel.logits[share.vocab])
        self.exchanges += 1
        self.channel.done[me] = self.exchanges

    def _sum(self, me: int, mine: np.ndarray) -> np.ndarray:
        """Every process's partial output (C,) added in process order (the same sum in each)."""
        self.exchanges += 1
        parts = self.channel.parts[self.exchanges % 2, :, : mine.shape[0]]  # (N, C)
        parts[me] = mine
        self.channel.done[me] = self.exchanges
        self._wait_all(self.exchanges)
        return np.add.reduce(parts, axis=0)

    def _wait_all(self, count: int) -> None:
        done, ints, spins = self.channel.done, self.channel.ints, 0
        while done.min() < count:
            spins += 1
            if spins % CHECK_EVERY == 0:
                if ints[3]:
                    raise HelperGone("the split step was closed")
                self._check_others()

    def _check_others(self) -> None:
        if os.getpid() != self.parent:
            if os.getppid() != self.parent:
                raise HelperGone("the parent process is gone")
            return
        for pid in self.helpers:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                raise HelperGone(f"helper {pid} stopped")

    def _helper(self, weights: Weights, me: int) -> None:
        """A forked helper's life: run steps as the parent asks, until it closes or goes away."""
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
            _die_with_parent()
            quiet = os.open(os.devnull, os.O_RDWR)  # the parent's pipes close when the parent ends
            for fd in (0, 1, 2):
                os.dup2(quiet, fd)
            share = _Share(weights, self.keys, self.values, self.new, me, self.n)
            ints, seen, spins = self.channel.ints, 0, 0
            with blas_threads(1):
                while not ints[3]:
                    if ints[0] == seen:
                        spins += 1
                        if spins % CHECK_EVERY == 0:
                            self._check_others()  # HelperGone once the parent is gone
                        continue
                    seen = int(ints[0])
                    self._run(me, share, int(ints[1]), int(ints[2]))
        except HelperGone:
            pass
        except BaseException:  # noqa: BLE001 - a helper must never return into the parent's code
            code = 1
        os._exit(code)


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent ends (a helper must not spin on alone)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
