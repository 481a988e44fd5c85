"""How each cell is computed from other cells: the honest explanation behind hovering a cell.

`cell_dependency(layout, block, row, col)` says which cells of which blocks (CellRanges, in the blocks' drawn
row/column grids) feed one cell and with what operation. `gather_inputs` reads those cells from a Trace and
`recompute` redoes the operation in float64, so the hover panel can show `b + Σ x·W = 0.42` with real numbers
and tests can check that the layout's dependencies really reproduce the forward pass.

Roles (the keys of `Dependency.inputs` and of what `gather_inputs` returns), per operation:
  INPUT       none: gather_inputs returns {"value": the cell itself} (tokens and weights are given)
  LOOKUP      "token" (the tokens cell at t) and "wte" (row c of wte: the whole row, or only the token's
              column when `tokens` is passed) and/or "wpe" (wpe at (c, t)); gather_inputs resolves "wte"
              to the token's single value. tok_emb has token+wte, pos_emb wpe, embed all three.
  ADD         "a" (the residual stream), "b" (the branch output)
  MEAN        "x" (the column of C inputs)
  STD         "x", "mean"; extra["eps"]
  LAYERNORM   "x", "mean", "std", "gamma", "beta"
  LINEAR      "x" (input column) or, for the attention projection, "h0", "h1", ... (head h's output column,
              concatenated in head order to form x); "w" (the weight row: drawn as out rows × in cols);
              "b" (bias) unless extra["bias"] is False (logits)
  ATTN_SCORE  "q" (query column t), "k" (key column t'); extra["scale"] = 1/√A. Masked cells (t' > t) have
              no inputs, extra["masked"] = True, and recompute to −inf
  MAX         "x" (the causal part of a score row, or a logits column)
  EXPSUM      "x", "max"
  SOFTMAX     "x" (the cell's score/logit), "max", "expsum"; masked attention cells have no inputs and are 0
  ATTN_MIX    "p" (the causal part of probs row t), "v" (row a of V over the same key positions)
  GELU        "x"; extra["approximate"] is "tanh" (gelu_new) or "none" (exact erf)
Reduced roles (x/w/h*/q/k/p/v of the reductions) come back from gather_inputs as 1-D float64 arrays, the
others as Python floats.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np

from glviz.layout.blocks import Block, Kind, Layout, block_cells


class Op(str, enum.Enum):
    """The operation that computes a cell from its inputs."""

    INPUT = "input"
    LOOKUP = "lookup"
    ADD = "add"
    MEAN = "mean"
    STD = "std"
    LAYERNORM = "layernorm"
    LINEAR = "linear"
    ATTN_SCORE = "attn_score"
    MAX = "max"
    EXPSUM = "expsum"
    SOFTMAX = "softmax"
    ATTN_MIX = "attn_mix"
    GELU = "gelu"


@dataclass
class CellRange:
    """Cells rows[0]:rows[1] × cols[0]:cols[1] (half-open) of block `block`, in its drawn grid."""

    block: int
    rows: tuple[int, int]
    cols: tuple[int, int]


@dataclass
class Dependency:
    """How cell (row, col) of block `block` is computed: `op` applied to the cells of `inputs`."""

    op: Op
    block: int
    row: int
    col: int
    inputs: dict[str, CellRange]
    formula: str
    extra: dict = field(default_factory=dict)


FORMULAS = {
    "input": "input",
    "weight": "learned weight",
    "tok_emb": "wte[token]",
    "pos_emb": "wpe[t]",
    "embed": "wte[token] + wpe[t]",
    Op.ADD: "a + b",
    Op.MEAN: "Σ x / C",
    Op.STD: "√(Σ (x−μ)² / C + ε)",
    Op.LAYERNORM: "(x−μ)/σ·γ+β",
    Op.LINEAR: "b[j] + Σ_i x[i]·W[i,j]",
    "linear_no_bias": "Σ_i x[i]·W[i,j]",
    Op.ATTN_SCORE: "q·k/√A",
    "masked": "masked (t' > t): −∞",
    Op.MAX: "max x",
    Op.EXPSUM: "Σ exp(x−max)",
    Op.SOFTMAX: "exp(x−max)/Σexp",
    "masked_softmax": "masked (t' > t): 0",
    Op.ATTN_MIX: "Σ_t' p[t,t']·v[t',a]",
    "gelu": "x·Φ(x)",
    "gelu_new": "0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))",
}

# Roles that gather_inputs returns as 1-D arrays (the reduced axis) rather than scalars.
_REDUCED = {
    Op.MEAN: {"x"}, Op.STD: {"x"}, Op.LINEAR: {"x", "w"}, Op.ATTN_SCORE: {"q", "k"},
    Op.MAX: {"x"}, Op.EXPSUM: {"x"}, Op.ATTN_MIX: {"p", "v"},
}


def _cell(block: int, row: int, col: int) -> CellRange:
    return CellRange(block, (row, row + 1), (col, col + 1))


def _column(block: int, rows: tuple[int, int], col: int) -> CellRange:
    return CellRange(block, rows, (col, col + 1))


def _row(block: int, row: int, cols: tuple[int, int]) -> CellRange:
    return CellRange(block, (row, row + 1), cols)


class _Resolver:
    """Finds the blocks a cell's inputs live in, by name."""

    def __init__(self, layout: Layout, block: Block) -> None:
        self.layout = layout
        self.block = block
        self.C = layout.config.n_embd
        self.A = layout.config.head_size

    def index(self, name: str) -> int:
        return self.layout.by_name[name]

    def layer(self, what: str) -> int:
        return self.index(f"layers.{self.block.layer}.{what}")

    def residual_in(self, layer: int) -> int:
        """The residual stream entering `layer` (embed for the first layer)."""
        return self.index("embed" if layer == 0 else f"layers.{layer - 1}.resid2")

    def head(self, what: str) -> int:
        """The block `what` (e.g. "scores") of this block's head, in this block's layer."""
        return self.layer(f"attn.h{self.block.head}.{what}")

    def head_vector(self, part: str) -> tuple[int, int]:
        """(block, first row) of this block's head's q, k or v rows."""
        if self.layout.merged_qkv:
            return self.head("qkv"), "qkv".index(part) * self.A
        return self.head(part), 0

    def ln_input(self, part: str) -> int:
        """The block a layer norm normalises: the residual stream before it."""
        if part == "ln1":
            return self.residual_in(self.block.layer)
        if part == "ln2":
            return self.layer("resid1")
        return self.residual_in(self.layout.config.n_layer)


def cell_dependency(layout: Layout, block: int, row: int, col: int,
                    tokens: np.ndarray | None = None) -> Dependency:
    """How cell (row, col) of block index `block` is computed from other cells.

    `tokens` (optional, the traced token ids) narrows a lookup's wte range to the looked-up cell; without
    it the range is the whole wte row and gather_inputs picks the token's cell.
    """
    b = layout.blocks[block]
    if not (0 <= row < b.rows and 0 <= col < b.cols):
        raise IndexError(f"cell ({row}, {col}) outside block {b.name} ({b.rows}×{b.cols})")
    r = _Resolver(layout, b)
    role = b.role
    part, _, what = role.rpartition(".")

    def dep(op: Op, inputs: dict[str, CellRange], formula: str, **extra) -> Dependency:
        return Dependency(op, block, row, col, inputs, formula, extra)

    if b.kind == Kind.WEIGHT or role == "tokens":  # given, not computed
        return dep(Op.INPUT, {}, FORMULAS["weight" if b.kind == Kind.WEIGHT else "input"])

    t, C = col, r.C
    if role in ("tok_emb", "pos_emb", "embed"):
        inputs: dict[str, CellRange] = {}
        if role != "pos_emb":
            wte = r.index("wte")
            token = None if tokens is None else int(tokens[t])
            token_cols = (0, layout.blocks[wte].cols) if token is None else (token, token + 1)
            inputs["token"] = _cell(r.index("tokens"), 0, t)
            inputs["wte"] = _row(wte, row, token_cols)
        if role != "tok_emb":
            inputs["wpe"] = _cell(r.index("wpe"), row, t)
        return dep(Op.LOOKUP, inputs, FORMULAS[role], t=t, c=row, token_resolved=tokens is not None)

    if what in ("mean", "std", "out") and part in ("ln1", "ln2", "ln_f"):
        x = r.ln_input(part)
        prefix = "" if part == "ln_f" else f"layers.{b.layer}."
        mean = r.index(f"{prefix}{part}.mean")
        std = r.index(f"{prefix}{part}.std")
        if what == "mean":
            return dep(Op.MEAN, {"x": _column(x, (0, C), t)}, FORMULAS[Op.MEAN])
        if what == "std":
            return dep(Op.STD, {"x": _column(x, (0, C), t), "mean": _cell(mean, 0, t)}, FORMULAS[Op.STD],
                       eps=layout.config.layer_norm_eps)
        return dep(Op.LAYERNORM, {"x": _cell(x, row, t), "mean": _cell(mean, 0, t), "std": _cell(std, 0, t),
                                  "gamma": _cell(r.index(f"{prefix}{part}.gamma"), row, 0),
                                  "beta": _cell(r.index(f"{prefix}{part}.beta"), row, 0)},
                   FORMULAS[Op.LAYERNORM])

    if role in ("attn.q", "attn.k", "attn.v", "attn.qkv"):
        suffix = "qkv" if role == "attn.qkv" else what
        w, bias = r.head("w" + suffix), r.head("b" + suffix)
        return dep(Op.LINEAR, {"x": _column(r.layer("ln1.out"), (0, C), t), "w": _row(w, row, (0, C)),
                               "b": _cell(bias, row, 0)}, FORMULAS[Op.LINEAR], bias=True,
                   part="qkv"[row // r.A] if role == "attn.qkv" else what)

    if role == "attn.scores":
        tq, tk = row, col  # query position, key position
        if tk > tq:
            return dep(Op.ATTN_SCORE, {}, FORMULAS["masked"], masked=True, scale=1 / math.sqrt(r.A))
        qb, q0 = r.head_vector("q")
        kb, k0 = r.head_vector("k")
        q, k = _column(qb, (q0, q0 + r.A), tq), _column(kb, (k0, k0 + r.A), tk)
        return dep(Op.ATTN_SCORE, {"q": q, "k": k}, FORMULAS[Op.ATTN_SCORE], masked=False,
                   scale=1 / math.sqrt(r.A))

    if role in ("attn.max", "attn.expsum"):
        scores = _row(r.head("scores"), row, (0, row + 1))  # causal part of the query's row
        if role == "attn.max":
            return dep(Op.MAX, {"x": scores}, "max_t' s[t,t']")
        return dep(Op.EXPSUM, {"x": scores, "max": _cell(r.head("max"), row, 0)},
                   FORMULAS[Op.EXPSUM])

    if role == "attn.probs":
        if col > row:
            return dep(Op.SOFTMAX, {}, FORMULAS["masked_softmax"], masked=True)
        return dep(Op.SOFTMAX, {"x": _cell(r.head("scores"), row, col),
                                "max": _cell(r.head("max"), row, 0),
                                "expsum": _cell(r.head("expsum"), row, 0)},
                   FORMULAS[Op.SOFTMAX], masked=False)

    if role == "attn.heads":
        vb, v0 = r.head_vector("v")
        return dep(Op.ATTN_MIX, {"p": _row(r.head("probs"), t, (0, t + 1)),
                                 "v": _row(vb, v0 + row, (0, t + 1))}, FORMULAS[Op.ATTN_MIX])

    if role == "attn.proj":
        # x is the concatenation of the heads' outputs: one range per head, in head order.
        inputs = {f"h{h}": _column(r.layer(f"attn.h{h}.heads"), (0, r.A), t)
                  for h in range(layout.config.n_head)}
        inputs["w"] = _row(r.layer("attn.wproj"), row, (0, C))
        inputs["b"] = _cell(r.layer("attn.bproj"), row, 0)
        return dep(Op.LINEAR, inputs, FORMULAS[Op.LINEAR], bias=True, concat=layout.config.n_head)

    if role == "mlp.fc":
        return dep(Op.LINEAR, {"x": _column(r.layer("ln2.out"), (0, C), t),
                               "w": _row(r.layer("mlp.wfc"), row, (0, C)),
                               "b": _cell(r.layer("mlp.bfc"), row, 0)}, FORMULAS[Op.LINEAR], bias=True)

    if role == "mlp.gelu":
        activation = layout.config.activation
        return dep(Op.GELU, {"x": _cell(r.layer("mlp.fc"), row, t)}, FORMULAS[activation],
                   approximate="tanh" if activation == "gelu_new" else "none")

    if role == "mlp.proj":
        return dep(Op.LINEAR, {"x": _column(r.layer("mlp.gelu"), (0, 4 * C), t),
                               "w": _row(r.layer("mlp.wproj"), row, (0, 4 * C)),
                               "b": _cell(r.layer("mlp.bproj"), row, 0)}, FORMULAS[Op.LINEAR], bias=True)

    if role in ("resid1", "resid2"):
        a = r.residual_in(b.layer) if role == "resid1" else r.layer("resid1")
        branch = r.layer("attn.proj" if role == "resid1" else "mlp.proj")
        return dep(Op.ADD, {"a": _cell(a, row, t), "b": _cell(branch, row, t)}, FORMULAS[Op.ADD])

    if role == "logits":
        # logits = x @ lm_head.T: lm_head is drawn (V, C) as stored, so its row v is the weight row. No bias.
        return dep(Op.LINEAR, {"x": _column(r.index("ln_f.out"), (0, C), t),
                               "w": _row(r.index("lm_head"), row, (0, C))}, FORMULAS["linear_no_bias"],
                   bias=False)

    if role in ("probs.max", "probs.expsum", "probs"):
        V = layout.config.vocab_size
        logits = r.index("logits")
        if role == "probs.max":
            return dep(Op.MAX, {"x": _column(logits, (0, V), t)}, "max_v logits[v]")
        if role == "probs.expsum":
            return dep(Op.EXPSUM, {"x": _column(logits, (0, V), t), "max": _cell(r.index("probs.max"), 0, t)},
                       FORMULAS[Op.EXPSUM])
        return dep(Op.SOFTMAX, {"x": _cell(logits, row, t), "max": _cell(r.index("probs.max"), 0, t),
                                "expsum": _cell(r.index("probs.expsum"), 0, t)}, FORMULAS[Op.SOFTMAX],
                   masked=False)

    raise ValueError(f"no dependency rule for block {b.name} (role {role!r})")


def gather_inputs(dep: Dependency, layout: Layout, trace) -> dict[str, np.ndarray]:
    """The values of `dep`'s input cells from `trace`: role -> 1-D float64 array (reduced roles) or float."""
    if dep.op == Op.INPUT:
        block = layout.blocks[dep.block]
        value = block_cells(block, trace, (dep.row, dep.row + 1), (dep.col, dep.col + 1))
        return {"value": float(value[0, 0])}
    reduced = _REDUCED.get(dep.op, set())
    values: dict[str, np.ndarray] = {}
    for role, cells in dep.inputs.items():
        block = layout.blocks[cells.block]
        rows, cols = cells.rows, cells.cols
        if dep.op == Op.LOOKUP and role == "wte":
            token = int(np.asarray(trace.tokens)[dep.col])  # the looked-up column, whatever range was listed
            cols = (token, token + 1)
        array = np.asarray(block_cells(block, trace, rows, cols), dtype=np.float64).ravel()
        if role in reduced or (dep.op == Op.LINEAR and role.startswith("h")):
            values[role] = array
        else:
            values[role] = float(array[0])
    return values


def _gelu(x: float, approximate: str) -> float:
    from glviz.model.ops import gelu  # the forward pass's own GELU, in float64

    return float(gelu(np.array([x], dtype=np.float64), "gelu_new" if approximate == "tanh" else "gelu")[0])


def recompute(dep: Dependency, inputs: dict[str, np.ndarray]) -> float:
    """`dep.op` applied to `inputs` (as gather_inputs returns them), in float64."""
    op, x = dep.op, inputs.get("x")
    if op == Op.INPUT:
        return float(inputs["value"])
    if op == Op.LOOKUP:
        return float(inputs.get("wte", 0.0) + inputs.get("wpe", 0.0))
    if op == Op.ADD:
        return float(inputs["a"] + inputs["b"])
    if op == Op.MEAN:
        return float(np.mean(x))
    if op == Op.STD:
        return float(np.sqrt(np.mean((x - inputs["mean"]) ** 2) + dep.extra["eps"]))
    if op == Op.LAYERNORM:
        return float((x - inputs["mean"]) / inputs["std"] * inputs["gamma"] + inputs["beta"])
    if op == Op.LINEAR:
        if x is None:  # the attention projection: the heads' outputs concatenated in head order
            x = np.concatenate([inputs[f"h{h}"] for h in range(dep.extra["concat"])])
        return float(np.dot(x, inputs["w"]) + (inputs["b"] if dep.extra.get("bias", True) else 0.0))
    if op == Op.ATTN_SCORE:
        if dep.extra.get("masked"):
            return -math.inf
        return float(np.dot(inputs["q"], inputs["k"]) * dep.extra["scale"])
    if op == Op.MAX:
        return float(np.max(x))
    if op == Op.EXPSUM:
        return float(np.sum(np.exp(x - inputs["max"])))
    if op == Op.SOFTMAX:
        if dep.extra.get("masked"):
            return 0.0
        return float(math.exp(x - inputs["max"]) / inputs["expsum"])
    if op == Op.ATTN_MIX:
        return float(np.dot(inputs["p"], inputs["v"]))
    if op == Op.GELU:
        return _gelu(float(x), dep.extra["approximate"])
    raise ValueError(f"unknown operation ({op!r})")
