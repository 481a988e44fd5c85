"""The computation behind a hovered cell written out with its real numbers (the panel's "how was this
computed" lines), and GELU's curve with the cell's point. No imgui, no GL; words from the catalogue."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glviz.formatting import fmt, fmt_term, plain_decimal
from glviz.i18n import tr
from glviz.model.ops import gelu
from glviz.model.sort_task import LETTERS

FIRST_TERMS = 3  # terms of a long sum written out before "…"


@dataclass
class Curve:
    """A small function plot with the hovered point marked (GELU)."""

    title: str
    xs: np.ndarray
    ys: np.ndarray
    point: tuple[float, float]


def _terms(a: np.ndarray, b: np.ndarray, n: int = FIRST_TERMS) -> str:
    """"a0·b0 + a1·b1 + a2·b2 + … (N terms)"."""
    # A negative first factor after a + in parentheses, as fmt_term writes every right operand ("+ −0.64·…"
    # read as a typo)
    pairs = enumerate(zip(a[:n], b[:n], strict=False))
    terms = [f"{fmt_term(x) if i else fmt(x)}·{fmt_term(y)}" for i, (x, y) in pairs]
    more = f" + … ({tr('hover.terms', n=len(a))})" if len(a) > n else ""
    return " + ".join(terms) + more


def _values(a: np.ndarray, n: int = FIRST_TERMS) -> str:
    """"[a0, a1, a2, … (N values)]"."""
    more = f", … ({tr('hover.values', n=len(a))})" if len(a) > n else ""
    return "[" + ", ".join(fmt(x) for x in a[:n]) + more + "]"


def computation_lines(dependency, inputs: dict, value: float) -> list[str]:
    """The dependency's formula written out with the real input numbers, ending in the result."""
    builder = _BUILDERS.get(op_name(dependency))
    lines = builder(inputs, dependency.extra) if builder is not None else []
    if lines is None:
        return []
    lines.append(f"= {fmt(value)}")
    return lines


def op_name(dependency) -> str:
    op = dependency.op
    return str(getattr(op, "name", op)).upper()


def _input(inputs, extra) -> list[str] | None:
    return None  # a given number (token or learned weight): nothing to compute


def _lookup(inputs, extra) -> list[str]:
    t, c = extra.get("t"), extra.get("c")
    lines = []
    if "token" in inputs:
        token = int(round(inputs["token"]))
        letter = f" ({LETTERS[token]})" if extra.get("letters") and 0 <= token < len(LETTERS) else ""
        lines.append(tr("hover.token_at", t=t, token=f"{token}{letter}"))
        lines.append(f"wte[{token}, {c}] = {fmt(inputs['wte'])}")
    if "wpe" in inputs:
        lines.append(f"wpe[{t}, {c}] = {fmt(inputs['wpe'])}")
    if "wte" in inputs and "wpe" in inputs:
        lines.append(f"= {fmt(inputs['wte'])} + {fmt_term(inputs['wpe'])}")
    return lines


def _add(inputs, extra) -> list[str]:
    return [f"= {fmt(inputs['a'])} + {fmt_term(inputs['b'])}"]


def _mean(inputs, extra) -> list[str]:
    x = inputs["x"]
    shown = " + ".join(fmt_term(v) if i else fmt(v) for i, v in enumerate(x[:FIRST_TERMS]))
    return [f"= ({shown} + … {tr('hover.values', n=len(x))}) / {len(x)}", f"= {fmt(x.sum())} / {len(x)}"]


def _std(inputs, extra) -> list[str]:
    x, mu, eps = inputs["x"], inputs["mean"], extra.get("eps", 1e-5)
    var = float(np.mean((x - mu) ** 2))
    return [f"x = {_values(x)},  μ = {fmt(mu)}", f"= √({fmt(var)} + {plain_decimal(eps)})"]


def _layernorm(inputs, extra) -> list[str]:
    x, mu, sigma = inputs["x"], inputs["mean"], inputs["std"]
    gamma, beta = inputs["gamma"], inputs["beta"]
    return [f"= ({fmt(x)} − {fmt_term(mu)}) / {fmt(sigma)} · {fmt_term(gamma)} + {fmt_term(beta)}",
            f"= {fmt((x - mu) / sigma)} · {fmt_term(gamma)} + {fmt_term(beta)}"]


def _linear(inputs, extra) -> list[str]:
    x = inputs.get("x")
    if x is None:  # attention projection: the heads' outputs concatenated
        x = np.concatenate([inputs[f"h{h}"] for h in range(extra.get("concat", 0))])
    w = inputs["w"]
    dot = float(np.dot(x, w))
    if not extra.get("bias", True):
        return [f"= {_terms(x, w)}"]
    bias = inputs["b"]
    return [f"= {fmt(bias)} + ({_terms(x, w)})", f"= {fmt(bias)} + {fmt_term(dot)}"]


def _attn_score(inputs, extra) -> list[str] | None:
    if extra.get("masked"):
        return [tr("hover.masked_score")]
    q, k = inputs["q"], inputs["k"]
    root = math.sqrt(len(q))
    return [f"= ({_terms(q, k)}) / √{len(q)}", f"= {fmt(float(np.dot(q, k)))} / {fmt(root)}"]


def _max(inputs, extra) -> list[str]:
    return [f"= max {_values(inputs['x'])}"]


def _expsum(inputs, extra) -> list[str]:
    x, mx = inputs["x"], inputs["max"]
    shown = " + ".join(f"exp({fmt(v)} − {fmt_term(mx)})" for v in x[:2])
    more = f" + … ({tr('hover.terms', n=len(x))})" if len(x) > 2 else ""
    return [f"= {shown}{more}"]


def _softmax(inputs, extra) -> list[str]:
    if extra.get("masked"):
        return [tr("hover.masked_weight")]
    x, mx, total = inputs["x"], inputs["max"], inputs["expsum"]
    return [f"= exp({fmt(x)} − {fmt_term(mx)}) / {fmt(total)}", f"= {fmt(math.exp(x - mx))} / {fmt(total)}"]


def _attn_mix(inputs, extra) -> list[str]:
    return [f"= {_terms(inputs['p'], inputs['v'])}"]


def _gelu(inputs, extra) -> list[str]:
    x = inputs["x"]
    if extra.get("approximate") == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
        return [f"x = {fmt(x)}", f"= 0.5·{fmt_term(x)}·(1 + tanh({fmt(inner)}))"]
    phi = 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))
    return [f"x = {fmt(x)},  Φ(x) = {fmt(phi)}", f"= {fmt(x)} · {fmt_term(phi)}"]


_BUILDERS = {
    "INPUT": _input, "LOOKUP": _lookup, "ADD": _add, "MEAN": _mean, "STD": _std, "LAYERNORM": _layernorm,
    "LINEAR": _linear, "ATTN_SCORE": _attn_score, "MAX": _max, "EXPSUM": _expsum, "SOFTMAX": _softmax,
    "ATTN_MIX": _attn_mix, "GELU": _gelu,
}


def computation_curve(dependency, inputs: dict, value: float) -> Curve | None:
    """GELU's curve around the hovered input, with the point marked."""
    if op_name(dependency) != "GELU":
        return None
    x = float(inputs["x"])
    span = max(4.0, abs(x) * 1.3)
    xs = np.linspace(-span, span, 121)
    ys = gelu(xs, "gelu_new" if dependency.extra.get("approximate") == "tanh" else "gelu")  # the model's own
    return Curve("GELU", xs.astype(np.float64), np.asarray(ys, dtype=np.float64), (x, float(value)))
