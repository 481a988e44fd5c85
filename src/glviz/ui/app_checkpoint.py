"""GlvizApp's part for real models: opening a checkpoint, its prompt, generation, lighting a token's column.

A mixin of GlvizApp (ui/app.py), which owns the scene, the camera, the models and the panel this uses.
"""

from __future__ import annotations

import time
from pathlib import Path

PROGRESS_FRAME_S = 0.25  # a load's progress bar is drawn this often (the window polls every 50 ms)


class CheckpointActions:
    """Opening checkpoints, editing the prompt, following the trace worker; see ui/app.py for the rest."""

    def init_checkpoint_parts(self) -> None:
        from glviz.ui.attention import AttentionMaps
        from glviz.ui.generation import GenerationControls
        from glviz.ui.prompt import PromptInput, set_drawable
        from glviz.ui.style import can_draw
        from glviz.ui.tracing import Tracing

        self.tracing = Tracing(self)
        self.generation = GenerationControls(self)
        set_drawable(can_draw)  # the chips' font
        self.prompt = PromptInput()
        self.attention = AttentionMaps()
        self._lit_token: tuple | None = None  # (t, camera pose, layout) of the chip lit in the scene
        self._progress_drawn = 0.0  # time.monotonic() of the last frame drawn for a load's progress
        self._busy_drawn = False  # whether the worker was busy when the last frame was drawn
        self.frames_drawn = 0

    # --- state ---------------------------------------------------------------------------------------------
    @property
    def is_checkpoint(self) -> bool:
        """The model on screen is a checkpoint opened from disk (it has a prompt)."""
        return self.view.is_checkpoint

    @property
    def loading(self):
        """The CheckpointLoad running in the background (progress, name), or None."""
        return self.models.loading

    @property
    def working(self) -> bool:
        """Something computes in the background that the next frames will show, or the worker stopped since
        the last frame (that frame still shows it busy)."""
        return (self.models.loading is not None or self.generation.busy or self.hovering.stats_pending
                or self.tracing.news() or self._busy_drawn)

    def background_frame_due(self) -> bool:
        """While work runs in the background, whether to draw now: at once when a load finished, else (for its
        progress bar) every PROGRESS_FRAME_S; a generation's tokens and a hovered block's statistics when
        they come, and once when the worker starts or stops (the panel's buttons). Drawing less leaves the CPU
        to the work: a frame costs 20 - 40 ms on software GL, a GPT-2 token's step 40 - 60 ms."""
        load = self.models.loading
        if load is None:
            return (self.generation.busy != self._busy_drawn or self.tracing.news()
                    or self.view.explainer.arrived)
        now = time.monotonic()
        if load.finished or now - self._progress_drawn >= PROGRESS_FRAME_S:
            self._progress_drawn = now
            return True
        return False

    def frame_drawn(self) -> None:
        """After each frame: what it showed of the worker, and the next token's layout asked for."""
        self._busy_drawn = self.generation.busy
        self.tracing.after_frame()
        self.frames_drawn += 1

    # --- checkpoints ---------------------------------------------------------------------------------------
    def open_checkpoint(self, path: str | Path, tokens=None) -> None:
        """Load a checkpoint in the background and show it when done, traced on `tokens` (token ids; default:
        the default prompt). The panel shows the progress; errors appear as the CLI's one line and the app
        stays where it is."""
        self.forget_explored()
        if self.tour.touring:
            self.tour.leave()
        self.models.open_checkpoint(path, tokens)
        self.invalidate()

    def cancel_load(self) -> None:
        """Stop the load in progress; the model on screen stays."""
        self.models.cancel_load()
        self.invalidate()

    def edit_prompt(self, text: str) -> bool:
        """The checkpoint's prompt as typed: re-encoded, and re-traced in the background when its tokens
        changed; refused text leaves the model as it was (the reason is in `prompt.error`)."""
        if not self.is_checkpoint:
            return False
        ok = self.prompt.edit(self.view, text)
        self.invalidate()
        return ok

    # --- following the trace -------------------------------------------------------------------------------
    def relayout(self, view) -> None:
        """The view's layout changed (another T): a fresh scene for it, the camera where the user put it, or,
        still on a named view (the overview, Home, W, I), that view of the new layout."""
        self._activate(view, reset_camera=False)
        self.cameras.layout_changed(view.layout, self.aspect)

    def _letters_traced(self, view, trace) -> None:
        """New nano letters: the trace (T = 11) is shown at once and becomes the worker's."""
        if view.worker is not None:
            view.worker.adopt(trace)
        self.tracing.show(view, trace, trace.snapshot())

    def keep_tour_on_sorted_letters(self) -> None:
        """The tour plays on the letters and their sorted answer (T = 11): entering it while nano is being
        stepped through puts the whole sequence back."""
        nano = self.models.views.get("nano")
        if (self.tour.touring and nano is not None and nano.trace is not None
                and nano.trace.T != nano.config.block_size):
            self.set_input(self.letters or self.letters_input.pending)

    # --- a token's column ----------------------------------------------------------------------------------
    def light_token(self, t: int | None) -> None:
        """Hovering a token chip: light position t's column in the token blocks in view (None: back to the
        hovered cell's own lit cells)."""
        from glviz.ui.token_columns import column_ranges

        if t is None:
            if self._lit_token is not None:
                self._lit_token = None
                info = self.hovering.info
                self.scene.set_hover(self.hovering.cell, info.dependencies if info is not None else ())
                self.invalidate()
            return
        key = (t, self.camera.pose, self.scene.layout)
        lit = self._lit_token
        if lit is not None and lit[:2] == key[:2] and lit[2] is key[2]:
            return
        self._lit_token = key
        view_projection = self.camera.view_projection(self.aspect)
        ranges = column_ranges(self.scene.layout, t, self.camera.eye, view_projection)
        self.scene.set_hover(None, ranges)
        self.invalidate()
