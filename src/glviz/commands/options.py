"""Option parsers shared by several commands."""

from __future__ import annotations

import os
import re
from pathlib import Path

from glviz.commands.helptext import HelpText
from glviz.errors import GlvizError, Text, one_of

_OUTPUT = Text("error.words.output")  # what check_output calls the file when no option is named


def parse_size(text: str, minimum: int = 16, maximum: int = 8192) -> tuple[int, int]:
    """'1280x720' -> (1280, 720); GlvizError for anything else or for sides outside [minimum, maximum]."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise GlvizError("error.size.format", text=text)
    width, height = int(match.group(1)), int(match.group(2))
    if not (minimum <= width <= maximum and minimum <= height <= maximum):
        raise GlvizError("error.size.range", minimum=minimum, maximum=maximum, text=text)
    return width, height


def check_output(given: str | Path, suffixes: tuple[str, ...], what: object = _OUTPUT) -> Path:
    """GlvizError unless `given` names a file glviz can write with one of `suffixes` (".png", …): checked
    before any work, so that a typo never costs a render or a recording. Returns it as a Path."""
    path = Path(given)
    ending = one_of(suffixes)
    if str(given).endswith(("/", "\\")) or _is_dir(path):
        raise GlvizError("error.output.folder", what=what, ending=ending, path=given)
    if path.suffix.lower() not in suffixes:
        raise GlvizError("error.output.suffix", what=what, ending=ending, path=given)
    require_output_folder(path)
    _try_writing(path, what)
    return path


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long for the file system, say: _try_writing names the reason
        return False


def _try_writing(path: Path, what: str) -> None:
    """Open `path` for writing as the command will (a new file is made and removed again; an existing one
    is opened without changing it): what permission bits cannot tell (a root user, a read-only file system,
    /proc, a name too long, a full inode table) fails here, not after the work. Non-blocking, so that a FIFO
    cannot hang the check."""
    flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0)
    target = os.path.realpath(path)  # a link, even one to a file not made yet, is written through
    try:
        try:
            fd = os.open(target, flags | os.O_CREAT | os.O_EXCL, 0o666)
            created = True
        except FileExistsError:
            fd = os.open(target, flags)
            created = False
        os.close(fd)
        if created:
            os.unlink(target)
    except OSError as exc:
        raise GlvizError("error.output.unwritable", what=what, reason=exc.strerror, path=path) from None


def require_output_folder(path: Path) -> None:
    """GlvizError unless the folder `path` is written into exists: a typo in the path must not create
    folders, nor fail only after the work is done."""
    if not path.parent.is_dir():
        raise GlvizError("error.output.no_folder", path=path.parent)


def add_lang_argument(parser) -> None:
    """--lang en|ja (default: the locale's language)."""
    from glviz.i18n import LANGUAGES

    parser.add_argument("--lang", choices=LANGUAGES, default=None, help=HelpText("cli.option.lang"))


def add_letters_argument(parser, remembered: bool = False) -> None:
    """--input LETTERS for the nano model, DEFAULT_LETTERS by default (the recording's). `remembered` (the
    app's): None when not given, so that the letters of the last launch can come back."""
    from glviz.model.sort_task import DEFAULT_LETTERS

    parser.add_argument("--input", default=None if remembered else DEFAULT_LETTERS, metavar="LETTERS",
                        help=HelpText("cli.app.letters" if remembered else "cli.option.letters"))


def language_asked(args) -> str:
    """The language --lang asks for where the command has it, else the locale's; sets nothing."""
    from glviz import i18n

    return getattr(args, "lang", None) or i18n.system_language()


def language_of(args) -> str:
    """The language --lang asks for, else the locale's; set for every later tr()."""
    from glviz import i18n

    lang = language_asked(args)
    i18n.set_language(lang)
    return lang
