"""`glviz render`: draw the 3D scene offscreen (EGL, no display needed) and write a PNG."""

from __future__ import annotations

import argparse

from glviz.commands.helptext import HelpText
from glviz.commands.model_input import default_tokens
from glviz.commands.options import add_lang_argument, check_output, language_asked, parse_size
from glviz.errors import GlvizError
from glviz.model.config import APP_MODELS
from glviz.model.sort_task import DEFAULT_LETTERS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=APP_MODELS, help=HelpText("cli.render.model"))
    parser.add_argument("--weights", metavar="PATH", help=HelpText("cli.render.weights"))
    inputs = parser.add_mutually_exclusive_group()
    inputs.add_argument("--input", metavar="LETTERS",
                        help=HelpText("cli.render.input", letters=DEFAULT_LETTERS))
    inputs.add_argument("--tokens", metavar="IDS", help=HelpText("cli.render.tokens"))
    inputs.add_argument("--prompt", metavar="TEXT", help=HelpText("cli.render.prompt"))
    parser.add_argument("--view", default="overview", metavar="VIEW", help=HelpText("cli.render.view"))
    parser.add_argument("--size", default="1280x720", metavar="WxH", help=HelpText("cli.render.size"))
    parser.add_argument("--out", required=True, metavar="PNG", help=HelpText("cli.render.out"))
    parser.add_argument("--chapter", metavar="ID", help=HelpText("cli.render.chapter"))
    parser.add_argument("--at", type=float, default=0.0, metavar="FRACTION", help=HelpText("cli.render.at"))
    add_lang_argument(parser)


def load_scene_data(model: str | None, weights_path: str | None, letters: str | None = None,
                    tokens: str | None = None, prompt: str | None = None):
    """(layout, trace or None) for the command's options: a render-only preset has no trace; nano and a
    checkpoint trace the letters (sort model), the tokens, the prompt, or a default. GlvizError for an
    option that cannot apply, rather than ignoring it."""
    from glviz.commands.model_input import is_sort_model, parse_token_list, prompt_tokens, require_sort_model
    from glviz.layout.build import build_layout
    from glviz.model.config import get_preset
    from glviz.model.forward import Trace

    if model is not None and weights_path is not None:
        raise GlvizError("error.options.model_and_weights", model=model, weights=weights_path)
    if weights_path is None and model not in (None, "nano"):
        options = (("--input", letters), ("--tokens", tokens), ("--prompt", prompt))
        given = next((option for option, value in options if value is not None), None)
        if given is not None:
            raise GlvizError("error.render.no_values", option=given, model=model)
        return build_layout(get_preset(model)), None  # render-only: no values, no per-cell data
    if weights_path is None:
        from glviz.model.sort_task import load_nano

        weights = load_nano()
    else:
        from glviz.model.weights import load_model

        weights = load_model(None, weights_path)  # a path, or a model's name in the cache
    if letters is not None or (tokens is None and prompt is None and is_sort_model(weights)):
        from glviz.model.sort_task import nano_sequence, parse_letters

        require_sort_model(weights)
        sequence = nano_sequence(weights, parse_letters(letters or DEFAULT_LETTERS))
    elif tokens is not None:
        sequence = parse_token_list(tokens)
    elif prompt is not None:
        sequence = prompt_tokens(weights, prompt)
    else:
        sequence = default_tokens(weights)
    trace = Trace(weights, sequence)
    trace.full()
    return build_layout(weights.config, n_tokens=len(sequence)), trace


def view_pose(layout, view: str, aspect: float | None = None):
    """The camera pose for --view (overview, whole, input, or a block name), framed for an image of width /
    height `aspect` (16:9 by default)."""
    from glviz.render.camera import DEFAULT_ASPECT, block_pose, input_pose, overview_pose, whole_pose

    aspect = aspect or DEFAULT_ASPECT
    if view == "overview":
        return overview_pose(layout, aspect)
    if view == "whole":
        return whole_pose(layout, aspect)
    if view == "input":
        return input_pose(layout, aspect)
    if view in layout.by_name:
        return block_pose(layout, layout.by_name[view], aspect)
    example = layout.blocks[0].name
    raise GlvizError("error.render.view", example=example, view=view)


def run(args: argparse.Namespace) -> int:
    size = parse_size(args.size)
    out = check_output(args.out, (".png",), "--out")
    if args.chapter is not None:
        from glviz.commands.render_tour import render_chapter

        return render_chapter(args, size, out)
    if args.at != 0.0:
        raise GlvizError("error.render.at_without_chapter", at=args.at)
    layout, trace = load_scene_data(args.model, args.weights, args.input, args.tokens, args.prompt)
    pose = view_pose(layout, args.view, size[0] / size[1])

    from glviz.render.camera import OrbitCamera
    from glviz.render.offscreen import OffscreenRenderer, save_png
    from glviz.scene import SceneState

    renderer = OffscreenRenderer(size)
    renderer.frame.set_layout(layout)
    if trace is not None:
        renderer.frame.upload_trace(trace)
    camera = OrbitCamera(pose)
    scene = SceneState(layout)
    if args.view in layout.by_name:
        scene.reveal(layout.by_name[args.view])  # a head behind others is seen, not head 0 in front of it
    pixels = renderer.render(scene, camera, settle=True)  # every cell the view resolves at full resolution
    try:
        save_png(pixels, out)
    except OSError as exc:
        raise GlvizError("error.write.image", reason=exc.strerror, path=out) from None
    from glviz.i18n import tr_in

    print(tr_in(language_asked(args), "cli.render.wrote", out=out, width=size[0], height=size[1],
                model=layout.config.name, blocks=len(layout.blocks)))
    return 0
