"""`glviz` / `glviz app [--model M] [--input CBABBC] [--size WxH]`: open the desktop application."""

from __future__ import annotations

import argparse

from glviz.errors import GlvizError

APP_MODELS = ("nano", "gpt2", "gpt2-xl", "gpt3")


def parse_size(text: str) -> tuple[int, int]:
    """'1280x800' -> (1280, 800); GlvizError for anything else."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise GlvizError(f"size must be WIDTHxHEIGHT, e.g. 1280x800 ({text!r})") from None
    if not (64 <= width <= 16384 and 64 <= height <= 16384):
        raise GlvizError(f"size must be between 64 and 16384 pixels per side ({text!r})")
    return width, height


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=APP_MODELS, default="nano", help="first model (default: nano)")
    parser.add_argument("--input", default="CBABBC", metavar="LETTERS",
                        help="six letters of A/B/C for the nano model (default: CBABBC)")
    parser.add_argument("--size", default="1280x800", metavar="WxH", help="window size (default: 1280x800)")


def run(args: argparse.Namespace) -> int:
    from glviz.model.sort_task import parse_letters

    size = parse_size(args.size)
    parse_letters(args.input)  # a bad --input is a one-line error before any window opens
    from glviz.ui.app import run_app

    return run_app(model=args.model, letters=args.input, size=size)
