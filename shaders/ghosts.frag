#version 330 core
// A ghost cell: the cell's kind colour with its value's disc, as the block draws it, with a thin dark rim so
// that it stands out from the blocks it flies over.

#include "colors.glsl"

uniform sampler2D u_values;  // the blocks' value atlas (blocks.frag)

in vec2 v_local;
flat in ivec4 v_cell;
flat in vec2 v_look;

out vec4 f_color;

void main() {
    vec3 kind_color = u_kind_color[v_cell.x];
    vec3 color = mix(kind_color, vec3(1.0), 0.5);
    vec2 fw = max(fwidth(v_local), vec2(1e-6));
    if (v_cell.y >= 0) {
        int i = v_cell.y + v_cell.z;
        float v = texelFetch(u_values, ivec2(i & 4095, i >> 12), 0).r;
        float d = length(v_local - 0.5);
        float aa = 0.75 * max(fw.x, fw.y);
        float disc = 1.0 - smoothstep(0.40 - aa, 0.40 + aa, d);
        if (!isinf(v) && !isnan(v)) color = mix(color, diverging(v * v_look.x), disc);
    }
    vec2 e = min(v_local, 1.0 - v_local) / fw;  // pixels to the edge
    float rim = 1.0 - smoothstep(0.6, 1.6, min(e.x, e.y));
    color = mix(color, kind_color * 0.45, rim);
    f_color = vec4(color, v_look.y);
}
