"""The block passes' GL programs and vertex arrays: one program per pass (shaders/passes.glsl), the pass fixed
when compiled, and compiled with or without the page lookup of big blocks' cells (values.glsl, PAGES):
software GL runs every side of a branch, even one on a uniform, so a layout whose values are all resident
(nano, the tour) would pay the page table's fetch on every pixel (~1 ms of a close view's 15)."""

from __future__ import annotations

import numpy as np

from glviz.render.chunks import quad_indices
from glviz.render.palette import shader_defines
from glviz.render.texture_units import unit_defines
from glviz.resources import read_shader, with_define, with_defines

# Unit cube corners and the four side walls (the front face is drawn separately, see blocks.vert),
# wound counter-clockwise seen from outside. Each triangle's last corner (GL's provoking vertex, whose flat
# outputs the triangle takes) tells its wall's axis: x = y for the y walls (4; 3, 7), x != y for the x walls
# (2, 6; 5), so that blocks.vert shades a wall once a vertex.
CUBE_CORNERS = np.array([[x, y, z] for z in (0, 1) for y in (0, 1) for x in (0, 1)], dtype=np.float32)
WALL_INDICES = np.array([
    0, 1, 4, 1, 5, 4,  # -y
    2, 6, 3, 3, 6, 7,  # +y
    0, 4, 2, 2, 4, 6,  # -x
    1, 3, 5, 3, 7, 5,  # +x
], dtype=np.int32)


class BlockPrograms:
    """The programs of `passes`, each with its wall and front-face vertex arrays, compiled the first time its
    pass is drawn (`of(pass)`: a first frame draws few passes, and each program took ~2 ms of start-up to
    compile), and the uniforms every program keeps (`constants`, set on each as it is compiled)."""

    def __init__(self, ctx, passes: tuple[int, ...], constants: dict) -> None:
        self.ctx, self.passes, self.constants = ctx, passes, dict(constants)
        self.walls_buffers = (ctx.buffer(CUBE_CORNERS.tobytes()), ctx.buffer(WALL_INDICES.tobytes()))
        self._compiled: dict[int, list] = {}  # pass -> [program, walls vertex array, front vertex array]
        self._sources: tuple[str, str] | None = None
        self.front_ibo = None  # built per layout: the index buffer grows with the blocks
        self.paged: bool | None = None
        self.use(paged=False)

    def use(self, paged: bool) -> None:
        """Programs that look up pages (`paged`) or not: compiled again (as their passes are drawn) only when
        that changes."""
        if paged == self.paged:
            return
        self._release_programs()
        defines = {**shader_defines(), **unit_defines()}  # colours (render/palette.py), texture units
        vertex = with_defines(read_shader("blocks.vert"), defines)
        fragment = with_defines(with_define(read_shader("blocks.frag"), "PAGES", int(paged)), defines)
        self._sources = (vertex, fragment)
        self.paged = paged

    def of(self, which: int) -> tuple:
        """(program, walls vertex array, front vertex array or None) of pass `which`, compiled if needed."""
        if which not in self._compiled:
            vertex, fragment = self._sources
            program = self.ctx.program(vertex_shader=with_define(vertex, "PASS", which),
                                       fragment_shader=with_define(fragment, "PASS", which))
            program["Camera"].binding = 0
            if "Hover" in program:
                program["Hover"].binding = 1
            self._set(program, self.constants)
            vbo, ibo = self.walls_buffers
            walls = self.ctx.vertex_array(program, [(vbo, "3f", "in_corner")], index_buffer=ibo,
                                          index_element_size=4)
            self._compiled[which] = [program, walls, self._front_vao(program)]
        return tuple(self._compiled[which])

    @property
    def programs(self) -> list:
        """The programs compiled so far."""
        return [entry[0] for entry in self._compiled.values()]

    @property
    def front_vaos(self) -> list:
        """The front-face vertex arrays made so far (none before a layout)."""
        return [entry[2] for entry in self._compiled.values() if entry[2] is not None]

    def set_quads(self, count: int) -> None:
        """An index buffer of front faces for `count` instances (blocks and slabs)."""
        for vao in self.front_vaos:
            vao.release()
        if self.front_ibo is not None:
            self.front_ibo.release()
        self.front_ibo = self.ctx.buffer(quad_indices(count))
        for entry in self._compiled.values():
            entry[2] = self._front_vao(entry[0])

    def _front_vao(self, program):
        if self.front_ibo is None:
            return None
        return self.ctx.vertex_array(program, [], index_buffer=self.front_ibo, index_element_size=4)

    def uniforms(self, **values) -> None:
        """Set uniforms to the same value in every pass's program (where its compiler kept them), those
        compiled later included."""
        self.constants.update(values)
        for program in self.programs:
            self._set(program, values)

    @staticmethod
    def _set(program, values: dict) -> None:
        for name, value in values.items():
            if name in program:
                program[name].value = value

    def _release_programs(self) -> None:
        for entry in self._compiled.values():
            for obj in (entry[2], entry[1], entry[0]):
                if obj is not None:
                    obj.release()
        self._compiled = {}

    def release(self) -> None:
        """Free every GL object."""
        self._release_programs()
        for obj in (self.front_ibo, *self.walls_buffers):
            if obj is not None:
                obj.release()
        self.front_ibo = None
