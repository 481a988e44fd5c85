"""Offscreen rendering: an EGL context, a framebuffer and a FrameRenderer, for PNGs, tests and benchmarks."""

from __future__ import annotations

import numpy as np

from glviz.render.camera import OrbitCamera
from glviz.render.context import create_standalone_context
from glviz.render.frame import FrameRenderer, read_pixels


class OffscreenRenderer:
    """Renders scenes into an RGBA8 + depth framebuffer of `size` (w, h) on a headless context."""

    def __init__(self, size: tuple[int, int], ctx=None) -> None:
        self.ctx = ctx or create_standalone_context()
        self.size = (int(size[0]), int(size[1]))
        self.fbo = self.ctx.framebuffer(color_attachments=[self.ctx.renderbuffer(self.size)],
                                        depth_attachment=self.ctx.depth_renderbuffer(self.size))
        self.frame = FrameRenderer(self.ctx)

    def draw(self, scene, camera: OrbitCamera, settle: bool = False) -> None:
        """Render one frame into the framebuffer (no read-back); `settle`: with every value the view wants
        at full resolution (FrameRenderer.render)."""
        self.fbo.use()
        self.frame.render(scene, camera, (0, 0, *self.size), settle)

    def render(self, scene, camera: OrbitCamera, settle: bool = False) -> np.ndarray:
        """Render one frame and return it as (h, w, 3) uint8 RGB, top row first."""
        self.draw(scene, camera, settle)
        return read_pixels(self.fbo)

    def release(self) -> None:
        """Free the framebuffer; the default framebuffer is bound first, as moderngl would otherwise rebind
        the deleted one when the next framebuffer is made (GL_INVALID_OPERATION)."""
        if self.ctx.fbo is self.fbo:
            self.ctx.detect_framebuffer(0).use()
        self.fbo.release()


def save_png(pixels: np.ndarray, path) -> None:
    """Write an (h, w, 3) uint8 image as PNG."""
    from PIL import Image

    Image.fromarray(pixels).save(path)
