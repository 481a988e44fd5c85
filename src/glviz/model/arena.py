"""Where a Trace's values live: a few flat buffers ("sections"), laid out for a capacity of rows, and the pool
that recycles them.

Shapes are written with "T" for the token axis (an attention matrix has two). A section is laid out for
`capacity` rows; a value's current contents are its first T rows along each "T" axis, so appending a token
writes new rows without moving the old ones, and a trace grows without copying until its capacity is full.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

from glviz.model.config import GPTConfig

Shape = tuple[int | str, ...]  # "T" marks a token axis

# A section's values that can be dropped and recomputed from kept ones: the (H, T, T) attention matrices of
# a layer and the (T, V) logits and probabilities. They are most of a trace's memory at T = 1024.
BIG_SECTIONS = ("attn", "head.big")


def section_shapes(config: GPTConfig) -> dict[str, dict[str, Shape]]:
    """The float values a trace keeps, by section: the embedding, each layer (its attention matrices in a
    section of their own), the head (likewise). A layer's q, k and v are one (3, H, T, A) block, `attn.qkv`,
    so that one copy splits the heads."""
    C, H, A, V = config.n_embd, config.n_head, config.head_size, config.vocab_size
    sections: dict[str, dict[str, Shape]] = {"embed": {"tok_emb": ("T", C), "pos_emb": ("T", C),
                                                       "embed": ("T", C)}}
    for i in range(config.n_layer):
        p = f"layers.{i}."
        sections[f"layers.{i}"] = {
            p + "ln1.out": ("T", C), p + "ln1.mean": ("T",), p + "ln1.std": ("T",),
            p + "attn.qkv": (3, H, "T", A), p + "attn.max": (H, "T"), p + "attn.expsum": (H, "T"),
            p + "attn.heads": (H, "T", A), p + "attn.proj": ("T", C), p + "resid1": ("T", C),
            p + "ln2.out": ("T", C), p + "ln2.mean": ("T",), p + "ln2.std": ("T",),
            p + "mlp.fc": ("T", 4 * C), p + "mlp.gelu": ("T", 4 * C), p + "mlp.proj": ("T", C),
            p + "resid2": ("T", C),
        }  # fmt: skip
        sections[f"layers.{i}.attn"] = {p + "attn.scores": (H, "T", "T"), p + "attn.probs": (H, "T", "T")}
    sections["head"] = {"ln_f.out": ("T", C), "ln_f.mean": ("T",), "ln_f.std": ("T",),
                        "probs.max": ("T",), "probs.expsum": ("T",)}  # fmt: skip
    sections["head.big"] = {"logits": ("T", V), "probs": ("T", V)}
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


def token_axis(shape: Shape) -> int:
    """The axis of the first "T" (the query axis of an attention matrix)."""
    return shape.index("T")


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
        for section, shapes in section_shapes(config).items():
            position = 0
            for name, shape in shapes.items():
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
