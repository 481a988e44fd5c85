#version 330 core
// Signed-distance glyphs: 0.5 is the outline; fwidth keeps the edge one pixel soft at any zoom.

uniform sampler2D u_atlas;

in vec2 v_uv;
in vec4 v_color;
flat in float v_solid;

out vec4 f_color;

void main() {
    float alpha = 1.0;
    if (v_solid < 0.5) {
        float d = texture(u_atlas, v_uv, -1.0).r;  // a level sharper: a level-2 texel is wider than a stroke
        float fw = fwidth(d);
        float w = clamp(fw * 0.7, 1e-4, 0.2);
        // Small text: strokes thinner than a pixel would break up, so embolden as the text shrinks.
        float bold = clamp(0.5 * fw - 0.02, 0.0, 0.12);
        alpha = smoothstep(0.5 - w - bold, 0.5 + w - bold, d);
    }
    alpha *= v_color.a;
    if (alpha < 0.01) discard;
    f_color = vec4(v_color.rgb, alpha);
}
