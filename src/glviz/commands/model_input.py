"""Options shared by `glviz trace` and `glviz generate`: which model, and which tokens to run it on."""

from __future__ import annotations

import argparse

import numpy as np

from glviz.commands.helptext import HelpText
from glviz.errors import GlvizError
from glviz.model.sort_task import DEFAULT_LETTERS, LETTERS, parse_letters
from glviz.model.weights import Weights, load_model

DEFAULT_PROMPT = "The quick brown fox jumps over the lazy dog"  # what a checkpoint shows until told otherwise


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--model NAME | --weights PATH."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--model", metavar="NAME", help=HelpText("cli.model.model"))
    group.add_argument("--weights", metavar="PATH", help=HelpText("cli.model.weights"))


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """--input LETTERS | --tokens IDS | --prompt TEXT (one is required)."""
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--input", metavar="LETTERS", help=HelpText("cli.model.input"))
    group.add_argument("--tokens", metavar="IDS", help=HelpText("cli.model.tokens"))
    group.add_argument("--prompt", metavar="TEXT", help=HelpText("cli.model.prompt"))


def model_from_args(args: argparse.Namespace) -> Weights:
    """The weights that --model / --weights name (a path, or a model's name in the Hugging Face cache)."""
    return load_model(args.model, args.weights)


def parse_token_list(text: str) -> np.ndarray:
    """'1,2,3' (or '1 2 3') -> int64 array; GlvizError for anything else."""
    parts = text.replace(",", " ").split()
    try:
        ids = [int(part) for part in parts]
    except ValueError:
        raise GlvizError("error.tokens_option.format", text=repr(text)) from None
    if not ids:
        raise GlvizError("error.tokens_option.empty", text=repr(text))
    too_large = [i for i in ids if not -(2**63) <= i < 2**63]
    if too_large:  # beyond any vocabulary (and beyond int64, where numpy would raise OverflowError)
        raise GlvizError("error.tokens_option.too_large", token=too_large[0])
    return np.asarray(ids, dtype=np.int64)


def is_sort_model(weights: Weights) -> bool:
    """Whether the model's vocabulary is the sort task's A, B, C."""
    return weights.config.vocab_size == len(LETTERS)


def require_sort_model(weights: Weights) -> None:
    """--input letters only mean something to a model whose vocabulary is A, B, C."""
    if not is_sort_model(weights):
        raise GlvizError("error.input.not_sort_model", name=weights.config.name,
                         vocab=weights.config.vocab_size)


def prompt_tokens(weights: Weights, text: str) -> np.ndarray:
    """--prompt TEXT encoded with the model's tokenizer."""
    if weights.tokenizer is None:
        raise GlvizError("error.prompt.no_tokenizer", name=weights.config.name)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes of another encoding on the command line reach Python as surrogates
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise GlvizError("error.prompt.not_utf8", text=shown) from None
    tokenizer = weights.tokenizer
    if tokenizer.vocab_size > weights.config.vocab_size:
        raise GlvizError("error.prompt.vocab_larger", tokenizer=tokenizer.vocab_size,
                         model=weights.config.vocab_size, path=tokenizer.source)
    ids = tokenizer.encode(text)
    if ids.size == 0:
        raise GlvizError("error.prompt.no_tokens", text=repr(text))
    return ids


def model_and_tokens(args: argparse.Namespace) -> tuple[Weights, np.ndarray]:
    """The weights that --model / --weights name and the ids of --tokens or --prompt. --tokens is read before
    the weights load, so that a typo there fails at once, not after a checkpoint is read."""
    if args.tokens is not None:
        tokens = parse_token_list(args.tokens)
        return model_from_args(args), tokens
    weights = model_from_args(args)
    return weights, prompt_tokens(weights, args.prompt)


def default_tokens(weights: Weights) -> np.ndarray:
    """DEFAULT_PROMPT in the model's tokens (cut to its context), a sort model's six letters to sort, or ids
    0..7 without a usable tokenizer."""
    if is_sort_model(weights) and weights.config.block_size >= len(DEFAULT_LETTERS):
        return parse_letters(DEFAULT_LETTERS)  # (6,) int64
    if weights.tokenizer is not None:
        try:
            tokens = weights.tokenizer.encode(DEFAULT_PROMPT)  # (T,) int64
            if len(tokens) and tokens.max() < weights.config.vocab_size:
                return tokens[: weights.config.block_size]
        except GlvizError:  # a tokenizer that cannot encode is no reason to fail the picture
            pass
    n = min(8, weights.config.block_size)
    return np.arange(n, dtype=np.int64) % weights.config.vocab_size
