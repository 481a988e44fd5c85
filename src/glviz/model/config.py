"""GPT configurations: the shape of a model, its presets, and its parameter count."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from glviz.errors import GlvizError

ACTIVATIONS = ("gelu_new", "gelu")
# The fields that size a model: each must be a positive integer.
SIZE_FIELDS = ("n_layer", "n_head", "n_embd", "vocab_size", "block_size")


@dataclass(frozen=True)
class GPTConfig:
    """Shape of a GPT-2-style decoder (pre-layer-norm, learned positions, biases everywhere)."""

    n_layer: int
    n_head: int
    n_embd: int
    vocab_size: int
    block_size: int
    layer_norm_eps: float = 1e-5
    activation: str = "gelu_new"  # gelu_new: tanh approximation (GPT-2); gelu: exact erf
    tied_head: bool = True  # LM head shares the token-embedding matrix
    name: str = "custom"

    def __post_init__(self) -> None:
        for field in SIZE_FIELDS:
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise GlvizError("error.config.positive", file="config", field=field, value=repr(value))
        if self.n_embd % self.n_head:
            raise GlvizError("error.config.divisible", n_embd=self.n_embd, n_head=self.n_head)
        if self.activation not in ACTIVATIONS:
            raise GlvizError("error.config.activation", value=repr(self.activation))
        if not self.layer_norm_eps > 0:
            raise GlvizError("error.config.eps", value=repr(self.layer_norm_eps))

    @property
    def head_size(self) -> int:
        """A = C / H."""
        return self.n_embd // self.n_head

    def to_dict(self) -> dict[str, Any]:
        """Every field by name (what weight and trace files store as JSON)."""
        return dataclasses.asdict(self)


def param_count(config: GPTConfig) -> int:
    """Number of parameters, counting a tied LM head once (GPT-2 small: 124,439,808)."""
    C, V, T = config.n_embd, config.vocab_size, config.block_size
    per_layer = (
        2 * C  # ln1
        + C * 3 * C + 3 * C  # q, k, v
        + C * C + C  # attention projection
        + 2 * C  # ln2
        + C * 4 * C + 4 * C  # mlp fc
        + 4 * C * C + C  # mlp projection
    )
    head = 0 if config.tied_head else V * C
    return V * C + T * C + config.n_layer * per_layer + 2 * C + head


PRESETS: dict[str, GPTConfig] = {
    # The model glviz trains itself: sort 6 letters of A/B/C (6 inputs + 5 outputs fed back = 11 positions).
    "nano": GPTConfig(n_layer=3, n_head=3, n_embd=48, vocab_size=3, block_size=11,
                      tied_head=False, activation="gelu", name="nano"),
    "gpt2": GPTConfig(n_layer=12, n_head=12, n_embd=768, vocab_size=50257, block_size=1024, name="gpt2"),
    "gpt2-medium": GPTConfig(n_layer=24, n_head=16, n_embd=1024, vocab_size=50257, block_size=1024,
                             name="gpt2-medium"),
    "gpt2-large": GPTConfig(n_layer=36, n_head=20, n_embd=1280, vocab_size=50257, block_size=1024,
                            name="gpt2-large"),
    "gpt2-xl": GPTConfig(n_layer=48, n_head=25, n_embd=1600, vocab_size=50257, block_size=1024,
                         name="gpt2-xl"),
    "gpt3": GPTConfig(n_layer=96, n_head=96, n_embd=12288, vocab_size=50257, block_size=2048, name="gpt3"),
}

# The presets the app offers (keys 1-4) and `glviz render` draws: one of each size class.
APP_MODELS = ("nano", "gpt2", "gpt2-xl", "gpt3")

# Names people type for presets, as shown in the app's model selector.
DISPLAY_NAMES: dict[str, str] = {
    "nano": "nano (sort)",
    "gpt2": "GPT-2 small",
    "gpt2-medium": "GPT-2 medium",
    "gpt2-large": "GPT-2 large",
    "gpt2-xl": "GPT-2 XL",
    "gpt3": "GPT-3",
}


def get_preset(name: str) -> GPTConfig:
    """The preset called `name`, or a GlvizError listing the valid names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise GlvizError("error.model.unknown", names=", ".join(PRESETS), name=repr(name)) from None


def require_layers_stored(config: GPTConfig, stored: int, said_by: object, source: object) -> None:
    """GlvizError when `stored` arrays cannot hold the config's layers (a dozen each): a config that says a
    billion layers is refused before a billion layers' names are listed."""
    if config.n_layer > stored:
        raise GlvizError("error.config.layers_stored", said_by=said_by, n=config.n_layer, stored=stored,
                         source=source)
