"""Text <-> token ids for real checkpoints, via the `tokenizers` package (GPT-2's byte-level BPE)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from glviz.errors import GlvizError


class Tokenizer:
    """A byte-level BPE tokenizer: `encode(text) -> ids`, `decode(ids) -> text`."""

    def __init__(self, backend: object, source: Path) -> None:
        self._backend = backend
        self.source = source

    @classmethod
    def from_file(cls, path: str | Path) -> Tokenizer:
        """A `tokenizer.json` as written by `tokenizers` / Hugging Face."""
        from tokenizers import Tokenizer as Backend

        path = Path(path)
        try:
            return cls(Backend.from_file(str(path)), path)
        except Exception as exc:  # tokenizers raises plain Exception for bad files
            raise GlvizError("error.tokenizer.json", reason=_first_line(exc), path=path) from None

    @classmethod
    def from_vocab_merges(cls, vocab: str | Path, merges: str | Path) -> Tokenizer:
        """GPT-2's original pair of files: `vocab.json` and `merges.txt`."""
        from tokenizers import ByteLevelBPETokenizer

        vocab, merges = Path(vocab), Path(merges)
        try:
            return cls(ByteLevelBPETokenizer(str(vocab), str(merges)), vocab)
        except Exception as exc:
            raise GlvizError("error.tokenizer.vocab", reason=_first_line(exc), path=vocab.parent) from None

    @property
    def vocab_size(self) -> int:
        """Number of token ids."""
        return int(self._backend.get_vocab_size())  # type: ignore[attr-defined]

    def encode(self, text: str) -> np.ndarray:
        """Token ids of `text`, (T,) int64; GlvizError when the tokenizer cannot encode it."""
        try:
            ids = self._backend.encode(text).ids  # type: ignore[attr-defined]
        except Exception as exc:  # e.g. a word-level vocabulary without an unknown token
            reason = _first_line(exc)
            raise GlvizError("error.tokenizer.encode", reason=reason, text=repr(text)) from None
        return np.asarray(ids, dtype=np.int64)

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """The text of token ids."""
        return str(self._backend.decode([int(i) for i in ids]))  # type: ignore[attr-defined]

    def piece(self, token: int) -> str:
        """The token as the vocabulary spells it (byte-level BPE: "Ġthe", "âĢ"; "" if the id is unknown)."""
        return str(self._backend.id_to_token(int(token)) or "")  # type: ignore[attr-defined]

    def token_bytes(self, token: int) -> bytes | None:
        """The bytes a token stands for ("Ġæ" -> b" \\xe6", the start of " 日"), or None where its spelling
        is not byte-level BPE's (or the id is unknown)."""
        piece = self.piece(token)
        table = _byte_of_letter()
        if not piece or any(letter not in table for letter in piece):
            return None
        return bytes(table[letter] for letter in piece)


@functools.cache
def _byte_of_letter() -> dict[str, int]:
    """Byte-level BPE's alphabet read backwards: each byte is spelled by one printable letter, itself where
    the byte is a printable Latin-1 character, else by the letters from U+0100 on, in byte order (GPT-2's
    convention, which every byte-level vocabulary uses)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    others = [b for b in range(256) if b not in printable]
    return {chr(b): b for b in printable} | {chr(0x100 + k): b for k, b in enumerate(others)}


def load_tokenizer(directory: str | Path) -> Tokenizer | None:
    """The tokenizer in a checkpoint folder: tokenizer.json, else vocab.json + merges.txt, else None."""
    directory = Path(directory)
    if (directory / "tokenizer.json").is_file():
        return Tokenizer.from_file(directory / "tokenizer.json")
    if (directory / "vocab.json").is_file() and (directory / "merges.txt").is_file():
        return Tokenizer.from_vocab_merges(directory / "vocab.json", directory / "merges.txt")
    return None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
