"""The scene's colours: the constants the panel's legend and the tests read, and the same values as the
GLSL #defines the block and ghost shaders are compiled with.

Compiled in, not passed as uniforms: software GL cannot fold a uniform into the code, loads it again for
every pixel, and a select between two elements of a uniform array became a gather. Made constants, the
colours and factors of blocks.frag took 2-3.4 ms off the tour's closest frames (18 - 22 ms, paired).
"""

from __future__ import annotations

BACKGROUND = (0.955, 0.957, 0.962, 1.0)  # the 3D view's clear colour, which faded blocks fade towards
KIND_COLORS = {0: (0.30, 0.47, 0.85), 1: (0.30, 0.66, 0.38), 2: (0.93, 0.73, 0.15)}  # by Kind
VALUE_NEGATIVE = (0.70, 0.30, 0.02)  # value -scale: orange
VALUE_ZERO = (0.94, 0.94, 0.94)  # value 0: light grey
VALUE_POSITIVE = (0.33, 0.17, 0.55)  # value +scale: purple
VALUE_COLORS = (VALUE_NEGATIVE, VALUE_ZERO, VALUE_POSITIVE)  # the diverging map's -scale, 0, +scale (legend)
# Hover and highlight marks: cyan, on neither side of the value map nor a kind colour.
HIGHLIGHT_ACCENT = (0.00, 0.82, 0.95)  # hovered/highlighted block frame, dependency ranges (40% wash)
HOVER_RING = (0.00, 0.30, 0.40)  # the hovered cell's ring, and the cell being computed
HIGHLIGHT_LIGHTEN = 0.12  # a hovered/highlighted block's cells are mixed this much with white
DEPENDENCY_WASH = 0.40  # dependency cells are mixed this much with HIGHLIGHT_ACCENT
GLOW_COLOR = (1.00, 0.80, 0.25)  # the tour's focus glow: warm, apart from the cyan of hover


def _vec3(rgb) -> str:
    return "vec3({:.6f}, {:.6f}, {:.6f})".format(*rgb[:3])


def shader_defines() -> dict[str, str]:
    """GLSL macro name -> literal, for resources.with_defines (names as the shaders use them)."""
    return {
        **{f"KIND_COLOR_{kind}": _vec3(rgb) for kind, rgb in KIND_COLORS.items()},
        "VALUE_NEGATIVE": _vec3(VALUE_NEGATIVE), "VALUE_ZERO": _vec3(VALUE_ZERO),
        "VALUE_POSITIVE": _vec3(VALUE_POSITIVE),
        "ACCENT": _vec3(HIGHLIGHT_ACCENT), "HOVER_RING": _vec3(HOVER_RING), "GLOW_COLOR": _vec3(GLOW_COLOR),
        "LIGHTEN": f"{HIGHLIGHT_LIGHTEN:.6f}", "WASH": f"{DEPENDENCY_WASH:.6f}",
        "BACKGROUND": _vec3(BACKGROUND),
    }
