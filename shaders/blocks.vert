#version 330 core
// One unit cube per block, instanced. Per-instance data is fetched from textures by instance number so that
// the renderer can draw any contiguous range of instances (coarse culling) without a base-instance draw call.

layout(std140) uniform Camera {
    mat4 u_view_proj;
    vec4 u_eye;       // xyz: camera position
    vec4 u_viewport;  // x, y, width, height in pixels
    vec4 u_params;    // x: projection scale cot(fov/2), y: smallest block drawn (pixels)
};

uniform sampler2D u_inst_f;   // per instance 2 texels: (min.xyz, 1/scale), (size.xyz, mean value / scale)
uniform isampler2D u_inst_i;  // per instance 2 texels: (rows, cols, kind, block), (value offset or -1, 0, 0, 0)
uniform sampler2D u_state;    // per block: (highlight, opacity)
uniform int u_first;          // instance number of this draw's first instance

in vec3 in_corner;  // unit cube corner, 0..1

out vec3 v_local;             // position inside the block, 0..1 per axis
flat out ivec4 v_shape;       // rows, cols, kind, block
flat out int v_offset;        // first texel of the block's values, -1 without values
flat out vec4 v_size;         // size.xyz, 1/scale
flat out vec3 v_state;        // highlight, opacity, mean value / scale

const int ATLAS_WIDTH_LOG2 = 12;  // textures are 4096 texels wide

ivec2 texel(int i) {
    return ivec2(i & ((1 << ATLAS_WIDTH_LOG2) - 1), i >> ATLAS_WIDTH_LOG2);
}

void main() {
    int inst = gl_InstanceID + u_first;
    vec4 f0 = texelFetch(u_inst_f, texel(2 * inst), 0);
    vec4 f1 = texelFetch(u_inst_f, texel(2 * inst + 1), 0);
    ivec4 i0 = texelFetch(u_inst_i, texel(2 * inst), 0);
    ivec4 i1 = texelFetch(u_inst_i, texel(2 * inst + 1), 0);
    vec2 state = texelFetch(u_state, texel(i0.w), 0).rg;

    // Blocks smaller than a pixel or fully faded are collapsed to a point outside the clip volume, so the
    // rasteriser never sees them (at GPT-3 scale most blocks are sub-pixel from afar).
    vec4 centre = u_view_proj * vec4(f0.xyz + 0.5 * f1.xyz, 1.0);
    float extent_px = max(f1.x, f1.y) * u_params.x * 0.5 * u_viewport.w / max(centre.w, 1e-6);
    if ((centre.w > 0.0 && extent_px < u_params.y) || state.y < 0.01) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }

    vec3 world = f0.xyz + in_corner * f1.xyz;
    gl_Position = u_view_proj * vec4(world, 1.0);
    v_local = in_corner;
    v_shape = i0;
    v_offset = i1.x;
    v_size = vec4(f1.xyz, f0.w);
    v_state = vec3(state, f1.w);
}
