"""The texture unit of every sampler in glviz's shaders, in one table.

Samplers of buffer textures are bound by `layout(binding = UNIT_...)` in the shaders (moderngl cannot set a
samplerBuffer uniform), so the shaders are compiled with these numbers as #defines; 2-D samplers get theirs
as uniforms from here. One table keeps any two samplers that one draw reads off the same unit.
"""

from __future__ import annotations

# The blocks' per-id tables (blocks.vert; the labels and the arrows read the state and the boxes too).
ORDER, BOX, INFO, STATE = 0, 1, 2, 3
# The values and the page table of big blocks (values.glsl: blocks.frag, ghosts.frag).
VALUES, PAGES = 4, 5
# The labels (text.vert, text.frag).
GLYPHS, LABELS, ATLAS, INK = 6, 7, 8, 9
# The arrows (arrows.vert).
OPACITY = 10

UNITS = {"ORDER": ORDER, "BOX": BOX, "INFO": INFO, "STATE": STATE, "VALUES": VALUES, "PAGES": PAGES,
         "GLYPHS": GLYPHS, "LABELS": LABELS, "ATLAS": ATLAS, "INK": INK, "OPACITY": OPACITY}


def unit_defines() -> dict[str, int]:
    """GLSL #defines UNIT_<NAME> -> unit, for resources.with_defines."""
    return {f"UNIT_{name}": unit for name, unit in UNITS.items()}
