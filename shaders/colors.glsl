// The colours of cells, shared by blocks.frag and ghosts.frag (included by resources.read_shader).
// Set once from render/blocks.py, where the tests and the panel's legend read them too.
uniform vec3 u_kind_color[3];   // weight blue, intermediate green, aggregate yellow
uniform vec3 u_value_color[3];  // the diverging map's -scale, 0, +scale

// Orange (negative) .. light grey (zero) .. purple (positive): PuOr, readable with the common colour-vision
// deficiencies, and symmetric around zero.
vec3 diverging(float t) {
    vec3 zero = u_value_color[1];
    float a = clamp(abs(t), 0.0, 1.0);
    vec3 mid = t < 0.0 ? vec3(0.99, 0.68, 0.36) : vec3(0.70, 0.66, 0.86);
    vec3 end = t < 0.0 ? u_value_color[0] : u_value_color[2];
    return a < 0.5 ? mix(zero, mid, a * 2.0) : mix(mid, end, a * 2.0 - 1.0);
}
