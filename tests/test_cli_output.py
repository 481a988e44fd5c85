"""Output paths on the command line: refused before any work when they cannot be written, whatever the
reason (what permission bits do not tell, too), and a write that fails late is one error line too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glviz.cli import main

# One cheap run of each command that writes a file; {out} is replaced by the path under test.
WRITERS = {
    "render": (["render", "--chapter", "embedding", "--size", "64x36", "--out", "{out}"], ".png"),
    "record": (["record", "--chapter", "embedding", "--to", "1", "--size", "64x36", "--fps", "1", "--quiet",
                "--out", "{out}"], ".gif"),
    "trace": (["trace", "--input", "CBABBC", "--out", "{out}"], ".npz"),
    "train-sort": (["train-sort", "--steps", "1", "--quiet", "--out", "{out}"], ".npz"),
}


def _argv(command: str, out: Path) -> list[str]:
    argv, _ = WRITERS[command]
    return [str(out) if a == "{out}" else a for a in argv]


def _one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("glviz: error: "), err
    return err.strip()


@pytest.mark.parametrize("command", list(WRITERS))
def test_a_name_too_long_for_the_file_system_is_refused_at_once(tmp_path, capsys, command) -> None:
    out = tmp_path / ("a" * 300 + WRITERS[command][1])
    line = _one_error_line(capsys, _argv(command, out))
    assert line == f"glviz: error: --out cannot be written: File name too long ({out})"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("command", list(WRITERS))
def test_a_folder_where_nothing_can_be_made_is_refused_at_once(capsys, command) -> None:
    """/proc takes no new files, even from root, for whom os.access says every folder is writable."""
    out = Path("/proc") / f"glviz-test{WRITERS[command][1]}"
    line = _one_error_line(capsys, _argv(command, out))
    assert line == f"glviz: error: --out cannot be written: No such file or directory ({out})"


@pytest.mark.parametrize("command", ["trace", "train-sort"])
def test_trace_and_train_sort_check_their_output_as_render_does(tmp_path, capsys, command) -> None:
    out = tmp_path / "trace.txt"
    assert _one_error_line(capsys, _argv(command, out)) == f"glviz: error: --out must end in .npz ({out})"
    line = _one_error_line(capsys, _argv(command, tmp_path))
    assert line == f"glviz: error: --out is a folder, expected a file name ending in .npz ({tmp_path})"
    assert not out.exists()


def test_train_sort_writes_the_name_it_was_given(tmp_path, capsys) -> None:
    out = tmp_path / "nano.NPZ"
    assert main(_argv("train-sort", out)) == 0
    assert capsys.readouterr().out.count(f"wrote {out}") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["nano.NPZ"]


def test_a_fifo_is_refused_without_waiting_for_a_reader(tmp_path) -> None:
    out = tmp_path / "frame.png"
    os.mkfifo(out)
    result = subprocess.run([sys.executable, "-m", "glviz", *_argv("render", out)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == f"glviz: error: --out cannot be written: No such device or address ({out})\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(("command", "what"), [("train-sort", "weights"), ("record", "video"),
                                               ("trace", "trace")])
def test_a_full_disk_is_one_error_line(tmp_path, command, what) -> None:
    """/dev/full opens, then refuses every write: a disk that fills up while the command runs. A real
    process: a recording that failed used to wait for its encoder for ever."""
    out = tmp_path / f"out{WRITERS[command][1]}"
    out.symlink_to("/dev/full")
    result = subprocess.run([sys.executable, "-m", "glviz", *_argv(command, out)], capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"glviz: error: cannot write the {what}: No space left on device ({out})\n"


def test_a_file_name_that_is_not_utf8_is_printed_back_as_given(tmp_path) -> None:
    """Under a UTF-8 locale (stdout strict, as PYTHONIOENCODING sets it here) the closing 'wrote ...' line
    was a UnicodeEncodeError traceback, after the file was written."""
    out = os.fsencode(tmp_path) + b"/caf\xe9.npz"  # Latin-1, as an old file system or archive names it
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    result = subprocess.run([sys.executable, "-m", "glviz", "trace", "--input", "CBABBC", "--out", out],
                            capture_output=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b"" and result.stdout.endswith(b" to " + out + b"\n")
    assert os.path.exists(out)


def test_a_link_to_a_file_not_made_yet_is_written_through(tmp_path, capsys) -> None:
    """The check before the work opens where the link points, as the write will."""
    out, target = tmp_path / "trace.npz", tmp_path / "kept" / "t.npz"
    target.parent.mkdir()
    out.symlink_to(target)
    assert main(_argv("trace", out)) == 0
    assert target.is_file() and out.is_symlink()
    out.unlink()
    out.symlink_to(tmp_path / "missing" / "t.npz")
    line = _one_error_line(capsys, _argv("trace", out))
    assert line == f"glviz: error: --out cannot be written: No such file or directory ({out})"


def test_text_the_locale_cannot_show_is_escaped_not_a_traceback() -> None:
    """Japanese chapter titles under a Latin-1 locale were a UnicodeEncodeError traceback."""
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    result = subprocess.run([sys.executable, "-m", "glviz", "chapters", "--lang", "ja"], capture_output=True,
                            timeout=120, env=env)
    assert result.returncode == 0 and result.stderr == b"", result.stderr.decode()
    lines = result.stdout.decode("latin-1").splitlines()
    assert lines[0].startswith("overview ") and "\\u" in lines[0]
