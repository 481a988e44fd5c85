#version 330 core
// Draws the cells of a block on its front and back faces: value discs, a cell grid with coarser lines every
// 16, 256 and 4096 cells, block edges, kind colour, highlights. Everything is antialiased with fwidth, and
// details smaller than a pixel fade into the block's average colour instead of aliasing.

layout(std140) uniform Camera {
    mat4 u_view_proj;
    vec4 u_eye;
    vec4 u_viewport;
    vec4 u_params;
};

layout(std140) uniform Hover {
    ivec4 u_hover;           // block, row, col, number of dependency ranges (block -1: nothing hovered)
    ivec4 u_range_rc[8];     // row0, row1, col0, col1 (half-open)
    ivec4 u_range_block[2];  // block of range i at [i / 4][i % 4]
};

uniform sampler2D u_values;  // R32F atlas, 4096 wide: cell (r, c) of a block at offset + r * cols + c
uniform vec3 u_background;
// Colours are set once from render/blocks.py, where the tests and the panel's legend read them too.
uniform vec3 u_kind_color[3];   // weight blue, intermediate green, aggregate yellow
uniform vec3 u_value_color[3];  // the diverging map's -scale, 0, +scale
uniform vec3 u_accent;          // hovered/highlighted block frame, dependency ranges
uniform vec3 u_hover_ring;      // the hovered cell's ring
uniform float u_lighten;        // a hovered/highlighted block's cells are mixed this much with white
uniform float u_wash;           // dependency cells are mixed this much with u_accent

in vec3 v_local;
flat in ivec4 v_shape;
flat in int v_offset;
flat in vec4 v_size;
flat in vec3 v_state;

out vec4 f_color;

// Highlights use cyan, a hue that is on neither side of the value map (orange .. grey .. purple) nor a kind
// colour, and mark by outlines and frames rather than tinting the cells, so that values keep their colours.
const float DISC_RADIUS = 0.40;  // in cells

// Orange (negative) .. light grey (zero) .. purple (positive): PuOr, readable with the common colour-vision
// deficiencies, and symmetric around zero.
vec3 diverging(float t) {
    vec3 zero = u_value_color[1];
    float a = clamp(abs(t), 0.0, 1.0);
    vec3 mid = t < 0.0 ? vec3(0.99, 0.68, 0.36) : vec3(0.70, 0.66, 0.86);
    vec3 end = t < 0.0 ? u_value_color[0] : u_value_color[2];
    return a < 0.5 ? mix(zero, mid, a * 2.0) : mix(mid, end, a * 2.0 - 1.0);
}

// Coverage of grid lines every `spacing` cells, `width_px` wide.
float grid(vec2 g, vec2 fw, float spacing, float width_px) {
    vec2 d = abs(fract(g / spacing + 0.5) - 0.5) * spacing / fw;  // pixels to the nearest line
    return 1.0 - smoothstep(0.5 * width_px - 0.5, 0.5 * width_px + 0.5, min(d.x, d.y));
}

ivec2 texel(int i) {
    return ivec2(i & 4095, i >> 12);
}

void main() {
    int rows = v_shape.x, cols = v_shape.y, kind = v_shape.z, block = v_shape.w;
    vec3 kind_color = u_kind_color[kind];
    vec3 cell_bg = mix(kind_color, vec3(1.0), 0.5);

    // Which face: the axis whose face is nearest in world units.
    vec3 dist = min(v_local, 1.0 - v_local) * v_size.xyz;
    if (dist.z > min(dist.x, dist.y)) {
        // Side faces: the block's thickness, in a shaded kind colour.
        vec3 side = kind_color * (dist.x < dist.y ? 0.70 : 0.82);
        f_color = vec4(mix(u_background, side, v_state.y), 1.0);
        return;
    }

    vec2 g = vec2(v_local.x * float(cols), (1.0 - v_local.y) * float(rows));  // x: column, y: row
    vec2 fw = max(fwidth(g), vec2(1e-7));  // cells per pixel
    float cell_px = 1.0 / max(fw.x, fw.y);
    ivec2 cell = clamp(ivec2(floor(g)), ivec2(0), ivec2(cols - 1, rows - 1));  // (col, row)

    vec3 color = cell_bg;
    // Values show from two pixels a cell on (the overview of nano): no finer, or pixels would skip cells.
    float detail = smoothstep(1.2, 2.2, cell_px);  // 0 when cells are about a pixel or less

    if (v_offset >= 0) {
        float v = texelFetch(u_values, texel(v_offset + cell.y * cols + cell.x), 0).r;
        // From afar, a block reads by its kind colour, nudged by its mean value.
        vec3 average = mix(mix(kind_color, vec3(1.0), 0.3), diverging(v_state.z), 0.25);
        if (!isinf(v) && !isnan(v)) {
            float d = length(fract(g) - 0.5);
            float aa = 0.75 * max(fw.x, fw.y);
            float disc = 1.0 - smoothstep(DISC_RADIUS - aa, DISC_RADIUS + aa, d);
            // Small cells are filled whole, so that a value still reads as a spot of colour; discs in
            // their cell's background appear as cells grow big enough to show the difference.
            disc = mix(1.0, disc, smoothstep(3.0, 8.0, cell_px));
            color = mix(cell_bg, diverging(v * v_size.w), disc);
        }
        color = mix(average, color, detail);
    }

    // Grid: cell lines when cells are big enough, coarser lines every 16, 256, 4096 cells as they become
    // the only ones far enough apart to read.
    vec3 line_color = kind_color * 0.55;
    float lines = grid(g, fw, 1.0, 0.8) * smoothstep(5.0, 12.0, cell_px) * 0.45;
    lines = max(lines, grid(g, fw, 16.0, 1.0) * smoothstep(5.0, 14.0, cell_px * 16.0) * 0.55);
    lines = max(lines, grid(g, fw, 256.0, 1.2) * smoothstep(5.0, 14.0, cell_px * 256.0) * 0.65);
    lines = max(lines, grid(g, fw, 4096.0, 1.4) * smoothstep(5.0, 14.0, cell_px * 4096.0) * 0.75);
    color = mix(color, line_color, lines);

    // Highlights: the hovered cell's block and the walkthrough's highlight get a neutral lightening and a
    // cyan frame; dependency ranges a light cyan wash with a cyan outline; the hovered cell a dark ring.
    float tint = v_state.x;
    bool hovered_block = block == u_hover.x;
    if (hovered_block) tint = max(tint, 1.0);
    color = mix(color, vec3(1.0), u_lighten * tint);

    float outline = 0.0;
    for (int i = 0; i < u_hover.w; ++i) {
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

    // Block edge, in the kind colour so the kind stays visible even from afar; a highlighted block's
    // edge is a wider cyan frame.
    vec2 e = min(g, vec2(cols, rows) - g) / fw;
    float frame_px = mix(1.1, 3.0, tint);
    float edge = 1.0 - smoothstep(frame_px - 0.5, frame_px + 0.5, min(e.x, e.y));
    color = mix(color, mix(kind_color * 0.55, u_accent, tint), edge);

    f_color = vec4(mix(u_background, color, v_state.y), 1.0);
}
