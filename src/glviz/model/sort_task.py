"""The letter-sorting task of the nano model: input parsing, the training set, and greedy decoding.

The model sees 6 letters of A/B/C, then the sorted letters: 11 positions in all. The prediction at position
5 + k is sorted letter k (from minGPT's sort demo). Tokens A, B, C = 0, 1, 2.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from glviz.errors import GlvizError

if TYPE_CHECKING:
    from glviz.model.weights import Weights

LETTERS = "ABC"
N_LETTERS = 6
DEFAULT_LETTERS = "CBABBC"  # what the app and `glviz render` show first: all three letters, unsorted


def parse_letters(text: str) -> np.ndarray:
    """Tokens (6,) int64 of exactly 6 letters from A, B, C (any case); GlvizError for anything else."""
    letters = text.strip().upper() if isinstance(text, str) else ""
    if len(letters) != N_LETTERS or any(ch not in LETTERS for ch in letters):
        raise GlvizError("error.letters.input", n=N_LETTERS, text=repr(text))
    return np.array([LETTERS.index(ch) for ch in letters], dtype=np.int64)


def format_letters(tokens) -> str:
    """Letters of a sequence of tokens 0/1/2, e.g. [0, 1, 1] -> "ABB"."""
    return "".join(LETTERS[int(t)] for t in np.asarray(tokens).reshape(-1))


class LetterTokenizer:
    """The sort task's tokens as text: A, B, C = 0, 1, 2, one letter each (any case; spaces and commas
    between them are skipped). The interface of model/tokenizer.Tokenizer, so that a sort model opened as a
    checkpoint reads as letters in the prompt, its chips and every token list."""

    source = None  # (no file: the vocabulary is the task's)

    @property
    def vocab_size(self) -> int:
        """Number of token ids: 3."""
        return len(LETTERS)

    def encode(self, text: str) -> np.ndarray:
        """Token ids of `text`, (T,) int64; GlvizError naming the first character that is not a letter."""
        letters = [ch for ch in text if not ch.isspace() and ch != ","]
        wrong = next((ch for ch in letters if ch.upper() not in LETTERS), None)
        if wrong is not None:  # (as typed: "not 'H'" for an h read wrong)
            raise GlvizError("error.letters.prompt", letter=repr(wrong), text=repr(text))
        return np.array([LETTERS.index(ch.upper()) for ch in letters], dtype=np.int64)

    def decode(self, ids) -> str:
        """The letters of token ids ("?" for an id beyond C)."""
        return "".join(self.piece(i) or "?" for i in ids)

    def piece(self, token: int) -> str:
        """The token's letter ("" if the id is unknown)."""
        return LETTERS[int(token)] if 0 <= int(token) < len(LETTERS) else ""

    def token_bytes(self, token: int) -> bytes | None:
        """The letter's byte, or None for an unknown id."""
        return self.piece(token).encode("ascii") or None


def all_inputs() -> np.ndarray:
    """Every possible input, (729, 6) int64, in lexicographic order (AAAAAA first)."""
    return np.array(list(itertools.product(range(len(LETTERS)), repeat=N_LETTERS)), dtype=np.int64)


def training_sequences(inputs: np.ndarray) -> np.ndarray:
    """Input followed by its sorted letters: (B, 6) -> (B, 12) int64."""
    inputs = np.asarray(inputs, dtype=np.int64)
    return np.concatenate([inputs, np.sort(inputs, axis=1)], axis=1)  # (B, 12)


def training_batch(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model inputs (B, 11), next-token targets (B, 11) and the loss mask (B, 11) for a batch of inputs.

    The mask keeps only positions 5..10, whose targets are the sorted letters: predicting the unsorted
    input letters is impossible and would only add noise to the loss.
    """
    sequences = training_sequences(inputs)  # (B, 12)
    tokens, targets = sequences[:, :-1], sequences[:, 1:]  # (B, 11) each
    mask = np.zeros(tokens.shape, dtype=bool)
    mask[:, N_LETTERS - 1:] = True
    return tokens, targets, mask


def greedy_sort(weights: Weights, inputs: np.ndarray) -> np.ndarray:
    """Sort a batch of inputs by greedy decoding with the model: (B, 6) -> (B, 6) int64. Each step runs
    only the new position against a key/value cache (the app asks at every change of the letters)."""
    from glviz.model.kv import KVCache

    new = np.asarray(inputs, dtype=np.int64).reshape(-1, N_LETTERS)  # (B, 6): the first step's tokens
    cache = KVCache(weights, batch=new.shape[0])
    outputs = []
    for _ in range(N_LETTERS):
        last = cache.step(new, last_only=True)[:, -1, :]  # (B, V)
        new = np.argmax(last, axis=-1).astype(np.int64)[:, None]  # (B, 1)
        outputs.append(new)
    return np.concatenate(outputs, axis=1)


def nano_sequence(weights: Weights, inputs6) -> np.ndarray:
    """The 11 tokens the app traces: the 6 inputs and the first 5 greedy outputs, (11,) int64."""
    inputs6 = np.asarray(inputs6, dtype=np.int64).reshape(N_LETTERS)
    outputs = greedy_sort(weights, inputs6[None, :])[0]  # (6,)
    return np.concatenate([inputs6, outputs[:-1]])


def sort_accuracy(weights: Weights, inputs: np.ndarray | None = None) -> float:
    """Fraction of inputs (default: all 729) that greedy decoding sorts exactly right."""
    inputs = all_inputs() if inputs is None else np.asarray(inputs, dtype=np.int64)
    predicted = greedy_sort(weights, inputs)  # (B, 6)
    return float(np.mean(np.all(predicted == np.sort(inputs, axis=1), axis=1)))


TRAIN_LOSSES = "train.losses"  # the npz key of the training loss per step (glviz train-sort writes it)


def training_losses(path=None) -> np.ndarray | None:
    """The loss per training step stored with the nano model's weights (None when the file has none)."""
    from glviz.resources import model_path

    try:
        with np.load(path or model_path("nano-sort.npz"), allow_pickle=False) as data:
            return np.asarray(data[TRAIN_LOSSES], dtype=np.float64) if TRAIN_LOSSES in data.files else None
    except (OSError, ValueError):
        return None


def load_nano() -> Weights:
    """The shipped, self-trained sort model (models/nano-sort.npz)."""
    from glviz.model.weights import load_weights
    from glviz.resources import model_path

    return load_weights(model_path("nano-sort.npz"))
