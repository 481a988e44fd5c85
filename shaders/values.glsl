// Cell values at levels of detail (render/values.py), shared by blocks.frag and ghosts.frag.
// A block's cells are one run in a storage order (render/value_order.py); a small block has every cell in
// the resident texture, a big one its 16 x 16 tiles (and 256 x 256 tiles) there, and its cells in pages of
// the pool, present where the camera wanted them (render/streaming.py).
uniform sampler2D u_resident;   // R32F, 4096 wide: small blocks' cells, big blocks' tiles
uniform isampler2D u_pages;     // R32I, 4096 wide: per page (4096 cells) of a big block, its pool page or -1
uniform sampler2DArray u_pool;  // R32F, 4096 x 1024 x layers: pool page p is row p % 1024 of layer p / 1024

const float LEVEL0_PX = 0.5;  // full cells from this many pixels a cell on (streaming.LEVEL0_PX)
const int TILE = 16;          // value_order.TILE

// Where cell (col, row) sits in a run: order 0 row by row, 1 column by column, 2 shells (square blocks), the
// block being number `place` of `count` whose runs are interleaved (value_order.storage_index).
int run_index(ivec2 cell, int rows, int cols, int order, int count, int place) {
    if (order == 1) return (cell.x * count + place) * rows + cell.y;
    if (order == 2) {
        int k = max(cell.x, cell.y);
        return k * k * count + place * (2 * k + 1) + (cell.x > cell.y ? cell.y : k + cell.x);
    }
    return (cell.y * count + place) * cols + cell.x;
}

// The line of a cell in its order: the row, the column, the shell.
int line_of(ivec2 cell, int order) {
    return order == 1 ? cell.x : (order == 2 ? max(cell.x, cell.y) : cell.y);
}

float resident_value(int i) {
    return texelFetch(u_resident, ivec2(i & 4095, i >> 12), 0).r;
}

// The value shown for `cell` (col, row) of a rows x cols block whose cells are `cell_px` pixels wide: its own
// value where cells are at least LEVEL0_PX pixels and present, else its tile's (the largest magnitude), the
// 256 x 256 tile's when 16 x 16 tiles are smaller than LEVEL0_PX too; NaN where there is none. (A block of
// one tile has no tiles: its cells show at any size.)
// levels: resident offset of every cell, of the tiles, of the big tiles, page-table offset (-1: none);
// run: storage order, lines holding values, blocks interleaved with it, its place among them.
float cell_value(ivec4 levels, ivec4 run, int rows, int cols, ivec2 cell, float cell_px) {
    float none = uintBitsToFloat(0x7fc00000u);
    if (line_of(cell, run.x) >= run.y) return none;
    bool fine = cell_px >= LEVEL0_PX;
    if (levels.x >= 0 && (fine || levels.y < 0)) {
        return resident_value(levels.x + run_index(cell, rows, cols, run.x, run.z, run.w));
    }
    if (fine && levels.w >= 0) {
        int i = run_index(cell, rows, cols, run.x, 1, 0);  // pooled cells: the block's own run
        int entry = levels.w + (i >> 12);
        int page = texelFetch(u_pages, ivec2(entry & 4095, entry >> 12), 0).r;
        if (page >= 0) return texelFetch(u_pool, ivec3(i & 4095, page & 1023, page >> 10), 0).r;
    }
    if (levels.y < 0) return none;
    bool big = levels.z >= 0 && cell_px * float(TILE) < LEVEL0_PX;
    int size = big ? TILE * TILE : TILE;
    ivec2 tile = cell / size;
    int tile_rows = (rows + size - 1) / size, tile_cols = (cols + size - 1) / size;
    return resident_value((big ? levels.z : levels.y) + run_index(tile, tile_rows, tile_cols, run.x, run.z, run.w));
}
