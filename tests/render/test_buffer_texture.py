"""Buffer textures on a real EGL context: written at texel offsets, copied on the GPU, read back, and fetched
by a shader through a `layout(binding)` sampler (the values and page table every block pixel reads)."""

from __future__ import annotations

import numpy as np

from glviz.render.buffer_texture import BufferTexture, max_texels

FETCH = """#version 330 core
#extension GL_ARB_shading_language_420pack : require
layout(binding = 5) uniform isamplerBuffer u_table;
out vec4 f_color;
void main() {
    int v = texelFetch(u_table, int(gl_FragCoord.x)).r;
    f_color = vec4(float(v) / 255.0, 0.0, 0.0, 1.0);
}
"""
QUAD = """#version 330 core
in vec2 in_position;
void main() { gl_Position = vec4(in_position, 0.0, 1.0); }
"""


def test_writes_copies_and_reads_texels(gl_ctx):
    a = BufferTexture(gl_ctx, 64, "f4")
    a.write(np.arange(8, dtype=np.float32), at=10)
    b = BufferTexture(gl_ctx, 128, "f4")
    b.copy_from(a, 64)
    b.write(np.array([-1.5], np.float32), at=100)
    got = np.frombuffer(b.read(), np.float32)
    assert len(got) == 128
    np.testing.assert_array_equal(got[10:18], np.arange(8))
    assert got[100] == -1.5 and got[:10].tolist() == [0.0] * 10
    assert max_texels(gl_ctx) >= 1 << 16  # GL's minimum
    a.release()
    b.release()
    assert gl_ctx.error == "GL_NO_ERROR"


def test_a_shader_fetches_the_texels_on_its_bound_unit(gl_ctx):
    table = BufferTexture(gl_ctx, 16, "i4")
    table.write(np.arange(16, dtype=np.int32) * 10)
    program = gl_ctx.program(vertex_shader=QUAD, fragment_shader=FETCH)
    quad = gl_ctx.buffer(np.array([-1, -1, 1, -1, -1, 1, 1, 1], np.float32).tobytes())
    vao = gl_ctx.vertex_array(program, [(quad, "2f", "in_position")])
    fbo = gl_ctx.simple_framebuffer((16, 1))
    fbo.use()
    fbo.clear()
    table.use(5)
    vao.render(gl_ctx.TRIANGLE_STRIP)
    red = np.frombuffer(fbo.read(), np.uint8).reshape(16, 3)[:, 0]
    np.testing.assert_array_equal(red, np.arange(16) * 10)
    gl_ctx.detect_framebuffer(0).use()  # not the one released below (moderngl would bind it again)
    for thing in (vao, quad, program, fbo):
        thing.release()
    table.release()
    assert gl_ctx.error == "GL_NO_ERROR"
