#version 330 core
#extension GL_ARB_shading_language_420pack : require  // values.glsl's samplers, bound by layout
// Draws the cells of a block on its front and back faces: value discs, a cell grid with coarser lines every
// 16, 256 and 4096 cells, block edges, kind colour, highlights. Everything is antialiased with fwidth; cells
// smaller than a pixel show their tile's value (values.glsl: levels of detail of values). Cells the tour has
// not computed yet show the kind colour; the cell being computed is ringed. The translucent pass blends a
// faded block over what is behind it; the glow pass draws only the soft halo around a focused block.

// Which pass this program draws, fixed when it is compiled (render/blocks.py prepends `#define PASS n`), so
// that each program holds only its own work: software GL runs every side of a branch.
#include "passes.glsl"
// The programs of opaque blocks that are not hovered: lit ranges (two at most), the reveal, or both.
#define UNHOVERED (PASS == PASS_DECORATED || PASS == PASS_LIT || PASS == PASS_REVEALED)
#if PASS == PASS_GLOW
// The glow writes no depth and is drawn a little behind its block's face (render/blocks.py), so testing
// depth before shading changes nothing but the cost: the inside of its quad, hidden by the face, is not
// shaded (with `discard` below, software GL would test depth only after shading the whole quad).
#extension GL_ARB_shader_image_load_store : require
layout(early_fragment_tests) in;
#endif

layout(std140) uniform Camera {
    mat4 u_view_proj;
    vec4 u_eye;
    vec4 u_viewport;
    vec4 u_params;
};

layout(std140) uniform Hover {
    ivec4 u_hover;           // block, row, col, number of dependency ranges (block -1: nothing hovered)
    ivec4 u_counts;          // x: number of ranges the tour lights (after the dependency ranges)
    ivec4 u_range_rc[16];    // row0, row1, col0, col1 (half-open)
    ivec4 u_range_block[4];  // block of range i at [i / 4][i % 4]
};

// Colours and factors are #defines (render/palette.py, compiled in: a uniform costs software GL a load for
// every pixel): BACKGROUND, ACCENT (hovered/highlighted block frame, dependency ranges), HOVER_RING (the
// hovered cell's ring), LIGHTEN (a hovered/highlighted block's cells are mixed this much with white), WASH
// (dependency cells are mixed this much with ACCENT), GLOW_COLOR (the tour's focus glow).
uniform float u_glow_px;        // the glow's reach in pixels

in vec3 v_local;
flat in ivec4 v_shape;
flat in ivec4 v_levels;
flat in ivec4 v_run;
flat in vec4 v_size;
flat in vec3 v_state;
flat in vec4 v_reveal;  // first, end of the cells computed (in the block's order), cell being computed, order
flat in vec3 v_kind_color;
flat in ivec2 v_ranges;  // the lit ranges of this block: first index, how many (blocks.vert)
flat in ivec4 v_range0;  // the first two of them (row0, row1, col0, col1)
flat in ivec4 v_range1;
flat in vec4 v_edge;    // the block edge's colour and width in pixels (blocks.vert)
flat in vec3 v_side;    // a side wall's colour (blocks.vert)
#if PASS == PASS_FADED
flat in vec3 v_faded;   // a faded block's face colour (blocks.vert)
#endif
uniform int u_walls;    // drawing the side walls (blocks.vert)

out vec4 f_color;

// Highlights use cyan, a hue that is on neither side of the value map (orange .. grey .. purple) nor a kind
// colour, and mark by outlines and frames rather than tinting the cells, so that values keep their colours.
const float DISC_RADIUS = 0.40;  // in cells

#include "colors.glsl"
#include "values.glsl"

// A lit range (row0, row1, col0, col1): its cells washed with the accent, an outline along its border.
void light(inout vec3 color, inout float outline, ivec4 rc, vec2 g, vec2 px) {
    vec2 lo = vec2(rc.z, rc.x), hi = vec2(rc.w, rc.y);
    vec2 e = min(g - lo, hi - g);  // cells to the range's border, per axis (negative: outside)
    bool inside = min(e.x, e.y) >= 0.0;
    color = inside ? mix(color, ACCENT, WASH) : color;
    e *= px;  // in pixels
    outline = inside ? max(outline, 1.0 - smoothstep(1.0, 2.0, min(e.x, e.y))) : outline;
}

// What the hover, the tour and the dependency ranges add to a cell's colour.
vec3 decorate(vec3 color, vec2 g, vec2 px, ivec2 cell, float cell_px, float order_index, float tint,
              bool hovered_block) {
    color = mix(color, vec3(1.0), LIGHTEN * tint);
    float outline = 0.0;
#if PASS == PASS_DECORATED || PASS == PASS_LIT
    // At most two ranges (blocks.vert sends blocks with more to the hovered program), unrolled: a loop
    // costs software GL more than its body, even when it runs once.
    if (v_ranges.y > 0) light(color, outline, v_range0, g, px);
    if (v_ranges.y > 1) light(color, outline, v_range1, g, px);
#elif PASS != PASS_REVEALED  // (its blocks have no range lit)
    for (int i = v_ranges.x; i < v_ranges.x + v_ranges.y; ++i) {
        light(color, outline, u_range_rc[i], g, px);
    }
#endif
    color = mix(color, ACCENT, outline);
#if PASS != PASS_LIT  // (its blocks have every cell computed and none being computed)
    if (v_reveal.z >= 0.0 && abs(order_index - v_reveal.z) < 0.5) {
        // The cell being computed: a dark ring (a spot of several pixels when cells are small).
        vec2 e = min(fract(g), 1.0 - fract(g)) * px;
        float ring = 1.0 - smoothstep(1.5, 2.5, min(e.x, e.y));
        color = mix(color, HOVER_RING, max(ring, 1.0 - smoothstep(2.0, 6.0, cell_px)));
    }
#endif
#if !UNHOVERED  // (their blocks are never hovered: the hover's work is not run for them)
    if (hovered_block) {
        if (cell == u_hover.zy) {
            vec2 e = min(fract(g), 1.0 - fract(g)) * px;
            float ring = 1.0 - smoothstep(1.5, 2.5, min(e.x, e.y));
            color = mix(mix(color, ACCENT, 0.5), HOVER_RING, ring);
        } else {
            // Cells of a few pixels (the overview) get a dark halo around them, so that the hovered cell
            // still stands out as a spot of several pixels.
            vec2 outside = max(abs(g - (vec2(u_hover.zy) + 0.5)) - 0.5, 0.0) * px;  // pixels off the cell
            float halo_px = 2.0 * (1.0 - smoothstep(4.0, 10.0, cell_px));
            color = mix(color, HOVER_RING, 1.0 - smoothstep(halo_px - 0.5, halo_px + 0.5,
                                                              max(outside.x, outside.y)));
        }
    }
#endif
    return color;
}

vec4 finish(vec3 color) {
    // Opaque blocks fade towards the background (user fades); translucent ones blend over what is behind.
#if PASS == PASS_TRANSLUCENT || PASS == PASS_FADED
    return vec4(color, v_state.y);
#else
    return vec4(mix(BACKGROUND, color, v_state.y), 1.0);
#endif
}

// Grid lines at the finest level (every 16^level cells) whose lines are far enough apart to read, fading in
// as they grow apart, and every 16th of them a line of the next level, wider and darker (16^3 = 4096 cells
// is the coarsest). One distance to the nearest line per axis serves both levels.
float grid_lines(vec2 g, vec2 px, float cell_px) {
    // level = clamp(ceil(log2(5 / cell_px) / 4), 0, 3) and spacing = 16^level, by comparisons: software GL
    // spends more on log2, exp2 and divisions than on all the rest of the grid.
    bvec3 finer = lessThan(vec3(cell_px), vec3(5.0, 5.0 / 16.0, 5.0 / 256.0));
    vec3 steps = mix(vec3(1.0), vec3(16.0), finer);
    float level = dot(vec3(finer), vec3(1.0));
    float spacing = steps.x * steps.y * steps.z;
    vec3 inv_steps = mix(vec3(1.0), vec3(0.0625), finer);
    vec2 q = g * (inv_steps.x * inv_steps.y * inv_steps.z);
    vec2 k = floor(q + 0.5);                                  // the nearest line, per axis
    vec2 d = abs(q - k) * spacing * px;                       // pixels to it
    vec2 coarse = step(abs(k - 16.0 * floor(k * 0.0625 + 0.5)), vec2(0.5)) * step(level, 2.5);
    vec2 lvl = level + coarse;
    vec2 width = 0.8 + 0.2 * lvl;
    // The smoothsteps written out: their edges are not constants, and software GL would divide by their
    // difference on every pixel.
    float f = clamp((cell_px * spacing - 5.0) * (level < 0.5 ? 1.0 / 7.0 : 1.0 / 9.0), 0.0, 1.0);
    vec2 fade = mix(vec2(f * f * (3.0 - 2.0 * f)), vec2(1.0), coarse);  // smoothstep(5, 12 or 14, ..)
    vec2 t = clamp(d - 0.5 * width + 0.5, 0.0, 1.0);  // smoothstep(w / 2 - 0.5, w / 2 + 0.5, d)
    vec2 cover = (1.0 - t * t * (3.0 - 2.0 * t)) * (0.45 + 0.1 * lvl) * fade;
    return max(cover.x, cover.y);
}

void main() {
    int rows = v_shape.x, cols = v_shape.y, block = v_shape.w;
    vec3 kind_color = v_kind_color;
    vec3 cell_bg = mix(kind_color, vec3(1.0), 0.5);

#if PASS == PASS_GLOW
    // The glow: a soft halo outside the front face, fading over u_glow_px pixels; nothing inside.
    vec2 fwl = max(fwidth(v_local.xy), vec2(1e-7));
    vec2 outside = max(max(-v_local.xy, v_local.xy - 1.0), 0.0) / fwl;  // pixels off the face
    float d = length(outside);
    float a = v_state.x * 0.55 * (1.0 - smoothstep(0.0, u_glow_px, d));
    if (d <= 0.0 || a < 0.01) discard;
    f_color = vec4(GLOW_COLOR, a);
#else
    // The side walls (their own draw) show the block's thickness in a shaded kind colour (blocks.vert).
    vec3 side = v_side;
#if PASS == PASS_FADED
    // A block faded out of play (opacity under 0.5): its average colour is all that reads. Its own
    // program stops here, which keeps the blended passes (the depth test cannot thin them out) cheap.
    f_color = finish(u_walls == 1 ? side : v_faded);  // (v_faded: blocks.vert, once a vertex)
#else
    bool has_values = (v_levels.x >= 0 || v_levels.y >= 0 || v_levels.w >= 0) && v_run.y > 0;
    // Straight-line code from here: software GL runs both sides of every branch and pays extra for the
    // masks, so the work below is computed for every pixel and combined by selects.
    vec2 g = vec2(v_local.x * float(cols), (1.0 - v_local.y) * float(rows));  // x: column, y: row
    // Pixels a cell, per axis: one division here, multiplications wherever a distance in cells becomes one
    // in pixels (software GL divides far more slowly than it multiplies).
    vec2 px = 1.0 / max(fwidth(g), vec2(1e-7));
    float cell_px = min(px.x, px.y);
    ivec2 cell = clamp(ivec2(floor(g)), ivec2(0), ivec2(cols - 1, rows - 1));  // (col, row)
#if PASS == PASS_PLAIN || PASS == PASS_LIT
    // Blocks with every cell computed (blocks.vert sends the others to the revealed, decorated and hovered
    // programs).
    bool computed = true;
    float order_index = 0.0;
#else
    // Where the cell comes in the block's computation order, and whether the tour has computed it yet.
    float order_index = v_reveal.w > 0.5 ? float(cell.x) * float(rows) + float(cell.y)
                                         : float(cell.y) * float(cols) + float(cell.x);
    bool computed = order_index >= v_reveal.x && order_index < v_reveal.y;
#endif

    // Every level of detail shows values: the cells themselves, or from afar each tile's value of largest
    // magnitude, so that a far matrix reads as a heat map of its structure. Small cells are filled whole, so
    // that a value still reads as a spot of colour; discs in their cell's background appear as cells grow
    // big enough to show the difference.
    float v = has_values && computed ? cell_value(v_levels, v_run, rows, cols, cell, crossfade_px(g, cell_px))
                                         : none_value();
    bool shown = !isinf(v) && !isnan(v);
    // The disc's edge antialiased over 1.5 pixels: smoothstep(R - aa, R + aa, r) with aa = 0.75 / cell_px.
    float edge_t = clamp((length(fract(g) - 0.5) - DISC_RADIUS) * cell_px * (1.0 / 1.5) + 0.5, 0.0, 1.0);
    float disc = mix(1.0, 1.0 - edge_t * edge_t * (3.0 - 2.0 * edge_t), smoothstep(3.0, 8.0, cell_px));
    vec3 color = mix(cell_bg, diverging(shown ? v * v_size.w : 0.0), shown ? disc : 0.0);

    color = mix(color, kind_color * 0.55, grid_lines(g, px, cell_px));

#if PASS == PASS_PLAIN
    // A highlighted block's lightening (its frame's colour and width come flat from blocks.vert).
    color = mix(color, vec3(1.0), LIGHTEN * v_state.x);
#else
    // Highlights: the hovered cell's block and the walkthrough's highlight get a neutral lightening and a
    // cyan frame; dependency ranges a light cyan wash with a cyan outline; the hovered cell a dark ring.
    float tint = v_state.x;
#if UNHOVERED
    bool hovered_block = false;  // (the hovered block has its own program)
#else
    bool hovered_block = block == u_hover.x;
#endif
    if (hovered_block) tint = max(tint, 1.0);
    color = decorate(color, g, px, cell, cell_px, order_index, tint, hovered_block);
#endif

    // Block edge, in the kind colour so the kind stays visible even from afar; a highlighted block's
    // edge is a wider frame (v_edge: its colour and width, worked out per block in blocks.vert), antialiased
    // over a pixel: smoothstep(w - 0.5, w + 0.5, d) written out, as its edges are not constants here and
    // software GL would divide by their difference on every pixel.
    vec2 e = min(g, vec2(cols, rows) - g) * px;
    float frame_t = clamp(min(e.x, e.y) - v_edge.w + 0.5, 0.0, 1.0);
    color = mix(color, v_edge.rgb, 1.0 - frame_t * frame_t * (3.0 - 2.0 * frame_t));

    f_color = finish(u_walls == 1 ? side : color);
#endif
#endif
}
