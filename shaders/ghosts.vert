#version 330 core
// Ghost cells: copies of cells that fly between blocks (the tour's multiplications, additions, lookups).
// One indexed draw a group of ghosts, 4 vertices a ghost (ghost = gl_VertexID / 4, counted in its group:
// software GL shades big vertex batches far faster than 4-vertex instances); its place is computed here from
// the group's two lines of places and its progress, given as uniforms with its block's data, so the CPU
// uploads a few numbers per group, never one per ghost, and a vertex fetches nothing.

layout(std140) uniform Camera {
    mat4 u_view_proj;
    vec4 u_eye;
    vec4 u_viewport;
    vec4 u_params;
};

uniform vec4 u_group[6];   // (start.xyz, start size), (start step.xyz, end size), (end.xyz, progress),
                           // (end step.xyz, opacity), (block, row0, col0, count), (drow, dcol, rim bar, stagger)
uniform ivec4 u_info[4];   // its block's 4 texels of u_info (blocks.vert)
uniform float u_inv_scale; // its block's 1/value scale
#include "colors.glsl"

out vec2 v_local;             // 0..1 across the ghost
flat out ivec4 v_levels;      // where the block's values are (values.glsl)
flat out ivec4 v_run;         // how its values are laid out (values.glsl)
flat out vec3 v_kind_color;  // (looked up here: per pixel, a varying index into an array costs a gather)
flat out ivec4 v_where;       // rows, cols of the block; column, row of the cell
flat out vec3 v_look;         // 1/value scale, opacity, 1 in a bar of rims (ghost_plan.RimBar)

void main() {
    int ghost = gl_VertexID >> 2;
    vec2 in_corner = vec2(gl_VertexID & 1, (gl_VertexID >> 1) & 1);  // 0..1
    vec4 t0 = u_group[0], t1 = u_group[1], t2 = u_group[2], t3 = u_group[3], t4 = u_group[4], t5 = u_group[5];
    float i = float(ghost);
    float count = t4.w;
    // With a stagger, later ghosts leave later (frame.ghost_progress).
    float p = t2.w;
    if (t5.w > 0.0 && count > 1.0) {
        float delay = i / (count - 1.0) * t5.w / (1.0 + t5.w);
        p = clamp((p - delay) * (1.0 + t5.w), 0.0, 1.0);
    }
    vec3 a = t0.xyz + i * t1.xyz;
    vec3 b = t2.xyz + i * t3.xyz;
    vec3 centre = mix(a, b, p);
    float size = mix(t0.w, t1.w, p);

    int row = int(t4.y + i * t5.x), col = int(t4.z + i * t5.y);
    ivec4 info0 = u_info[0], info1 = u_info[1], info2 = u_info[2], info3 = u_info[3];
    float inv_scale = u_inv_scale;

    vec3 world = centre + vec3((in_corner - 0.5) * size, 0.0);
    gl_Position = u_view_proj * vec4(world, 1.0);
    v_local = in_corner;
    v_levels = ivec4(info1.x, info2.xyz);
    v_run = ivec4(info1.w, info2.w, info3.xy);
    v_kind_color = KIND_COLORS[info0.z];
    v_where = ivec4(info0.x, info0.y, col, row);
    v_look = vec3(inv_scale, t3.w, t5.z);
}
