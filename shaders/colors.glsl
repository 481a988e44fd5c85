// The colours of cells, shared by the block and ghost shaders (included by resources.read_shader; the vertex
// shaders look the kind colour up once a block or ghost, so that no pixel indexes the array). The
// colours are #defines the programs are compiled with (render/palette.py, where the tests and the panel's
// legend read them too): uniforms would be loaded again for every pixel by software GL.
// Weight blue, intermediate green, aggregate yellow (by Kind).
const vec3 KIND_COLORS[3] = vec3[3](KIND_COLOR_0, KIND_COLOR_1, KIND_COLOR_2);

// Orange (negative) .. light grey (zero) .. purple (positive): PuOr, readable with the common colour-vision
// deficiencies, and symmetric around zero.
vec3 diverging(float t) {
    float a = clamp(abs(t), 0.0, 1.0);
    vec3 mid = t < 0.0 ? vec3(0.99, 0.68, 0.36) : vec3(0.70, 0.66, 0.86);
    vec3 end = t < 0.0 ? VALUE_NEGATIVE : VALUE_POSITIVE;
    return a < 0.5 ? mix(VALUE_ZERO, mid, a * 2.0) : mix(mid, end, a * 2.0 - 1.0);
}
