"""FrameRenderer: the passes of one frame (clear, blocks, labels) into the currently bound framebuffer."""

from __future__ import annotations

import math
import time

import numpy as np

from glviz import i18n
from glviz.render.arrows import ArrowRenderer
from glviz.render.blocks import BlockRenderer
from glviz.render.camera import OrbitCamera
from glviz.render.chunks import MIN_BLOCK_PX
from glviz.render.ghosts import GhostRenderer
from glviz.render.palette import BACKGROUND
from glviz.render.text import LabelRenderer, LabelSet


class FrameRenderer:
    """Owns the GL resources of the 3D view; `render(scene, camera, viewport)` draws one frame."""

    def __init__(self, ctx, text_mipmaps: bool = True) -> None:
        """`text_mipmaps=False`: the labels' mipmaps wait for `make_text_mipmaps()` (text.LabelRenderer)."""
        self.ctx = ctx
        self.camera_ubo = ctx.buffer(reserve=64 + 3 * 16)
        self.blocks = BlockRenderer(ctx)
        self.labels = LabelRenderer(ctx, mipmaps=text_mipmaps)
        self.ghosts = GhostRenderer(ctx, self.blocks)
        self.arrows = ArrowRenderer(ctx)
        self.marks = LabelRenderer(ctx, share=self.labels)  # the tour's numbers and signs, changed often
        self.layout = None
        self.labels_lang = ""
        self.draw_calls = 0
        self.gl_seconds = 0.0
        self._camera: tuple[tuple, tuple] = ((), ())  # the last camera's key and matrices (_camera_block)
        self._arrows: tuple = (None,)  # the layout and the arrows' opacities last set for it
        self._marks: tuple = ()  # the tour's marks last uploaded, and the way they faced

    def make_text_mipmaps(self) -> None:
        """The labels' mipmaps, if they were left for later (once)."""
        self.labels.make_mipmaps()

    def set_layout(self, layout) -> None:
        """Upload a layout's blocks and labels (in the current language: see render())."""
        self.layout = layout
        self.blocks.set_layout(layout)
        self.labels.set_layout(layout)
        self.labels_lang = i18n.language()
        self.arrows.set_layout(layout)
        self._arrows = (None,)  # the arrows' opacities are set again

    # --- values (render/values.py): weights once per model, activations per trace, streamed each frame ---
    def set_weights(self, weights) -> None:
        """Show a model's weights in its weight blocks (uploaded once: the same Weights again, or a layout
        rebuilt for another token count, uploads nothing)."""
        self.blocks.levels.set_weights(weights)

    def adopt_values(self, weights, stores, snapshot=None) -> None:
        """Show the value stores (weights, activations) that render.values.prepare_weight_store and
        prepare_trace_store made for the current layout off the UI thread; trace_grew goes on from there."""
        self.blocks.levels.adopt(weights, stores, snapshot)

    def set_trace(self, trace, compute: bool = False, snapshot=None) -> None:
        """Show a trace's activations: the values it has published (`compute`: every value, computed now;
        `snapshot`: the values of that instant); values published later come with trace_grew."""
        self.blocks.levels.set_trace(trace, compute, snapshot)

    def trace_grew(self, trace, snapshot=None) -> None:
        """Upload what changed in the trace shown since it was last seen (after `append`: the new positions
        only; values computed since: those), up to `snapshot` when given (a worker may be further on).
        Call set_layout first when the layout was rebuilt."""
        self.blocks.levels.trace_grew(trace, snapshot)

    def missing_values(self) -> list[str]:
        """Trace names whose blocks show no values yet, or not at every position (not computed, or dropped
        by the trace before they were read: GPT-2's attention at T=1024, or during a long generation).
        Compute them in the worker, then call trace_grew."""
        return self.blocks.levels.missing()

    @property
    def values_pending(self) -> bool:
        """Whether drawing again would bring in values the view wants (ValueLevels.pending)."""
        return self.blocks.levels.pending

    def upload_trace(self, trace) -> int:
        """Show a trace and its weights, every value computed now; returns the value texels on the GPU."""
        return self.blocks.upload_trace(trace)

    def render(self, scene, camera: OrbitCamera, viewport: tuple[int, int, int, int],
               settle: bool = False) -> None:
        """Draw `scene` seen by `camera` into `viewport` (x, y, w, h; GL convention, origin bottom-left).
        Values the view wants at full resolution are uploaded a few pages a frame; `settle` uploads all that
        fit before drawing (a single picture)."""
        if scene.layout is not self.layout:
            self.set_layout(scene.layout)
        elif self.labels_lang != i18n.language():  # the language changed: the labels follow
            self.labels.set_layout(self.layout)
            self.labels_lang = i18n.language()
        ctx = self.ctx
        x, y, w, h = (int(v) for v in viewport)
        view_projection, pixel_scale, camera_block = self._camera_block(camera, (x, y, w, h))

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
        self.draw_calls = self.blocks.draw(view_projection, pixel_scale, settle)
        tour = scene.tour
        arrows = (dict(tour.arrows) if tour is not None else {}, 1.0 if scene.show_arrows else 0.0)
        if arrows != self._arrows[1:] or self._arrows[0] is not self.layout:  # else they are set already
            self.arrows.set_opacity(*arrows)
            self._arrows = (self.layout, *arrows)
        self.draw_calls += self.arrows.draw(self.blocks)
        self.ghosts.set_groups(tour.ghosts if tour is not None else ())
        self.draw_calls += self.ghosts.draw(view_projection, pixel_scale)
        if scene.show_labels:
            self.draw_calls += self.labels.draw(view_projection, pixel_scale, self.blocks)
        if tour is not None and len(tour.marks):
            marks = tour.marks
            facing = (camera.azimuth, camera.elevation)
            key = (tuple(marks.texts), tuple(marks.positions), tuple(marks.sizes), tuple(marks.colours),
                   facing)
            if key != self._marks:  # the same marks again (set_labels would find them uploaded)
                self.marks.set_labels(LabelSet.of(marks.texts, marks.positions, marks.sizes, marks.colours,
                                                  facing=facing))
                self._marks = key
            self.draw_calls += self.marks.draw(view_projection, pixel_scale)
        ctx.disable(ctx.DEPTH_TEST | ctx.CULL_FACE | ctx.BLEND)

    def _camera_block(self, camera: OrbitCamera, viewport: tuple[int, int, int, int]
                      ) -> tuple[np.ndarray, float, bytes]:
        """(view-projection, pixels per world unit at unit depth, the camera block's bytes) of a camera and
        viewport; the last ones again while the camera stays where it was (most frames of a tour)."""
        key = (np.asarray(camera.target, np.float64).tobytes(), camera.azimuth, camera.elevation,
               camera.distance, camera.fov_y, viewport)
        if self._camera[0] != key:
            x, y, w, h = viewport
            view_projection = camera.view_projection(w / max(h, 1))
            view_projection.setflags(write=False)
            projection_scale = 1.0 / math.tan(math.radians(camera.fov_y) / 2)
            params = np.array([projection_scale, MIN_BLOCK_PX, 0.0, 0.0], dtype=np.float32)
            eye = np.append(camera.eye, 1.0).astype(np.float32)
            vp = np.array([x, y, w, h], dtype=np.float32)
            block = view_projection.tobytes() + eye.tobytes() + vp.tobytes() + params.tobytes()
            self._camera = (key, (view_projection, projection_scale * h / 2, block))
        return self._camera[1]

    def release(self) -> None:
        """Free the GL objects of the blocks, the labels and the camera block."""
        self.ghosts.release()
        self.arrows.release()
        self.marks.release()
        self.blocks.release()
        self.labels.release()
        self.camera_ubo.release()
        self.layout = None

    @property
    def gl_thread_seconds(self) -> float:
        """CPU time this thread has spent in GL calls while rendering (software GL does its vertex work
        there): subtracted from a frame's CPU time, it leaves the Python work alone."""
        return (self.gl_seconds + self.blocks.driver_seconds + self.labels.driver_seconds
                + self.ghosts.driver_seconds + self.marks.driver_seconds + self.arrows.driver_seconds)


def read_pixels(fbo, viewport: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """(h, w, 3) uint8 RGB of a framebuffer, top row first (image order)."""
    x, y, w, h = viewport or (0, 0, *fbo.size)
    data = fbo.read(viewport=(x, y, w, h), components=3, alignment=1)
    return np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)[::-1].copy()
