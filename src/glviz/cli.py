"""The one command-line entry point: `glviz [COMMAND] [OPTIONS]`; no command opens the app.

Each command lives in `glviz.commands.<module>` with `add_arguments(parser)` and `run(args) -> int`.
Only the chosen command's module is imported, so start-up stays fast.
"""

from __future__ import annotations

import argparse
import codecs
import gc
import importlib
import os
import re
import sys

from glviz.commands.helptext import HelpFormatter, HelpText
from glviz.errors import GlvizError
from glviz.model.blas import quiet_idle_threads

# command name -> (module under glviz.commands, one-line help: a catalogue key, i18n/*/cli.txt)
COMMANDS: dict[str, tuple[str, HelpText]] = {
    "app": ("app", HelpText("cli.command.app")),
    "render": ("render", HelpText("cli.command.render")),
    "trace": ("trace", HelpText("cli.command.trace")),
    "generate": ("generate", HelpText("cli.command.generate")),
    "train-sort": ("train_sort", HelpText("cli.command.train_sort")),
    "bench": ("bench", HelpText("cli.command.bench")),
    "chapters": ("chapters", HelpText("cli.command.chapters")),
    "record": ("record", HelpText("cli.command.record")),
}


class _Parser(argparse.ArgumentParser):
    """argparse with our one-line error format and exit status 2, and values that start with a minus sign
    taken as values where they can be: `--size -5x5`, `--temperature -inf`, `--tokens -1,2` reach the
    command's own check, which names them (argparse took them for options: 'expected one argument').
    Its help speaks `lang` (None: the locale's language), texts from the catalogue (commands.helptext)."""

    def __init__(self, *args, add_help: bool = True, **kwargs) -> None:
        self.lang: str | None = None
        self.commands: dict[str, _Parser] = {}  # the subcommands' parsers, by name
        super().__init__(*args, add_help=False, formatter_class=HelpFormatter, **kwargs)
        if add_help:  # argparse's own -h, with its help from the catalogue
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help=HelpText("cli.option.help"))
        # argparse's own pattern (before Python 3.13) knows only -5 and -.5; none of glviz's options looks
        # like a number, so anything that starts like one is a value.
        self._negative_number_matcher = re.compile(r"-\.?(\d|inf|nan)", re.IGNORECASE)
        self._given: list[str] = []

    def speak(self, lang: str | None) -> None:
        """Show help (and this module's hint on errors) in `lang`, here and in every subcommand."""
        self.lang = lang
        for parser in self.commands.values():
            parser.speak(lang)

    def _get_formatter(self) -> argparse.HelpFormatter:
        formatter = super()._get_formatter()
        formatter.lang = self.lang
        return formatter

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> None:  # type: ignore[override]
        missing = re.fullmatch(r"argument (\S+): expected one argument", message)
        for option in missing.group(1).split("/") if missing else ():
            at = self._given.index(option) + 1 if option in self._given else len(self._given)
            if at < len(self._given) and re.match(r"-[^-]", self._given[at]):  # `--prompt -hello`
                from glviz.i18n import system_language, tr_in

                value = self._given[at]
                lang = self.lang or system_language()
                message += f"; {tr_in(lang, 'cli.hint.dash_value', option=option, value=value)}"
                break
        sys.stderr.write(f"glviz: error: {message}\n")
        raise SystemExit(2)


def build_parser(command: str | None, lang: str | None = None) -> _Parser:
    """The parser; only `command`'s options are added, from its own module. Its help speaks `lang` (None:
    the locale's language)."""
    from glviz import __version__

    parser = _Parser(prog="glviz", description=HelpText("cli.description"))
    parser.add_argument("--version", action="version", version=f"glviz {__version__}",
                        help=HelpText("cli.option.version"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in COMMANDS.items():
        parser.commands[name] = p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            importlib.import_module(f"glviz.commands.{module}").add_arguments(p)
    parser.speak(lang)
    return parser


def lang_given(argv: list[str], parser: _Parser, command: str | None) -> str | None:
    """The language `--lang` asks for in `argv` (`--lang ja`, `--lang=ja`; the last one counts), where
    `command` has that option and the value names a language; else None. Help is shown while argv is
    parsed, before the option's own value is known: `glviz render --lang ja --help` speaks Japanese."""
    option = parser.commands[command]._option_string_actions.get("--lang") if command else None
    if option is None:
        return None
    lang = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--lang="):
            value = arg[len("--lang="):]
        else:
            continue
        if value in option.choices:
            lang = value
    return lang


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the command, turn user mistakes into `glviz: error: ...` and exit 2."""
    # Start-up makes hundreds of thousands of objects that live as long as the program (modules, classes,
    # the tour's scripts); collecting garbage while they are made walks them again and again, ~0.2 s of the
    # app's first frame. The collector is off until the command starts, or until the app's first frame (the
    # window then freezes what start-up made at its first idle moment: ui/window.run_app).
    gc.disable()
    argv = list(sys.argv[1:] if argv is None else argv)
    quiet_idle_threads(argv[0] if argv else None)
    try:
        return _run(argv)
    finally:
        gc.enable()


def _run(argv: list[str]) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        # A file name that is not UTF-8 reaches Python as lone surrogates; printing it back ("wrote ...")
        # raised UnicodeEncodeError under a UTF-8 locale after the work was done. Print its own bytes, and
        # text the locale's encoding lacks (Japanese titles under Latin-1) as \u escapes.
        codecs.register_error("glviz.stdout", _own_bytes_or_escaped)
        sys.stdout.reconfigure(errors="glviz.stdout")
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["app", *argv]
    command = argv[0] if argv[0] in COMMANDS else None
    parser = build_parser(command)
    parser.speak(lang_given(argv, parser, command))  # help in the command's language
    args = parser.parse_args(argv)  # argv starts with a command unless it asks for help
    module = importlib.import_module(f"glviz.commands.{COMMANDS[args.command][0]}")
    if args.command != "app":  # the window turns it on after its first frame (ui.window.run_app)
        gc.enable()
    stdout = sys.stdout
    try:
        if args.command != "app":  # the window's libraries may want the real stream
            sys.stdout = _Output(stdout)
        status = int(module.run(args) or 0)
        sys.stdout.flush()  # what print() left in the buffer: a full disk shows here, not at Python's exit
        return status
    except _ReaderGone:  # stdout's reader went away (`glviz generate ... | head`): stop quietly, as tools do
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a tool that a closed pipe stopped
    except GlvizError as exc:  # in the command's language: its --lang, else the locale's
        from glviz.commands.options import language_asked

        sys.stderr.write(f"glviz: error: {exc.text(language_asked(args))}\n")
        return 2
    except KeyboardInterrupt:
        from glviz.commands.options import language_asked
        from glviz.i18n import tr_in

        sys.stderr.write(f"glviz: {tr_in(language_asked(args), 'cli.interrupted')}\n")
        return 130
    finally:
        sys.stdout = stdout


def _own_bytes_or_escaped(exc: UnicodeError) -> tuple[str | bytes, int]:
    try:
        return codecs.lookup_error("surrogateescape")(exc)
    except UnicodeError:
        return codecs.lookup_error("backslashreplace")(exc)


class _ReaderGone(Exception):
    """stdout is a pipe whose reader has gone (a BrokenPipeError of stdout's, not of any other pipe)."""


class _Output:
    """stdout for a command: a write that fails (a full disk) is a GlvizError, not a traceback; a closed pipe
    is _ReaderGone."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._call(self._stream.write, text)

    def flush(self) -> None:
        self._call(self._stream.flush)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)

    @staticmethod
    def _call(method, *args):
        try:
            return method(*args)
        except BrokenPipeError:
            raise _ReaderGone from None
        except OSError as exc:
            raise GlvizError("error.write.stdout", reason=exc.strerror) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit does not report the closed pipe again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (a test's captured stdout): nothing to flush at exit
        pass
