#version 330 core
// Ghost cells: copies of cells that fly between blocks (the tour's multiplications, additions, lookups).
// One indexed draw for every ghost of every group, 4 vertices a ghost (ghost = gl_VertexID / 4: software GL
// shades big vertex batches far faster than 4-vertex instances); ghost i belongs to the last group whose
// first ghost is <= i (found by binary search); its place is computed here from the group's two lines of
// places and its progress, so the CPU uploads a few texels per group, never one per ghost.

layout(std140) uniform Camera {
    mat4 u_view_proj;
    vec4 u_eye;
    vec4 u_viewport;
    vec4 u_params;
};

uniform sampler2D u_groups;  // per group 6 texels: (start.xyz, start size), (start step.xyz, end size),
                             // (end.xyz, progress), (end step.xyz, opacity), (block, row0, col0, count),
                             // (drow, dcol, first instance, stagger)
uniform sampler2D u_box;     // the blocks' (min.xyz, 1/value scale), (size.xyz, mean) (blocks.vert)
uniform isampler2D u_info;   // the blocks' 4 texels (blocks.vert)
uniform int u_group_count;

#define GROUP_SEARCH_STEPS 8  // 2^8 = MAX_GROUPS (ghosts.py)

out vec2 v_local;             // 0..1 across the ghost
flat out ivec4 v_levels;      // where the block's values are (values.glsl)
flat out ivec4 v_run;         // how its values are laid out (values.glsl)
flat out int v_kind;
flat out ivec4 v_where;       // rows, cols of the block; column, row of the cell
flat out vec2 v_look;         // 1/value scale, opacity

ivec2 texel(int i) {
    return ivec2(i & 4095, i >> 12);
}

void main() {
    int ghost = gl_VertexID >> 2;
    vec2 in_corner = vec2(gl_VertexID & 1, (gl_VertexID >> 1) & 1);  // 0..1
    // The group: a binary search over the groups' first ghosts (ascending), a fixed 8 steps for up to 256
    // groups (MAX_GROUPS); a loop over every group made each vertex fetch a texel per group.
    int lo = 0, hi = u_group_count - 1;  // the group is in lo..hi, and the first ghost of group lo <= ghost
    for (int step = 0; step < GROUP_SEARCH_STEPS; ++step) {
        int mid = (lo + hi + 1) >> 1;
        bool after = texelFetch(u_groups, texel(6 * mid + 5), 0).z <= float(ghost);
        lo = after ? mid : lo;
        hi = after ? hi : mid - 1;
    }
    int g = lo;
    vec4 t0 = texelFetch(u_groups, texel(6 * g), 0);
    vec4 t1 = texelFetch(u_groups, texel(6 * g + 1), 0);
    vec4 t2 = texelFetch(u_groups, texel(6 * g + 2), 0);
    vec4 t3 = texelFetch(u_groups, texel(6 * g + 3), 0);
    vec4 t4 = texelFetch(u_groups, texel(6 * g + 4), 0);
    vec4 t5 = texelFetch(u_groups, texel(6 * g + 5), 0);
    float i = float(ghost) - t5.z;
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

    int block = int(t4.x);
    int row = int(t4.y + i * t5.x), col = int(t4.z + i * t5.y);
    ivec4 info0 = texelFetch(u_info, texel(4 * block), 0);
    ivec4 info1 = texelFetch(u_info, texel(4 * block + 1), 0);
    ivec4 info2 = texelFetch(u_info, texel(4 * block + 2), 0);
    ivec4 info3 = texelFetch(u_info, texel(4 * block + 3), 0);
    float inv_scale = texelFetch(u_box, texel(2 * block), 0).w;

    vec3 world = centre + vec3((in_corner - 0.5) * size, 0.0);
    gl_Position = u_view_proj * vec4(world, 1.0);
    v_local = in_corner;
    v_levels = ivec4(info1.x, info2.xyz);
    v_run = ivec4(info1.w, info2.w, info3.xy);
    v_kind = info0.z;
    v_where = ivec4(info0.x, info0.y, col, row);
    v_look = vec2(inv_scale, t3.w);
}
