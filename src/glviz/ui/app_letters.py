"""GlvizApp's part for the nano model's six letters: what they are, what was refused, what the model predicts,
and the edits of the letters field (ui/letters.py holds the input itself)."""

from __future__ import annotations


class LetterActions:
    """The letters input of the nano view; mixed into GlvizApp (see ui/app.py for the rest)."""

    @property
    def letters(self) -> str:
        """The six letters the nano model shows."""
        return self.letters_input.letters

    @property
    def input_error(self) -> str:
        """Why the letters typed last were refused ("" when they were taken)."""
        return self.letters_input.error

    @property
    def prediction(self):
        """The sorted letters the model predicts and P(A), P(B), P(C) at each output position (6, 3)."""
        return self.letters_input.prediction(self.view) if self.view.name == "nano" else None

    def set_input(self, text: str) -> bool:
        """Trace the nano model on six letters; invalid text is refused with a message and nothing changes."""
        ok = self.letters_input.set(self.models.views.get("nano"), text)
        self.invalidate()
        return ok

    def edit_input(self, text: str) -> None:
        """Called while typing: apply six valid letters at once, explain what is wrong otherwise."""
        self.letters_input.edit(self.models.views.get("nano"), text)
        self.invalidate()

    def refuse_letter(self, char: str) -> None:
        """A character the letters field did not take."""
        self.letters_input.refuse(char)
        self.invalidate()

    def randomize_input(self, rng=None) -> None:
        """Trace six random letters."""
        self.letters_input.randomize(self.models.views.get("nano"), rng)
        self.invalidate()
