"""`glviz chapters`, `glviz render --chapter` and `glviz record`, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from glviz.walkthrough.chapters import CHAPTERS


def glviz(*args: str, env=None, code: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "glviz", *args]
    env = {**os.environ, **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def test_chapters_lists_id_title_and_duration():
    out = glviz("chapters")
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()]
    assert [r[0] for r in rows] == [c.id for c in CHAPTERS]
    durations = [float(r[-1]) for r in rows]
    assert all(d > 10 for d in durations)
    ja = glviz("chapters", "--lang", "ja")
    assert ja.returncode == 0
    assert [line.split()[0] for line in ja.stdout.splitlines()] == [c.id for c in CHAPTERS]


def test_render_a_chapter(tmp_path):
    from PIL import Image

    out = tmp_path / "frame.png"
    result = glviz("render", "--chapter", "embedding", "--at", "0.5", "--size", "320x180", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.size == (320, 180) and np.asarray(image).std() > 5


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "{tmp}/"], "--out is a folder"),
    (["--out", "{tmp}/picture.jpg"], "--out must end in .png"),
    (["--out", "{tmp}/missing/frame.png"], "output folder does not exist"),
    (["--out", "{tmp}/f.png", "--chapter", "nope"], "unknown chapter"),
    (["--out", "{tmp}/f.png", "--chapter", "embedding", "--at", "1.5"], "--at must be between 0 and 1"),
    (["--out", "{tmp}/f.png", "--chapter", "embedding", "--model", "gpt2"], "--model does not apply"),
    (["--out", "{tmp}/f.png", "--at", "0.5"], "--at places a --chapter"),
])
def test_render_refuses_bad_paths_and_options_before_any_work(tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = glviz("render", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(f"glviz: error: {message}"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert not list(tmp_path.glob("*.png"))


def test_render_refuses_an_unwritable_file(tmp_path):
    out = tmp_path / "frame.png"
    out.write_bytes(b"")
    out.chmod(0o444)
    if os.access(out, os.W_OK):
        pytest.skip("running as a user who may write anywhere")
    result = glviz("render", "--chapter", "embedding", "--out", str(out))
    assert result.returncode == 2 and "cannot be written" in result.stderr


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_record_writes_a_video_of_the_chapter(tmp_path, suffix):
    from glviz.walkthrough.stages import nano_stage, stages_from
    from glviz.walkthrough.timeline import frames_of
    from glviz.walkthrough.tour import Tour

    out = tmp_path / f"tour{suffix}"
    fps = 2
    result = glviz("record", "--chapter", "preliminaries", "--out", str(out), "--fps", str(fps), "--size",
                   "160x90", "--quiet")
    assert result.returncode == 0, result.stderr
    stage = nano_stage("CBABBC")
    tour = Tour(stages_from(stage))
    expected = frames_of(tour.events(tour.index_of("preliminaries"), "en").duration, fps)
    frames, size = read_video(out)
    assert (frames, size) == (expected, (160, 90))


@pytest.mark.parametrize("size", [(16, 16), (64, 36), (8192, 16)])
def test_record_at_the_smallest_sizes_it_accepts(tmp_path, size):
    """The title strip is cut to the frame: at 64x36 it used to be wider than what was left beside its
    margin, and the recording ended in a traceback."""
    out = tmp_path / "small.gif"
    result = glviz("record", "--chapter", "embedding", "--to", "1", "--fps", "1", "--size",
                   f"{size[0]}x{size[1]}", "--quiet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert read_video(out) == (1, size)


def test_the_title_strip_sits_at_the_top_right_and_the_bar_along_the_bottom():
    """Blocks' titles sit at their top-left, where the strip covered one in many frames: it is drawn in the
    top-right corner, inside the margin, and the progress bar fills the bottom rows up to the share done."""
    from glviz.commands.record import compose

    frame = np.full((360, 640, 3), 200, np.uint8)
    strip = np.zeros((30, 90, 4), np.uint8)
    strip[..., :3], strip[..., 3] = 10, 255  # opaque and dark
    out = compose(frame.copy(), strip, 0.5, [])
    changed = np.nonzero((out != 200).any(axis=2))
    top = changed[0] < 300
    rows, cols = changed[0][top], changed[1][top]
    margin = 360 // 60
    assert (rows.min(), rows.max()) == (margin, margin + 29)
    assert (cols.min(), cols.max()) == (640 - margin - 90, 640 - margin - 1)
    bar = out[-1]
    assert (bar[:320] != 200).all(axis=1).all() and not np.array_equal(bar[0], bar[-1])


def test_record_refuses_a_clip_that_starts_after_the_chapter(tmp_path):
    """It used to write a one-frame video of the chapter's end and say nothing."""
    out = tmp_path / "clip.gif"
    result = glviz("record", "--chapter", "embedding", "--from", "9999", "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("glviz: error: --from must be before the chapter's end at ")
    assert result.stderr.endswith(" s (9999)\n") and not out.exists()


def test_a_recorded_clip_follows_the_chapter_time(tmp_path, gl_ctx):
    """Each frame of `record --from --to` shows the chapter at its own time: the first frame looks like the
    chapter drawn at --from, the last like the chapter drawn at its end, not the other way round."""
    from PIL import Image

    from glviz.render.tour_view import TourView

    out = tmp_path / "clip.gif"
    result = glviz("record", "--chapter", "embedding", "--from", "44.5", "--to", "60.5", "--fps", "1",
                   "--size", "320x180", "--lang", "en", "--quiet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        frames = []
        for k in range(image.n_frames):
            image.seek(k)
            frames.append(np.asarray(image.convert("RGB"), dtype=np.float32))
    assert len(frames) == 16
    view = TourView((320, 180), "CBABBC", "en", ctx=gl_ctx)
    index = view.index("embedding")
    early, late = (view.render(index, t).astype(np.float32) for t in (44.5, 59.5))
    view.release()
    scene = slice(24, 165)  # below the title strip, above the progress bar

    def off(a, b) -> float:
        return float(np.abs(a[scene] - b[scene]).mean())

    assert off(frames[0], early) < off(frames[0], late)
    assert off(frames[-1], late) < off(frames[-1], early)


def read_video(path) -> tuple[int, tuple[int, int]]:
    """(frames, (width, height)) read back from the file."""
    if path.suffix == ".gif":
        from PIL import Image

        with Image.open(path) as image:
            return image.n_frames, image.size
    import av

    with av.open(str(path)) as container:
        frames = [f for f in container.decode(video=0)]
        return len(frames), (frames[0].width, frames[0].height)


def test_record_checks_its_output_first_and_names_the_missing_mp4_writer(tmp_path):
    result = glviz("record", "--out", str(tmp_path / "tour.avi"))
    assert result.returncode == 2 and "--out must end in .mp4 or .gif" in result.stderr
    # Without PyAV importable, MP4 is refused with the extra to install (GIF would still work).
    block_av = "import sys; sys.modules['av'] = None; sys.argv[0] = 'glviz'; from glviz.cli import main; " \
               "raise SystemExit(main())"
    result = glviz("record", "--out", str(tmp_path / "tour.mp4"), code=block_av)
    assert result.returncode == 2 and "glviz[video]" in result.stderr, result.stderr
    assert not (tmp_path / "tour.mp4").exists()
