"""`glviz generate`: sort letters with the nano model, or continue a prompt with a checkpoint."""

from __future__ import annotations

import argparse
import sys

from glviz.commands.helptext import HelpText
from glviz.commands.model_input import (
    add_input_arguments,
    add_model_arguments,
    is_sort_model,
    model_and_tokens,
    model_from_args,
    require_sort_model,
)
from glviz.commands.options import language_asked
from glviz.errors import GlvizError

DEFAULT_NEW_TOKENS = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    add_input_arguments(parser)
    parser.add_argument("--max-new-tokens", type=int, metavar="N",
                        help=HelpText("cli.generate.max_new_tokens", n=DEFAULT_NEW_TOKENS))
    parser.add_argument("--ids", action="store_true", help=HelpText("cli.generate.ids"))
    parser.add_argument("--temperature", type=float, metavar="T", help=HelpText("cli.generate.temperature"))
    parser.add_argument("--top-k", type=int, metavar="K", help=HelpText("cli.generate.top_k"))
    parser.add_argument("--top-p", type=float, metavar="P", help=HelpText("cli.generate.top_p"))
    parser.add_argument("--seed", type=int, default=0, metavar="S", help=HelpText("cli.generate.seed"))


def run(args: argparse.Namespace) -> int:
    if args.seed < 0:
        raise GlvizError("error.options.seed", seed=args.seed)
    if args.input is not None:
        from glviz.model.sort_task import format_letters, greedy_sort, parse_letters

        letters = parse_letters(args.input)
        if args.temperature is not None or args.top_k is not None or args.top_p is not None:
            raise GlvizError("error.generate.sampling_with_input", input=args.input)
        if args.max_new_tokens is not None or args.ids:
            given = "--max-new-tokens" if args.max_new_tokens is not None else "--ids"
            raise GlvizError("error.generate.option_with_input", option=given, input=args.input)
        weights = model_from_args(args)
        require_sort_model(weights)
        print(format_letters(greedy_sort(weights, letters[None, :])[0]))
        return 0
    from glviz.i18n import tr_count_in, tr_in
    from glviz.model.generate import generate_stream

    weights, tokens = model_and_tokens(args)
    lang = language_asked(args)
    notes = []  # written once every option is known to be good: a mistake is the only line on stderr
    if args.weights is None and args.model not in (None, "nano"):
        notes.append(tr_in(lang, "cli.generate.note.random", model=args.model))
    max_new = DEFAULT_NEW_TOKENS if args.max_new_tokens is None else args.max_new_tokens
    context = weights.config.block_size
    if is_sort_model(weights) and max_new > context + 1 - len(tokens):
        # The sort model was trained on sequences of its context length only: stop at the last position's
        # prediction, as it always has, rather than refuse.
        max_new = context + 1 - len(tokens)
        if max_new <= 0:
            raise GlvizError("error.generate.sort_context", context=context, n=len(tokens))
        notes.append(tr_count_in(lang, "cli.generate.note.stopped", max_new, n=max_new, context=context))
    # generate_stream checks the tokens and every option before it returns
    stream = generate_stream(weights, tokens, max_new, temperature=args.temperature, top_k=args.top_k,
                             top_p=args.top_p, seed=args.seed)
    for note in notes:
        sys.stderr.write(f"glviz: note: {note}\n")
    printer = _Printer(None if args.ids else weights.tokenizer)
    try:
        for token in stream:
            printer.add(token)
    except KeyboardInterrupt:  # Ctrl+C: what is printed stays, on a line of its own
        printer.end()
        raise
    printer.end()
    return 0


class _Printer:
    """Prints tokens as they come, flushed: ids separated by spaces, or text (a character split over several
    byte-level tokens is held back until it is whole)."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.shown = ""

    def add(self, token: int) -> None:
        self.ids.append(token)
        if self.tokenizer is None:
            self._write(("" if len(self.ids) == 1 else " ") + str(token))
            return
        text = self.tokenizer.decode(self.ids)
        if not text.endswith("\ufffd") and text.startswith(self.shown):
            self._write(text[len(self.shown):])
            self.shown = text

    def end(self) -> None:
        if self.tokenizer is not None:
            text = self.tokenizer.decode(self.ids)
            if text.startswith(self.shown):
                self._write(text[len(self.shown):])
        self._write("\n")

    @staticmethod
    def _write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()
