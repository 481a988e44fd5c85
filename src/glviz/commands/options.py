"""Option parsers shared by several commands."""

from __future__ import annotations

import re

from glviz.errors import GlvizError


def parse_size(text: str, minimum: int = 16, maximum: int = 8192) -> tuple[int, int]:
    """'1280x720' -> (1280, 720); GlvizError for anything else or for sides outside [minimum, maximum]."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise GlvizError(f"--size must look like 1280x720 ({text})")
    width, height = int(match.group(1)), int(match.group(2))
    if not (minimum <= width <= maximum and minimum <= height <= maximum):
        raise GlvizError(f"--size sides must be {minimum}..{maximum} pixels ({text})")
    return width, height
