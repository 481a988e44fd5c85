"""The tour in the app: plays the walkthrough's chapters on the nano model, puts each frame into the scene's
base layer and the camera on the tour's path, and keeps the learner's place between launches.

A peer of the app's other parts: it reads the app's nano view (the learner's letters) and writes only the
scene's tour layer, the camera (while following) and the saved state.
"""

from __future__ import annotations

import threading
from pathlib import Path

from glviz import i18n
from glviz.errors import Text
from glviz.walkthrough.playback import Player
from glviz.walkthrough.script import Stage
from glviz.walkthrough.stages import scale_layout, scale_stage, stage_values
from glviz.walkthrough.state import TourState, load_state, save_state
from glviz.walkthrough.tour import Tour

TOUR_MODEL = "nano"


class TourController:
    """Playback of the tour and its effect on the app's scene and camera."""

    def __init__(self, app, state_path: Path | None = None) -> None:
        self.app = app
        self.tour = Tour(self._stage_of)
        self.player = Player(len(self.tour), lambda i: self.tour.events(i, i18n.language()))
        self.touring = False
        self.frame = None
        self.state_path = state_path
        self._frame_key: tuple | None = None
        self._stages: dict[tuple, Stage] = {}
        self._views: dict = {}  # scene -> ModelView of the tour's own scenes (not the nano model)
        self._preparing: threading.Thread | None = None
        self._losses = None
        self._saved: TourState | None = None
        self._explored: str | None = None  # the model explored before the tour took the view (not nano)

    # --- stages and frames ---------------------------------------------------------------------------------
    def _nano(self):
        view = self.app.models.views.get(TOUR_MODEL)
        if view is None or view.trace is None:
            raise RuntimeError("the tour needs the nano model traced")
        return view

    def _stage_of(self, scene: str, lang: str) -> Stage:
        view = self._nano()
        key = (scene, id(view.layout), id(view.trace), round(self.app.aspect, 4), lang)
        stage = self._stages.get(key)
        if stage is None:
            if self._losses is None:
                from glviz.model.sort_task import training_losses

                self._losses = training_losses()
            extras = {"losses": self._losses}
            stage = Stage(TOUR_MODEL, view.layout, view.trace, self.app.aspect, lang, extras)
            if scene != TOUR_MODEL:
                if self._preparing is not None:
                    self._preparing.join()  # the scene's layout, begun in the background
                stage = scale_stage(stage)
            # Stages of other letters, sizes or languages are done with.
            self._stages = {k: v for k, v in self._stages.items() if k[1:] == key[1:]}
            self._stages[key] = stage
        return stage

    def prepare_when_idle(self) -> None:
        """`prepare`, if the tour is on screen (app.first_idle)."""
        current = self.app.models.current
        if self.touring and current is not None and current.name == TOUR_MODEL and current.trace is not None:
            self.prepare()

    def prepare(self) -> None:
        """Build the Scale chapter's three-model layout in the background (GPT-3 takes a second), so that it
        is ready when the learner gets there."""
        if self._preparing is None:
            layout = self._nano().layout
            self._preparing = threading.Thread(target=scale_layout, args=(layout,), daemon=True)
            self._preparing.start()

    def _show_scene(self, scene: str) -> None:
        """Put the chapter's scene on screen: the app's nano model, or a view of its own (made when first
        needed)."""
        app = self.app
        if scene == TOUR_MODEL:
            view = self._nano()
        else:
            view = self._views.get(scene)
            if view is None:
                view = self._views[scene] = self._scene_view(scene)
        if app.shown is not view:
            app._activate(view, reset_camera=False)
            self._frame_key = None

    def _scene_view(self, scene: str):
        """A ModelView of a composed scene: its renderer, only the nano part with values."""
        from glviz.render.frame import FrameRenderer
        from glviz.ui.hover import HoverExplainer
        from glviz.ui.models import ModelView

        stage = self._stage_of(scene, i18n.language())
        renderer = FrameRenderer(self.app.ctx)
        renderer.set_layout(stage.layout)
        renderer.blocks.upload_values(stage_values(stage))
        return ModelView(scene, stage.layout.config, stage.layout, renderer, HoverExplainer(stage.layout))

    def release(self) -> None:
        """Free the tour's own scenes."""
        for view in self._views.values():
            view.renderer.release()
        self._views.clear()

    @property
    def playing(self) -> bool:
        """The tour is on screen and playing (every frame is new)."""
        return self.touring and self.player.playing

    @property
    def chapter(self):
        return self.tour.chapters[self.player.chapter]

    def state(self):
        """The current chapter's title, texts and events (ChapterState)."""
        return self.tour.state(self.player.chapter, i18n.language())

    def update(self, dt: float) -> bool:
        """Once a frame: advance playback and put the tour's frame in the scene; True while playing."""
        if not self.touring:
            return False
        app = self.app
        if app.models.current.name != TOUR_MODEL:
            self.leave()
            return False
        # After the first frames (its thread would slow the first by a tenth of a second): at the window's
        # first idle moment (app.first_idle), or here once frames keep coming without one.
        if app.frames_drawn > 2:
            self.prepare()
        before = self.player.at_pause
        self.player.advance(dt)
        if self.player.at_pause and not before:
            self.save()
        self._show_scene(self.chapter.scene)
        trace = self._nano().trace
        key = (self.player.chapter, self.player.t, i18n.language(), id(trace), round(app.aspect, 4))
        if key != self._frame_key or app.scene.tour is not self.frame:
            self._frame_key = key
            self.frame = self.tour.frame(self.player.chapter, self.player.t, i18n.language())
            app.scene.set_tour(self.frame)
            app.cameras.follow(self.frame.camera)
            app.hovering.pending = True
        return self.player.playing

    # --- modes ---------------------------------------------------------------------------------------------
    def enter(self) -> None:
        """Show the tour (on the nano model); leaving it goes back to the model explored before. A checkpoint
        being opened goes on loading beside the tour (its bar in the tour's tab); leaving it goes there."""
        current = self.app.models.current.name
        load = self.app.models.load_beside_tour()
        if load is not None:
            self._explored = load.key
        elif current != TOUR_MODEL:
            self._explored = current
        if current != TOUR_MODEL or load is not None:
            self.app.switch_model(TOUR_MODEL)
        self.touring = True
        self._frame_key = None
        self.app.cameras.following = True
        self.app.invalidate()

    @property
    def explored(self) -> str | None:
        """The model explored before the tour took the view (not nano), that leaving it goes back to."""
        return self._explored

    def leave(self, go_back: bool = True) -> None:
        """Free exploring: the tour pauses where it is and its layer leaves the scene. Back on the model
        explored before (or, once the frame is out, the one saved at the last launch), unless not `go_back`
        (stepping through nano's letters: the learner stays on nano)."""
        self.touring = False
        self.player.pause()
        app = self.app
        back, self._explored = self._explored, None
        load = app.models.loading
        if load is not None and load.beside_tour:
            if go_back and back == load.key:
                app.models.bring_load_back()  # shown when done, as if the tour had not come between
            else:  # the learner asked to stay on nano: the load stops, and the panel says so
                app.models.cancel_load()
                app.message(Text("checkpoint.load_stopped", name=load.name))
        if not go_back:
            back = None
            app.forget_explored()
        if back is not None and back in app.models.views and app.models.requested == TOUR_MODEL:
            app.models.switch(back)  # a checkpoint with its prompt and tokens, as the learner left it
        if app.shown is not app.models.current and app.models.current is not None:
            app._activate(app.models.current, reset_camera=False)  # off a tour's own scene
        if self.app.scene is not None:
            self.app.scene.set_tour(None)
        self.frame = None
        self.save()
        self.app.invalidate()

    def toggle_mode(self) -> None:
        """Key T: between the tour and free exploring."""
        self.leave() if self.touring else self.enter()

    # --- playback ------------------------------------------------------------------------------------------
    def space(self) -> None:
        """Space: into the tour, or continue / pause it."""
        if not self.touring:
            self.enter()
            self.continue_()
            return
        if self.player.playing:
            self.player.pause()
            self.save()
        else:
            self.continue_()

    def continue_(self) -> None:
        """Continue past a pause (or into the next chapter), with the camera back on the tour's path."""
        self.player.continue_()
        self._back_on_path()

    def back(self) -> None:
        """Backspace: the start of this section (or the one before), playing."""
        self.player.back()
        self._back_on_path()

    def skip(self) -> None:
        """To the next pause."""
        self.player.skip()
        self._back_on_path()

    def goto(self, chapter: int, t: float = 0.0) -> None:
        """A chapter from the contents (or the chapter arrows)."""
        self.player.goto(chapter, t)
        self._back_on_path()
        self.save()

    def seek(self, t: float) -> None:
        """The scrub bar."""
        self.player.seek(t)
        self.app.invalidate()

    def _back_on_path(self) -> None:
        if not self.touring:
            self.enter()
        self._frame_key = None
        frame = self.tour.frame(self.player.chapter, self.player.t, i18n.language())
        self.app.cameras.follow_again(frame.camera)
        self.app.invalidate()

    def set_language(self, lang: str) -> None:
        """Another language: the tour keeps its place (the same section, as far into it)."""
        old = self.tour.events(self.player.chapter, i18n.language())
        section = sum(1 for p in old.pauses if p.end <= self.player.t + 1e-4)
        into = self.player.t - old.section_start(self.player.t)
        i18n.set_language(lang)
        new = self.tour.events(self.player.chapter, lang)
        starts = [0.0] + [p.end for p in new.pauses]
        start = starts[min(section, len(starts) - 1)]
        self.player.seek(min(start + into, new.next_stop(start)))
        self._frame_key = None
        self.save()

    # --- saved place ---------------------------------------------------------------------------------------
    def restore(self, first_launch_tour: bool = True) -> TourState | None:
        """Start where the learner left off (the tour at chapter 1 on a first launch); returns the saved
        state (None on a first launch or when it could not be read)."""
        state, problem = (None, None) if self.state_path is None else load_state(self.state_path)
        if problem:
            self.app.message(Text("tour.state_unreadable", reason=problem))
        if state is None:
            if first_launch_tour:
                self.enter()
            return None
        ids = [c.id for c in self.tour.chapters]
        chapter = ids.index(state.chapter) if state.chapter in ids else 0
        self.player.furthest = {ids.index(k): v for k, v in state.furthest.items() if k in ids}
        self.app.cameras.following = state.follow_camera
        if state.touring:
            self.enter()
            self.app.cameras.following = state.follow_camera
        self.player.goto(chapter, state.t)
        self._saved = state
        return state

    def current_state(self) -> TourState:
        ids = [c.id for c in self.tour.chapters]
        return TourState(chapter=ids[self.player.chapter], t=round(self.player.t, 3), lang=i18n.language(),
                         follow_camera=self.app.cameras.following, touring=self.touring,
                         furthest={ids[k]: round(v, 3) for k, v in self.player.furthest.items()})

    def save(self) -> None:
        """Write the place if it changed (a line in the panel if it cannot be written)."""
        if self.state_path is None:
            return
        state = self.current_state()
        if state == self._saved:
            return
        problem = save_state(self.state_path, state)
        if problem:
            if not self.app.session_unwritable:  # else the session beside it said it of the same folder
                self.app.message(Text("tour.state_unwritable", reason=problem))
            self.state_path = None  # say it once, not at every pause
        self._saved = state
