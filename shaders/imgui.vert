#version 330 core
// Dear ImGui's vertices: position in display pixels, atlas UV, packed RGBA colour.
uniform mat4 projection;
in vec2 in_position;
in vec2 in_uv;
in vec4 in_color;
out vec2 frag_uv;
out vec4 frag_color;

void main() {
    frag_uv = in_uv;
    frag_color = in_color;
    gl_Position = projection * vec4(in_position, 0.0, 1.0);
}
