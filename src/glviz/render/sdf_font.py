"""The signed-distance font atlas of the 3D labels, baked at run time and cached under ~/.cache/glviz.

The atlas is baked with Pillow from Roboto (shipped inside imgui-bundle), and from Noto Sans JP for the
characters Roboto lacks (Japanese), both at the same size on the same baseline. Each glyph is drawn 4x larger
than its atlas cell; the distance from every cell texel to the nearest sub-pixel outline point is found
exactly within SPREAD, for a batch of glyphs at once in numpy (see `_signed_distances`). The result is cached
per character set.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glviz import fonts
from glviz.fonts import font_path  # re-exported: callers found Roboto here before glviz.fonts existed

__all__ = ["CHARSET", "FontAtlas", "atlas_charset", "bake_atlas", "font_path", "load_atlas"]

CHARSET = "".join(chr(c) for c in range(32, 127)) + "γβΣσμ×·√²ε–—∑−∞≈→"
CELL = 56  # atlas texels per glyph cell (room for 2 mipmap levels without bleeding)
FONT_PX = 30  # font size in atlas texels
PAD = 9  # texels between the cell's left/top edge and the pen origin / ascent line
SPREAD = 5.0  # texels of distance mapped to 0..0.5 of the field
OVERSAMPLE = 4
ATLAS_COLUMNS = 16
BATCH = 64  # glyphs whose distance fields are computed together (bounds the temporaries to ~40 MB)
MISSING = "?"  # drawn for a character no font has, as text_width counts it

@dataclass
class FontAtlas:
    """SDF glyph atlas: `image` (H, W) float32 0..1, per-character cell index and advance in em."""

    image: np.ndarray
    index: dict[str, int]
    advance: np.ndarray  # (glyphs,) em
    solid: int  # cell index of a fully inside cell (for rectangles)
    ascent: float  # em, pen origin to the top of the cell's ascent line

    def cell_uv(self, cell: int) -> tuple[float, float, float, float]:
        """(u0, v0, u1, v1) of a glyph cell in the atlas image."""
        h, w = self.image.shape
        col, row = cell % ATLAS_COLUMNS, cell // ATLAS_COLUMNS
        return col * CELL / w, row * CELL / h, (col + 1) * CELL / w, (row + 1) * CELL / h

    def text_width(self, text: str) -> float:
        """Width of `text` in em (unknown characters as "?")."""
        return float(sum(self.advance[self.index.get(ch, self.index["?"])] for ch in text))


def _outline_points(coverage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Glyph number (E,) and sub-pixel point (E, 2) (row, col, in pixel units) of every place where the
    antialiased coverage (G, H, W) of a batch of glyphs crosses one half.

    Interpolating the crossing between neighbouring pixels places the outline to a tenth of a pixel, which
    keeps the magnified glyph edges smooth (pixel-centre outlines make them wobble)."""
    glyphs, points = [], []
    for axis in (1, 2):
        a = coverage[:, :-1, :] if axis == 1 else coverage[:, :, :-1]
        b = coverage[:, 1:, :] if axis == 1 else coverage[:, :, 1:]
        g, rows, cols = np.nonzero((a >= 0.5) != (b >= 0.5))
        t = (a[g, rows, cols] - 0.5) / (a[g, rows, cols] - b[g, rows, cols])  # 0..1 from a to b
        step = np.stack([rows + 0.5, cols + 0.5], axis=1).astype(np.float32)
        step[:, axis - 1] += t
        glyphs.append(g)
        points.append(step)
    return np.concatenate(glyphs), np.concatenate(points)


# Texel offsets around an outline point's own texel that can lie within SPREAD of it (any point of a texel
# to the centre of another): only these texels can get a field value between 0 and 1 from that point.
_REACH = int(np.ceil(SPREAD)) + 1
_OY, _OX = np.mgrid[-_REACH:_REACH + 1, -_REACH:_REACH + 1]
_NEAR = (np.maximum(np.abs(_OY) - 0.5, 0) ** 2 + np.maximum(np.abs(_OX) - 0.5, 0) ** 2) <= SPREAD**2
_SIDE = CELL + 2 * _REACH  # a cell with a margin of _REACH texels, so that offsets never leave the array
_OFFSET_Y = (_OY[_NEAR] * OVERSAMPLE).astype(np.float32)
_OFFSET_X = (_OX[_NEAR] * OVERSAMPLE).astype(np.float32)
_OFFSET_INDEX = (_OY[_NEAR] * _SIDE + _OX[_NEAR]).astype(np.int64)


def _signed_distances(coverage: np.ndarray) -> np.ndarray:
    """(G, CELL, CELL) fields in 0..1 (0.5 on the outline, above inside) of oversampled coverages (G, H, W).

    Exact within SPREAD (beyond it the field is clipped anyway): every outline point proposes its squared
    distance to the ~100 texels around it and each texel keeps the smallest (`np.minimum.at`), instead of
    measuring every texel against every outline point: 6x faster on kanji, whose outlines are long."""
    n = coverage.shape[0]
    glyph, edge = _outline_points(coverage)
    texel = np.floor(edge / OVERSAMPLE).astype(np.int64)
    to_centre = (texel + 0.5).astype(np.float32) * OVERSAMPLE - edge  # (E, 2) to its own texel's centre
    home = (glyph * _SIDE + texel[:, 0] + _REACH) * _SIDE + texel[:, 1] + _REACH
    best = np.full(n * _SIDE * _SIDE, np.inf, dtype=np.float32)
    for start in range(0, len(edge), 16384):  # bounded temporaries
        part = slice(start, start + 16384)
        dy = to_centre[part, 0:1] + _OFFSET_Y
        dx = to_centre[part, 1:2] + _OFFSET_X
        np.minimum.at(best, (home[part, None] + _OFFSET_INDEX).ravel(), (dy * dy + dx * dx).ravel())
    inner = slice(_REACH, _REACH + CELL)
    distance = np.sqrt(best.reshape(n, _SIDE, _SIDE)[:, inner, inner]) / OVERSAMPLE
    # Inside or out: the coverage of the pixel under the texel centre.
    centres = ((np.arange(CELL) + 0.5) * OVERSAMPLE).astype(int)
    inside = coverage[:, centres][:, :, centres] >= 0.5
    signed = np.where(inside, distance, -distance)
    return np.clip(0.5 + signed / (2 * SPREAD), 0.0, 1.0).astype(np.float32)


def atlas_charset(extra_chars: str = "") -> str:
    """CHARSET, then the printable characters of `extra_chars` it lacks, once each and sorted (so the same
    characters in any order give the same atlas and the same cache file)."""
    extra = sorted({ch for ch in extra_chars if ch.isprintable() and ch not in CHARSET})
    return CHARSET + "".join(extra)


def bake_atlas(path: Path | None = None, charset: str = CHARSET, fallback: Path | None = None) -> FontAtlas:
    """Render `charset` with the font at `path` (Roboto by default; Pillow's own font as a fallback) and,
    for the characters it lacks, with `fallback` (Noto Sans JP by default); a character neither has is
    drawn as MISSING."""
    path = path or font_path()
    fallback = fallback or fonts.japanese()
    main = _Face(path)
    other = _Face(fallback) if fallback else None
    ascent, _ = main.draw.getmetrics()
    cells = len(charset) + 1
    rows = -(-cells // ATLAS_COLUMNS)
    image = np.zeros((rows * CELL, ATLAS_COLUMNS * CELL), dtype=np.float32)
    advance = np.zeros(cells, dtype=np.float32)
    for first in range(0, len(charset), BATCH):
        drawn = [_glyph(ch, main, other) for ch in charset[first:first + BATCH]]
        coverage = np.stack([_draw(ch, face.draw, ascent) for ch, face in drawn])
        for i, field in enumerate(_signed_distances(coverage), first):
            r, c = divmod(i, ATLAS_COLUMNS)
            image[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL] = field
            ch, face = drawn[i - first]
            advance[i] = face.measure.getlength(ch) / face.size
    solid = len(charset)
    r, c = divmod(solid, ATLAS_COLUMNS)
    image[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL] = 1.0
    return FontAtlas(image, {ch: i for i, ch in enumerate(charset)}, advance, solid, ascent / main.size)


class _Face:
    """One font at the baking size: `draw` with Pillow's basic layout, which draws exactly the glyph the
    cmap names (raqm decomposes some accented letters and fails on a few control characters), and
    `measure` with the default layout, whose advances are not rounded to whole pixels."""

    def __init__(self, path: Path | None) -> None:
        from PIL import ImageFont

        self.path = path
        self.size = FONT_PX * OVERSAMPLE
        if path is None:  # Pillow's own font
            self.draw = self.measure = ImageFont.load_default(self.size)
            return
        self.draw = ImageFont.truetype(str(path), self.size, layout_engine=ImageFont.Layout.BASIC)
        self.measure = ImageFont.truetype(str(path), self.size)

    def has(self, ch: str) -> bool:
        """Whether this font draws `ch` (Pillow's own font is trusted with CHARSET)."""
        return fonts.has_glyph(self.path, ch) if self.path else ch in CHARSET


def _glyph(ch: str, main: _Face, other: _Face | None) -> tuple[str, _Face]:
    """(character to draw, face to draw it with): the main face when it has `ch`, else the other face
    when that has it, else the main face's MISSING."""
    if main.has(ch):
        return ch, main
    if other is not None and other.has(ch):
        return ch, other
    return MISSING, main


def _draw(ch: str, font, ascent: int) -> np.ndarray:
    """Coverage 0..1 of `ch` on an oversampled cell, pen at (PAD, PAD + the main font's ascent): every font
    draws on the same baseline."""
    from PIL import Image, ImageDraw

    big = CELL * OVERSAMPLE
    canvas = Image.new("L", (big, big), 0)
    ImageDraw.Draw(canvas).text((PAD * OVERSAMPLE, PAD * OVERSAMPLE + ascent), ch, font=font, fill=255,
                                anchor="ls")
    return np.asarray(canvas, dtype=np.float32) / 255.0


INK_FIELD = 0.05  # field value taken as the edge of a glyph's ink for its quad (0.5 is the outline)
INK_MARGIN = 4  # texels kept around it: the blur of the coarsest mip level a small label samples


def ink_boxes(atlas: FontAtlas) -> np.ndarray:
    """(cells, 4) float32: per atlas cell, the part of it a glyph quad needs, as (x0, y0, x1, y1) fractions
    of the cell with y up (text.vert's t): where its field reaches INK_FIELD, INK_MARGIN texels wider,
    within the 1/28 .. 27/28 the full quad takes. A quad cut to it draws the same pixels: outside, the field
    is 0 and so is every sample's coverage. An empty cell (a space) gets an empty box."""
    rows, cols = atlas.image.shape[0] // CELL, atlas.image.shape[1] // CELL
    cells = atlas.image.reshape(rows, CELL, cols, CELL).transpose(0, 2, 1, 3).reshape(rows * cols, CELL, CELL)
    inked = cells > INK_FIELD  # (cells, CELL rows from the top, CELL columns)
    lo, hi = 1.0 / 28.0, 27.0 / 28.0
    in_row, in_col = inked.any(axis=2), inked.any(axis=1)  # (cells, CELL) each: rows, columns with ink
    # The first and last inked row and column of every cell at once (argmax finds the first True).
    top, bottom = in_row.argmax(axis=1), CELL - 1 - in_row[:, ::-1].argmax(axis=1)  # (cells,) each
    left, right = in_col.argmax(axis=1), CELL - 1 - in_col[:, ::-1].argmax(axis=1)
    out = np.stack([np.maximum((left - INK_MARGIN) / CELL, lo),
                    np.maximum(1.0 - (bottom + 1 + INK_MARGIN) / CELL, lo),
                    np.minimum((right + 1 + INK_MARGIN) / CELL, hi),
                    np.minimum(1.0 - (top - INK_MARGIN) / CELL, hi)], axis=1).astype(np.float32)
    out[~in_row.any(axis=1)] = 0.0  # an empty cell: an empty box
    return out


def load_atlas(extra_chars: str = "") -> FontAtlas:
    """The atlas of CHARSET plus `extra_chars` (see atlas_charset), from ~/.cache/glviz when it was baked
    before with the same characters, fonts and settings."""
    charset = atlas_charset(extra_chars)
    path, fallback = font_path(), fonts.japanese()
    settings = f"{path}|{fallback}|{charset}|{CELL}|{FONT_PX}|{PAD}|{SPREAD}|{OVERSAMPLE}|subpixel|basic|raw"
    # A name, not a guard: the file's own charset is checked on reading. zlib rather than hashlib, which
    # loads OpenSSL's library as it is imported (5 - 7 ms of the app's start-up).
    raw = settings.encode()
    key = f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "glviz" / f"sdf-{key}.npz"
    atlas = _read_cached_atlas(cache, charset)
    if atlas is not None:
        return atlas
    atlas = bake_atlas(path, charset, fallback)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        # Not compressed: 1.6 MB on disk, read in 2 ms at every start where inflating took 10.
        np.savez(tmp, image=atlas.image, advance=atlas.advance, solid=atlas.solid, ascent=atlas.ascent,
                 charset=np.array(charset))
        tmp.replace(cache)
    except OSError:  # a read-only home is fine: bake again next time
        pass
    return atlas


def _read_cached_atlas(cache: Path, charset: str = CHARSET) -> FontAtlas | None:
    """The atlas of `charset` cached at `cache`, or None when it is missing or unusable (truncated, from
    another version, of other characters, hand-edited): then it is baked again and the cache rewritten,
    never an error at every start."""
    glyphs = len(charset) + 1
    rows = -(-glyphs // ATLAS_COLUMNS)
    try:
        with np.load(cache) as data:
            image, advance = np.asarray(data["image"]), np.asarray(data["advance"])
            solid, ascent, chars = int(data["solid"]), float(data["ascent"]), str(data["charset"])
    except Exception:  # missing, or corrupt: np.load raises zipfile, EOF, key and value errors alike
        return None
    shapes_ok = image.shape == (rows * CELL, ATLAS_COLUMNS * CELL) and advance.shape == (glyphs,)
    finite = np.isfinite(image).all() and np.isfinite(advance).all()
    if not shapes_ok or solid != len(charset) or chars != charset or not finite:
        return None
    return FontAtlas(image.astype(np.float32), {ch: i for i, ch in enumerate(charset)},
                     advance.astype(np.float32), solid, ascent)
