"""build_layout: one Block per tensor of a GPT, and where it sits.

Each region (the embedding, one transformer layer, the output) is a template of blocks relative to its own
origin; build_layout places one copy of the layer template per layer and fills the Layout's per-block arrays
from the templates without a loop over blocks (GPT-3 has 76k of them).

The arrangement (as on the LLM Visualization page). Activations have one column per token: rows are C, A,
4C or V and columns are T (a (T, C) trace tensor is drawn transposed). Weights of y = x @ W are drawn as
(out rows × in cols), left of their bias column, left of their output at the same rows, so a weight row
times an input column is one output cell. Going down the middle of the first column:
  tokens (1×T) over wte (C×V) | tok_emb | embed | pos_emb | wpe (C×block_size)        "Embedding"
  per layer ("Transformer i"): ln1 mean and std rows, γ β | ln1.out; per head h in the plane z = -h·A
  ("Head h"): W | b | q, k, v (A×T each; merged into one 3A-row wqkv | bqkv | qkv above 16 heads),
  scores (T×T, row = query t, column = key t'), probs with max and sum-exp columns to its right, the head
  output (A×T); attn.wproj | bproj | attn.proj ("Projection"); resid1; ln2; mlp.wfc | bfc | mlp.fc with
  mlp.gelu to its right ("MLP"); mlp.wproj | bproj | mlp.proj; resid2
  after the last layer ("Output"): ln_f, then lm_head (V×C) | logits (V×T) | probs with its max and
  sum-exp rows above it.
At most 12 layers per column; further layers start new columns to the right; the output sits below the last
layer. Block names: whole tensors are named after their trace or weight name; per-head slices are
`layers.{i}.attn.h{h}.<what>` with <what> the last part of the source name (wq, bq, q, ..., scores, max,
expsum, probs, heads) or wqkv, bqkv, qkv for merged blocks, whose `stack` lists their three sources.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from glviz.errors import GlvizError
from glviz.layout.blocks import CELL, Block, Kind, Layout, Section
from glviz.model.config import GPTConfig

LAYERS_PER_COLUMN = 12  # further layers start a new column to the right
MERGE_QKV_ABOVE = 16  # more heads than this: one wqkv / bqkv / qkv block per head instead of three each
_EM_ADVANCE = 0.55  # rough width of a glyph in text heights, to end a label near a given x


@dataclass(slots=True)
class _Spec:
    """A block of a template, positioned relative to the template's origin (cell units)."""

    name: str
    label: str
    kind: Kind
    rows: int
    cols: int
    dims: tuple[str, str]
    min_corner: tuple[float, float, float]
    source: str
    select: tuple
    transpose: bool
    section: str
    head: int
    role: str
    stack: tuple[str, ...]


class _Template:
    """The blocks and section labels of one region (the embedding, one layer, the output)."""

    def __init__(self) -> None:
        self.specs: list[_Spec] = []
        self.sections: list[tuple[str, float, float, float, float, int]] = []  # label, x, y, z, height, level
        self._fields: dict[str, list] | None = None

    def add(self, name: str, label: str, kind: Kind, rows: int, cols: int, dims: tuple[str, str],
            x: float, top: float, *, source: str | None = None, select: tuple = (), transpose: bool = False,
            z: float = 0.0, section: str = "", head: int = -1, role: str | None = None,
            stack: tuple[str, ...] = ()) -> None:
        """A block whose left edge is at `x` and top edge at `top` (it extends downwards by `rows`)."""
        self.specs.append(_Spec(name, label, kind, rows, cols, dims, (x, top - rows, z), source or name,
                                select, transpose, section, head, role or name, stack))

    def label(self, text: str, x: float, y: float, height: float, level: int, z: float = 0.0) -> None:
        self.sections.append((text, x, y, z, height, level))

    def fields(self) -> dict[str, list]:
        """The specs as per-field lists (what building many copies of the template reads), computed once.

        "source", "section" and "stack" are indices into the lists of distinct values "sources",
        "sections" and "stacks" (the stack () included).
        """
        if self._fields is None:
            specs = self.specs
            f: dict[str, list] = {k: [getattr(s, k) for s in specs] for k in (
                "name", "label", "kind", "rows", "cols", "dims", "select", "transpose", "head", "role")}
            f["size"] = [tuple(size) for size in (self.arrays()[1] * CELL).tolist()]
            for key, distinct in (("source", "sources"), ("section", "sections"), ("stack", "stacks")):
                values = [getattr(s, key) for s in specs]
                f[distinct] = list(dict.fromkeys(values))
                where = {v: k for k, v in enumerate(f[distinct])}
                f[key] = [where[v] for v in values]
            self._fields = f
        return self._fields

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(mins, sizes) of the specs, (n, 3) float64 in cell units."""
        mins = np.array([s.min_corner for s in self.specs], dtype=np.float64).reshape(-1, 3)
        sizes = np.array([(s.cols, s.rows, 1) for s in self.specs], dtype=np.float64).reshape(-1, 3)
        return mins, sizes


@dataclass(frozen=True)
class _Geometry:
    """Sizes and spacings shared by the templates (cell units)."""

    C: int
    H: int
    A: int
    T: int
    V: int
    g: float  # gap between blocks: room for a label
    merged: bool

    @property
    def gb(self) -> float:
        """Gap between a weight, its bias and its output (whole cells keep every block on the cell grid)."""
        return float(int(self.g) // 2)

    @property
    def head_pitch(self) -> float:
        """Distance along -z between the planes of consecutive heads (head-sized: GPT-3's 96 stay shallow)."""
        return float(max(4, self.A))

    def weight_x(self, in_cols: int) -> float:
        """Left edge of a weight of `in_cols` columns, left of its bias, left of its output at x = 0."""
        return -2 * self.gb - 1 - in_cols


def _layer_norm(t: _Template, geo: _Geometry, part: str, top: float, section: str) -> float:
    """mean and std rows, then γ and β columns left of the normalised output. Returns the bottom edge."""
    C, T, g, gb = geo.C, geo.T, geo.g, geo.gb
    gs = float(round(0.6 * g))  # room for the std row's label
    t.add(f"{part}.mean", "mean", Kind.AGGREGATE, 1, T, ("1", "T"), 0, top, section=section)
    t.add(f"{part}.std", "std", Kind.AGGREGATE, 1, T, ("1", "T"), 0, top - 1 - gs, section=section)
    out_top = top - 2 - gs - g
    t.add(f"{part}.gamma", "gamma", Kind.WEIGHT, C, 1, ("C", "1"), -2 * gb - 2, out_top, transpose=True,
          section=section)
    t.add(f"{part}.beta", "beta", Kind.WEIGHT, C, 1, ("C", "1"), -gb - 1, out_top, transpose=True,
          section=section)
    t.add(f"{part}.out", "Layer Norm", Kind.INTERMEDIATE, C, T, ("C", "T"), 0, out_top, transpose=True,
          section=section)
    return out_top - C


def _linear(t: _Template, geo: _Geometry, w: str, b: str, out: str, labels: tuple[str, str, str],
            rows: int, in_cols: int, dims: tuple[str, str], top: float, section: str) -> None:
    """Weight (rows × in_cols, drawn out × in), bias column and output (rows × T) side by side at `top`.

    `dims` names the output and input sizes, e.g. ("4C", "C").
    """
    out_dim, in_dim = dims
    t.add(w, labels[0], Kind.WEIGHT, rows, in_cols, (out_dim, in_dim), geo.weight_x(in_cols), top,
          transpose=True, section=section)
    t.add(b, labels[1], Kind.WEIGHT, rows, 1, (out_dim, "1"), -geo.gb - 1, top, transpose=True,
          section=section)
    t.add(out, labels[2], Kind.INTERMEDIATE, rows, geo.T, (out_dim, "T"), 0, top, transpose=True,
          section=section)


def _attention_head(t: _Template, geo: _Geometry, h: int, top: float) -> float:
    """One head's blocks in the plane z = -h·head_pitch, stacked down from `top`. Returns the bottom edge."""
    A, C, T, g, gb = geo.A, geo.C, geo.T, geo.g, geo.gb
    z = -h * geo.head_pitch
    pre = f"attn.h{h}."
    section = f" / Self-attention / Head {h}"
    columns = (slice(None), slice(h * A, (h + 1) * A))  # this head's output columns of wq/wk/wv (in, out)
    kw = {"z": z, "section": section, "head": h}
    t.label(f"Head {h}", T + gb, top - 0.6 * g, 0.5 * g, 3, z)
    y = top
    if geo.merged:
        t.add(pre + "wqkv", "QKV Weights", Kind.WEIGHT, 3 * A, C, ("3A", "C"), geo.weight_x(C), y,
              source="attn.wq", select=columns, transpose=True, role="attn.wqkv",
              stack=("attn.wq", "attn.wk", "attn.wv"), **kw)
        t.add(pre + "bqkv", "QKV Bias", Kind.WEIGHT, 3 * A, 1, ("3A", "1"), -gb - 1, y,
              source="attn.bq", select=columns[1:], transpose=True, role="attn.bqkv",
              stack=("attn.bq", "attn.bk", "attn.bv"), **kw)
        t.add(pre + "qkv", "Q K V", Kind.INTERMEDIATE, 3 * A, T, ("3A", "T"), 0, y,
              source="attn.q", select=(h,), transpose=True, role="attn.qkv",
              stack=("attn.q", "attn.k", "attn.v"), **kw)
        y -= 3 * A + g
    else:
        for p in "qkv":
            P = p.upper()
            t.add(pre + "w" + p, f"{P} Weights", Kind.WEIGHT, A, C, ("A", "C"), geo.weight_x(C), y,
                  source="attn.w" + p, select=columns, transpose=True, role="attn.w" + p, **kw)
            t.add(pre + "b" + p, f"{P} Bias", Kind.WEIGHT, A, 1, ("A", "1"), -gb - 1, y,
                  source="attn.b" + p, select=columns[1:], transpose=True, role="attn.b" + p, **kw)
            t.add(pre + p, P, Kind.INTERMEDIATE, A, T, ("A", "T"), 0, y,
                  source="attn." + p, select=(h,), transpose=True, role="attn." + p, **kw)
            y -= A + g
    # Score and softmax matrices: row = query position t, column = key position t' (causal: t' <= t).
    t.add(pre + "scores", "Attention Scores", Kind.INTERMEDIATE, T, T, ("T", "T"), 0, y,
          source="attn.scores", select=(h,), role="attn.scores", **kw)
    y -= T + g
    t.add(pre + "probs", "Attention Softmax", Kind.INTERMEDIATE, T, T, ("T", "T"), 0, y,
          source="attn.probs", select=(h,), role="attn.probs", **kw)
    t.add(pre + "max", "max", Kind.AGGREGATE, T, 1, ("T", "1"), T + gb, y,
          source="attn.max", select=(h,), transpose=True, role="attn.max", **kw)
    t.add(pre + "expsum", "sum exp", Kind.AGGREGATE, T, 1, ("T", "1"), T + 2 * gb + 1, y,
          source="attn.expsum", select=(h,), transpose=True, role="attn.expsum", **kw)
    y -= T + g
    t.add(pre + "heads", "Head Output", Kind.INTERMEDIATE, A, T, ("A", "T"), 0, y,
          source="attn.heads", select=(h,), transpose=True, role="attn.heads", **kw)
    return y - A


def _layer_template(geo: _Geometry) -> tuple[_Template, float]:
    """One transformer layer with its top edge at y = 0 and its token columns at x in [0, T).

    Returns the template and the layer's height. Names, sources and sections lack the `layers.{i}.` and
    `Transformer {i}` prefixes, which the builder adds per layer.
    """
    C, T, g = geo.C, geo.T, geo.g
    F = 4 * C
    t = _Template()
    # Heads further back look higher from a camera above: the extra room keeps them clear of ln1.out.
    behind = round(0.5 * (geo.H - 1) * geo.head_pitch)
    y = _layer_norm(t, geo, "ln1", 0.0, " / Layer norm 1") - 2 * g - behind
    t.label("Self-attention", geo.weight_x(C), y + g, 0.8 * g, 2)
    bottom = y
    for h in range(geo.H):
        bottom = _attention_head(t, geo, h, y)
    y = bottom - 2 * g
    t.label("Projection", geo.weight_x(C), y + g, 0.8 * g, 2)
    _linear(t, geo, "attn.wproj", "attn.bproj", "attn.proj", ("Projection Weights", "Projection Bias",
            "Attention Output"), C, C, ("C", "C"), y, " / Projection")
    y -= C + g
    t.add("resid1", "Residual", Kind.INTERMEDIATE, C, T, ("C", "T"), 0, y, transpose=True)
    y -= C + g
    y = _layer_norm(t, geo, "ln2", y, " / Layer norm 2") - 2 * g
    t.label("MLP", geo.weight_x(C), y + g, 0.8 * g, 2)
    _linear(t, geo, "mlp.wfc", "mlp.bfc", "mlp.fc", ("MLP Weights", "MLP Bias", "MLP fc"), F, C,
            ("4C", "C"), y, " / MLP")
    t.add("mlp.gelu", "GELU", Kind.INTERMEDIATE, F, T, ("4C", "T"), T + g, y, transpose=True,
          section=" / MLP")
    y -= F + g
    _linear(t, geo, "mlp.wproj", "mlp.bproj", "mlp.proj", ("MLP Projection Weights", "MLP Projection Bias",
            "MLP Output"), C, F, ("C", "4C"), y, " / MLP")
    y -= C + g
    t.add("resid2", "Residual", Kind.INTERMEDIATE, C, T, ("C", "T"), 0, y, transpose=True)
    y -= C
    return t, -y


def _embedding_template(geo: _Geometry, block_size: int, bottom: float) -> _Template:
    """Tokens on top; below them wte | tok_emb | embed | pos_emb | wpe in one band down to `bottom`."""
    C, T, V, g = geo.C, geo.T, geo.V, geo.g
    t = _Template()
    top = bottom + C
    section = "Embedding"
    t.add("tokens", "Tokens", Kind.INTERMEDIATE, 1, T, ("1", "T"), 0, top + g + 1, section=section)
    t.add("wte", "wte", Kind.WEIGHT, C, V, ("C", "V"), -2 * g - T - V, top,
          transpose=True, section=section)
    t.add("tok_emb", "Token Embedding", Kind.INTERMEDIATE, C, T, ("C", "T"), -g - T, top, transpose=True,
          section=section)
    t.add("embed", "Input Embedding", Kind.INTERMEDIATE, C, T, ("C", "T"), 0, top, transpose=True,
          section=section)
    t.add("pos_emb", "Position Embedding", Kind.INTERMEDIATE, C, T, ("C", "T"), T + g, top, transpose=True,
          section=section)
    t.add("wpe", "wpe", Kind.WEIGHT, C, block_size, ("C", "T"), 2 * T + 2 * g, top,
          transpose=True, section=section)
    t.label("Embedding", -g - T, top + 2 * g + 1, 1.5 * g, 0)
    return t


def _output_template(geo: _Geometry) -> _Template:
    """Final layer norm, then LM head | logits | probabilities side by side, top edge at y = 0."""
    C, T, V, g = geo.C, geo.T, geo.V, geo.g
    gs = float(round(0.6 * g))  # room for the labels of the aggregate rows and of probs
    t = _Template()
    section = "Output"
    t.label("Output", geo.weight_x(C), 0.75 * g, 1.5 * g, 0)
    y = _layer_norm(t, geo, "ln_f", 0.0, section) - g
    t.add("lm_head", "LM Head Weights", Kind.WEIGHT, V, C, ("V", "C"), -g - C, y, section=section)
    t.add("logits", "Logits", Kind.INTERMEDIATE, V, T, ("V", "T"), 0, y, transpose=True, section=section)
    t.add("probs.max", "max", Kind.AGGREGATE, 1, T, ("1", "T"), T + g, y + 2 * gs + 2, section=section)
    t.add("probs.expsum", "sum exp", Kind.AGGREGATE, 1, T, ("1", "T"), T + g, y + gs + 1, section=section)
    t.add("probs", "Probabilities", Kind.INTERMEDIATE, V, T, ("V", "T"), T + g, y, transpose=True,
          section=section)
    return t


def build_layout(config: GPTConfig, n_tokens: int | None = None) -> Layout:
    """One Block per tensor of `config`'s network, arranged as in LLM Visualization (see module docstring).

    `n_tokens` (default: the context length) is T, the number of token columns of every activation block.
    """
    T = config.block_size if n_tokens is None else n_tokens
    if not 1 <= T <= config.block_size:
        raise GlvizError("error.layout.tokens", context=config.block_size, T=T)
    C, H = config.n_embd, config.n_head
    geo = _Geometry(C=C, H=H, A=config.head_size, T=T, V=config.vocab_size,
                    g=float(max(4, round(C / 12))), merged=H > MERGE_QKV_ABOVE)
    g = geo.g
    layer, height = _layer_template(geo)
    layer_mins, layer_sizes = layer.arrays()
    pitch_y = height + 3 * g  # room for the "Transformer i" label between layers
    layer_left = float(layer_mins[:, 0].min())
    label_right = geo.weight_x(C) - g  # "Transformer i" ends left of the layer's first weights
    pitch_x = (layer_mins[:, 0] + layer_sizes[:, 0]).max() - layer_left + 8 * g

    L = config.n_layer
    layer_index = np.arange(L)
    offsets = np.zeros((L, 3))
    offsets[:, 0] = (layer_index // LAYERS_PER_COLUMN) * pitch_x
    offsets[:, 1] = -(layer_index % LAYERS_PER_COLUMN) * pitch_y
    top = _embedding_template(geo, config.block_size, 3 * g)
    output = _output_template(geo)
    output_offset = offsets[-1] + (0.0, -height - 3 * g, 0.0)

    top_mins, top_sizes = top.arrays()
    out_mins, out_sizes = output.arrays()
    mins = np.concatenate([top_mins, (layer_mins[None] + offsets[:, None]).reshape(-1, 3),
                           out_mins + output_offset]) * CELL
    sizes = np.concatenate([top_sizes, np.tile(layer_sizes, (L, 1)), out_sizes]) * CELL
    positions = list(map(tuple, mins.tolist()))

    blocks: list[Block] = []
    sections: list[Section] = []

    def emit(template: _Template, prefix: str, section_prefix: str, layer_no: int,
             offset: np.ndarray) -> None:
        f = template.fields()
        # Sources, sections and stacks are built once per distinct value and shared by the layer's blocks:
        # GPT-3's 76k blocks would otherwise each carry their own copies (and cost the time to make them).
        source = [prefix + u for u in f["sources"]]
        section = [section_prefix + u for u in f["sections"]]
        stack = [tuple(prefix + p for p in u) for u in f["stacks"]]
        n0, n = len(blocks), len(template.specs)
        blocks.extend(map(
            Block, [prefix + name for name in f["name"]], f["label"], f["kind"], f["rows"], f["cols"],
            f["dims"], positions[n0:n0 + n], f["size"], [source[k] for k in f["source"]], f["select"],
            f["transpose"], [section[k] for k in f["section"]], itertools.repeat(layer_no, n), f["head"],
            range(n0, n0 + n), f["role"], [stack[k] for k in f["stack"]]))
        ox, oy, oz = offset.tolist()
        for text, x, y, z, h, level in template.sections:
            position = ((x + ox) * CELL, (y + oy) * CELL, (z + oz) * CELL)
            sections.append(Section(text, position, h * CELL, level))

    emit(top, "", "", -1, np.zeros(3))
    for i in range(L):
        emit(layer, f"layers.{i}.", f"Transformer {i}", i, offsets[i])
        ox, oy, _ = offsets[i].tolist()
        text = f"Transformer {i}"
        x = label_right - _EM_ADVANCE * 1.5 * g * len(text)
        position = ((x + ox) * CELL, (0.75 * g + oy) * CELL, 0.0)
        sections.append(Section(text, position, 1.5 * g * CELL, 1))
    emit(output, "", "", -1, output_offset)

    layout = Layout(config=config, blocks=blocks, sections=sections, n_tokens=T, gap=g * CELL,
                    merged_qkv=geo.merged, structure=("build_layout", config))
    # The per-block arrays straight from the templates (what finish() would compute, without a Python loop).
    layout.mins = mins.astype(np.float32)
    layout.maxs = layout.mins + sizes.astype(np.float32)
    kinds_t = [np.array([int(s.kind) for s in t.specs], dtype=np.int32) for t in (top, layer, output)]
    shapes_t = [np.array([(s.rows, s.cols) for s in t.specs], dtype=np.int64).reshape(-1, 2)
                for t in (top, layer, output)]
    layout.kinds = np.concatenate([kinds_t[0], np.tile(kinds_t[1], L), kinds_t[2]])
    layout.shapes = np.concatenate([shapes_t[0], np.tile(shapes_t[1], (L, 1)), shapes_t[2]])
    layout.by_name = {b.name: b.index for b in blocks}
    return layout
