"""`glviz` / `glviz app [--model M] [--input CBABBC] [--weights PATH|NAME] [--size WxH] [--lang en|ja]`: open
the desktop app (with a GPT-2 checkpoint from disk or the local Hugging Face cache)."""

from __future__ import annotations

import argparse
import os
import sys

from glviz.commands.helptext import HelpText
from glviz.commands.options import add_lang_argument, add_letters_argument, parse_size
from glviz.model.config import APP_MODELS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=APP_MODELS, default="nano", help=HelpText("cli.app.model"))
    add_letters_argument(parser, remembered=True)
    parser.add_argument("--weights", metavar="PATH|NAME", help=HelpText("cli.app.weights"))
    parser.add_argument("--size", default="1280x800", metavar="WxH", help=HelpText("cli.app.size"))
    add_lang_argument(parser)


def run(args: argparse.Namespace) -> int:
    from glviz.model.sort_task import parse_letters

    size = parse_size(args.size, minimum=64)
    if args.input is not None:
        parse_letters(args.input)  # a bad --input is a one-line error before any window opens
    weights = None
    if args.weights is not None:
        from glviz.model.hf_cache import resolve_weights

        weights = resolve_weights(args.weights)  # a name not found is one line, before the window opens
    from glviz.ui.window import run_app
    from glviz.walkthrough.state import state_path

    # The tour opens at chapter 1 on a first launch, and where the learner left off after that.
    status = run_app(model=args.model, letters=args.input, size=size, state_path=state_path(), tour=True,
                     lang=args.lang, weights=weights)
    # The window is gone and its GL objects are released: what is left is the interpreter's teardown (freeing
    # every built layout's Python objects block by block, the GL driver's exit handlers), which made Ctrl+Q
    # take a noticeable while after the window closed, the longer the more models were loaded. Skip it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
