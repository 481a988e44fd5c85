"""The Trace: every intermediate of one forward pass, by name, computed on first request, growing by tokens.

The network is a chain, so the trace is a list of stages in forward order (model/stages.py); asking for a
value runs the stages up to the one that makes it, and no further. Each stage computes a range of rows
(positions), so `append` runs only the new positions of the stages computed so far: a KV cache that keeps
every intermediate. Values live in flat buffers with room for more rows (model/arena.py); a value is a
read-only view of its first T rows.

Threads: one thread computes (`trace[name]`, `append`, `rows`, `full`; they take one lock in turn), others
read finished values without ever waiting for a computation (`peek`, `snapshot`, `trace[name]` of a value
already computed). Rows, once published, are never written again: an append writes rows past T (and the
masked new column of earlier attention rows, outside every published view), growing moves values to new
buffers, so every view a reader holds keeps its values.

Memory: the attention matrices (H, T, T) of each layer and the logits and probabilities (T, V) may be
dropped (least recently used first, beyond `keep_bytes`) and are recomputed from the kept q, k, max, expsum
and ln_f.out when asked for again.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from glviz.errors import GlvizError
from glviz.model import arena, stages
from glviz.model.arena import ARENAS, sized
from glviz.model.tokens import check_tokens
from glviz.model.trace_storage import TraceStorage
from glviz.model.weights import Weights

# Droppable values kept: everything of GPT-2 small at T=128 (69 MB); at T=1024, two layers' attention
# (96 MB each), not the logits and probabilities (412 MB: `rows` computes the rows asked for).
KEEP_BYTES = 256 << 20
PUBLISH_EVERY = 0.002  # seconds: how often a long computation makes its finished values visible


@dataclass(frozen=True)
class TraceSnapshot(Mapping):
    """The published state of a trace at one version: read-only, consistent, never waits. A Mapping of the
    values computed (and kept) at that version; `T`, `tokens` and `version` belong to the same instant."""

    weights: Weights
    version: int
    T: int
    tokens: np.ndarray
    values: dict[str, np.ndarray] = field(repr=False)

    def __getitem__(self, name: str) -> np.ndarray:
        value = self.values.get(name)
        if value is None:
            raise KeyError(f"trace value {name!r} is not computed in this snapshot (version {self.version})")
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def computed(self, name: str) -> bool:
        """Whether `name` is available in this snapshot."""
        return name in self.values


class Trace(TraceStorage):
    """Every intermediate of a forward pass by name (../shared/design.md), lazily computed; see the module."""

    def __init__(
        self,
        weights: Weights,
        tokens: np.ndarray | list[int],
        dtype: type = np.float32,
        *,
        capacity: int | None = None,
        keep_bytes: int = KEEP_BYTES,
    ) -> None:
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"Trace dtype must be float32 or float64, not {np.dtype(dtype)}")
        tokens = check_tokens(weights, tokens)
        if tokens.ndim != 1:
            raise GlvizError("error.trace.shape", shape=tokens.shape)
        T = int(tokens.shape[0])
        capacity = min(max(T, capacity or T), weights.config.block_size)
        super().__init__(weights.config, np.dtype(dtype), tokens, capacity)
        self.weights = weights
        self.keep_bytes = keep_bytes  # droppable values beyond this are let go (see _enforce_budget)
        self._stages, self._stage_of = stages.plan(self.config.n_layer)
        self._done = 0  # stages 0 .. _done-1 have run for every position
        self._recent: OrderedDict[str, None] = OrderedDict()  # kept big sections, least recently used first
        self._events: list[tuple[int, int, int, tuple[str, ...]]] = []  # (version, start, stop, names)
        self._compute = threading.RLock()  # one computation at a time
        self._lock = threading.Lock()  # held only to publish or read the state and the change record
        self._state = TraceSnapshot(weights, 0, T, self._token_buffer[:T].copy(), {})
        self._state.tokens.flags.writeable = False

    # ---- reading (any thread; never waits for a computation)

    @property
    def T(self) -> int:
        """Number of tokens (positions) published so far."""
        return self._state.T

    @property
    def tokens(self) -> np.ndarray:
        """(T,) int64 token ids, read-only."""
        return self._state.tokens

    @property
    def version(self) -> int:
        """Incremented each time values change: a stage computed, or tokens appended."""
        return self._state.version

    def snapshot(self) -> TraceSnapshot:
        """The published values, T, tokens and version of one instant (no lock held while you use it)."""
        return self._state

    def peek(self, name: str) -> np.ndarray | None:
        """The value `name` if it is computed and kept, else None; never computes."""
        value = self._state.values.get(name)
        if value is not None:
            self._touch(name)
        return value

    def changed_since(self, version: int, upto: int | None = None) -> dict[str, tuple[int, int]]:
        """name -> (start, stop): the rows (positions along the token axis) of each value that changed after
        `version` (and at or before `upto`, e.g. a snapshot's version). An attention matrix's new rows come
        with a new column, masked (-inf, 0) in earlier rows."""
        changed: dict[str, tuple[int, int]] = {}
        last = 1 << 62 if upto is None else upto
        with self._lock:
            events = [e for e in self._events if version < e[0] <= last]
        for _, start, stop, names in events:
            for name in names:
                old = changed.get(name)
                changed[name] = (start, stop) if old is None else (min(old[0], start), max(old[1], stop))
        return changed

    def __contains__(self, name: object) -> bool:
        return name in self._stage_of

    def names(self) -> list[str]:
        """Every trace name, in forward order."""
        return list(self._stage_of)

    def computed(self, name: str) -> bool:
        """Whether `name` is computed and kept (so that `trace[name]` returns at once)."""
        return name in self._state.values

    def token_axis(self, name: str) -> int:
        """The axis of `name` that runs over positions (the query axis of an attention matrix)."""
        perm = self._how[name][2] if name in self._how else None
        return 0 if perm is None else perm.index(0)

    # ---- computing (one thread at a time)

    def __getitem__(self, name: str) -> np.ndarray:
        value = self.peek(name)
        if value is not None:
            return value
        if name not in self._stage_of:
            raise KeyError(f"no trace value named {name!r}")
        with self._compute:
            self._run_to(self._stage_of[name], protect=self._section_of(name))
            if name not in self._state.values:
                self._restore(self._section_of(name))
            self._enforce_budget(protect=self._section_of(name))
            return self._state.values[name]

    def full(self) -> dict[str, np.ndarray]:
        """Compute everything; every trace value by name (dropped values are recomputed for the result)."""
        self["probs"]
        values = self._state.values
        return {name: values[name] if name in values else self[name] for name in self._stage_of}

    def rows(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows start..stop of `name` along its token axis (attention: those queries against every key).
        A dropped value has only these rows computed, and nothing is kept."""
        T = self.T
        if not 0 <= start <= stop <= T:
            raise GlvizError("error.trace.rows", T=T, start=start, stop=stop)
        section = self._section_of(name)
        with self._compute:
            value = self._state.values.get(name)
            if value is None and section not in self._dropped:
                value = self[name]
            if value is not None:
                axis = self.token_axis(name)
                return value[(slice(None),) * axis + (slice(start, stop),)]
            return stages.big_rows(self, name, start, stop)

    def append(self, tokens: np.ndarray | list[int]) -> int:
        """Add positions at the end, in place: every stage computed so far runs for the new positions only
        (stages not yet computed stay so, to be computed for all positions when first asked for: an append
        must not compute layers nobody looked at). Returns the new version."""
        with self._compute:
            new = check_tokens(self.weights, np.asarray(tokens).reshape(-1), start=self.T)
            start, stop = self.T, self.T + len(new)
            self._ensure_capacity(stop)
            self._token_buffer[start:stop] = new
            try:
                for k in range(self._done):
                    stages.run(self, k, start, stop)
            finally:
                self._transient.clear()
            for section in list(self._sections):
                if arena.is_big(section) and section.startswith("layers."):
                    stages.mask_new_columns(self, section, start, stop)
            done = tuple(n for k in range(self._done) for n in self._stages[k][0])
            self._publish(stop, done, start)
            self._enforce_budget(protect=None)
            return self.version

    def drop(self, *names: str) -> None:
        """Let the droppable values among `names` go now (all of them if none are named)."""
        with self._compute:
            sections = {self._section_of(n) for n in names} if names else set(self._recent)
            for section in sections & set(self._recent):
                self._drop(section)

    # ---- internals (used by model/stages.py)

    @property
    def stage_list(self) -> list[stages.Stage]:
        return self._stages

    def _publish(self, T: int, names: tuple[str, ...], start: int) -> None:
        """A new version: `names` changed in rows start..T. At a new T, every kept value is seen at T rows."""
        state = self._state
        if T == state.T:
            values, tokens = dict(state.values), state.tokens
            values.update(self._views(T, names))
        else:
            values = self._views(T, state.values)
            tokens = self._token_buffer[:T].copy()
            tokens.flags.writeable = False
        with self._lock:
            version = state.version + 1
            self._events.append((version, start, T, names))
            self._state = TraceSnapshot(self.weights, version, T, tokens, values)

    def _republish(self, add: list[str], remove: list[str]) -> None:
        """Values kept again or let go, unchanged (a restore or a drop): the same version."""
        state = self._state
        values = {n: v for n, v in state.values.items() if n not in remove}
        values.update(self._views(state.T, add))
        with self._lock:
            self._state = TraceSnapshot(self.weights, state.version, state.T, state.tokens, values)

    # ---- internals: running stages, dropping and restoring big values

    def _run_to(self, stage: int, protect: str | None) -> None:
        """Run the stages up to `stage` for every position, publishing what is done every PUBLISH_EVERY
        seconds (readers see a large model's layers arrive; a small model's trace is published once)."""
        done: list[str] = []
        published = time.perf_counter()
        while self._done <= stage:
            done += self._stages[self._done][0]
            stages.run(self, self._done, 0, self.T)
            self._done += 1
            section = stages.releases(self._stages[self._done - 1])
            if section is not None or self._done > stage or time.perf_counter() - published > PUBLISH_EVERY:
                self._publish(self.T, tuple(done), 0)
                done, published = [], time.perf_counter()
            if section is not None:  # its last reader has run: from now on it may be dropped
                with self._lock:
                    self._recent[section] = None
                self._enforce_budget(protect)

    def _touch(self, name: str) -> None:
        section = self._section_of(name)
        if section in self._recent:
            with self._lock:
                if section in self._recent:
                    self._recent.move_to_end(section)

    def _big_bytes(self, section: str) -> int:
        """Memory the section's values take: T rows of their stored width (an attention row is as wide as
        the capacity, not T)."""
        shapes = self._section_shapes[section].values()
        elements = sum(math.prod(sized(shape, self.T, self._capacity)) for shape, _ in shapes)
        return elements * self.dtype.itemsize

    def _enforce_budget(self, protect: str | None) -> None:
        """Drop big sections beyond keep_bytes: first one that alone exceeds it (keeping the others would
        not make it fit), then the least recently used; never `protect`, the one just asked for."""
        sizes = {s: self._big_bytes(s) for s in list(self._recent)}
        order = sorted(sizes, key=lambda s: sizes[s] <= self.keep_bytes)  # stable: oversized first, then LRU
        total = sum(sizes.values())
        for section in order:
            if total <= self.keep_bytes:
                break
            if section != protect:
                total -= sizes[section]
                self._drop(section)

    def _drop(self, section: str) -> None:
        with self._lock:
            self._recent.pop(section, None)
        self._dropped.add(section)
        ARENAS.forget(self._sections.pop(section))
        for name in self._section_shapes[section]:
            self._arrays.pop(name, None)
        self._republish([], list(self._section_shapes[section]))

    def _restore(self, section: str) -> None:
        """Recompute a dropped section's values for every position and keep them again."""
        self._dropped.discard(section)
        stages.restore(self, section)
        with self._lock:
            self._recent[section] = None
        self._republish(list(self._section_shapes[section]), [])
