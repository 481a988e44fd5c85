"""Where glviz's fonts are, and which characters each one draws. No GL, no imgui.

Roboto (regular, bold, italic) ships inside imgui-bundle; Noto Sans JP (SIL OFL 1.1) comes with the
`pylopdf-fonts-jp` package, a dependency. A font that is not installed is None, never an error: the panel
then falls back to English and the 3D labels to Roboto.

Which characters a font has is read from its `cmap` table (formats 4 and 12, the ones every TrueType and
OpenType font carries): Pillow draws a missing character as the font's .notdef box without saying so, and
fontTools is not a dependency.
"""

from __future__ import annotations

import importlib.util
import mmap
import struct
from functools import cache
from pathlib import Path

import numpy as np

ROBOTO_FILES = {"regular": "Roboto-Regular.ttf", "bold": "Roboto-Bold.ttf",
                "italic": "Roboto-RegularItalic.ttf"}


def roboto(style: str = "regular") -> Path | None:
    """Roboto of `style` ("regular", "bold" or "italic") inside the installed imgui-bundle, or None."""
    if style not in ROBOTO_FILES:
        raise ValueError(f"unknown Roboto style {style!r} (one of {', '.join(ROBOTO_FILES)})")
    return _roboto(ROBOTO_FILES[style])


@cache
def _roboto(name: str) -> Path | None:
    # The package's folder, found without importing it: a command that draws no panel (render, record)
    # would otherwise load imgui-bundle's extension for a file name (0.15 - 0.2 s).
    try:
        spec = importlib.util.find_spec("imgui_bundle")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    shipped = root / "assets/fonts/Roboto" / name
    if shipped.is_file():
        return shipped
    # Walking the package only when the usual place moved: it is not free, and the app asks at start-up.
    return next((p for p in root.glob(f"**/{name}") if p.is_file()), None)


def font_path() -> Path | None:
    """Roboto-Regular.ttf (the 3D labels' and the panel's Latin font), or None."""
    return roboto("regular")


@cache
def japanese() -> Path | None:
    """Noto Sans JP Regular from the `pylopdf-fonts-jp` package, or None when it is not installed."""
    try:
        import pylopdf_fonts_jp
    except ImportError:
        return None
    try:
        path = Path(pylopdf_fonts_jp.sans_path())
    except Exception:  # a package of another shape: as good as missing
        return None
    return path if path.is_file() else None


@cache
def codepoints(path: Path) -> frozenset[int]:
    """Every character the font at `path` maps to a glyph (empty when the file is missing or unreadable)."""
    try:
        with _mapped(path) as data:
            return frozenset(_cmap_codepoints(data))
    except (OSError, ValueError, struct.error):
        return frozenset()


def has_glyph(path: Path | None, char: str) -> bool:
    """Whether the font at `path` has a glyph of its own for `char` (not the .notdef box)."""
    return path is not None and ord(char) in codepoints(path)


@cache
def height_em(path: Path) -> float | None:
    """The font's line height (hhea ascender − descender) in em, or None when unreadable.

    imgui sizes a font by this height, not by its em (stb_truetype's ScaleForPixelHeight): two fonts of
    one pixel size have ems in the inverse ratio of their heights (Roboto 1.17, Noto Sans JP 1.45)."""
    try:
        with _mapped(path) as data:
            tables = _tables(data)
            (units,) = struct.unpack_from(">H", data, tables[b"head"][0] + 18)
            ascender, descender = struct.unpack_from(">hh", data, tables[b"hhea"][0] + 4)
    except (OSError, ValueError, KeyError, struct.error):  # (ValueError: an empty file cannot be mapped)
        return None
    return (ascender - descender) / units if units and ascender > descender else None


def _mapped(path: Path) -> mmap.mmap:
    """The font file mapped read-only (a context manager): the few tables read are all that is paged in,
    not the whole file (Noto Sans JP is 4.5 MB)."""
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _tables(data: bytes) -> dict[bytes, tuple[int, int]]:
    """The font's tables: tag -> (offset, length). A collection (.ttc/.otc) gives its first font."""
    base = 0
    if data[:4] == b"ttcf":
        (base,) = struct.unpack_from(">I", data, 12)
    (count,) = struct.unpack_from(">H", data, base + 4)
    out = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, base + 12 + 16 * i)
        out[tag] = (offset, length)
    return out


def _cmap_codepoints(data: bytes) -> set[int]:
    """Characters with a non-zero glyph in the best Unicode subtable of the font's cmap."""
    tables = _tables(data)
    if b"cmap" not in tables:
        raise ValueError("no cmap table")
    cmap, _ = tables[b"cmap"]
    (n,) = struct.unpack_from(">H", data, cmap + 2)
    subtables = {}
    for i in range(n):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        (fmt,) = struct.unpack_from(">H", data, cmap + offset)
        unicode = platform == 0 or (platform == 3 and encoding in (1, 10))
        if unicode and fmt in (4, 12):
            subtables.setdefault(fmt, cmap + offset)
    if 12 in subtables:  # the full range; format 4 stops at U+FFFF
        return _format12(data, subtables[12])
    if 4 in subtables:
        return _format4(data, subtables[4])
    raise ValueError("no Unicode cmap subtable of format 4 or 12")


def _format12(data: bytes, at: int) -> set[int]:
    (groups,) = struct.unpack_from(">I", data, at + 12)
    # A copy of the groups (bytes): no array may point into the mapped file when it is closed.
    table = np.frombuffer(bytes(data[at + 16 : at + 16 + 12 * groups]), dtype=">u4").reshape(groups, 3)
    start, end, glyph = (table[:, i].astype(np.int64) for i in range(3))  # (groups,) each
    start = start + (glyph == 0)  # only glyph 0 is .notdef
    lengths = np.maximum(end + 1 - start, 0)  # (groups,)
    # Every code point of every group at once: each group's start, repeated, plus the running count within it.
    first = np.repeat(start - (np.cumsum(lengths) - lengths), lengths)  # (total,)
    return set((first + np.arange(len(first))).tolist())


def _format4(data: bytes, at: int) -> set[int]:
    (seg_x2,) = struct.unpack_from(">H", data, at + 6)
    segs = seg_x2 // 2
    ends = struct.unpack_from(f">{segs}H", data, at + 14)
    starts = struct.unpack_from(f">{segs}H", data, at + 16 + seg_x2)
    deltas = struct.unpack_from(f">{segs}h", data, at + 16 + 2 * seg_x2)
    range_at = at + 16 + 3 * seg_x2
    offsets = struct.unpack_from(f">{segs}H", data, range_at)
    out: set[int] = set()
    for i, (start, end, delta, offset) in enumerate(zip(starts, ends, deltas, offsets, strict=True)):
        if start == 0xFFFF:
            continue
        for c in range(start, end + 1):
            if offset == 0:
                glyph = (c + delta) & 0xFFFF
            else:  # idRangeOffset counts bytes from its own slot into glyphIdArray
                (glyph,) = struct.unpack_from(">H", data, range_at + 2 * i + offset + 2 * (c - start))
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                out.add(c)
    return out
