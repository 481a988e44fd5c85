"""Screenshots (key P): a PNG of the whole window in the pictures folder, never the current directory."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path


def pictures_dir(environ=None, home: Path | None = None) -> Path:
    """`<pictures>/glviz`, where <pictures> is XDG_PICTURES_DIR (from the environment or
    ~/.config/user-dirs.dirs, as xdg-user-dirs writes it), else ~/Pictures."""
    env = os.environ if environ is None else environ
    home = home or Path.home()
    pictures = env.get("XDG_PICTURES_DIR", "")
    if not pictures:
        config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        try:
            text = (config / "user-dirs.dirs").read_text(encoding="utf-8")
        except OSError:
            text = ""
        match = re.search(r'^XDG_PICTURES_DIR="([^"]*)"', text, flags=re.MULTILINE)
        if match:
            pictures = match.group(1).replace("$HOME", str(home))
    return Path(pictures or home / "Pictures") / "glviz"


def free_name(folder: Path, stem: str, suffix: str = ".png") -> Path:
    """`folder/stem.png`, or `stem-1.png`, `stem-2.png`, … where it is taken."""
    path = folder / f"{stem}{suffix}"
    n = 1
    while path.exists():
        path = folder / f"{stem}-{n}{suffix}"
        n += 1
    return path


def save_screenshot(fbo, width: int, height: int, folder: Path) -> Path:
    """Read the framebuffer and write it as a PNG in `folder` (made if missing); OSError if it cannot."""
    from PIL import Image

    pixels = fbo.read(viewport=(0, 0, width, height), components=3, alignment=1)
    image = Image.frombytes("RGB", (width, height), pixels).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    folder.mkdir(parents=True, exist_ok=True)
    path = free_name(folder, time.strftime("glviz-%Y%m%d-%H%M%S"))
    image.save(path)
    return path
