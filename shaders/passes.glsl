// The programs of the block passes (render/block_programs.py compiles blocks.vert and blocks.frag once per
// pass, prepending `#define PASS n`): software GL runs every side of a branch, so each program holds only
// the work of its own blocks.
#define PASS_PLAIN 0        // opaque blocks with every cell computed and nothing lit (highlight: a frame)
#define PASS_TRANSLUCENT 1  // blocks the tour fades, with their cells, blended
#define PASS_GLOW 2         // the halo around focused blocks
#define PASS_FADED 3        // blocks faded out of play, flat, blended
#define PASS_DECORATED 4    // opaque, not hovered: one or two ranges lit and partly computed (the tour)
#define PASS_HOVERED 5      // opaque: the hovered block, blocks with more ranges lit (a loop, the hover)
#define PASS_LIT 6          // opaque, not hovered: one or two ranges lit, every cell computed
#define PASS_REVEALED 7     // opaque, not hovered: no range lit, partly computed (the tour's reveal)
