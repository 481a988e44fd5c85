#version 330 core
// Draws the cells of a block on its front and back faces: value discs, a cell grid with coarser lines every
// 16, 256 and 4096 cells, block edges, kind colour, highlights. Everything is antialiased with fwidth; cells
// smaller than a pixel show their tile's value (values.glsl: levels of detail of values). Cells the tour has
// not computed yet show the kind colour; the cell being computed is ringed. The translucent pass blends a
// faded block over what is behind it; the glow pass draws only the soft halo around a focused block.

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

uniform vec3 u_background;
// Colours are set once from render/blocks.py, where the tests and the panel's legend read them too.
uniform vec3 u_accent;          // hovered/highlighted block frame, dependency ranges
uniform vec3 u_hover_ring;      // the hovered cell's ring
uniform float u_lighten;        // a hovered/highlighted block's cells are mixed this much with white
uniform float u_wash;           // dependency cells are mixed this much with u_accent
uniform vec3 u_glow_color;      // the tour's focus glow
uniform float u_glow_px;        // its reach in pixels
// Which pass this program draws, fixed when it is compiled (render/blocks.py prepends `#define PASS n`), so
// that each program holds only its own work: software GL runs every side of a branch.
const int u_pass = PASS;        // 0 opaque, 1 translucent, 2 glow, 3 faded (flat, blended)

in vec3 v_local;
flat in ivec4 v_shape;
flat in ivec4 v_levels;
flat in ivec4 v_run;
flat in vec4 v_size;
flat in vec3 v_state;
flat in vec4 v_reveal;  // first, end of the cells computed (in the block's order), cell being computed, order

out vec4 f_color;

// Highlights use cyan, a hue that is on neither side of the value map (orange .. grey .. purple) nor a kind
// colour, and mark by outlines and frames rather than tinting the cells, so that values keep their colours.
const float DISC_RADIUS = 0.40;  // in cells

#include "colors.glsl"
#include "values.glsl"

// Coverage of grid lines every `spacing` cells, `width_px` wide.
float grid(vec2 g, vec2 fw, float spacing, float width_px) {
    vec2 d = abs(fract(g / spacing + 0.5) - 0.5) * spacing / fw;  // pixels to the nearest line
    return 1.0 - smoothstep(0.5 * width_px - 0.5, 0.5 * width_px + 0.5, min(d.x, d.y));
}

// What the hover, the tour and the dependency ranges add to a cell's colour.
vec3 decorate(vec3 color, vec2 g, vec2 fw, ivec2 cell, float cell_px, float order_index, int block, float tint,
              bool hovered_block) {
    color = mix(color, vec3(1.0), u_lighten * tint);
    float outline = 0.0;
    for (int i = 0; i < u_hover.w + u_counts.x; ++i) {
        if (u_range_block[i >> 2][i & 3] != block) continue;
        ivec4 rc = u_range_rc[i];
        vec2 lo = vec2(rc.z, rc.x), hi = vec2(rc.w, rc.y);
        if (all(greaterThanEqual(g, lo)) && all(lessThan(g, hi))) {
            color = mix(color, u_accent, u_wash);
            vec2 e = min(g - lo, hi - g) / fw;  // pixels to the range's border
            outline = max(outline, 1.0 - smoothstep(1.0, 2.0, min(e.x, e.y)));
        }
    }
    color = mix(color, u_accent, outline);
    if (v_reveal.z >= 0.0 && abs(order_index - v_reveal.z) < 0.5) {
        // The cell being computed: a dark ring (a spot of several pixels when cells are small).
        vec2 e = min(fract(g), 1.0 - fract(g)) / fw;
        float ring = 1.0 - smoothstep(1.5, 2.5, min(e.x, e.y));
        color = mix(color, u_hover_ring, max(ring, 1.0 - smoothstep(2.0, 6.0, cell_px)));
    }
    if (hovered_block) {
        if (cell == u_hover.zy) {
            vec2 e = min(fract(g), 1.0 - fract(g)) / fw;
            float ring = 1.0 - smoothstep(1.5, 2.5, min(e.x, e.y));
            color = mix(mix(color, u_accent, 0.5), u_hover_ring, ring);
        } else {
            // Cells of a few pixels (the overview) get a dark halo around them, so that the hovered cell
            // still stands out as a spot of several pixels.
            vec2 outside = max(abs(g - (vec2(u_hover.zy) + 0.5)) - 0.5, 0.0) / fw;  // pixels off the cell
            float halo_px = 2.0 * (1.0 - smoothstep(4.0, 10.0, cell_px));
            color = mix(color, u_hover_ring, 1.0 - smoothstep(halo_px - 0.5, halo_px + 0.5,
                                                              max(outside.x, outside.y)));
        }
    }
    return color;
}

vec4 finish(vec3 color) {
    // Opaque blocks fade towards the background (user fades); translucent ones blend over what is behind.
    if (u_pass == 1 || u_pass == 3) return vec4(color, v_state.y);
    return vec4(mix(u_background, color, v_state.y), 1.0);
}

void main() {
    int rows = v_shape.x, cols = v_shape.y, kind = v_shape.z, block = v_shape.w;
    vec3 kind_color = u_kind_color[kind];
    vec3 cell_bg = mix(kind_color, vec3(1.0), 0.5);

    if (u_pass == 2) {
        // The glow: a soft halo outside the front face, fading over u_glow_px pixels; nothing inside.
        vec2 fwl = max(fwidth(v_local.xy), vec2(1e-7));
        vec2 outside = max(max(-v_local.xy, v_local.xy - 1.0), 0.0) / fwl;  // pixels off the face
        float d = length(outside);
        if (d <= 0.0) discard;
        float a = v_state.x * 0.55 * (1.0 - smoothstep(0.0, u_glow_px, d));
        if (a < 0.01) discard;
        f_color = vec4(u_glow_color, a);
        return;
    }

    // Which face: the axis whose face is nearest in world units.
    vec3 dist = min(v_local, 1.0 - v_local) * v_size.xyz;
    if (dist.z > min(dist.x, dist.y)) {
        // Side faces: the block's thickness, in a shaded kind colour.
        vec3 side = kind_color * (dist.x < dist.y ? 0.70 : 0.82);
        f_color = finish(side);
        return;
    }

    bool has_values = (v_levels.x >= 0 || v_levels.y >= 0 || v_levels.w >= 0) && v_run.y > 0;
    if (u_pass == 3) {
        // A block faded out of play (opacity under 0.5): its average colour is all that reads. Its own
        // program stops here, which keeps the blended passes (the depth test cannot thin them out) cheap.
        vec3 faded = has_values ? mix(mix(kind_color, vec3(1.0), 0.3), diverging(v_state.z), 0.25) : cell_bg;
        f_color = finish(faded);
        return;
    }

    vec2 g = vec2(v_local.x * float(cols), (1.0 - v_local.y) * float(rows));  // x: column, y: row
    vec2 fw = max(fwidth(g), vec2(1e-7));  // cells per pixel
    float cell_px = 1.0 / max(fw.x, fw.y);
    ivec2 cell = clamp(ivec2(floor(g)), ivec2(0), ivec2(cols - 1, rows - 1));  // (col, row)
    // Where the cell comes in the block's computation order, and whether the tour has computed it yet.
    float order_index = v_reveal.w > 0.5 ? float(cell.x) * float(rows) + float(cell.y)
                                         : float(cell.y) * float(cols) + float(cell.x);
    bool computed = order_index >= v_reveal.x && order_index < v_reveal.y;

    vec3 color = cell_bg;
    if (has_values && computed) {
        // Every level of detail shows values: the cells themselves, or from afar each tile's value of
        // largest magnitude, so that a far matrix reads as a heat map of its structure.
        float v = cell_value(v_levels, v_run, rows, cols, cell, cell_px);
        if (!isinf(v) && !isnan(v)) {
            // Small cells are filled whole, so that a value still reads as a spot of colour; discs in
            // their cell's background appear as cells grow big enough to show the difference.
            float disc = 1.0;
            if (cell_px > 3.0) {  // (branches on what is mostly alike over a few pixels: software GL skips)
                float d = length(fract(g) - 0.5);
                float aa = 0.75 * max(fw.x, fw.y);
                disc = mix(1.0, 1.0 - smoothstep(DISC_RADIUS - aa, DISC_RADIUS + aa, d),
                           smoothstep(3.0, 8.0, cell_px));
            }
            color = mix(cell_bg, diverging(v * v_size.w), disc);
        }
    }

    // Grid: cell lines when cells are big enough, coarser lines every 16, 256, 4096 cells as they become
    // the only ones far enough apart to read (each computed only where it shows).
    float lines = 0.0;
    if (cell_px > 5.0) lines = grid(g, fw, 1.0, 0.8) * smoothstep(5.0, 12.0, cell_px) * 0.45;
    if (cell_px * 16.0 > 5.0) {
        lines = max(lines, grid(g, fw, 16.0, 1.0) * smoothstep(5.0, 14.0, cell_px * 16.0) * 0.55);
    }
    if (cell_px * 256.0 > 5.0) {
        lines = max(lines, grid(g, fw, 256.0, 1.2) * smoothstep(5.0, 14.0, cell_px * 256.0) * 0.65);
    }
    lines = max(lines, grid(g, fw, 4096.0, 1.4) * smoothstep(5.0, 14.0, cell_px * 4096.0) * 0.75);
    color = mix(color, kind_color * 0.55, lines);

    // Highlights: the hovered cell's block and the walkthrough's highlight get a neutral lightening and a
    // cyan frame; dependency ranges a light cyan wash with a cyan outline; the hovered cell a dark ring.
    float tint = v_state.x;
    bool hovered_block = block == u_hover.x;
    if (hovered_block) tint = max(tint, 1.0);
    if (tint > 0.0 || u_hover.w + u_counts.x > 0 || v_reveal.z >= 0.0) {  // rare: skipped otherwise
        color = decorate(color, g, fw, cell, cell_px, order_index, block, tint, hovered_block);
    }

    // Block edge, in the kind colour so the kind stays visible even from afar; a highlighted block's
    // edge is a wider cyan frame.
    vec2 e = min(g, vec2(cols, rows) - g) / fw;
    float frame_px = mix(1.1, 3.0, tint);
    float edge = 1.0 - smoothstep(frame_px - 0.5, frame_px + 0.5, min(e.x, e.y));
    color = mix(color, mix(kind_color * 0.55, hovered_block ? u_accent : u_glow_color, tint), edge);

    f_color = finish(color);
}
