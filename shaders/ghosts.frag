#version 330 core
#extension GL_ARB_shading_language_420pack : require  // values.glsl's samplers, bound by layout
// A ghost cell: the cell's kind colour with its value's disc, as the block draws it, with a thin dark rim so
// that it stands out from the blocks it flies over.

#include "colors.glsl"
#include "values.glsl"

in vec2 v_local;
flat in ivec4 v_levels;  // the block's values (values.glsl)
flat in ivec4 v_run;     // how they are laid out (values.glsl)
flat in vec3 v_kind_color;
flat in ivec4 v_where;   // rows, cols of the block; column, row of the cell
flat in vec3 v_look;  // 1/value scale, opacity, 1: the rim's colour all over (ghost_plan.RimBar)

out vec4 f_color;

void main() {
    vec3 kind_color = v_kind_color;
    vec3 color = mix(kind_color, vec3(1.0), 0.5);
    // Pixels across the ghost, per axis: one division, multiplications after it (software GL divides far
    // more slowly than it multiplies, and a smoothstep whose edges are not constants divides too).
    vec2 across = 1.0 / max(fwidth(v_local), vec2(1e-6));
    if (v_run.y > 0) {
        // A ghost is a cell seen close: its own value where present, else its tile's.
        float v = cell_value(v_levels, v_run, v_where.x, v_where.y, v_where.zw, 1e9);
        float d = length(v_local - 0.5);
        // smoothstep(0.40 - aa, 0.40 + aa, d) with aa = 0.75 pixels, written out.
        float t = clamp((d - 0.40) * min(across.x, across.y) * (1.0 / 1.5) + 0.5, 0.0, 1.0);
        float disc = 1.0 - t * t * (3.0 - 2.0 * t);
        if (!isinf(v) && !isnan(v)) color = mix(color, diverging(v * v_look.x), disc);
    }
    vec2 e = min(v_local, 1.0 - v_local) * across;  // pixels to the edge
    float rim = max(1.0 - smoothstep(0.6, 1.6, min(e.x, e.y)), v_look.z);
    color = mix(color, kind_color * 0.45, rim);
    f_color = vec4(color, v_look.y);
}
