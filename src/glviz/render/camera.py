"""Orbit camera: a target, an azimuth, an elevation and a distance; matrices, picking rays and fly-to.

No GL here: the camera is plain numpy/pyrr so that it can be unit-tested and shared by the app, headless
rendering and picking. Convention: world y is up, the model's blocks face +z, azimuth 0 looks from +z towards
-z; matrices use pyrr's layout (row vectors: clip = [x, y, z, 1] @ view @ projection), which is what GLSL's
column-major `mat4 * vec4` expects when the bytes are uploaded as they are; they are written out with
numpy rather than built by pyrr because they are made every frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from glviz.layout.framing import (
    OVERVIEW_AZIMUTH,
    OVERVIEW_ELEVATION,
    card_corners,
    first_heads_bottom,
    input_box,
    model_top,
    network_bounds,
    overview_box,
    slice_box,
)

ELEVATION_LIMIT = 87.0  # degrees; at ±90 the view's up vector would flip
FOV_Y = 45.0  # degrees
DEFAULT_ASPECT = 16 / 9  # used to frame poses before the viewport is known
MIN_DISTANCE = 0.5


@dataclass(frozen=True)
class Pose:
    """Where an orbit camera looks from: target point, angles in degrees, distance in world units."""

    target: tuple[float, float, float]
    azimuth: float = 0.0
    elevation: float = 0.0
    distance: float = 10.0


def travel_pose(a: Pose, b: Pose, t: float) -> Pose:
    """Pose between a and b as interpolate_pose, but a far move (the targets farther apart than the smaller
    view is wide) follows van Wijk and Nuij's smooth zoom-and-pan path: the camera backs off, moves, and
    closes in, so that where it goes and where it came from stay in sight, not the empty space between."""
    ta, tb = np.asarray(a.target, dtype=np.float64), np.asarray(b.target, dtype=np.float64)
    gap = float(np.linalg.norm(tb - ta))
    pose = interpolate_pose(a, b, t)
    w0, w1 = a.distance, b.distance  # the views' widths are proportional to the distances
    if gap <= 0.5 * min(w0, w1):  # both ends in sight all the way: the plain path
        return pose
    rho = 1.4  # how much the path prefers zooming out to panning (their paper's best value)
    r2 = rho * rho
    b0 = (w1 * w1 - w0 * w0 + r2 * r2 * gap * gap) / (2.0 * w0 * r2 * gap)
    b1 = (w1 * w1 - w0 * w0 - r2 * r2 * gap * gap) / (2.0 * w1 * r2 * gap)
    r0, r1 = math.asinh(-b0), math.asinh(-b1)  # ln(-b + sqrt(b² + 1)) = asinh(-b)
    s = t * (r1 - r0) / rho
    along = w0 / r2 * (math.cosh(r0) * math.tanh(rho * s + r0) - math.sinh(r0))  # 0 .. gap
    width = w0 * math.cosh(r0) / math.cosh(rho * s + r0)
    target = ta + (tb - ta) * min(max(along / gap, 0.0), 1.0)
    return Pose(tuple(float(v) for v in target), pose.azimuth, pose.elevation, max(width, MIN_DISTANCE))


def _smoothstep(t: float) -> float:
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def interpolate_pose(a: Pose, b: Pose, t: float) -> Pose:
    """Pose between a and b: target linear, angles the short way round, distance geometric."""
    ta, tb = np.asarray(a.target, dtype=np.float64), np.asarray(b.target, dtype=np.float64)
    daz = (b.azimuth - a.azimuth + 180.0) % 360.0 - 180.0
    distance = math.exp(math.log(a.distance) * (1 - t) + math.log(b.distance) * t)
    return Pose(tuple(float(v) for v in ta + (tb - ta) * t), a.azimuth + daz * t,
                a.elevation + (b.elevation - a.elevation) * t, distance)


def held_pose(pose: Pose) -> Pose:
    """`pose` as an OrbitCamera holds it (azimuth in [0, 360), elevation and distance within their limits):
    two poses that put a camera in the same place are then equal."""
    return Pose(tuple(float(v) for v in pose.target), float(pose.azimuth) % 360.0,
                float(np.clip(pose.elevation, -ELEVATION_LIMIT, ELEVATION_LIMIT)),
                max(float(pose.distance), MIN_DISTANCE))


class OrbitCamera:
    """Orbit camera with pan, rotate, zoom toward a point and smooth fly-to between poses."""

    def __init__(self, pose: Pose | None = None, fov_y: float = FOV_Y) -> None:
        self.fov_y = fov_y
        self.target = np.zeros(3, dtype=np.float64)
        self.azimuth = 0.0
        self.elevation = 0.0
        self.distance = 10.0
        self._flight: tuple[Pose, Pose, float, float] | None = None  # start, end, elapsed, duration
        self.set_pose(pose or Pose((0.0, 0.0, 0.0)))

    # --- pose -----------------------------------------------------------------------------------------------
    @property
    def pose(self) -> Pose:
        """The current pose."""
        return Pose(tuple(float(v) for v in self.target), self.azimuth, self.elevation, self.distance)

    def set_pose(self, pose: Pose) -> None:
        """Jump to `pose` (cancels a flight)."""
        self._flight = None
        pose = held_pose(pose)
        self.target = np.asarray(pose.target, dtype=np.float64)
        self.azimuth, self.elevation, self.distance = pose.azimuth, pose.elevation, pose.distance

    @property
    def destination(self) -> Pose:
        """Where the camera ends up unless moved: a flight's end, else where it is (as `pose` gives it)."""
        return held_pose(self._flight[1]) if self._flight is not None else self.pose

    def fly_to(self, pose: Pose, duration: float = 0.8) -> None:
        """Move smoothly to `pose` over `duration` seconds, advanced by `update(dt)`."""
        if duration <= 0:
            self.set_pose(pose)
            return
        self._flight = (self.pose, pose, 0.0, float(duration))

    def retarget(self, pose: Pose) -> None:
        """Keep a flight going but end it at `pose` (a moving destination, as the tour's camera is)."""
        if self._flight is None:
            self.set_pose(pose)
            return
        start, _, elapsed, duration = self._flight
        self._flight = (start, pose, elapsed, duration)

    @property
    def animating(self) -> bool:
        """True during a fly-to."""
        return self._flight is not None

    def update(self, dt: float) -> bool:
        """Advance a flight by `dt` seconds; True while still animating."""
        if self._flight is None:
            return False
        start, end, elapsed, duration = self._flight
        elapsed += dt
        if elapsed >= duration:
            self.set_pose(end)  # land exactly, and clear the flight
            return False
        self.set_pose(interpolate_pose(start, end, _smoothstep(elapsed / duration)))  # clears the flight
        self._flight = (start, end, elapsed, duration)
        return True

    # --- interaction ----------------------------------------------------------------------------------------
    def rotate(self, d_azimuth: float, d_elevation: float) -> None:
        """Orbit around the target by degrees; elevation stays within ±87°."""
        self._flight = None
        self.azimuth = (self.azimuth + d_azimuth) % 360.0
        self.elevation = float(np.clip(self.elevation + d_elevation, -ELEVATION_LIMIT, ELEVATION_LIMIT))

    def world_per_pixel(self, viewport_height: float) -> float:
        """World units one pixel spans at the target's distance."""
        return 2.0 * self.distance * math.tan(math.radians(self.fov_y) / 2) / max(viewport_height, 1.0)

    def pan(self, dx_px: float, dy_px: float, viewport_height: float) -> None:
        """Drag the scene by pixels (x right, y down, as mouse coordinates)."""
        self._flight = None
        scale = self.world_per_pixel(viewport_height)
        right, up, _ = self.basis()
        self.target = self.target - right * dx_px * scale + up * dy_px * scale

    def zoom(self, factor: float, point: np.ndarray | None = None) -> None:
        """Scale the distance by `factor` (<1 zooms in); with `point`, that world point stays put."""
        self._flight = None
        new_distance = max(self.distance * factor, MIN_DISTANCE)
        factor = new_distance / self.distance
        if point is not None:
            point = np.asarray(point, dtype=np.float64)
            self.target = point + (self.target - point) * factor
        self.distance = new_distance

    # --- matrices -------------------------------------------------------------------------------------------
    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(right, up, forward) unit vectors of the view in world space (closed forms of the cross products
        forward x y and right x forward; |elevation| < 90° keeps them well defined)."""
        az, el = math.radians(self.azimuth), math.radians(self.elevation)
        sa, ca, se, ce = math.sin(az), math.cos(az), math.sin(el), math.cos(el)
        forward = np.array([-ce * sa, -se, -ce * ca])
        right = np.array([ca, 0.0, -sa])
        up = np.array([-se * sa, ce, -se * ca])
        return right, up, forward

    def _offset_direction(self) -> np.ndarray:
        az, el = math.radians(self.azimuth), math.radians(self.elevation)
        return np.array([math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)])

    @property
    def eye(self) -> np.ndarray:
        """World position of the camera."""
        return self.target + self._offset_direction() * self.distance

    @property
    def near_far(self) -> tuple[float, float]:
        """(near, far) clip distances."""
        # Tied to the distance so that depth precision follows the zoom level.
        return self.distance * 0.01, self.distance * 400.0

    def view_matrix(self) -> np.ndarray:
        """(4, 4) float32 world → eye (pyrr's look-at layout, written out: it runs every frame)."""
        right, up, forward = self.basis()
        eye = self.eye
        view = np.identity(4)
        view[:3, 0], view[:3, 1], view[:3, 2] = right, up, -forward
        view[3, :3] = -eye @ view[:3, :3]
        return view.astype(np.float32)

    def projection_matrix(self, aspect: float) -> np.ndarray:
        """(4, 4) float32 eye → clip for a viewport of width/height `aspect`."""
        near, far = self.near_far
        f = 1.0 / math.tan(math.radians(self.fov_y) / 2)
        projection = np.zeros((4, 4))
        projection[0, 0], projection[1, 1] = f / aspect, f
        projection[2, 2], projection[2, 3] = (far + near) / (near - far), -1.0
        projection[3, 2] = 2.0 * far * near / (near - far)
        return projection.astype(np.float32)

    def view_projection(self, aspect: float) -> np.ndarray:
        """(4, 4) float32 world → clip."""
        return (self.view_matrix().astype(np.float64) @ self.projection_matrix(aspect)).astype(np.float32)

    def ray(self, px: float, py: float, viewport) -> tuple[np.ndarray, np.ndarray]:
        """World-space (origin, unit direction) through pixel (px, py).

        `viewport` is (width, height) or (x, y, width, height), in the same coordinates as px, py
        (mouse convention: origin at the top-left, y down).
        """
        x0, y0, w, h = (0.0, 0.0, *viewport) if len(viewport) == 2 else viewport
        ndc_x = 2.0 * (px - x0) / w - 1.0
        ndc_y = 1.0 - 2.0 * (py - y0) / h
        tan_half = math.tan(math.radians(self.fov_y) / 2)
        right, up, forward = self.basis()
        direction = forward + right * ndc_x * tan_half * (w / h) + up * ndc_y * tan_half
        return self.eye.copy(), direction / np.linalg.norm(direction)


def ndc(view_projection: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(k, 2) float64 normalised device x, y of world points (k, 3) under `view_projection` (NaN for a point
    behind the camera)."""
    points = np.asarray(points, dtype=np.float64)
    clip = np.hstack([points, np.ones((len(points), 1))]) @ np.asarray(view_projection, dtype=np.float64)
    w = clip[:, 3:4]
    return clip[:, :2] / np.where(w > 0.0, w, np.nan)


# --- poses for a layout -------------------------------------------------------------------------------------
def _box_corners(lo, hi) -> np.ndarray:
    """(8, 3) float64 corners of the box lo..hi."""
    return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])],
                    dtype=np.float64)


def fit_pose(lo, hi, azimuth: float = 0.0, elevation: float = 0.0, margin: float = 1.1,
             aspect: float = DEFAULT_ASPECT, fov_y: float = FOV_Y) -> Pose:
    """A pose looking at the box lo..hi from the given angles, close enough that all of it (perspective
    included) fits a viewport of `aspect` with `margin` to spare, and centred in it."""
    return fit_points(_box_corners(lo, hi), azimuth, elevation, margin, aspect, fov_y)


def fit_points(points: np.ndarray, azimuth: float = 0.0, elevation: float = 0.0, margin: float = 1.1,
               aspect: float = DEFAULT_ASPECT, fov_y: float = FOV_Y) -> Pose:
    """As fit_pose, for world points (N, 3) (corners of several boxes)."""
    corners = np.asarray(points, dtype=np.float64)
    centre = (corners.min(axis=0) + corners.max(axis=0)) / 2
    probe = OrbitCamera(Pose(tuple(centre), azimuth, elevation, 1.0), fov_y)
    right, up, forward = probe.basis()
    rel = corners - centre  # (N, 3)
    cot = 1.0 / math.tan(math.radians(fov_y) / 2)
    # A corner at depth distance + rel.forward fits when |rel.right| * cot / aspect <= depth / margin.
    need_x = margin * np.abs(rel @ right) * cot / aspect - rel @ forward
    need_y = margin * np.abs(rel @ up) * cot - rel @ forward
    distance = max(float(need_x.max()), float(need_y.max()), MIN_DISTANCE)
    return _centred(Pose(tuple(float(v) for v in centre), azimuth, elevation, distance), corners, margin,
                    aspect, fov_y)


CENTRED_TOLERANCE = 1e-6  # in normalised device coordinates (a pixel of a 2000-pixel view is 1e-3)


def _centred(pose: Pose, corners: np.ndarray, margin: float, aspect: float, fov_y: float) -> Pose:
    """`pose` moved and brought closer so that the projection of `corners` (N, 3) is centred in the view
    and fills it with `margin` to spare: seen at an angle, the near end of a wide box looks larger than the
    far end, and centring the box's middle would leave the far side of the view empty."""
    cot = 1.0 / math.tan(math.radians(fov_y) / 2)
    right, up, forward = OrbitCamera(pose, fov_y).basis()  # the angles stay: so does the basis
    target, distance = np.asarray(pose.target, dtype=np.float64), max(float(pose.distance), MIN_DISTANCE)
    for _ in range(12):
        rel = corners - target  # (N, 3)
        z = rel @ forward  # (N,) depth beyond the target: the eye is `distance` before it
        if (z + distance <= 0).any():
            break
        u, v = rel @ right, rel @ up  # (N,) each: across the view, from the target
        x, y = u / (z + distance) * (cot / aspect), v / (z + distance) * cot  # (N,) each: normalised device
        mid = max(abs(x.max() + x.min()), abs(y.max() + y.min())) / 2
        half = max(x.max() - x.min(), y.max() - y.min()) / 2
        if mid < CENTRED_TOLERANCE and abs(half * margin - 1.0) < CENTRED_TOLERANCE:
            break  # centred and filling to a millionth of the view: more rounds would not move a pixel
        # Sliding the target across the view or along it leaves z as it is, so for the outermost points the
        # distance that fits them and the shift that centres them are exact; a round more checks that no
        # other point has become the outermost.
        ends_x, ends_y = (int(x.argmax()), int(x.argmin())), (int(y.argmax()), int(y.argmin()))
        distance = max(_fitting_distance(u, z, ends_x, margin * cot / aspect),
                       _fitting_distance(v, z, ends_y, margin * cot), MIN_DISTANCE)
        depth = z + distance
        if (depth <= 0).any():
            break
        target = target + right * _centring_shift(u, depth, ends_x) + up * _centring_shift(v, depth, ends_y)
    return Pose(tuple(float(c) for c in target), pose.azimuth, pose.elevation, distance)


def _fitting_distance(across: np.ndarray, z: np.ndarray, ends: tuple[int, int], scale: float) -> float:
    """The distance at which points `ends` (the outermost on one screen axis: its largest and smallest)
    span the view (`scale` * across / depth = +-1 at depth z + distance, centred): the sum of the two
    conditions, solved for the distance."""
    hi, lo = ends
    return float((scale * (across[hi] - across[lo]) - z[hi] - z[lo]) / 2)


def _centring_shift(across: np.ndarray, depth: np.ndarray, ends: tuple[int, int]) -> float:
    """The move of the target along one screen axis that puts points `ends` symmetric about the middle:
    (a_hi - s) / d_hi = -(a_lo - s) / d_lo, solved for s."""
    hi, lo = ends
    return float((across[hi] / depth[hi] + across[lo] / depth[lo]) / (1.0 / depth[hi] + 1.0 / depth[lo]))


def overview_pose(layout, aspect: float = DEFAULT_ASPECT) -> Pose:
    """The model seen a little from the left and above, as in LLM Visualization: its card and top part
    (`overview_box`) filling the viewport, so that the blocks' cells stay big enough to see."""
    lo, hi = overview_box(layout, aspect)
    card = card_corners(layout)
    floor = first_heads_bottom(layout)
    fit = dict(azimuth=OVERVIEW_AZIMUTH, elevation=OVERVIEW_ELEVATION, margin=1.04, aspect=aspect)
    points = np.concatenate([_box_corners(lo, hi), card])
    pose = fit_points(points, **fit)
    for _ in range(4):
        # Seen at an angle, a wide model's near end looks taller than its middle: when the height then
        # limits the view and the sides stay empty, show less of the model's height so that its width fills.
        span_x, span_y = np.ptp(ndc(OrbitCamera(pose).view_projection(aspect), points), axis=0)
        if span_x > 0.97 * span_y or lo[1] >= floor:
            break
        top = float(points[:, 1].max())
        lo, hi = slice_box(layout, min(floor, top - (top - lo[1]) * span_x / span_y))
        points = np.concatenate([_box_corners(lo, hi), card])
        pose = fit_points(points, **fit)
    return pose


def whole_pose(layout, aspect: float = DEFAULT_ASPECT) -> Pose:
    """The whole model, as overview_pose sees it (a little from the left and above): every block, the
    vocabulary-wide ones and the output included, its section labels and its card, fitted to the viewport."""
    lo, hi = layout.bounds
    lo, hi = np.array(lo, dtype=np.float64), np.array(hi, dtype=np.float64)
    lo[1] = min(lo[1], min((float(s.position[1]) for s in layout.sections), default=lo[1]))
    lo[0] = min(lo[0], min((float(s.position[0]) for s in layout.sections), default=lo[0]))
    hi[1] = max(hi[1], model_top(layout))
    points = np.concatenate([_box_corners(lo, hi), card_corners(layout)])
    return fit_points(points, azimuth=OVERVIEW_AZIMUTH, elevation=OVERVIEW_ELEVATION, margin=1.04,
                      aspect=aspect)


def input_pose(layout, aspect: float = DEFAULT_ASPECT) -> Pose:
    """The input: token indices, embedding tables and the input embedding at the top of the model (a table
    wider than the view has room for is shown by its near part: layout.framing.input_box)."""
    lo, hi = input_box(layout, aspect)
    return fit_pose(lo, hi, azimuth=-12.0, elevation=8.0, margin=1.15, aspect=aspect)


def block_pose(layout, block_index: int, aspect: float = DEFAULT_ASPECT,
               boxes: tuple[np.ndarray, np.ndarray] | None = None) -> Pose:
    """One block filling most of the view, seen from the front; `boxes` (mins, maxs) where blocks have moved
    to (SceneState.boxes)."""
    mins, maxs = boxes if boxes is not None else (layout.mins, layout.maxs)
    return fit_pose(mins[block_index], maxs[block_index], azimuth=-8.0, elevation=5.0, margin=1.3,
                    aspect=aspect)


__all__ = ["OrbitCamera", "Pose", "fit_pose", "fit_points", "interpolate_pose", "overview_pose", "whole_pose",
           "input_pose", "block_pose", "network_bounds"]
