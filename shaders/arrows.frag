#version 330 core
// A ribbon translucent in its middle with darker edges, antialiased across its width with fwidth.

uniform vec3 u_colors[2];  // values, weights

in float v_across;
flat in vec2 v_look;

out vec4 f_color;

void main() {
    float d = abs(v_across);
    float fw = max(fwidth(v_across), 1e-6);
    float inside = 1.0 - smoothstep(1.0 - fw, 1.0, d);
    float edge = smoothstep(1.0 - 3.0 * fw, 1.0 - fw, d);
    vec3 color = u_colors[int(v_look.y + 0.5)];
    float alpha = mix(0.45, 0.95, edge) * inside * v_look.x;
    if (alpha < 0.01) discard;
    f_color = vec4(mix(color, color * 0.6, edge), alpha);
}
