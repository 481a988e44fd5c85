"""`glviz render`: draw the 3D scene offscreen (EGL, no display needed) and write a PNG."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from glviz.commands.options import parse_size, require_output_folder
from glviz.errors import GlvizError
from glviz.model.config import APP_MODELS
from glviz.model.sort_task import DEFAULT_LETTERS

DEFAULT_PROMPT = "The quick brown fox jumps over the lazy dog"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=APP_MODELS, default="nano",
                        help="which model's layout to draw (default: nano, with its trained values)")
    parser.add_argument("--weights", metavar="PATH",
                        help="a weights file or Hugging Face GPT-2 folder: draw its layout with real values")
    parser.add_argument("--input", default=DEFAULT_LETTERS, metavar="LETTERS",
                        help=f"nano: six letters of A/B/C to sort (default: {DEFAULT_LETTERS})")
    parser.add_argument("--view", default="overview", metavar="VIEW",
                        help="overview (the top of the model up close), whole (every layer and the output), "
                             "input, or a block name like layers.0.attn.h1.q (default: overview)")
    parser.add_argument("--size", default="1280x720", metavar="WxH", help="image size (default: 1280x720)")
    parser.add_argument("--out", required=True, metavar="PNG", help="where to write the image")


def _default_tokens(weights) -> np.ndarray:
    if weights.tokenizer is not None:
        try:
            tokens = weights.tokenizer.encode(DEFAULT_PROMPT)  # (T,) int64
            if len(tokens):
                return tokens[: weights.config.block_size]
        except Exception:  # a tokenizer that cannot encode is no reason to fail the picture
            pass
    n = min(8, weights.config.block_size)
    return np.arange(n, dtype=np.int64) % weights.config.vocab_size


def load_scene_data(model: str, weights_path: str | None, letters: str):
    """(layout, trace or None) for the command's options."""
    from glviz.layout.blocks import build_layout
    from glviz.model.config import get_preset

    if weights_path is not None:
        from glviz.model.forward import Trace
        from glviz.model.weights import load_weights

        weights = load_weights(weights_path)
        if weights.config.name == "nano" or weights.config == get_preset("nano"):
            return _nano(weights, letters)
        tokens = _default_tokens(weights)
        trace = Trace(weights, tokens)
        return build_layout(weights.config, n_tokens=len(tokens)), trace
    if model == "nano":
        from glviz.model.sort_task import load_nano

        return _nano(load_nano(), letters)
    return build_layout(get_preset(model)), None  # render-only: no values, no per-cell data


def _nano(weights, letters: str):
    from glviz.layout.blocks import build_layout
    from glviz.model.forward import Trace
    from glviz.model.sort_task import nano_sequence, parse_letters

    tokens = nano_sequence(weights, parse_letters(letters))
    trace = Trace(weights, tokens)
    trace.full()
    return build_layout(weights.config, n_tokens=len(tokens)), trace


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
    raise GlvizError(f"--view must be overview, whole, input or a block name such as {example} ({view})")


def run(args: argparse.Namespace) -> int:
    size = parse_size(args.size)
    out = Path(args.out)
    require_output_folder(out)
    layout, trace = load_scene_data(args.model, args.weights, args.input)
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
    pixels = renderer.render(scene, camera)
    try:
        save_png(pixels, out)
    except OSError as exc:
        raise GlvizError(f"cannot write the image: {exc.strerror} ({out})") from None
    print(f"wrote {out} ({size[0]}x{size[1]}, {layout.config.name}, {len(layout.blocks)} blocks)")
    return 0
