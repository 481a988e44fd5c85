"""The signed-distance font atlas of the 3D labels, baked at run time and cached under ~/.cache/glviz.

The atlas is baked from Roboto (shipped inside imgui-bundle) with Pillow: each glyph is drawn 4x larger than
its atlas cell and the distance from every cell texel to the nearest outline pixel is found by brute force in
numpy (about a second for the whole character set, so the result is cached).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHARSET = "".join(chr(c) for c in range(32, 127)) + "γβΣσμ×·√²ε–—∑"
CELL = 56  # atlas texels per glyph cell (room for 2 mipmap levels without bleeding)
FONT_PX = 30  # font size in atlas texels
PAD = 9  # texels between the cell's left/top edge and the pen origin / ascent line
SPREAD = 5.0  # texels of distance mapped to 0..0.5 of the field
OVERSAMPLE = 4
ATLAS_COLUMNS = 16

def font_path() -> Path | None:
    """Roboto-Regular.ttf inside the installed imgui-bundle, or None."""
    try:
        import imgui_bundle
    except ImportError:
        return None
    root = Path(imgui_bundle.__file__).parent
    shipped = root / "assets/fonts/Roboto/Roboto-Regular.ttf"
    if shipped.is_file():
        return shipped
    # Walking the package only when the usual place moved: it is not free, and the app asks at start-up.
    return next((p for p in root.glob("**/Roboto-Regular.ttf") if p.is_file()), None)


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


def _outline_points(coverage: np.ndarray) -> np.ndarray:
    """(E, 2) sub-pixel points (row, col, in pixel units) where antialiased coverage crosses one half.

    Interpolating the crossing between neighbouring pixels places the outline to a tenth of a pixel, which
    keeps the magnified glyph edges smooth (pixel-centre outlines make them wobble)."""
    points = []
    for axis in (0, 1):
        a = coverage[:-1, :] if axis == 0 else coverage[:, :-1]
        b = coverage[1:, :] if axis == 0 else coverage[:, 1:]
        crossing = (a >= 0.5) != (b >= 0.5)
        rows, cols = np.nonzero(crossing)
        t = (a[rows, cols] - 0.5) / (a[rows, cols] - b[rows, cols])  # 0..1 from a to b
        step = np.stack([rows + 0.5, cols + 0.5], axis=1).astype(np.float32)
        step[:, axis] += t
        points.append(step)
    return np.concatenate(points)


def _signed_distance(coverage: np.ndarray) -> np.ndarray:
    """(CELL, CELL) field in 0..1 (0.5 on the outline, above inside) of an oversampled coverage image."""
    edge = _outline_points(coverage)
    if len(edge) == 0:
        return np.zeros((CELL, CELL), dtype=np.float32)
    centres = (np.arange(CELL, dtype=np.float32) + 0.5) * OVERSAMPLE
    yy, xx = np.meshgrid(centres, centres, indexing="ij")
    points = np.stack([yy.ravel(), xx.ravel()], axis=1)  # (CELL*CELL, 2)
    best = np.full(len(points), np.inf, dtype=np.float32)
    for start in range(0, len(edge), 512):  # bounded temporaries
        e = edge[start: start + 512]
        d2 = (points[:, None, 0] - e[None, :, 0]) ** 2 + (points[:, None, 1] - e[None, :, 1]) ** 2
        best = np.minimum(best, d2.min(axis=1))
    distance = np.sqrt(best) / OVERSAMPLE
    # Inside or out: the coverage of the pixel under the texel centre.
    inside = coverage[yy.ravel().astype(int), xx.ravel().astype(int)] >= 0.5
    signed = np.where(inside, distance, -distance)
    return np.clip(0.5 + signed / (2 * SPREAD), 0.0, 1.0).astype(np.float32).reshape(CELL, CELL)


def bake_atlas(path: Path | None = None, charset: str = CHARSET) -> FontAtlas:
    """Render `charset` with the font at `path` (Roboto by default; Pillow's own font as a fallback)."""
    from PIL import Image, ImageDraw, ImageFont

    path = path or font_path()
    size = FONT_PX * OVERSAMPLE
    font = ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)
    ascent, _ = font.getmetrics()
    cells = len(charset) + 1
    rows = -(-cells // ATLAS_COLUMNS)
    image = np.zeros((rows * CELL, ATLAS_COLUMNS * CELL), dtype=np.float32)
    advance = np.zeros(cells, dtype=np.float32)
    big = CELL * OVERSAMPLE
    for i, ch in enumerate(charset):
        canvas = Image.new("L", (big, big), 0)
        ImageDraw.Draw(canvas).text((PAD * OVERSAMPLE, PAD * OVERSAMPLE + ascent), ch, font=font, fill=255,
                                    anchor="ls")
        field = _signed_distance(np.asarray(canvas, dtype=np.float32) / 255.0)
        r, c = divmod(i, ATLAS_COLUMNS)
        image[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL] = field
        advance[i] = font.getlength(ch) / size
    solid = len(charset)
    r, c = divmod(solid, ATLAS_COLUMNS)
    image[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL] = 1.0
    return FontAtlas(image, {ch: i for i, ch in enumerate(charset)}, advance, solid, ascent / size)


def load_atlas() -> FontAtlas:
    """The baked atlas, from ~/.cache/glviz when it was baked before with the same font and settings."""
    path = font_path()
    settings = f"{path}|{CHARSET}|{CELL}|{FONT_PX}|{PAD}|{SPREAD}|{OVERSAMPLE}|subpixel"
    key = hashlib.sha1(settings.encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "glviz" / f"sdf-{key}.npz"
    atlas = _read_cached_atlas(cache)
    if atlas is not None:
        return atlas
    atlas = bake_atlas(path)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, image=atlas.image, advance=atlas.advance, solid=atlas.solid,
                            ascent=atlas.ascent)
        tmp.replace(cache)
    except OSError:  # a read-only home is fine: bake again next time
        pass
    return atlas


def _read_cached_atlas(cache: Path) -> FontAtlas | None:
    """The atlas cached at `cache`, or None when it is missing or unusable (truncated, from another
    version, hand-edited): then it is baked again and the cache rewritten, never an error at every start."""
    glyphs = len(CHARSET) + 1
    rows = -(-glyphs // ATLAS_COLUMNS)
    try:
        with np.load(cache) as data:
            image, advance = np.asarray(data["image"]), np.asarray(data["advance"])
            solid, ascent = int(data["solid"]), float(data["ascent"])
    except Exception:  # missing, or corrupt: np.load raises zipfile, EOF, key and value errors alike
        return None
    shapes_ok = image.shape == (rows * CELL, ATLAS_COLUMNS * CELL) and advance.shape == (glyphs,)
    finite = np.isfinite(image).all() and np.isfinite(advance).all()
    if not shapes_ok or solid != len(CHARSET) or not finite:
        return None
    return FontAtlas(image.astype(np.float32), {ch: i for i, ch in enumerate(CHARSET)},
                     advance.astype(np.float32), solid, ascent)
