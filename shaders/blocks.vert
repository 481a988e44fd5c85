#version 330 core
#extension GL_ARB_shading_language_420pack : require  // the buffer textures' units, by layout
// A block is a unit cube scaled to its box, drawn in two batches:
//  u_walls == 0: the front face of every block as one indexed, non-instanced draw (4 vertices per block,
//                instance = gl_VertexID / 4): software GL shades vertices far faster in big batches than in
//                4-vertex instances, and from afar the front face is all that shows.
//  u_walls == 1: the four side walls, instanced (instance = gl_InstanceID + u_first), only for the chunks
//                where a block's thickness covers a pixel.
// and in eight passes (passes.glsl, one program each): opaque blocks with nothing to decorate but a
// highlight; opaque blocks lit by ranges, partly computed by the tour, or both; the hovered block (the
// five opaque programs each collapse the others' blocks); faded blocks, flat and blended; translucent
// blocks, blended; the glow around focused blocks, blended. Per-block data is fetched from buffer textures
// (render/buffer_texture.py: software GL fetches from them at about half a 2-D texture's cost) by block
// number (the instance's id in u_order), on the units of render/texture_units.py, compiled in as UNIT_*
// (moderngl cannot set their uniforms).

layout(std140) uniform Camera {
    mat4 u_view_proj;
    vec4 u_eye;       // xyz: camera position
    vec4 u_viewport;  // x, y, width, height in pixels
    vec4 u_params;    // x: projection scale cot(fov/2), y: smallest block drawn (pixels)
};

// Per instance: the id it draws (a block, or N + s for the slab of stack s).
layout(binding = UNIT_ORDER) uniform isamplerBuffer u_order;
// Per id 2 texels: (min.xyz, 1/value scale), (size.xyz, mean value / scale).
layout(binding = UNIT_BOX) uniform samplerBuffer u_box;
// Per id 4 texels: (rows, cols, kind, block whose state it follows), (offset of every cell or -1, level of
// detail, a slab's member size, order), (offset of the tiles, of the big tiles, of the page table, lines
// filled), (blocks interleaved with it, its place among them, a slab's member thickness, 0): values.glsl.
layout(binding = UNIT_INFO) uniform isamplerBuffer u_info;
// Per block 3 texels: (highlight, opacity, scale, cell order), (offset.xyz, cell being computed or -1),
// (first, end of the cells computed).
layout(binding = UNIT_STATE) uniform samplerBuffer u_state;
uniform int u_first;          // walls: instance number of this draw's first instance
uniform int u_walls;
const float FADED_BELOW = 0.5;  // blocks fainter than this are drawn flat, by the faded program
#include "passes.glsl"
// KIND_COLORS; ACCENT and GLOW_COLOR are #defines (render/palette.py).
#include "colors.glsl"
uniform float u_stack_px;     // per-head blocks smaller than this give way to their stack's slab
uniform float u_stack_thin_px;  // and so do those thinner than this
uniform float u_hidden_below; // blocks fainter than this are not drawn (scene.HIDDEN_BELOW: nor picked)
uniform float u_opaque_from;  // blocks at least this opaque are drawn in the opaque pass
uniform float u_glow_px;      // reach of the glow around a focused block

layout(std140) uniform Hover {  // blocks.frag: the hovered cell and the ranges lit
    ivec4 u_hover;
    ivec4 u_counts;
    ivec4 u_range_rc[16];
    ivec4 u_range_block[4];
};

in vec3 in_corner;  // walls: unit cube corner, 0..1

out vec3 v_local;             // position inside the block, 0..1 per axis (beyond it: the glow's margin)
flat out ivec4 v_shape;       // rows, cols, kind, block
flat out ivec4 v_levels;      // where the values are (values.glsl): every cell, tiles, big tiles, pages
flat out ivec4 v_run;         // storage order, lines filled (0: no values), blocks interleaved, place
flat out vec4 v_size;         // size.xyz as drawn, 1/value scale
flat out vec3 v_state;        // highlight, opacity, mean value / scale
flat out vec4 v_reveal;       // first, end of the cells computed, the cell being computed, cell order
flat out vec3 v_kind_color;   // (looked up here: per pixel, an indexed uniform costs a gather)
flat out ivec2 v_ranges;      // the lit ranges (Hover) of this block: first index, how many
flat out ivec4 v_range0;      // its first two ranges (row0, row1, col0, col1): the decorated program's
flat out ivec4 v_range1;
flat out vec4 v_edge;         // the block edge's colour and width in pixels: wider, and cyan or warm,
                              // as the block is hovered or highlighted
flat out vec3 v_side;         // a side wall's colour: the kind colour shaded as the wall faces x or y
#if PASS == PASS_FADED
flat out vec3 v_faded;        // a faded block's face colour (worked out here, once a vertex: software GL
                              // would work it out for every pixel of its blended layers)
#endif

// The ranges lit in `block`: the first index and how many (render/blocks.py sorts the ranges by block, so a
// block's are consecutive). Worked out once a vertex so that a pixel visits only its own block's ranges: a
// loop over every range lit made the tour's frames with several lit columns 12 ms slower on software GL.
ivec2 ranges_of(int block) {
    ivec2 r = ivec2(0, 0);
    for (int i = 0; i < u_hover.w + u_counts.x; ++i) {
        if (u_range_block[i >> 2][i & 3] == block) r = ivec2(r.y == 0 ? i : r.x, r.y + 1);
    }
    return r;
}

// Whether the tour has computed none of the block's cells yet (and is not computing one): it shows the
// kind colour only, as the plain program draws a block without values.
bool none_computed(vec4 s1, vec4 s2) {
    return s2.y <= s2.x && s1.w < 0.0;
}

// Whether the tour has computed part of the block (or is computing one of its cells): the reveal's work.
// (A highlight alone is drawn by the plain program, and so is a block with no cell computed yet.)
bool partly_computed(vec4 s1, vec4 s2, float cells) {
    return !none_computed(s1, s2) && (s1.w >= 0.0 || s2.x > 0.0 || s2.y < cells);
}

void collapse() {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);  // outside the clip volume: the rasteriser never sees it
}

void main() {
    int inst;
    vec3 corner;
    if (u_walls == 0) {
        inst = gl_VertexID >> 2;
        corner = vec3(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1), 1.0);
    } else {
        inst = gl_InstanceID + u_first;
        corner = in_corner;
    }
    int id = texelFetch(u_order, inst).r;
    vec4 f0 = texelFetch(u_box, 2 * id);
    vec4 f1 = texelFetch(u_box, 2 * id + 1);
    ivec4 i0 = texelFetch(u_info, 4 * id);
    ivec4 i1 = texelFetch(u_info, 4 * id + 1);
    ivec4 i2 = texelFetch(u_info, 4 * id + 2);
    ivec4 i3 = texelFetch(u_info, 4 * id + 3);
    vec4 s0 = texelFetch(u_state, 3 * i0.w);
    vec4 s1 = texelFetch(u_state, 3 * i0.w + 1);
    vec4 s2 = texelFetch(u_state, 3 * i0.w + 2);
    float highlight = s0.x, opacity = s0.y, scale = s0.z;
    bool moved = scale != 1.0 || any(notEqual(s1.xyz, vec3(0.0)));

    // Where the tour has moved the block: offset, and scaled about its centre.
    vec3 size = f1.xyz * scale;
    vec3 lo = f0.xyz + s1.xyz + 0.5 * f1.xyz * (1.0 - scale);

    // Blocks smaller than a pixel, fully faded, or not in this pass are collapsed.
    vec4 centre = u_view_proj * vec4(lo + 0.5 * size, 1.0);
    float px_per_unit = u_params.x * 0.5 * u_viewport.w / max(centre.w, 1e-6);
    float extent_px = max(size.x, size.y) * px_per_unit;
    bool hidden = centre.w > 0.0 && extent_px < u_params.y;
    // Level of detail for head stacks: members vanish below u_stack_px, their slab appears instead; a member
    // the tour has moved out of its stack stays.
    if (i1.y == 1 && !moved) {
        float thin_px = min(size.x, size.y) * px_per_unit;
        hidden = hidden || (centre.w > 0.0 && (extent_px < u_stack_px || thin_px < u_stack_thin_px));
    }
    if (i1.y == 2) {
        // Its members' size and thickness (float bits).
        vec2 member_px = intBitsToFloat(ivec2(i1.z, i3.z)) * scale * px_per_unit;
        hidden = hidden || centre.w <= 0.0 || (member_px.x >= u_stack_px && member_px.y >= u_stack_thin_px);
    }
    // Walls thinner than half a pixel would only cost rasteriser time.
    if (u_walls == 1 && i1.y != 2) hidden = hidden || (centre.w > 0.0 && size.z * px_per_unit < 0.5);
    ivec2 ranges = ranges_of(i0.w);
    bool hovered_block = i0.w == u_hover.x;
    // The hovered block, and a block with more than two ranges lit (rare), are drawn by the program that
    // loops over ranges and knows the hover.
    bool looped = hovered_block || ranges.y > 2;
    // The other opaque blocks by what they show besides their values: ranges lit, the reveal, both or
    // neither, each drawn by a program that holds only that work.
    bool lit = ranges.y != 0;
    bool partly = partly_computed(s1, s2, float(i0.x) * float(i0.y));
#if PASS == PASS_PLAIN
    bool fancy = u_walls == 0 && (looped || lit || partly);
    hidden = hidden || opacity < u_opaque_from || fancy;  // (walls are plain for every block)
#elif PASS == PASS_DECORATED
    hidden = hidden || opacity < u_opaque_from || looped || !lit || !partly;
#elif PASS == PASS_LIT
    hidden = hidden || opacity < u_opaque_from || looped || !lit || partly;
#elif PASS == PASS_REVEALED
    hidden = hidden || opacity < u_opaque_from || looped || lit || !partly;
#elif PASS == PASS_HOVERED
    hidden = hidden || opacity < u_opaque_from || !looped;
#elif PASS == PASS_TRANSLUCENT
    hidden = hidden || opacity >= u_opaque_from || opacity < FADED_BELOW;
#elif PASS == PASS_FADED
    hidden = hidden || opacity >= FADED_BELOW;
#else
    hidden = hidden || highlight <= 0.01;
#endif
    if (hidden || opacity < u_hidden_below) {
        collapse();
        return;
    }

    vec3 local = corner;
#if PASS == PASS_GLOW
    // The glow pass draws the front face grown by the glow's reach on every side.
    vec2 grow = vec2(u_glow_px / max(px_per_unit, 1e-6)) / max(size.xy, vec2(1e-6));
    local.xy = mix(-grow, 1.0 + grow, corner.xy);
#endif
    gl_Position = u_view_proj * vec4(lo + local * size, 1.0);
    v_local = local;
    v_shape = i0;
    v_levels = ivec4(i1.x, i2.xyz);
    v_run = ivec4(i1.w, i2.w, i3.xy);
#if PASS == PASS_PLAIN
    // A block the tour has computed nothing of: no lines of values to show (the plain program has no reveal).
    if (none_computed(s1, s2)) v_run.y = 0;
#endif
    v_size = vec4(size, f0.w);
    v_state = vec3(highlight, opacity, f1.w);
    v_reveal = vec4(s2.xy, s1.w, s0.w);
    v_kind_color = KIND_COLORS[i0.z];
    v_ranges = ranges;
    // Per block, not per pixel: the frame's colour and width follow the highlight (and the hover).
    float tint = hovered_block ? max(highlight, 1.0) : highlight;
    v_edge = vec4(mix(v_kind_color * 0.55, hovered_block ? ACCENT : GLOW_COLOR, tint), mix(1.1, 3.0, tint));
    // A wall triangle's colour comes from its last vertex (GL's provoking vertex), which is one of corners
    // 3, 4, 7 (x = y) for the y walls and 2, 5, 6 (x != y) for the x walls (block_programs.WALL_INDICES):
    // a flat colour, not one worked out for every pixel from v_local.
    v_side = v_kind_color * (corner.x != corner.y ? 0.70 : 0.82);
#if PASS == PASS_FADED
    // Its average colour is all that reads: the kind colour lightened, tinted by the block's mean value.
    bool has_values = (i1.x >= 0 || i2.x >= 0 || i2.z >= 0) && i2.w > 0;
    v_faded = has_values ? mix(mix(v_kind_color, vec3(1.0), 0.3), diverging(f1.w), 0.25)
                         : mix(v_kind_color, vec3(1.0), 0.5);
#endif
    v_range0 = u_range_rc[min(ranges.x, 15)];
    v_range1 = u_range_rc[min(ranges.x + 1, 15)];
}
