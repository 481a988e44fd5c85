#version 330 core
#extension GL_ARB_shading_language_420pack : require  // u_state's unit, by layout
// Data-flow arrows: ribbon triangles tessellated once per layout. A vertex follows the blocks at its arrow's
// ends where the tour moved them (blended by its place along the arrow); the arrow's opacity comes from a
// small per-arrow texture.

layout(std140) uniform Camera {
    mat4 u_view_proj;
    vec4 u_eye;
    vec4 u_viewport;
    vec4 u_params;
};

uniform sampler2D u_opacity;  // per arrow: (opacity, kind: 0 values, 1 weights)
// The blocks' state (blocks.vert: a buffer texture, bound by layout): texel 3b + 1 holds block b's offset.
layout(binding = UNIT_STATE) uniform samplerBuffer u_state;

in vec3 in_position;
in float in_across;  // -1 .. 1 across the ribbon
in float in_arrow;
in float in_along;   // 0 .. 1 along the arrow
in float in_start;   // the blocks at the arrow's ends
in float in_end;

out float v_across;
flat out vec2 v_look;  // opacity, kind

ivec2 texel(int i) {
    return ivec2(i & 4095, i >> 12);
}

void main() {
    vec2 look = texelFetch(u_opacity, texel(int(in_arrow)), 0).rg;
    if (look.x < 0.01) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }
    vec3 a = texelFetch(u_state, 3 * int(in_start) + 1).xyz;
    vec3 b = texelFetch(u_state, 3 * int(in_end) + 1).xyz;
    gl_Position = u_view_proj * vec4(in_position + mix(a, b, in_along), 1.0);
    v_across = in_across;
    v_look = look;
}
