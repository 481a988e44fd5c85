"""`glviz train-sort`: train the nano model to sort letters, with glviz's own numpy backward pass."""

from __future__ import annotations

import argparse

from glviz.commands.helptext import HelpText
from glviz.commands.options import check_output, language_asked
from glviz.errors import GlvizError
from glviz.model.train import TrainSettings

# The shipped models/nano-sort.npz is what these defaults produce.
DEFAULTS = TrainSettings()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE.npz", help=HelpText("cli.train.out"))
    parser.add_argument("--steps", type=int, default=DEFAULTS.steps, metavar="N",
                        help=HelpText("cli.train.steps"))
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed, metavar="S",
                        help=HelpText("cli.train.seed"))
    parser.add_argument("--quiet", action="store_true", help=HelpText("cli.option.quiet"))


def run(args: argparse.Namespace) -> int:
    import dataclasses

    import numpy as np

    from glviz.i18n import tr_in
    from glviz.model.config import PRESETS
    from glviz.model.sort_task import TRAIN_LOSSES, all_inputs, sort_accuracy, training_batch
    from glviz.model.train import cross_entropy, forward, to_weights, train_sort
    from glviz.model.weights import save_npz

    out = check_output(args.out, (".npz",), "--out")  # before a minute of training
    if args.steps < 1:
        raise GlvizError("error.train.steps", steps=args.steps)
    if args.seed < 0:
        raise GlvizError("error.options.seed", seed=args.seed)

    lang = language_asked(args)
    config = PRESETS["nano"]
    settings = dataclasses.replace(DEFAULTS, steps=args.steps, seed=args.seed)
    result = train_sort(config, settings, progress=not args.quiet, lang=lang)

    inputs = all_inputs()  # (729, 6)
    tokens, targets, mask = training_batch(inputs)  # (729, 11) each
    final_loss, _ = cross_entropy(forward(result.params, config, tokens)[0], targets, mask)
    weights = to_weights(result.params, config)
    # The loss curve goes with the weights: the tour shows how glviz trained the model it explains.
    try:
        save_npz(weights, out, {TRAIN_LOSSES: np.asarray(result.losses, dtype=np.float32)})
    except OSError as exc:  # the folder was writable a minute ago; the disk may be full now
        raise GlvizError("error.write.weights", reason=exc.strerror, path=out) from None

    accuracy = sort_accuracy(weights, inputs)
    n_inputs = len(inputs)
    print(tr_in(lang, "cli.train.trained", steps=settings.steps, seed=settings.seed,
                seconds=f"{result.seconds:.1f}", loss=f"{final_loss:.3g}", out=out))
    print(tr_in(lang, "cli.train.accuracy", correct=int(np.round(accuracy * n_inputs)), total=n_inputs,
                percent=f"{100 * accuracy:.2f}"))
    return 0
