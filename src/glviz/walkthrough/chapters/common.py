"""What the nano chapters share: the blocks in the order the model computes them, regions to frame, and the
sort task's letters."""

from __future__ import annotations

import numpy as np

from glviz.formatting import fmt_short
from glviz.layout.blocks import Kind
from glviz.layout.memo import per_layout
from glviz.model.sort_task import LETTERS, N_LETTERS
from glviz.walkthrough.script import Script

EMBEDDING = ["tokens", "wte", "tok_emb", "embed", "pos_emb", "wpe"]
OUTPUT = ["ln_f.*", "lm_head", "logits", "probs", "probs.*"]
ARROWS_EMBEDDING = ["embed.tok", "embed.pos", "embed.wte", "embed.wpe"]


def layer_blocks(i: int) -> list[str]:
    """Every block of transformer layer i (patterns)."""
    return [f"layers.{i}.*"]


def regions(layer_count: int, heads: int) -> list[tuple[list[str], list[str]]]:
    """The forward pass in stretches a camera can follow: (blocks computed, blocks framed) for the embedding,
    three parts of each layer (attention, projection and layer norm, MLP) and the output."""
    out = [(["tokens", "tok_emb", "pos_emb", "embed"], EMBEDDING)]
    for i in range(layer_count):
        p = f"layers.{i}."
        attention = [p + "ln1.mean", p + "ln1.std", p + "ln1.out"]
        for part in ("q", "k", "v", "scores", "max", "expsum", "probs", "heads"):
            attention += [p + f"attn.h{h}.{part}" for h in range(heads)]
        out.append((attention, [p + "ln1.*", p + "attn.h0.*"]))
        out.append(([p + "attn.proj", p + "resid1", p + "ln2.mean", p + "ln2.std", p + "ln2.out"],
                    [p + "attn.wproj", p + "attn.proj", p + "resid1", p + "ln2.*"]))
        mlp = [p + "mlp.fc", p + "mlp.gelu", p + "mlp.proj", p + "resid2"]
        out.append((mlp, [p + "mlp.*", p + "resid2"]))
    output = ["ln_f.mean", "ln_f.std", "ln_f.out", "logits", "probs.max", "probs.expsum", "probs"]
    out.append((output, OUTPUT))
    return out


def forward_order(layer_count: int, heads: int) -> list[str]:
    """The computed blocks (patterns) in the order the forward pass makes them."""
    return [name for computed, _ in regions(layer_count, heads) for name in computed]


@per_layout
def _by_kind(layout) -> tuple[np.ndarray, ...]:
    """Read-only indices of the blocks that are not weights, and of the weights, intermediates and aggregates
    (asked for every frame)."""
    kinds = layout.kinds
    return (np.flatnonzero(kinds != int(Kind.WEIGHT)), np.flatnonzero(kinds == int(Kind.WEIGHT)),
            np.flatnonzero(kinds == int(Kind.INTERMEDIATE)), np.flatnonzero(kinds == int(Kind.AGGREGATE)))


def computed_blocks(s: Script) -> np.ndarray:
    """Indices of every block that is not a weight (its values come from the input)."""
    return _by_kind(s.layout)[0]


def weight_blocks(s: Script) -> np.ndarray:
    return _by_kind(s.layout)[1]


def aggregate_blocks(s: Script) -> np.ndarray:
    return _by_kind(s.layout)[3]


def intermediate_blocks(s: Script) -> np.ndarray:
    return _by_kind(s.layout)[2]


def tokens(stage) -> list[int]:
    """The token ids the trace ran on."""
    return [int(t) for t in np.asarray(stage.trace.tokens)]


def letters(stage) -> str:
    """The tokens as letters (A, B, C)."""
    return "".join(LETTERS[t] for t in tokens(stage))


def predictions(stage) -> tuple[str, np.ndarray]:
    """The sorted letters predicted at positions 5..10 and their probabilities (6, 3)."""
    probs = np.asarray(stage.trace["probs"], dtype=np.float64)[N_LETTERS - 1:]  # (6, V)
    return "".join(LETTERS[int(i)] for i in probs.argmax(axis=1)), probs


def spaced(text: str) -> str:
    """Letters with spaces between them: "C B A B B C"."""
    return " ".join(text)


def number(value: float) -> str:
    """A number as the text quotes it."""
    return fmt_short(value)


def number_term(value: float) -> str:
    """A number after + or ×: in parentheses when negative."""
    text = fmt_short(value)
    return f"({text})" if text.startswith("−") else text
