"""The "how was this computed" view model: everything the panel shows about the hovered cell. No imgui, no GL.

The value shown always comes from the trace; the computation is rebuilt from the cells the layout says the
value depends on (glviz.layout.deps), with the real numbers, and its result must equal the trace value.
Words come from the catalogue (i18n/*/hover.txt) in the language of the moment; formulas are symbols.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field

import numpy as np

from glviz.formatting import fmt
from glviz.i18n import tr
from glviz.layout.blocks import Block, Kind, Layout, block_cells, block_values
from glviz.model.sort_task import LETTERS, N_LETTERS
from glviz.ui.block_stats import BlockStats, block_stats, unmasked
from glviz.ui.computation import Curve, computation_curve, computation_lines, op_name
from glviz.ui.wakeup import wake

BIG_STATS = 1 << 21  # blocks with more values than this get their statistics on a thread
KIND_NAMES = {Kind.WEIGHT: "weight", Kind.INTERMEDIATE: "intermediate", Kind.AGGREGATE: "aggregate"}  # ids:
# HoverInfo.kind is one of these; the panel shows tr("kind." + kind)
# Index names per dimension: T -> t, C -> c; a repeated dimension (attention's T×T) gets a prime.
INDEX_NAMES = {"T": "t", "C": "c", "A": "a", "4C": "m", "V": "v", "heads": "head", "H": "head"}


@dataclass
class HoverInfo:
    """What the panel says about one cell."""

    block: int
    row: int
    col: int
    name: str
    label: str
    kind: str
    section: str
    shape: str  # e.g. "T=11 × C=48"
    indices: list[tuple[str, int]]  # e.g. [("layer", 0), ("head", 1), ("t", 3), ("a", 5)]
    computed: bool  # False for render-only models (no values)
    value: float | None = None
    formula: str = ""  # symbolic, e.g. "b[j] + Σ_i x[i]·W[i,j]"
    lines: list[str] = field(default_factory=list)  # the same with real numbers, step by step
    recomputed: float | None = None
    dependencies: list = field(default_factory=list)  # CellRanges for the scene's highlight
    curve: Curve | None = None
    stats: BlockStats | None = None
    stats_pending: bool = False  # the block's statistics are being computed (a big block)
    note: str = ""  # what the value means in words (a token's letter, a masked score, a residual's operands)
    kept: bool = True  # False: the trace let the value go for now (a long prompt's attention, its logits)
    token_id: bool = False  # the value is a token id: written whole (18045, not 1.804·10^4)

    @property
    def value_text(self) -> str:
        """The value as shown, or "not computed" ("not in memory now" for a value let go)."""
        if self.value is not None:
            return str(int(self.value)) if self.token_id and math.isfinite(self.value) else fmt(self.value)
        return tr("hover.not_computed") if self.kept else tr("hover.not_in_memory")

    @property
    def index_text(self) -> str:
        """The indices as "layer=0, head=1, t=3, a=5"."""
        return ", ".join(f"{name}={i}" for name, i in self.indices)

    @property
    def matches(self) -> bool:
        """The recomputation reproduces the trace value (to float32 rounding)."""
        if self.value is None or self.recomputed is None:
            return False
        if not math.isfinite(self.value) or not math.isfinite(self.recomputed):
            return self.value == self.recomputed
        return abs(self.value - self.recomputed) <= 1e-4 * max(1.0, abs(self.value))


def _tensor_order(block: Block, rows, cols) -> list:
    """(dims, sizes or indices) in the tensor's own axis order: blocks drawn transposed are turned back."""
    pairs = [(block.dims[0], rows), (block.dims[1], cols)]
    return pairs[::-1] if block.transpose else pairs


def shape_text(block: Block) -> str:
    """Shape with dimension names in tensor order, e.g. "T=11 × C=48"; size-1 axes ("1") are left out."""
    parts = [f"{dim}={n}" for dim, n in _tensor_order(block, block.rows, block.cols) if dim != "1"]
    return " × ".join(parts) if parts else "1"


def cell_indices(block: Block, row: int, col: int) -> list[tuple[str, int]]:
    """The cell's indices by dimension in tensor order, after the layer and head the block belongs to."""
    out: list[tuple[str, int]] = []
    if block.layer >= 0:
        out.append(("layer", block.layer))
    if block.head >= 0:
        out.append(("head", block.head))
    seen: set[str] = set()
    for dim, i in _tensor_order(block, row, col):
        if dim == "1":
            continue
        name = INDEX_NAMES.get(dim, dim.lower())
        if name in seen:
            name += "′"
        seen.add(name)
        out.append((name, int(i)))
    return out


class HoverExplainer:
    """Builds HoverInfo for cells of one layout and (optionally) one trace; caches block statistics. Those of
    blocks bigger than BIG_STATS values are computed on a thread (GPT-2's token embedding takes about a
    second): meanwhile the cell is explained without them, and `poll()` says when they have come."""

    def __init__(self, layout: Layout, trace=None) -> None:
        self.layout = layout
        self.trace = trace
        self._stats: dict[int, BlockStats] = {}
        self._lock = threading.Lock()
        self._running: set[int] = set()  # blocks whose statistics a thread computes
        self._failed: set[int] = set()  # blocks whose statistics a thread could not compute (not tried again)
        self._arrived = False  # statistics came from a thread since the last poll()
        self._generation = 0  # a new trace makes results of threads started before it stale

    def set_trace(self, trace) -> None:
        """A new trace (new input): cached statistics belong to the old one."""
        with self._lock:
            self.trace = trace
            self._stats.clear()
            self._running.clear()
            self._failed.clear()
            self._generation += 1

    def stats(self, block: int) -> BlockStats | None:
        """The block's BlockStats for the current trace (cached), or None without a trace or while a thread
        computes them."""
        return self._lookup(block)[0]

    def _lookup(self, block: int) -> tuple[BlockStats | None, bool]:
        """(the block's statistics or None, whether a thread was computing them when asked)."""
        if self.trace is None:
            return None, False
        with self._lock:
            if block in self._stats or block in self._running or block in self._failed:
                return self._stats.get(block), block in self._running
        b = self.layout.blocks[block]
        values = block_values(b, self.trace)
        if np.asarray(values).size <= BIG_STATS:
            stats = block_stats(unmasked(b, values))
            with self._lock:
                self._stats[block] = stats
            return stats, False
        with self._lock:
            self._running.add(block)
            generation = self._generation
        threading.Thread(target=self._compute, args=(block, b, values, generation), daemon=True,
                         name="glviz-stats").start()
        return None, True

    def _compute(self, block: int, b: Block, values, generation: int) -> None:
        try:
            stats = block_stats(unmasked(b, values))  # (the copy a probabilities block needs: here too)
        except Exception:  # never left pending (the window would keep waking for it): no statistics
            logging.getLogger("glviz").exception("statistics of block %d", block)
            stats = None
        with self._lock:
            if generation == self._generation:
                if stats is None:
                    self._failed.add(block)
                else:
                    self._stats[block] = stats
                self._running.discard(block)
                self._arrived = True
        wake()  # the tooltip shows them now, not at the window's next look

    def computing(self, block: int) -> bool:
        """Whether a thread is computing the block's statistics now."""
        with self._lock:
            return block in self._running

    @property
    def arrived(self) -> bool:
        """Whether statistics arrived from a thread that poll() has not reported yet."""
        with self._lock:
            return self._arrived

    def poll(self) -> bool:
        """Whether statistics arrived from a thread since the last call (then the hovered cell is explained
        anew)."""
        with self._lock:
            arrived, self._arrived = self._arrived, False
        return arrived

    def explain(self, block: int, row: int, col: int) -> HoverInfo:
        """Everything about cell (row, col) of `block`. A trace snapshot may lack a value (not computed yet,
        or let go to save memory at a long prompt): then the cell is described without numbers."""
        try:
            # (a thread may finish at once: pending is as asked). Token ids are names, not quantities:
            # their mean and histogram would say nothing.
            stats, pending = (None, False) if is_token_ids(self.layout.blocks[block]) else self._lookup(block)
            info = explain(self.layout, block, row, col, self.trace, stats=stats)
            info.stats_pending = pending
            return info
        except KeyError:
            info = explain(self.layout, block, row, col, None)
            info.note, info.kept = tr("hover.not_kept"), False
            return info


def explain(layout: Layout, block: int, row: int, col: int, trace=None, stats: BlockStats | None = None
            ) -> HoverInfo:
    """HoverInfo for one cell; without a trace (render-only models) only block, shape and indices."""
    b = layout.blocks[block]
    info = HoverInfo(block=block, row=row, col=col, name=b.name, label=b.label,
                     kind=KIND_NAMES.get(Kind(int(b.kind)), str(b.kind)), section=b.section,
                     shape=shape_text(b), indices=cell_indices(b, row, col), computed=trace is not None)
    from glviz.layout import deps  # the layout's dependency rules; imported here to keep start-up light

    tokens = None if trace is None else np.asarray(trace.tokens)
    try:
        dependency = deps.cell_dependency(layout, block, row, col, tokens=tokens)
    except (KeyError, IndexError, ValueError):  # a block without a rule still shows name, shape and indices
        dependency = None
    if dependency is not None:
        info.formula = _formula_text(dependency.formula, deps.FORMULAS)
        # The scene lights at most 8 ranges: per-head pieces of a concatenated input go last, so that the
        # weight row and the bias of the attention projection always show.
        roles = sorted(dependency.inputs, key=lambda role: role[:1] == "h" and role[1:].isdigit())
        info.dependencies = [dependency.inputs[role] for role in roles]
        dependency.extra.setdefault("letters", layout.config.vocab_size == 3)  # nano's tokens are A, B, C
    if dependency is not None and op_name(dependency) == "ADD":
        info.formula, info.note = _residual_text(layout, b, dependency, info.indices)
    if trace is None:
        return info
    info.value = float(block_cells(b, trace, (row, row + 1), (col, col + 1))[0, 0])
    info.stats = stats
    tokenizer = getattr(getattr(trace, "weights", None), "tokenizer", None)  # (a checkpoint's, if it has one)
    if is_token_ids(b):
        info.token_id = True
        info.note = _token_note(layout, info.indices, info.value, tokenizer)
    elif not info.note and _index_value(info.indices, "v") is not None:  # wte's rows, logits, probabilities
        info.note = _vocabulary_note(layout, _index_value(info.indices, "v"), tokenizer)
    if dependency is None:
        return info
    inputs = deps.gather_inputs(dependency, layout, trace)
    info.recomputed = float(deps.recompute(dependency, inputs))
    info.lines = computation_lines(dependency, inputs, info.value)
    info.curve = computation_curve(dependency, inputs, info.value)
    if dependency.extra.get("masked"):
        # "−∞ = −∞" says nothing: say why the cell is what it is.
        info.note = _masked_note(info.indices)
        info.lines = []
    return info


def is_token_ids(block: Block) -> bool:
    """Whether the block holds the input's token ids."""
    return block.role == "tokens" or block.name == "tokens"


def _vocabulary_note(layout: Layout, v: int, tokenizer=None) -> str:
    """Which token a cell's v index stands for: nano's letter, a checkpoint's token text (none without a
    tokenizer: the index is all there is)."""
    if layout.config.vocab_size == 3:
        return tr("hover.vocab_letter", v=v, letter=LETTERS[v]) if 0 <= v < len(LETTERS) else ""
    if tokenizer is None:
        return ""
    from glviz.ui.prompt import token_label

    return tr("hover.vocab_token", v=v, text=token_label(tokenizer, v))


WORD_FORMULAS = ("input", "weight", "masked", "masked_softmax")  # deps.FORMULAS said in words: translated


def _formula_text(formula: str, formulas: dict) -> str:
    """The dependency's formula as shown: symbols as they are, the few said in words from the catalogue."""
    for name in WORD_FORMULAS:
        if formula == formulas.get(name):
            return tr(f"formula.{name}")
    return formula


def _index_value(indices: list[tuple[str, int]], name: str) -> int | None:
    return next((i for n, i in indices if n == name), None)


def _token_note(layout: Layout, indices: list[tuple[str, int]], value: float, tokenizer=None) -> str:
    """A token cell in words: its id (and text, with a tokenizer), its letter on nano, and where it came
    from."""
    token, t = int(round(value)), _index_value(indices, "t")
    if layout.config.vocab_size != 3:  # nano's vocabulary is the letters A, B, C
        if tokenizer is not None:
            from glviz.ui.prompt import token_label

            return tr("hover.token_id_text", token=token, text=token_label(tokenizer, token), t=t)
        return tr("hover.token_id", token=token, t=t)
    letter = LETTERS[token] if 0 <= token < len(LETTERS) else "?"
    if t is not None and t >= N_LETTERS:
        return tr("hover.token_fed_back", token=token, letter=letter, position=t - 1,
                  number=t - N_LETTERS + 1)
    if t is None:
        return tr("hover.token_input", token=token, letter=letter)
    return tr("hover.token_input_at", token=token, letter=letter, number=t + 1, count=N_LETTERS)


def _masked_note(indices: list[tuple[str, int]]) -> str:
    """Causal masking in words, with the query and key positions."""
    t, key = _index_value(indices, "t"), _index_value(indices, "t′")
    if t is None or key is None:
        return tr("hover.masked")
    return tr("hover.masked_at", key=key, t=t)


def _residual_text(layout: Layout, block: Block, dependency, indices: list[tuple[str, int]]
                   ) -> tuple[str, str]:
    """A residual sum's formula with its operands' names, and a note saying what they are."""
    index = ",".join(name for name, _ in indices if name not in ("layer", "head"))

    def name_of(role: str) -> str:
        operand = layout.blocks[dependency.inputs[role].block]
        # Blocks of the same layer by their role ("attn.proj"), others in full ("layers.0.resid2", "embed").
        same_layer = operand.layer == block.layer and operand.layer >= 0 and operand.role
        return operand.role if same_layer else operand.name

    a, b = name_of("a"), name_of("b")
    branch = "attention" if "attn" in b else "mlp" if "mlp" in b else "other"
    return f"{a}[{index}] + {b}[{index}]", tr(f"hover.residual.{branch}", a=a, b=b)
