"""The tour drawn headless: chapters of the walkthrough rendered offscreen, for `glviz render --chapter`,
`glviz record` and `glviz bench tour`."""

from __future__ import annotations

import numpy as np

from glviz.render.camera import OrbitCamera
from glviz.render.frame import FrameRenderer, read_pixels
from glviz.render.offscreen import OffscreenRenderer
from glviz.scene import SceneState
from glviz.walkthrough.stages import nano_stage, stage_values, stages_from
from glviz.walkthrough.tour import Tour


class TourView:
    """Renders any chapter at any time into an image of `size` (the nano model on `letters`)."""

    def __init__(self, size: tuple[int, int], letters: str, lang: str, ctx=None) -> None:
        self.size = size
        self.lang = lang
        self.stage = nano_stage(letters, size[0] / size[1], lang)
        self._stage_of = stages_from(self.stage)
        self.tour = Tour(self._stage_of)
        self.offscreen = OffscreenRenderer(size, ctx=ctx)
        self.renderers = {}  # scene -> (FrameRenderer, SceneState)
        self.scene = None

    def _use(self, scene: str) -> None:
        """Point the offscreen renderer at the scene's own FrameRenderer (made on first use)."""
        if scene not in self.renderers:
            stage = self._stage_of(scene, self.lang)
            frame = self.offscreen.frame if not self.renderers else FrameRenderer(self.ctx)
            frame.set_layout(stage.layout)
            values = stage_values(stage)
            if values is None:
                frame.upload_trace(stage.trace)
            else:
                frame.blocks.upload_values(values)
            self.renderers[scene] = (frame, SceneState(stage.layout))
        self.offscreen.frame, self.scene = self.renderers[scene]

    @property
    def ctx(self):
        return self.offscreen.ctx

    def index(self, chapter_id: str) -> int:
        return self.tour.index_of(chapter_id)

    def duration(self, index: int) -> float:
        return self.tour.events(index, self.lang).duration

    def draw(self, index: int, t: float) -> None:
        """Draw the chapter's frame at time t into the framebuffer (no read-back)."""
        self._use(self.tour.chapters[index].scene)
        frame = self.tour.frame(index, t, self.lang)
        self.scene.set_tour(frame)
        self.offscreen.draw(self.scene, OrbitCamera(frame.camera))

    def render(self, index: int, t: float) -> np.ndarray:
        """The chapter's frame at time t as (h, w, 3) uint8 RGB."""
        self.draw(index, t)
        return read_pixels(self.offscreen.fbo)

    def release(self) -> None:
        for frame, _ in self.renderers.values():
            frame.release()
        self.renderers.clear()
        self.offscreen.release()
