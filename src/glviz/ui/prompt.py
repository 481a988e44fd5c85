"""A checkpoint's prompt: the text typed in the panel, encoded with the checkpoint's tokenizer (or token ids
where it has none) and traced in the background; its tokens as chips, each lighting its column in 3D."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from glviz.errors import GlvizError, Text
from glviz.model.sort_task import LETTERS

CHIP_CACHE = 4096  # decoded token labels kept (per app)

# Whether the panel's font draws a character (set by the app once its fonts are loaded; None: all are drawn).
# An emoji, or Japanese when its font is missing, would show as imgui's "?" box: labels spell it in bytes.
_drawable: Callable[[str], bool] | None = None


def set_drawable(test: Callable[[str], bool] | None) -> None:
    """Tell the labels which characters the panel's font draws (the others are spelled as bytes in hex)."""
    global _drawable
    _drawable = test


def drawn(letter: str) -> bool:
    """Whether the panel can draw `letter` (white space is written as the labels write it)."""
    return _drawable is None or letter.isspace() or _drawable(letter)


def encode_prompt(weights, text: str) -> np.ndarray:
    """The token ids of `text`: encoded with the checkpoint's tokenizer, or read as ids ("464, 2068") when it
    has none. GlvizError (a message from the catalogue) when they cannot be run."""
    from glviz.commands.model_input import parse_token_list, prompt_tokens
    from glviz.model.tokens import check_tokens

    if weights.tokenizer is None:
        if not text.strip():
            raise GlvizError("error.prompt.empty")
        try:
            tokens = parse_token_list(text)
        except GlvizError as exc:  # the CLI's words name its --tokens option, which the panel has not
            if exc.key != "error.tokens_option.format":
                raise
            raise GlvizError("error.prompt.ids_format", **exc.values) from None
    else:
        tokens = prompt_tokens(weights, text)
    context = weights.config.block_size
    if len(tokens) > context:
        raise GlvizError("error.prompt.too_long", n=len(tokens), context=context)
    return check_tokens(weights, tokens)


def prompt_text(weights, tokens: np.ndarray) -> str:
    """What the prompt box shows for `tokens`: their text, or their ids without a tokenizer."""
    if weights.tokenizer is None:
        return ", ".join(str(int(t)) for t in tokens)
    return weights.tokenizer.decode(tokens)


class PromptInput:
    """The prompt box of the view on screen: `edit(view, text)` while typing; `error` says why the text was
    refused (the model keeps what it showed)."""

    def __init__(self) -> None:
        self.refusal: Text | None = None  # kept as catalogue text: it is written in the language shown
        self._labels: dict[int, str] = {}  # token -> chip text, for the tokenizer `_labels_of`
        self._labels_of = None

    def edit(self, view, text: str) -> bool:
        """Re-encode and, when the tokens differ from those shown, re-trace in the background."""
        view.prompt = text
        try:
            tokens = encode_prompt(view.weights, text)
        except GlvizError as exc:
            self.refusal = Text("prompt.refused", reason=exc)
            return False
        self.refusal = None
        worker = view.worker
        trace = worker.trace
        if trace is not None and worker.generated == 0 and np.array_equal(trace.tokens, tokens):
            return True
        worker.retrace(tokens)
        return True

    @property
    def error(self) -> str:
        """Why the text typed last was refused, in the panel's language of the moment ("" if it was taken)."""
        return "" if self.refusal is None else str(self.refusal)

    def shown(self, view, token: int) -> str:
        """A token as the panel's lists and axes write it: a nano letter, else as its chip (`label`)."""
        if view.name == "nano":
            return LETTERS[int(token)]
        return self.label(view.weights, token)

    def shown_with_id(self, view, token: int) -> str:
        """A token with its id, as the candidates and tooltips write it: a nano letter, else `chip_text`."""
        if view.name == "nano":
            return LETTERS[int(token)]
        return self.chip_text(view.weights, token)

    def chip_text(self, weights, token: int) -> str:
        """A token as its chip and the candidate list write it: "text id", or the id alone without a
        tokenizer ("#id" where the tokenizer does not know it)."""
        label = self.label(weights, token)
        return label if weights.tokenizer is None or label == f"#{int(token)}" else f"{label} {int(token)}"

    def label(self, weights, token: int) -> str:
        """A token as a chip shows it: its text with spaces and line breaks made visible, or its id (no
        tokenizer), or "#id" (an id the tokenizer does not know)."""
        tokenizer = weights.tokenizer
        if tokenizer is None:
            return str(int(token))
        if tokenizer is not self._labels_of:  # another checkpoint: its own vocabulary
            self._labels, self._labels_of = {}, tokenizer
        key = int(token)
        text = self._labels.get(key)
        if text is None:
            text = token_label(tokenizer, key)
            if len(self._labels) >= CHIP_CACHE:
                self._labels.clear()
            self._labels[key] = text
        return text


def token_label(tokenizer, token: int) -> str:
    """A token id as text to read on its own (chips, candidates, the hover): its decoded text made readable,
    with the bytes of a character split across tokens in hex ("·<E6>": a space and the first byte of 日), as
    those of a character the panel's font cannot draw ("<F0 9F 99 82>"), or "#id" for an id the tokenizer
    does not know."""
    key = int(token)
    text = tokenizer.decode([key])
    # Part of a character: its bytes, from the vocabulary (decoding lost them); else the text's own
    # (readable_bytes leaves whole characters the panel draws as they are).
    data = tokenizer.token_bytes(key) if "\ufffd" in text else text.encode("utf-8")
    text = readable_bytes(data) if data is not None else tokenizer.piece(key) or text
    # An id past a smaller tokenizer's vocabulary decodes to nothing: its number tells such ids apart
    return token_text(text) if text or tokenizer.piece(key) else f"#{key}"


def readable_bytes(data: bytes) -> str:
    """UTF-8 bytes as text, where the bytes that are no whole character, or a character the panel cannot
    draw, are written in hex, a run of them in one pair of brackets: b" \\xe6\\x97" -> " <E6 97>"."""
    out: list[str] = []
    loose: list[str] = []
    for letter in data.decode("utf-8", errors="surrogateescape"):
        if "\udc80" <= letter <= "\udcff":  # a byte that is no character: surrogateescape keeps it so
            loose.append(f"{ord(letter) - 0xDC00:02X}")
            continue
        if not drawn(letter):
            loose += [f"{byte:02X}" for byte in letter.encode("utf-8")]
            continue
        if loose:
            out.append(f"<{' '.join(loose)}>")
            loose = []
        out.append(letter)
    if loose:
        out.append(f"<{' '.join(loose)}>")
    return "".join(out)


def split_characters(tokenizer, tokens: np.ndarray, t: int) -> str:
    """The characters that token t holds only some bytes of ("日" for each of the three tokens " \\xe6",
    "\\x97", "\\xa5"), or "" when its bytes are whole characters (or the tokenizer does not spell bytes)."""
    before, after = max(0, t - 3), min(len(tokens), t + 4)  # a character has 4 bytes at most, a token 1+
    spans = [tokenizer.token_bytes(int(k)) for k in tokens[before:after]]
    if any(part is None for part in spans):
        return ""
    own = spans[t - before]
    try:
        own.decode("utf-8")
        return ""  # whole characters
    except UnicodeDecodeError:
        pass
    data = b"".join(spans)
    start = len(b"".join(spans[: t - before]))
    stop = start + len(own)
    while start > 0 and data[start] & 0xC0 == 0x80:  # a continuation byte (10xxxxxx): back to its lead
        start -= 1
    while stop < len(data) and data[stop] & 0xC0 == 0x80:
        stop += 1
    return data[start:stop].decode("utf-8", errors="replace").strip()


def token_text(text: str) -> str:
    """A decoded token made readable on its own: a leading space as "·", line breaks and tabs as escapes."""
    text = text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    if text.startswith(" "):
        text = "·" + text[1:]
    return text or "\"\""
