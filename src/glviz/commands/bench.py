"""`glviz bench {forward,render,app,gpt2}`: speed and memory, medians of several runs."""

from __future__ import annotations

import argparse
import importlib

from glviz.commands.helptext import HelpText
from glviz.errors import GlvizError

TARGETS = ("forward", "render", "app", "gpt2", "tour")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", nargs="?", choices=(*TARGETS, "all"), default="all",
                        help=HelpText("cli.bench.target"))
    parser.add_argument("--json", action="store_true", help=HelpText("cli.bench.json"))
    parser.add_argument("--runs", type=int, default=5, help=HelpText("cli.bench.runs"))


def run(args: argparse.Namespace) -> int:
    if args.runs < 1:  # 0 or less meant the default, or each benchmark's minimum, silently: minutes of work
        raise GlvizError("error.bench.runs", runs=args.runs)
    targets = TARGETS if args.target == "all" else (args.target,)
    status = 0
    for target in targets:
        status = max(status, int(importlib.import_module(f"glviz.bench.{target}").run(args) or 0))
    return status
