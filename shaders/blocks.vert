#version 330 core
// A block is a unit cube scaled to its box, drawn in two passes:
//  u_walls == 0: the front face of every block as one indexed, non-instanced draw (4 vertices per block,
//                block = gl_VertexID / 4): software GL shades vertices far faster in big batches than in
//                4-vertex instances, and from afar the front face is all that shows.
//  u_walls == 1: the four side walls, instanced (instance = gl_InstanceID + u_first), only for the chunks
//                where a block's thickness covers a pixel.
// Per-block data is fetched from textures, so any contiguous range of blocks can be drawn after culling.

layout(std140) uniform Camera {
    mat4 u_view_proj;
    vec4 u_eye;       // xyz: camera position
    vec4 u_viewport;  // x, y, width, height in pixels
    vec4 u_params;    // x: projection scale cot(fov/2), y: smallest block drawn (pixels)
};

uniform sampler2D u_inst_f;   // per instance 2 texels: (min.xyz, 1/scale), (size.xyz, mean value / scale)
uniform isampler2D u_inst_i;  // per instance 2 texels: (rows, cols, kind, block),
                              // (value offset or -1, level of detail, member size of a slab, 0)
uniform sampler2D u_state;    // per block: (highlight, opacity)
uniform int u_first;          // walls: instance number of this draw's first instance
uniform int u_walls;
uniform float u_stack_px;     // per-head blocks smaller than this give way to their stack's slab
uniform float u_hidden_below; // blocks fainter than this are not drawn (scene.HIDDEN_BELOW: nor picked)

in vec3 in_corner;  // walls: unit cube corner, 0..1

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
    int inst;
    vec3 corner;
    if (u_walls == 0) {
        inst = gl_VertexID >> 2;
        corner = vec3(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1), 1.0);
    } else {
        inst = gl_InstanceID + u_first;
        corner = in_corner;
    }
    vec4 f0 = texelFetch(u_inst_f, texel(2 * inst), 0);
    vec4 f1 = texelFetch(u_inst_f, texel(2 * inst + 1), 0);
    ivec4 i0 = texelFetch(u_inst_i, texel(2 * inst), 0);
    ivec4 i1 = texelFetch(u_inst_i, texel(2 * inst + 1), 0);
    vec2 state = texelFetch(u_state, texel(i0.w), 0).rg;

    // Blocks smaller than a pixel or fully faded are collapsed to a point outside the clip volume, so the
    // rasteriser never sees them (at GPT-3 scale most blocks are sub-pixel from afar).
    vec4 centre = u_view_proj * vec4(f0.xyz + 0.5 * f1.xyz, 1.0);
    float px_per_unit = u_params.x * 0.5 * u_viewport.w / max(centre.w, 1e-6);
    float extent_px = max(f1.x, f1.y) * px_per_unit;
    // Level of detail for head stacks: members vanish below u_stack_px, their slab appears instead.
    bool hidden = centre.w > 0.0 && extent_px < u_params.y;
    if (i1.y == 1) hidden = hidden || (centre.w > 0.0 && extent_px < u_stack_px);
    if (i1.y == 2) hidden = hidden || centre.w <= 0.0 || float(i1.z) * px_per_unit >= u_stack_px;
    // Walls thinner than half a pixel would only cost rasteriser time.
    if (u_walls == 1 && i1.y != 2) hidden = hidden || (centre.w > 0.0 && f1.z * px_per_unit < 0.5);
    if (hidden || state.y < u_hidden_below) {
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        return;
    }

    vec3 world = f0.xyz + corner * f1.xyz;
    gl_Position = u_view_proj * vec4(world, 1.0);
    v_local = corner;
    v_shape = i0;
    v_offset = i1.x;
    v_size = vec4(f1.xyz, f0.w);
    v_state = vec3(state, f1.w);
}
