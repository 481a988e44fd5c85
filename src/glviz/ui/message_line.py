"""The line at the top of the panel: the app's latest message, until it is withdrawn or its time is up.

A failed open or build is withdrawn once another model comes on screen (a red line about the failure would
read as that model's); a note (a screenshot's path, a hint) goes after a few seconds; the rest stay until
the next message. A message given as catalogue text (`glviz.errors.Text`, a GlvizError) is written in the
language of the moment it is read, so that switching the panel's language rewrites it too.
"""

from __future__ import annotations

import time

from glviz.errors import Text

NOTE_S = 8.0  # how long a note stays


class MessageLine:
    """What the panel's message line shows."""

    def __init__(self) -> None:
        self.message: str | Text | None = None
        self._until: float | None = None  # time.monotonic() when a note goes
        self._until_model = False  # the message is a failed open or build: it goes when a model is shown

    @property
    def text(self) -> str | None:
        """The line as shown now, in the current language."""
        return None if self.message is None else str(self.message)

    def show(self, text: str | Text, until_another_model: bool = False, note: bool = False) -> None:
        self.message = text
        self._until = time.monotonic() + NOTE_S if note else None
        self._until_model = until_another_model

    def model_shown(self) -> None:
        """Another model is on screen: a failure to open or build one is old news."""
        if self._until_model:
            self.message = self._until = None
            self._until_model = False

    def expire(self) -> bool:
        """Clear a note whose time is up; whether it did (the panel is to be drawn again)."""
        if self._until is None or time.monotonic() < self._until:
            return False
        self.message = self._until = None
        return True
