// Cell values at levels of detail (render/values.py), shared by blocks.frag and ghosts.frag.
// A block's cells are one run in a storage order (render/value_order.py); a small block has every cell in
// the resident runs, a big one its 16 x 16 tiles (and 256 x 256 tiles) there, and its cells in pages of the
// pool, present where the camera wanted them (render/streaming.py). Both are in one buffer texture, so a
// value costs two fetches at most (software GL runs every path of a branch): its page and its value.
// Buffer textures (render/buffer_texture.py: software GL fetches from them at about half the cost of a 2-D
// texture's), on the units the programs are compiled with (UNIT_VALUES, UNIT_PAGES from
// render/texture_units.py), as moderngl cannot set a samplerBuffer uniform. The shaders including this enable
// GL_ARB_shading_language_420pack.
layout(binding = UNIT_VALUES) uniform samplerBuffer u_values;  // R32F: texel t
layout(binding = UNIT_PAGES) uniform isamplerBuffer u_pages;   // R32I: per page (4096 cells) of a big block,
                                                                // its row of u_values or -1
#ifndef PAGES
#define PAGES 1  // programs for layouts without paged blocks define it 0 (render/block_programs.py)
#endif

const float LEVEL0_PX = 0.5;  // full cells from this many pixels a cell on (streaming.LEVEL0_PX)
// Between LEVEL0_PX and twice it, cells pass from their tile's value to their own one by one, each at a zoom
// of its own (crossfade_px): the two levels cross-fade as the camera closes in, where switching all at once
// made a block jump from saturated tiles (their largest values) to a pale stipple of cells. From
// 2 * LEVEL0_PX (a pixel a cell) every cell shows its own value.
const int TILE = 16;          // value_order.TILE
const int TILE_LOG2 = 4;

// Where cell (col, row) sits in a run: order 0 row by row, 1 column by column, 2 shells (square blocks), the
// block being number `place` of `count` whose runs are interleaved (value_order.storage_index).
int run_index(ivec2 cell, int rows, int cols, int order, int count, int place) {
    // Both forms worked out and one selected: software GL runs both anyway (an early return in a branch
    // measured 0.7 - 1 ms slower in the GPT-2 close view once, the same within 0.3 ms with buffer textures
    // and each pair's order alternated). Rows (0) and columns (1) are one formula with the axes swapped.
    int k = max(cell.x, cell.y);
    int shell = k * k * count + place * (2 * k + 1) + (cell.x > cell.y ? cell.y : k + cell.x);
    bool by_cols = order == 1;
    int line = by_cols ? cell.x : cell.y, along = by_cols ? cell.y : cell.x;
    int lines = (line * count + place) * (by_cols ? rows : cols) + along;
    return order == 2 ? shell : lines;
}

// The line of a cell in its order: the row, the column, the shell.
int line_of(ivec2 cell, int order) {
    return order == 1 ? cell.x : (order == 2 ? max(cell.x, cell.y) : cell.y);
}

float value_at(int t) {
    return texelFetch(u_values, t).r;
}

// The value shown for `cell` (col, row) of a rows x cols block whose cells count for `cell_px` pixels
// (crossfade_px): its own value where that is at least LEVEL0_PX and the cell is present, else its tile's
// (the largest magnitude), the 256 x 256 tile's when 16 x 16 tiles are smaller than LEVEL0_PX too; NaN where
// there is none. (A block of one tile has no tiles: its cells show at any size.)
// levels: resident offset of every cell, of the tiles, of the big tiles, page-table offset (-1: none);
// run: storage order, lines holding values, blocks interleaved with it, its place among them.
float none_value() {
    return uintBitsToFloat(0x7fc00000u);
}

// The pixels a cell counts for when its level is chosen: cell_px scaled by 0.5 .. 1 (a cell at g, in cells:
// floor(g) is the cell), so that it shows its own value from LEVEL0_PX .. 2 * LEVEL0_PX pixels on. The
// factors are spread evenly over the cells without clumps (the R2 low-discrepancy sequence: a dot product
// and a fract, cheap for software GL), and are the same for a cell in every frame.
float crossfade_px(vec2 g, float cell_px) {
    return cell_px * (1.0 - 0.5 * fract(dot(floor(g), vec2(0.7548776662, 0.5698402910))));
}

float cell_value(ivec4 levels, ivec4 run, int rows, int cols, ivec2 cell, float cell_px) {
    float none = uintBitsToFloat(0x7fc00000u);
    bool fine = cell_px >= LEVEL0_PX;
    // The resident texel: every cell of a small block, else its tile's (or big tile's).
    bool big = levels.z >= 0 && cell_px * float(TILE) < LEVEL0_PX;
    // Shifts, not divisions: software GL divides integers one lane at a time.
    int shift = (levels.x >= 0 && (fine || levels.y < 0)) ? 0 : (big ? 2 * TILE_LOG2 : TILE_LOG2);
    int offset = shift == 0 ? levels.x : (big ? levels.z : levels.y);
    int round_up = (1 << shift) - 1;
    ivec2 at = cell >> shift;
    int t = offset + run_index(at, (rows + round_up) >> shift, (cols + round_up) >> shift, run.x, run.z, run.w);
#if PAGES
    // A pooled cell where its page is there (the block's own run, not interleaved) instead.
    int i = run_index(cell, rows, cols, run.x, 1, 0);
    int entry = levels.w >= 0 ? levels.w + (i >> 12) : 0;  // (a block without pages reads entry 0, unused)
    // Fetched for every pixel and selected, not fetched in a branch: software GL runs the branch anyway
    // (0.4 - 1.1 ms slower in the GPT-2 close view once; the same within 0.1 ms with buffer textures and
    // each pair's order alternated).
    int page_row = texelFetch(u_pages, entry).r;
    int page = fine && levels.w >= 0 ? page_row : -1;
    bool found = page >= 0 || offset >= 0;
    t = page >= 0 ? page * 4096 + (i & 4095) : max(t, 0);
#else
    bool found = offset >= 0;  // (no block has pages: render/block_programs.py)
    t = max(t, 0);
#endif
    return found && line_of(cell, run.x) < run.y ? value_at(t) : none;
}
