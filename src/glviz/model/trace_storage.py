"""Where a Trace's values live: flat buffers per section with room for more rows (model/arena.py), read and
written by the stages (model/stages.py) as views of rows in each value's trace shape.

A base of Trace (model/trace.py), which decides what is computed, published and let go.
"""

from __future__ import annotations

import functools

import numpy as np

from glviz.model import stages
from glviz.model.arena import ARENAS, buffer_layout, row_index, section_shapes, sized
from glviz.model.config import GPTConfig


@functools.cache
def _storage_facts(config: GPTConfig) -> tuple[dict, dict, set, dict]:
    """Per model shape, made once: the sections' specs, every stored name's spec, the attention matrices
    (two token axes), and for every trace and stored name (stored name, part, transpose, section)."""
    sections = section_shapes(config)
    specs = {n: spec for named in sections.values() for n, spec in named.items()}
    square = {n for n, (shape, _) in specs.items() if shape.count("T") == 2}
    section_of = {n: section for section, named in sections.items() for n in named}
    how = {}
    for name in [*stages.trace_names(config.n_layer), *specs]:
        base, part = stages.storage_name(name)
        if base in specs:
            how[name] = (base, part, specs[base][1], section_of[base])
    return sections, specs, square, how


class TraceStorage:
    """The buffers of a trace of `config` with room for `capacity` positions, holding `tokens` first."""

    def __init__(self, config: GPTConfig, dtype: np.dtype, tokens: np.ndarray, capacity: int) -> None:
        self.config = config
        self.dtype = dtype
        self._capacity = capacity
        self._places, self._sizes = buffer_layout(config, capacity)
        self._sections: dict[str, np.ndarray] = {}
        self._token_buffer = np.zeros(capacity, dtype=np.int64)
        self._token_buffer[: len(tokens)] = tokens
        self._section_shapes, self._specs, self._square, self._how = _storage_facts(config)
        self._arrays: dict[str, np.ndarray] = {}  # storage name -> its capacity-sized array, as made
        self._dropped: set[str] = set()  # big sections whose stages ran but whose values were let go
        self._transient: dict[str, np.ndarray] = {}  # rows of dropped values during an append
        self._scratch: dict[str, np.ndarray] = {}

    @property
    def T(self) -> int:  # (Trace: the positions published)
        raise NotImplementedError

    # ---- used by model/stages.py

    def token_ids(self, start: int, stop: int) -> np.ndarray:
        return self._token_buffer[start:stop]

    def _section_of(self, name: str) -> str:
        how = self._how.get(name)
        return "" if how is None else how[3]

    def buffer(self, name: str) -> np.ndarray:
        """The whole capacity-sized array of storage name `name`, its section allocated on first use."""
        array = self._arrays.get(name)
        if array is None:
            section, start, stop, shape = self._places[name]
            buffer = self._sections.get(section)
            if buffer is None:
                buffer = self._sections[section] = ARENAS.take(self._sizes[section], self.dtype)
            array = self._arrays[name] = buffer[start:stop].reshape(shape)
        return array

    def stored(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows start..stop of stored value `name` in its stored (position-major) shape; for an attention
        matrix, against keys 0..stop. For a dropped value during an append: transient rows."""
        if self._how[name][3] not in self._dropped:
            array = self._arrays.get(name)
            if array is None:
                array = self.buffer(name)
            return array[start:stop, :, :stop] if name in self._square else array[start:stop]
        shape = self._specs[name][0]
        rows = self._transient.get(name)
        if rows is None or rows.shape != sized(shape, stop - start, stop):
            rows = self._transient[name] = np.empty(sized(shape, stop - start, stop), self.dtype)
        return rows

    def at(self, name: str, start: int, stop: int) -> np.ndarray:
        """Rows start..stop of trace value `name` in its trace shape (a view of `stored`): where a stage
        writes them and later stages read them."""
        base, part, perm, _ = self._how[name]
        array = self.stored(base, start, stop)
        array = array if part is None else array[:, part]
        return array if perm is None else array.transpose(perm)

    def scratch(self, name: str, rows: int, width: int) -> np.ndarray:
        """A reusable (rows, width) temporary that no value refers to."""
        array = self._scratch.get(name)
        if array is None or array.shape[0] < rows:
            array = self._scratch[name] = np.empty((rows, width), self.dtype)
        return array[:rows]

    def _ensure_capacity(self, rows: int) -> None:
        """Room for `rows` positions: double the capacity (amortised growth), moving what is kept into new
        buffers (the old ones stay as they are for the views readers hold)."""
        if rows <= self._capacity:
            return
        capacity = min(self.config.block_size, max(rows, 2 * self._capacity))
        places, sizes = buffer_layout(self.config, capacity)
        T, sections = self.T, {}
        for section, old in self._sections.items():
            sections[section] = ARENAS.take(sizes[section], self.dtype)
            for name, (shape, _) in self._section_shapes[section].items():
                _, start, stop, old_shape = self._places[name]
                _, new_start, new_stop, new_shape = places[name]
                index = row_index(shape, 0, T)
                moved = sections[section][new_start:new_stop].reshape(new_shape)
                moved[index] = old[start:stop].reshape(old_shape)[index]
        tokens = np.zeros(capacity, dtype=np.int64)
        tokens[:T] = self._token_buffer[:T]
        for old in self._sections.values():
            ARENAS.forget(old)
        self._places, self._sizes, self._sections = places, sizes, sections
        self._arrays.clear()
        self._token_buffer, self._capacity = tokens, capacity

    def _views(self, T: int, names) -> dict[str, np.ndarray]:
        """Read-only views of the first T rows of `names`."""
        views = {}
        for name in names:
            view = self._token_buffer[:T] if name == "tokens" else self.at(name, 0, T)
            view = view.view()
            view.flags.writeable = False
            views[name] = view
        return views
