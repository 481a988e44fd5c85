"""The forward pass's public names, where they have always been imported from.

The work is split by job: model/ops.py (the operations), model/erf.py, model/arena.py (buffers),
model/stages.py and model/trace.py (the Trace), model/kv.py (the KV cache and the batched logits),
model/tokens.py (checking token ids). Trace names are a public interface (../shared/design.md).
"""

from __future__ import annotations

from glviz.model.kv import KVCache, logits, run_positions
from glviz.model.ops import (
    causal_scores,
    erf,
    gelu,
    gelu_rows,
    layer_norm,
    linear,
    merge_heads,
    softmax,
    softmax_rows,
    split_heads,
)
from glviz.model.stages import trace_names
from glviz.model.tokens import check_tokens
from glviz.model.trace import Trace, TraceSnapshot

__all__ = [
    "KVCache",
    "Trace",
    "TraceSnapshot",
    "causal_scores",
    "check_tokens",
    "erf",
    "gelu",
    "gelu_rows",
    "layer_norm",
    "linear",
    "logits",
    "merge_heads",
    "run_positions",
    "softmax",
    "softmax_rows",
    "split_heads",
    "trace_names",
]
