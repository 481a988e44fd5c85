"""`glviz trace`: run the forward pass and write every named intermediate to an .npz file."""

from __future__ import annotations

import argparse
import json

import numpy as np

from glviz.commands.helptext import HelpText
from glviz.commands.model_input import (
    add_input_arguments,
    add_model_arguments,
    model_and_tokens,
    model_from_args,
    require_sort_model,
)
from glviz.commands.options import check_output, language_asked
from glviz.errors import GlvizError
from glviz.i18n import tr_count_in
from glviz.model.forward import Trace


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    add_input_arguments(parser)
    parser.add_argument("--float64", action="store_true", help=HelpText("cli.trace.float64"))
    parser.add_argument("--out", metavar="FILE.npz", required=True, help=HelpText("cli.trace.out"))


def run(args: argparse.Namespace) -> int:
    out = check_output(args.out, (".npz",), "--out")  # before the model loads and the trace runs
    if args.input is not None:
        from glviz.model.sort_task import nano_sequence, parse_letters

        letters = parse_letters(args.input)
        weights = model_from_args(args)
        require_sort_model(weights)
        # The sequence the app shows: the 6 letters and the model's first 5 sorted letters fed back.
        tokens = nano_sequence(weights, letters)
    else:
        weights, tokens = model_and_tokens(args)
    trace = Trace(weights, tokens, dtype=np.float64 if args.float64 else np.float32)
    values = trace.full()
    try:
        with open(out, "wb") as f:
            np.savez(f, **values, config=np.array(json.dumps(weights.config.to_dict())))
    except OSError as exc:
        raise GlvizError("error.write.trace", reason=exc.strerror, path=out) from None
    print(tr_count_in(language_asked(args), "cli.trace.wrote", trace.T, arrays=len(values), tokens=trace.T,
                      dtype=trace.dtype, out=out))
    return 0
