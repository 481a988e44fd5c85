"""`glviz record --chapter ID|all --out tour.mp4|tour.gif [--fps 30] [--size 1280x720]`: the tour as a
video, with the chapter's title and a progress bar (its pauses marked) drawn into each frame. A pause is
held for its reading time, so the video plays as a learner would read it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from glviz.commands.helptext import HelpText
from glviz.commands.options import (
    add_lang_argument,
    add_letters_argument,
    check_output,
    language_of,
    parse_size,
)
from glviz.errors import GlvizError

BAR_PX = 6  # the progress bar's height at 720 lines
BAR_COLOUR = (70, 130, 230)
TRACK_COLOUR = (205, 208, 215)
PAUSE_COLOUR = (235, 180, 40)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chapter", default="all", metavar="ID", help=HelpText("cli.record.chapter"))
    parser.add_argument("--out", required=True, metavar="FILE", help=HelpText("cli.record.out"))
    parser.add_argument("--fps", type=int, default=30, metavar="N", help=HelpText("cli.record.fps"))
    parser.add_argument("--size", default="1280x720", metavar="WxH", help=HelpText("cli.record.size"))
    add_letters_argument(parser)
    parser.add_argument("--from", dest="start", type=float, default=None, metavar="S",
                        help=HelpText("cli.record.from"))
    parser.add_argument("--to", dest="end", type=float, default=None, metavar="S",
                        help=HelpText("cli.record.to"))
    parser.add_argument("--quiet", action="store_true", help=HelpText("cli.option.quiet"))
    add_lang_argument(parser)


def title_strip(text: str, width: int, scale: float) -> np.ndarray:
    """(h, w, 4) uint8 RGBA: the chapter's title on a translucent plate (Latin and Japanese)."""
    from PIL import Image, ImageDraw, ImageFont

    from glviz import fonts

    size = max(int(22 * scale), 10)
    path = fonts.japanese() if any(ord(ch) > 0x2E80 for ch in text) else fonts.roboto("bold")
    font = ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)
    pad = int(10 * scale)
    box = font.getbbox(text)
    w, h = min(box[2] + 2 * pad, width), box[3] + 2 * pad
    image = Image.new("RGBA", (w, h), (30, 32, 42, 190))
    ImageDraw.Draw(image).text((pad, pad), text, font=font, fill=(255, 255, 255, 255))
    return np.asarray(image)


def compose(frame: np.ndarray, strip: np.ndarray, share: float, pauses: list[float]) -> np.ndarray:
    """The frame with the title strip at its top-right and the progress bar along its bottom. Top-right:
    the blocks' titles sit at their top-left, so the tour's framing puts one under a top-left strip most
    often (in 60 frames sampled over the chapters, a tenth of the top-left corner was covered in 13, of
    the top-right in 4)."""
    h, w, _ = frame.shape
    margin = max(h // 60, 4)
    strip = strip[: max(h - margin, 0), : max(w - margin, 0)]  # a small video shows what fits of the title
    sh, sw = strip.shape[:2]
    x0 = w - margin - sw
    region = frame[margin:margin + sh, x0:x0 + sw].astype(np.float32)
    alpha = strip[..., 3:4].astype(np.float32) / 255.0
    blended = strip[..., :3] * alpha + region * (1 - alpha)
    frame[margin:margin + sh, x0:x0 + sw] = blended.astype(np.uint8)
    bar = max(int(BAR_PX * h / 720), 3)
    frame[h - bar:, :] = TRACK_COLOUR
    frame[h - bar:, : int(round(share * w))] = BAR_COLOUR
    for p in pauses:
        x = min(int(p * w), w - 2)
        frame[h - bar:, x:x + 2] = PAUSE_COLOUR
    return frame


def run(args: argparse.Namespace) -> int:
    from glviz.commands.render_tour import chapter_index
    from glviz.model.sort_task import parse_letters
    from glviz.video import FORMATS, require_writer

    size = parse_size(args.size)
    out = check_output(args.out, FORMATS, "--out")
    require_writer(out)
    if not 1 <= args.fps <= 60:
        raise GlvizError("error.record.fps", fps=args.fps)
    if size[0] % 2 or size[1] % 2:
        raise GlvizError("error.record.even_size", size=args.size)
    parse_letters(args.input)
    from glviz.walkthrough.chapters import CHAPTERS

    indices = list(range(len(CHAPTERS))) if args.chapter == "all" else [chapter_index(args.chapter)]
    span = None
    if args.start is not None or args.end is not None:
        if args.chapter == "all":
            raise GlvizError("error.record.span_needs_chapter", chapter=args.chapter)
        span = (args.start or 0.0, args.end if args.end is not None else float("inf"))
        if not 0 <= span[0] < span[1]:
            raise GlvizError("error.record.span", start=f"{span[0]:g}", end=f"{span[1]:g}")
    lang = language_of(args)
    stats = record(out, indices, size, args.fps, args.input, lang, progress=not args.quiet, span=span)
    from glviz.i18n import tr_in

    print(tr_in(lang, "cli.record.wrote", out=out, frames=stats["frames"], seconds=f"{stats['seconds']:.1f}",
                fps=args.fps, width=size[0], height=size[1], rate=f"{stats['frames_per_s']:.1f}"))
    return 0


def record(out: Path, indices: list[int], size: tuple[int, int], fps: int, letters: str, lang: str,
           progress: bool = True, max_frames: int | None = None, span: tuple[float, float] | None = None
           ) -> dict:
    """Write the chapters' frames to `out`; returns frames, video seconds and frames written per second
    (render and encoding together). `max_frames` stops early (the benchmark); `span` (start, end) seconds
    cuts a single chapter to a clip."""
    from glviz.render.tour_view import TourView
    from glviz.walkthrough.timeline import frames_of

    view = TourView(size, letters, lang)
    first = span[0] if span else 0.0  # chapter time of the first frame

    def length(i: int) -> float:
        duration = view.duration(i)
        return max(min(span[1], duration) - first, 0.0) if span else duration

    if span and first >= view.duration(indices[0]):
        view.release()
        raise GlvizError("error.record.start_past_end", end=f"{view.duration(indices[0]):.1f}",
                         start=f"{first:g}")
    plan = [(i, frames_of(length(i), fps)) for i in indices]
    total = sum(n for _, n in plan)
    if max_frames is not None:
        total = min(total, max_frames)
    try:
        return _write_frames(out, view, plan, total, size, fps, lang, first, progress)
    except OSError as exc:  # the disk filled up, or the file went away, while recording
        raise GlvizError("error.write.video", reason=exc.strerror or str(exc), path=out) from None


def _write_frames(out: Path, view, plan: list[tuple[int, int]], total: int, size: tuple[int, int], fps: int,
                  lang: str, first: float, progress: bool) -> dict:
    from glviz.i18n import tr_in
    from glviz.progress import ProgressBar
    from glviz.video import VideoWriter

    label, eta = tr_in(lang, "cli.record.progress") + " ", tr_in(lang, "cli.record.eta")
    bar = ProgressBar(total, label, eta=eta) if progress else None
    start = time.perf_counter()
    done = 0
    writer = None
    try:
        writer = VideoWriter(out, size, fps)
        for index, count in plan:
            state = view.tour.state(index, lang)
            strip = title_strip(f"{index + 1}. {state.title}", size[0], size[1] / 720)
            duration = state.events.duration
            pauses = [p.start / duration for p in state.events.pauses]
            for k in range(count):
                if done >= total:
                    break
                t = min(first + k / fps, duration)
                frame = compose(view.render(index, t), strip, t / duration if duration else 1.0, pauses)
                writer.write(frame)
                done += 1
                if bar is not None:
                    bar.update(done)
    finally:
        if writer is not None:
            writer.close()
        view.release()
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - start
    return {"frames": done, "seconds": done / fps, "frames_per_s": done / elapsed if elapsed > 0 else 0.0}
