"""Where a Trace's values live: a few flat buffers ("sections"), laid out for a capacity of rows, and the pool
that recycles them.

Shapes are written with "T" for the token axis (an attention matrix has two; the first axis is always
one). A section is laid out for `capacity` rows; a value's current contents are its first T rows (and, for
an attention matrix, T columns), so appending a token writes new rows without moving the old ones, and a
trace grows without copying until its capacity is full.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

from glviz.model.config import GPTConfig

Shape = tuple[int | str, ...]  # "T" marks a token axis; the first axis of every stored value is one
Spec = tuple[Shape, tuple[int, ...] | None]  # stored shape, and the transpose to the trace name's shape

# A section's values that can be dropped and recomputed from kept ones: the (H, T, T) attention matrices of
# a layer and the (T, V) logits and probabilities. They are most of a trace's memory at T = 1024.
BIG_SECTIONS = ("attn", "head.big")

_BY_HEAD = (1, 0, 2)  # stored (T, H, X), seen (H, T, X)


def section_shapes(config: GPTConfig) -> dict[str, dict[str, Spec]]:
    """The float values a trace keeps, by section: the embedding, each layer (its attention matrices in a
    section of their own), the head (likewise).

    Every value is stored position-major, so that the rows of a position are one piece of memory: an append
    writes (and the kernel maps) memory in proportion to the positions, the q|k|v projection is written
    straight into `attn.qkv` (T, 3, H, A), and the heads are merged without a copy. Per-head values are
    seen through a transpose: q (H, T, A) is attn.qkv[:, 0] transposed."""
    C, H, A, V = config.n_embd, config.n_head, config.head_size, config.vocab_size
    row = ("T", C), None
    sections: dict[str, dict[str, Spec]] = {"embed": {"tok_emb": row, "pos_emb": row, "embed": row}}
    for i in range(config.n_layer):
        p = f"layers.{i}."
        sections[f"layers.{i}"] = {
            p + "ln1.out": row, p + "ln1.mean": (("T",), None), p + "ln1.std": (("T",), None),
            p + "attn.qkv": (("T", 3, H, A), _BY_HEAD), p + "attn.max": (("T", H), (1, 0)),
            p + "attn.expsum": (("T", H), (1, 0)), p + "attn.heads": (("T", H, A), _BY_HEAD),
            p + "attn.proj": row, p + "resid1": row,
            p + "ln2.out": row, p + "ln2.mean": (("T",), None), p + "ln2.std": (("T",), None),
            p + "mlp.fc": (("T", 4 * C), None), p + "mlp.gelu": (("T", 4 * C), None), p + "mlp.proj": row,
            p + "resid2": row,
        }  # fmt: skip
        attention = (("T", H, "T"), _BY_HEAD)
        sections[f"layers.{i}.attn"] = {p + "attn.scores": attention, p + "attn.probs": attention}
    sections["head"] = {"ln_f.out": row, "ln_f.mean": (("T",), None), "ln_f.std": (("T",), None),
                        "probs.max": (("T",), None), "probs.expsum": (("T",), None)}  # fmt: skip
    sections["head.big"] = {"logits": (("T", V), None), "probs": (("T", V), None)}
    return sections


def is_big(section: str) -> bool:
    """Whether a section holds values that may be dropped (see BIG_SECTIONS)."""
    return section.endswith(BIG_SECTIONS)


def sized(shape: Shape, rows: int, keys: int | None = None) -> tuple[int, ...]:
    """`shape` with its first "T" axis `rows` long, its second (attention keys) `keys` long (default rows)."""
    out, seen = [], 0
    for d in shape:
        if d == "T":
            out.append(rows if seen == 0 else (rows if keys is None else keys))
            seen += 1
        else:
            out.append(int(d))
    return tuple(out)


def row_index(shape: Shape, start: int, stop: int, keys: int | None = None) -> tuple[slice, ...]:
    """Index of rows start..stop along the first "T" axis (the second, if any, cut to `keys` or stop)."""
    index, seen = [], 0
    for d in shape:
        if d == "T":
            index.append(slice(start, stop) if seen == 0 else slice(0, stop if keys is None else keys))
            seen += 1
        else:
            index.append(slice(None))
    return tuple(index)


_ALIGN = 16  # values start at multiples of 16 elements: 64 bytes for float32, what AVX-512 loads like

# name -> (section, start, stop, shape at capacity); section -> number of elements
Places = dict[str, tuple[str, int, int, tuple[int, ...]]]
_LAYOUTS: dict[tuple[int, ...], tuple[Places, dict[str, int]]] = {}


def buffer_layout(config: GPTConfig, capacity: int) -> tuple[Places, dict[str, int]]:
    """Where each value lives in its section's flat buffer when the sections hold `capacity` rows."""
    key = (config.n_layer, config.n_head, config.n_embd, config.vocab_size, capacity)
    layout = _LAYOUTS.get(key)
    if layout is None:
        places: Places = {}
        sizes: dict[str, int] = {}
        for section, specs in section_shapes(config).items():
            position = 0
            for name, (shape, _) in specs.items():
                full = sized(shape, capacity)
                size = math.prod(full)
                places[name] = (section, position, position + size, full)
                position += -(-size // _ALIGN) * _ALIGN
            sizes[section] = position
        layout = _LAYOUTS[key] = (places, sizes)
    return layout


class ArenaPool:
    """Recycles the flat buffers that hold traces' values.

    The first touch of fresh memory costs a page fault per 4 KiB: for GPT-2 small at T=128 that is more time
    than all the layer norms, softmaxes and GELUs together. So a new trace takes over the buffers of traces
    that are gone. A buffer is free when nothing but this pool refers to it: every value of a trace is a view
    holding a reference to its buffer, so a buffer is never reused while any of its values is still in use.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes  # buffers are kept only up to this many bytes in all
        self._buffers: list[np.ndarray] = []
        self._lock = threading.Lock()
        probe = [np.empty(1)]
        self._free_refcount = sys.getrefcount(probe[0])  # held by the list alone

    def take(self, size: int, dtype: np.dtype) -> np.ndarray:
        """A flat buffer of `size` elements: a free pooled one if one is big enough, else a new one."""
        with self._lock:
            best = -1
            for i in range(len(self._buffers)):
                if (sys.getrefcount(self._buffers[i]) == self._free_refcount
                        and self._buffers[i].dtype == dtype and self._buffers[i].size >= size
                        and (best < 0 or self._buffers[i].size < self._buffers[best].size)):  # fmt: skip
                    best = i
            if best >= 0:
                return self._buffers[best][:size]
            buffer = np.empty(size, dtype=dtype)
            self._keep(buffer)
            return buffer

    def forget(self, buffer: np.ndarray) -> None:
        """Stop pooling `buffer` (or the buffer a view of it belongs to): its memory is freed as soon as no
        value refers to it. For buffers a trace lets go of while it lives on (dropped or outgrown): pooled,
        they would stay resident until a later trace took them."""
        base = buffer if buffer.base is None else buffer.base
        with self._lock:
            self._buffers = [b for b in self._buffers if b is not base]

    def _keep(self, buffer: np.ndarray) -> None:
        if buffer.nbytes > self.max_bytes:
            return
        # Drop free buffers, oldest first, until the new one fits; buffers in use are only forgotten.
        total = sum(b.nbytes for b in self._buffers) + buffer.nbytes
        i = 0
        while total > self.max_bytes and i < len(self._buffers):
            if sys.getrefcount(self._buffers[i]) == self._free_refcount:
                total -= self._buffers.pop(i).nbytes
            else:
                i += 1
        while total > self.max_bytes and self._buffers:
            total -= self._buffers.pop(0).nbytes
        self._buffers.append(buffer)


ARENAS = ArenaPool(max_bytes=1 << 30)
