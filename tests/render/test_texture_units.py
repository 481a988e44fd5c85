"""Every sampler's texture unit comes from one table (render/texture_units.py), and no two share one."""

from __future__ import annotations

import re

from glviz.render import texture_units
from glviz.resources import read_shader

SHADERS = ("blocks.vert", "blocks.frag", "ghosts.vert", "ghosts.frag", "text.vert", "text.frag",
           "arrows.vert", "arrows.frag", "values.glsl")


def test_no_two_samplers_share_a_unit():
    units = list(texture_units.UNITS.values())
    assert len(set(units)) == len(units)
    assert all(0 <= unit < 16 for unit in units)  # GL guarantees 16 units a shader stage


def test_shaders_bind_their_samplers_by_the_tables_names_only():
    used = set()
    for name in SHADERS:
        source = read_shader(name)
        bindings = re.findall(r"layout\s*\(\s*binding\s*=\s*(\w+)\s*\)", source)
        assert all(not b.isdigit() for b in bindings), (name, bindings)  # no literal unit numbers
        used.update(bindings)
    assert used, "the buffer textures are bound by layout"
    assert used <= set(texture_units.unit_defines()), used - set(texture_units.unit_defines())
