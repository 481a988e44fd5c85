#version 330 core
#extension GL_ARB_shading_language_420pack : require  // the buffer textures' units, by layout
// Labels: one quad per glyph, upright, in the x-y plane facing +z like the blocks (or turned about y), drawn
// as 4 vertices a glyph of one indexed draw (glyph = gl_VertexID / 4: software GL shades big vertex batches
// far faster than 4-vertex instances). Glyph and label data are fetched from buffer textures by glyph
// number (software GL fetches from them at about half a 2-D texture's cost: render/buffer_texture.py).
// Labels smaller than u_min_px are collapsed. Three programs draw them (TEXT_SIZE, text.frag): boxes, small
// text and large text; each collapses the others' glyphs, so a glyph is drawn by exactly one.

layout(std140) uniform Camera {
    mat4 u_view_proj;
    vec4 u_eye;
    vec4 u_viewport;  // x, y, width, height in pixels
    vec4 u_params;    // x: projection scale cot(fov/2)
};

// Per glyph: (label, x0 em, atlas cell or -1 for a box, box height em or the label's text width em).
layout(binding = UNIT_GLYPHS) uniform samplerBuffer u_glyphs;
// Per label 4 texels: (origin.xyz, em height in world units), (rgba), (cos, sin of the azimuth, cos, sin of
// the elevation of the camera it faces), (the block it belongs to or -1, 0, 0, 0).
layout(binding = UNIT_LABELS) uniform samplerBuffer u_labels;
// The blocks' state (blocks.vert): (highlight, opacity, scale, order), (offset), and their (min.xyz, _),
// (size.xyz, _).
layout(binding = UNIT_STATE) uniform samplerBuffer u_state;
layout(binding = UNIT_BOX) uniform samplerBuffer u_box;
// Per atlas cell: the part of it its glyph's quad covers (sdf_font.ink_boxes).
layout(binding = UNIT_INK) uniform samplerBuffer u_ink;
uniform int u_follow;        // labels of blocks move, scale and fade with their block
uniform vec4 u_cell;         // cell width em, cell top above the baseline em, atlas cell size in uv (x, y)
uniform float u_min_px;      // em height on screen below which a label is hidden
uniform float u_max_px;      // and above which it fades away (a label filling the view reads as noise)
uniform float u_large_px;    // em height on screen from which a label is large text (one sample a pixel)


out vec2 v_uv;
out vec4 v_color;

void main() {
    vec2 in_corner = vec2(gl_VertexID & 1, (gl_VertexID >> 1) & 1);  // 0..1
    vec4 glyph = texelFetch(u_glyphs, gl_VertexID >> 2);
    int label = int(glyph.x);
    vec4 origin = texelFetch(u_labels, 4 * label);
    vec4 color = texelFetch(u_labels, 4 * label + 1);
    vec4 turn = texelFetch(u_labels, 4 * label + 2);
    int block = int(texelFetch(u_labels, 4 * label + 3).x);
    if (u_follow == 1 && block >= 0) {
        // Where the tour moved the block: the label keeps its place relative to the block's centre.
        vec4 s0 = texelFetch(u_state, 3 * block);
        vec4 s1 = texelFetch(u_state, 3 * block + 1);
        vec3 centre = texelFetch(u_box, 2 * block).xyz
                      + 0.5 * texelFetch(u_box, 2 * block + 1).xyz;
        origin.xyz = centre + s1.xyz + (origin.xyz - centre) * s0.z;
        origin.w *= s0.z;
        color.a *= s0.y;
    }
    // The right and up vectors of an orbit camera at that azimuth and elevation (camera.py's basis).
    vec3 right = vec3(turn.x, 0.0, -turn.y);
    vec3 up = vec3(-turn.w * turn.y, turn.z, -turn.w * turn.x);

    vec4 anchor = u_view_proj * vec4(origin.xyz, 1.0);
    float em_px = origin.w * u_params.x * 0.5 * u_viewport.w / max(anchor.w, 1e-6);
    float fade = smoothstep(u_min_px, 1.6 * u_min_px, em_px) * (1.0 - smoothstep(0.6 * u_max_px, u_max_px, em_px));
    // Boxes (the model card) have a program of their own, drawn before the text's two: drawn after one of
    // them, a card would hide the lines of its text that program had drawn.
    bool box = glyph.z < 0.0;
#if TEXT_SIZE == 2
    bool other_size = !box;
#elif TEXT_SIZE == 1
    bool other_size = box || em_px < u_large_px;
#else
    bool other_size = box || em_px >= u_large_px;
#endif
    if (anchor.w <= 0.0 || fade <= 0.0 || color.a < 0.01 || other_size) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }
    vec2 local;
    float label_width;  // em
    if (glyph.z < 0.0) {  // box: glyph.y wide, glyph.w tall, hanging down-right from the origin
        local = vec2(in_corner.x * glyph.y, (in_corner.y - 1.0) * glyph.w);
        label_width = glyph.y;
        v_uv = vec2(0.0);
    } else {
        // The quad covers the glyph's ink and a margin, no more (the rest of the cell would shade pixels
        // that stay empty), and stops 1/28 of a cell short of the cell's edges at most, so filtering
        // never reaches the neighbouring glyphs of the atlas (the glyphs keep PAD texels of margin).
        int cell = int(glyph.z);
        vec4 ink = texelFetch(u_ink, cell);
        vec2 t = mix(ink.xy, ink.zw, in_corner);
        local = vec2(glyph.y + t.x * u_cell.x, u_cell.y + (t.y - 1.0) * u_cell.x);
        vec2 cell_origin = vec2(float(cell % 16), float(cell / 16));
        // Atlas rows run downwards from the image top: the quad's bottom samples the cell's bottom row.
        v_uv = (cell_origin + vec2(t.x, 1.0 - t.y)) * u_cell.zw;
        label_width = glyph.w;
    }
    // Seen from behind, the label would read mirrored: lay its glyphs out from its other end instead (each
    // glyph keeps its own orientation), so that it reads left to right over the same span.
    vec3 facing = cross(right, up);
    if (dot(u_eye.xyz - origin.xyz, facing) < 0.0) local.x = label_width - local.x;
    gl_Position = u_view_proj * vec4(origin.xyz + (right * local.x + up * local.y) * origin.w, 1.0);
    v_color = vec4(color.rgb, color.a * fade);
}
