"""The nano model's input: six letters of A, B, C typed in the panel, traced at once, and what it predicts."""

from __future__ import annotations

import numpy as np

from glviz.errors import GlvizError, Text
from glviz.model.sort_task import DEFAULT_LETTERS, LETTERS, N_LETTERS


class LettersInput:
    """Holds the letters being shown and traces the nano view when they change.

    `on_traced(view, trace)` is given each new trace (the app puts it on screen)."""

    def __init__(self, on_traced) -> None:
        self.letters = ""
        self.refusal: Text | None = None  # why the text typed last was refused: catalogue text, written
        # in the panel's language when shown, so that a language switch rewrites it
        self.pending = DEFAULT_LETTERS  # letters asked for before the nano view exists
        self._on_traced = on_traced

    @property
    def error(self) -> str:
        """Why the text typed last was refused, in the current language ("" when it was taken)."""
        return "" if self.refusal is None else str(self.refusal)

    def set(self, nano, text: str) -> bool:
        """Trace the nano view on six letters; invalid text is refused with a message and nothing changes.
        Without a nano view yet the letters wait for it."""
        from glviz.model.forward import Trace
        from glviz.model.sort_task import format_letters, nano_sequence, parse_letters

        if nano is None:
            self.pending = text
            return True
        try:
            inputs = parse_letters(text)
        except GlvizError as exc:
            self.refusal = Text("letters.refused", reason=exc)
            return False
        letters = format_letters(inputs)
        self.refusal = None
        full = nano.trace is not None and nano.trace.T == nano.config.block_size
        if full and letters == self.letters:
            return True
        trace = Trace(nano.weights, nano_sequence(nano.weights, inputs))
        trace["probs"]  # every value computed: what the view shows is read from the trace's snapshot
        self.letters = letters
        self._on_traced(nano, trace)
        return True

    def edit(self, nano, text: str) -> None:
        """Called while typing: apply six valid letters at once, explain what is wrong otherwise."""
        stripped = text.strip()
        bad = sorted({ch for ch in stripped.upper() if ch not in LETTERS})
        if bad:
            self.refusal = Text("letters.only_abc", chars=repr("".join(bad)))
        elif len(stripped) != N_LETTERS:
            self.refusal = Text("letters.count", n=N_LETTERS, so_far=len(stripped))
        else:
            self.set(nano, stripped)

    def refuse(self, char: str) -> None:
        """A character the letters field did not take (it only takes A, B and C)."""
        self.refusal = Text("letters.only_abc", chars=repr(char))

    def randomize(self, nano, rng: np.random.Generator | None = None) -> None:
        """Trace six random letters."""
        rng = rng or np.random.default_rng()
        self.set(nano, "".join(rng.choice(list(LETTERS), size=N_LETTERS)))

    @staticmethod
    def prediction(nano) -> tuple[str, np.ndarray] | None:
        """The sorted letters the model predicts and P(A), P(B), P(C) at each output position (6, 3)."""
        if nano is None or nano.trace is None:
            return None
        probs = np.asarray(nano.trace["probs"], dtype=np.float64)[N_LETTERS - 1:]  # (6, V=3): 5+k predicts k
        letters = "".join(LETTERS[int(i)] for i in probs.argmax(axis=1))
        return letters, probs
