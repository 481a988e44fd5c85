#version 330 core
// Signed-distance glyphs: 0.5 is the outline. Each pixel averages the coverage of four samples (a rotated
// grid), each read at the mip level of its quarter of the pixel: small text then comes out blurred but
// with every stroke in place, where one sample per pixel would skip thin strokes (a '4' losing its
// diagonal, '8' reading '9') and a coarser level would average them away. Large text needs one sample:
// it has a program of its own (TEXT_SIZE 1), and boxes, which need none, another (TEXT_SIZE 2; text.vert
// sends each glyph to one of the three).

// Labels write no depth, so testing it before shading changes nothing but the cost: glyphs hidden behind a
// block are not shaded (without this, `discard` makes software GL test depth only after shading).
#extension GL_ARB_shader_image_load_store : require
layout(early_fragment_tests) in;

uniform sampler2D u_atlas;

in vec2 v_uv;
in vec4 v_color;

out vec4 f_color;

const vec2 SAMPLES[4] = vec2[4](vec2(-0.125, -0.375), vec2(0.375, -0.125), vec2(0.125, 0.375),
                                vec2(-0.375, 0.125));

void main() {
#if TEXT_SIZE == 2
    // A box (the model card): flat, no glyph to read.
    float alpha = 1.0;
#elif TEXT_SIZE == 1
    // Large text (an em of at least u_large_px pixels, text.vert): at most 1.5 texels a pixel (the atlas
    // has 30 texels an em), so one bilinear sample of the finest level still lands in every stroke (3 texels
    // wide or more), and big labels cover many pixels.
    float d = textureLod(u_atlas, v_uv, 0.0).r;
    float fw = 0.5 * fwidth(d);
    float w = clamp(fw * 0.7, 1e-4, 0.2);
    float bold = clamp(0.5 * fw - 0.02, 0.0, 0.08);
    float alpha = smoothstep(0.5 - w - bold, 0.5 + w - bold, d);
#else
    vec2 gx = dFdx(v_uv), gy = dFdy(v_uv);
    // Per sample, half a pixel's footprint: the level one finer than the pixel's.
    vec2 sx = 0.5 * gx, sy = 0.5 * gy;
    float d_centre = textureGrad(u_atlas, v_uv, sx, sy).r;
    float fw = 0.5 * fwidth(d_centre);  // field change across one sample's footprint
    float w = clamp(fw * 0.7, 1e-4, 0.2);
    // Tiny text: strokes thinner than a sample would thin out, so embolden a little as it shrinks.
    float bold = clamp(0.5 * fw - 0.02, 0.0, 0.08);
    float alpha = 0.0;
    for (int i = 0; i < 4; ++i) {
        float d = textureGrad(u_atlas, v_uv + gx * SAMPLES[i].x + gy * SAMPLES[i].y, sx, sy).r;
        alpha += 0.25 * smoothstep(0.5 - w - bold, 0.5 + w - bold, d);
    }
#endif
    alpha *= v_color.a;
    if (alpha < 0.01) discard;
    f_color = vec4(v_color.rgb, alpha);
}
