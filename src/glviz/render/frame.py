"""FrameRenderer: the passes of one frame (clear, blocks, labels) into the currently bound framebuffer."""

from __future__ import annotations

import math
import time

import numpy as np

from glviz.render.blocks import MIN_BLOCK_PX, BlockRenderer
from glviz.render.camera import OrbitCamera
from glviz.render.text import LabelRenderer

BACKGROUND = (0.955, 0.957, 0.962, 1.0)


class FrameRenderer:
    """Owns the GL resources of the 3D view; `render(scene, camera, viewport)` draws one frame."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.camera_ubo = ctx.buffer(reserve=64 + 3 * 16)
        self.blocks = BlockRenderer(ctx)
        self.labels = LabelRenderer(ctx)
        self.layout = None
        self.draw_calls = 0
        self.gl_seconds = 0.0

    def set_layout(self, layout) -> None:
        """Upload a layout's blocks and labels."""
        self.layout = layout
        self.blocks.set_layout(layout)
        self.labels.set_layout(layout)

    def upload_trace(self, trace) -> int:
        """Upload every value the trace offers; returns the value texels used."""
        return self.blocks.upload_trace(trace)

    def render(self, scene, camera: OrbitCamera, viewport: tuple[int, int, int, int]) -> None:
        """Draw `scene` seen by `camera` into `viewport` (x, y, w, h; GL convention, origin bottom-left)."""
        if scene.layout is not self.layout:
            self.set_layout(scene.layout)
        ctx = self.ctx
        x, y, w, h = (int(v) for v in viewport)
        view_projection = camera.view_projection(w / max(h, 1))
        projection_scale = 1.0 / math.tan(math.radians(camera.fov_y) / 2)
        pixel_scale = projection_scale * h / 2
        params = np.array([projection_scale, MIN_BLOCK_PX, 0.0, 0.0], dtype=np.float32)
        eye = np.append(camera.eye, 1.0).astype(np.float32)
        vp = np.array([x, y, w, h], dtype=np.float32)
        camera_block = view_projection.tobytes() + eye.tobytes() + vp.tobytes() + params.tobytes()

        t0 = time.thread_time()
        ctx.viewport = (x, y, w, h)
        ctx.scissor = (x, y, w, h)
        ctx.clear(*BACKGROUND, depth=1.0)
        ctx.scissor = None
        ctx.enable(ctx.DEPTH_TEST | ctx.CULL_FACE)
        ctx.disable(ctx.BLEND)
        self.camera_ubo.write(camera_block)  # the one camera upload of the frame
        self.camera_ubo.bind_to_uniform_block(0)
        self.gl_seconds += time.thread_time() - t0

        t0 = time.thread_time()
        self.blocks.sync_scene(scene)
        self.gl_seconds += time.thread_time() - t0
        self.draw_calls = self.blocks.draw(view_projection, pixel_scale, BACKGROUND)
        if scene.show_labels:
            self.draw_calls += self.labels.draw(view_projection, pixel_scale)
        ctx.disable(ctx.DEPTH_TEST | ctx.CULL_FACE | ctx.BLEND)

    def release(self) -> None:
        """Free the GL objects of the blocks, the labels and the camera block."""
        self.blocks.release()
        self.labels.release()
        self.camera_ubo.release()
        self.layout = None

    @property
    def gl_thread_seconds(self) -> float:
        """CPU time this thread has spent in GL calls while rendering (software GL does its vertex work
        there): subtracted from a frame's CPU time, it leaves the Python work alone."""
        return self.gl_seconds + self.blocks.driver_seconds + self.labels.driver_seconds


def read_pixels(fbo, viewport: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """(h, w, 3) uint8 RGB of a framebuffer, top row first (image order)."""
    x, y, w, h = viewport or (0, 0, *fbo.size)
    data = fbo.read(viewport=(x, y, w, h), components=3, alignment=1)
    return np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)[::-1].copy()
