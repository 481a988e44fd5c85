"""GlvizApp's part that brings the learner back to what they were exploring: nano's letters at once, and the
Explore tab's model (a preset, or a checkpoint with its prompt's tokens) after the first frame.

A mixin of GlvizApp (ui/app.py). The state is ui/session_state.py's file, beside the tour's place.

When: the letters are set before the first frame (they cost what the default letters cost). A checkpoint or a
big preset is never loaded before the first frame (start-up is a measured target): it opens after it with the
background load (progress bar, Cancel) if the learner was exploring, and if the tour was on screen, only when
they leave the tour, as a model explored before entering the tour comes back. Loading it beside the tour would
take the CPU the tour's animation needs, and hold a GPT-2's half a gigabyte, for a model the learner may not
look at this time. Anything the learner asks for first (a key, the selector, a checkpoint, nano's Generate)
wins over it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from glviz.errors import Text
from glviz.model.config import APP_MODELS
from glviz.ui.loading import CHECKPOINT_PREFIX, is_checkpoint_key
from glviz.ui.session_state import CHECKPOINT, SessionState, load_session, save_session, session_path


class SessionActions:
    """Restoring and saving the session; see ui/app.py for the rest."""

    def read_session(self, tour_path: Path | None, letters: str | None, model: str, weights) -> str | None:
        """Before the first model is built: the saved letters go to the nano input and the saved model waits
        for the first frame (`explore_pending`), unless the command line chose them (`letters` given,
        `model` other than nano, `weights`). Returns why the file could not be read, if so."""
        self.session_path = session_path(tour_path) if tour_path is not None else None
        self.explore_pending: SessionState | None = None  # the saved model, not asked for yet
        self._session_saved: SessionState | None = None
        self._session_key: tuple | None = None
        self.session_unwritable = False  # said so once (the tour's place, beside it, then says nothing)
        if self.session_path is None:
            return None
        saved, problem = load_session(self.session_path)
        if saved is None:
            return problem
        self._session_saved = saved
        if saved.letters and letters is None:
            self.letters_input.pending = saved.letters
        if model == "nano" and weights is None and saved.model != "nano":
            self.explore_pending = saved
        return None

    def resume_explored(self) -> None:
        """Open the model the learner was exploring at the last launch (after the first frame, outside the
        tour): a preset is switched to, a checkpoint loaded in the background on its saved tokens. A
        checkpoint that is gone, or fails to load, is one message; the app stays on nano."""
        saved, self.explore_pending = self.explore_pending, None
        if saved is None:
            return
        if saved.model == CHECKPOINT:
            path = Path(saved.checkpoint)
            if not path.exists():
                self.message(Text("session.checkpoint_missing", path=path), until_another_model=True)
                return
            self.models.open_checkpoint(path, saved.tokens, restored=True)
            self.invalidate()
        elif saved.model in APP_MODELS and saved.model != "nano":
            self.switch_model(saved.model)

    def forget_explored(self) -> None:
        """The learner asked for a model: the saved one is no longer wanted."""
        self.explore_pending = None

    def session_state(self) -> SessionState:
        """What the learner is exploring now: the letters, and the model of the Explore tab (while the tour is
        on screen, the one it goes back to)."""
        letters = self.letters or self.letters_input.pending or ""
        if self.explore_pending is not None:
            return replace(self.explore_pending, letters=letters)
        name = self.tour.explored if self.tour.touring else self.models.requested
        if is_checkpoint_key(name):
            checkpoint = name[len(CHECKPOINT_PREFIX):]
            view = self.models.views.get(name)
            load = self.models.loading
            if view is not None:
                trace = view.worker.trace if view.worker is not None and view.worker.trace else view.trace
                tokens = None if trace is None else [int(t) for t in trace.tokens]
            elif load is not None and load.key == name:
                tokens = None if load.tokens is None else [int(t) for t in load.tokens]
            else:
                return SessionState(letters)
            return SessionState(letters, CHECKPOINT, checkpoint, tokens)
        return SessionState(letters, name if name in APP_MODELS else "nano")

    def save_session(self) -> None:
        """Write the session if it changed (a line in the panel if it cannot be written: once, and not when
        the tour's place beside it could not be written either)."""
        if self.session_path is None:
            return
        state = self.session_state()
        if state == self._session_saved:
            return
        problem = save_session(self.session_path, state)
        if problem:
            if self.tour.state_path is not None:  # else the tour said it of the same folder
                self.message(Text("session.unwritable", reason=problem))
            self.session_path = None
            self.session_unwritable = True
        self._session_saved = state

    def keep_session(self) -> None:
        """After each frame: once what is explored changed and nothing is under way (a load, a build, tokens
        being generated), it is saved, so that a crash loses little. The check costs a tuple."""
        if self.session_path is None or self.models.loading is not None or self.models.building:
            return
        view = self.models.current
        if view is not None and view.worker is not None and view.worker.busy:
            return
        trace = None if view is None else view.trace
        key = (self.models.requested, self.tour.touring, self.tour.explored, self.explore_pending is None,
               self.letters, id(trace), None if trace is None else trace.T)
        if key != self._session_key:
            self._session_key = key
            self.save_session()
