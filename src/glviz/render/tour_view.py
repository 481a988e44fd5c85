"""The tour drawn headless: chapters of the walkthrough rendered offscreen, for `glviz render --chapter`,
`glviz record` and `glviz bench tour`."""

from __future__ import annotations

import numpy as np

from glviz.render.camera import OrbitCamera
from glviz.render.frame import read_pixels
from glviz.render.offscreen import OffscreenRenderer
from glviz.scene import SceneState
from glviz.walkthrough.stages import nano_stage
from glviz.walkthrough.tour import Tour


class TourView:
    """Renders any chapter at any time into an image of `size` (the nano model on `letters`)."""

    def __init__(self, size: tuple[int, int], letters: str, lang: str, ctx=None) -> None:
        self.size = size
        self.lang = lang
        self.stage = nano_stage(letters, size[0] / size[1], lang)
        self.tour = Tour(lambda scene, lang_: self.stage)
        self.offscreen = OffscreenRenderer(size, ctx=ctx)
        self.offscreen.frame.set_layout(self.stage.layout)
        self.offscreen.frame.upload_trace(self.stage.trace)
        self.scene = SceneState(self.stage.layout)

    @property
    def ctx(self):
        return self.offscreen.ctx

    def index(self, chapter_id: str) -> int:
        return self.tour.index_of(chapter_id)

    def duration(self, index: int) -> float:
        return self.tour.events(index, self.lang).duration

    def draw(self, index: int, t: float) -> None:
        """Draw the chapter's frame at time t into the framebuffer (no read-back)."""
        frame = self.tour.frame(index, t, self.lang)
        self.scene.set_tour(frame)
        self.offscreen.draw(self.scene, OrbitCamera(frame.camera))

    def render(self, index: int, t: float) -> np.ndarray:
        """The chapter's frame at time t as (h, w, 3) uint8 RGB."""
        self.draw(index, t)
        return read_pixels(self.offscreen.fbo)

    def release(self) -> None:
        self.offscreen.frame.release()
        self.offscreen.release()
