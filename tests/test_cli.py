"""The command line's own behaviour: --version, output folders, notes on stderr, the sort model's context."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from glviz import __version__
from glviz.cli import main
from glviz.model.config import GPTConfig
from glviz.model.generate import generate
from glviz.model.weights import random_weights, save_npz
from glviz_process import read_ids, start_glviz


def test_version_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"glviz {__version__}"


def test_train_sort_refuses_a_missing_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    missing = tmp_path / "no" / "such"
    assert main(["train-sort", "--out", str(missing / "x.npz"), "--steps", "1", "--quiet"]) == 2
    assert capsys.readouterr().err == f"glviz: error: output folder does not exist ({missing})\n"
    assert not (tmp_path / "no").exists()


def test_generate_with_a_preset_says_its_weights_are_random(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--model", "gpt2", "--tokens", "1,2,3", "--max-new-tokens", "1"]) == 0
    out = capsys.readouterr()
    assert len(out.out.split()) == 1
    assert out.err.count("\n") == 1 and "random weights" in out.err and "gpt2" in out.err


def test_generate_with_the_shipped_model_gives_no_note(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--tokens", "0,1,2,0,1,2", "--max-new-tokens", "3", "--ids"]) == 0
    out = capsys.readouterr()
    assert out.out.split() == ["0", "0", "1"] and out.err == ""


def test_the_sort_model_reads_and_writes_letters(capsys: pytest.CaptureFixture[str]) -> None:
    """The sort model's tokens are the letters A, B, C: its output is printed as letters (ids with --ids), and
    --prompt takes letters, in either case, with spaces or commas between them."""
    assert main(["generate", "--tokens", "0,1,2,0,1,2", "--max-new-tokens", "3"]) == 0
    assert capsys.readouterr().out == "AAB\n"
    assert main(["generate", "--prompt", "c b a, b b c", "--max-new-tokens", "6"]) == 0
    out = capsys.readouterr()
    assert out.out == "ABBBCC\n" and out.err == ""
    assert main(["generate", "--prompt", "cbxbbc"]) == 2
    assert capsys.readouterr().err == (
        "glviz: error: the sort model reads only the letters A, B, C, not 'x' ('cbxbbc')\n")


def test_nano_generation_stops_at_the_end_of_its_context(capsys: pytest.CaptureFixture[str]) -> None:
    """6 letters + 6 sorted ones: the last prediction is made at position 11 of 11; nothing past it."""
    assert main(["generate", "--tokens", "2,1,0,2,1,0", "--max-new-tokens", "10"]) == 0
    out = capsys.readouterr()
    assert out.out == "AABBCC\n"
    assert "stopped after 6 new tokens" in out.err
    assert main(["generate", "--tokens", ",".join(["0"] * 12), "--max-new-tokens", "1"]) == 2
    assert capsys.readouterr().err == "glviz: error: the sort model reads at most 11 tokens (12 tokens)\n"


@pytest.mark.parametrize("option", [["--max-new-tokens", "3"], ["--ids"]])
def test_generate_refuses_options_that_do_not_apply_to_sorting_letters(option, capsys) -> None:
    assert main(["generate", "--input", "CBABBC", *option]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"glviz: error: {option[0]} applies to --prompt and --tokens; --input prints its six " \
                  "letters sorted (CBABBC)"


def test_generate_streams_tokens_and_ctrl_c_keeps_them(tmp_path: Path) -> None:
    """A real process: ids arrive while it still runs (flushed one by one); SIGINT ends it with status 130,
    the ids printed so far, a newline, and one line on stderr."""


    # A long context, so that generation would run for minutes if not interrupted.
    config = GPTConfig(n_layer=1, n_head=2, n_embd=8, vocab_size=50, block_size=100_000)
    weights = random_weights(config, std=0.5)
    save_npz(weights, tmp_path / "long.npz")
    argv = ["generate", "--weights", str(tmp_path / "long.npz"), "--tokens", "1,2,3", "--ids",
            "--max-new-tokens", "99990"]
    proc = start_glviz(argv)
    try:
        printed = read_ids(proc, 21)  # read while the process is still generating
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    out = (printed + rest).decode()
    assert proc.returncode == 130
    assert err.decode() == "glviz: interrupted\n"
    assert out.endswith("\n") and out.count("\n") == 1
    ids = [int(t) for t in out.split()]
    assert len(ids) >= 21
    assert ids == generate(weights, [1, 2, 3], len(ids)).tolist()


def test_the_collector_is_on_again_after_a_command_and_blas_threads_sleep_when_idle(monkeypatch, capsys):
    import gc

    from glviz.cli import main
    from glviz.model.blas import IDLE_THREADS_ENV, quiet_idle_threads

    assert main(["chapters"]) == 0 and gc.isenabled()
    assert main(["render", "--size", "0x0", "--out", "x.png"]) == 2 and gc.isenabled()  # an error, too
    capsys.readouterr()
    name, value = next(iter(IDLE_THREADS_ENV.items()))
    monkeypatch.delenv(name, raising=False)
    quiet_idle_threads()
    assert os.environ[name] == value
    monkeypatch.setenv(name, "20")  # the user's own setting stays
    quiet_idle_threads()
    assert os.environ[name] == "20"


def test_generate_leaves_blas_threads_spinning_and_a_child_drops_only_glvizs_setting(monkeypatch, capsys):
    """`glviz generate` draws nothing: OpenBLAS keeps its own default (threads spin between a KV step's
    calls). spinning_environment() is this environment less what glviz added, never the user's setting."""
    from glviz.cli import main
    from glviz.model.blas import IDLE_THREADS_ENV, spinning_environment

    name, value = next(iter(IDLE_THREADS_ENV.items()))
    monkeypatch.delenv(name, raising=False)
    assert main(["generate", "--tokens", "1", "--max-new-tokens", "1"]) == 0
    assert name not in os.environ
    assert main(["chapters"]) == 0 and os.environ[name] == value
    assert name not in spinning_environment()
    monkeypatch.setenv(name, "20")  # the user's own
    assert spinning_environment()[name] == "20"
    capsys.readouterr()


@pytest.mark.parametrize(("argv", "line"), [
    (["generate", "--tokens", "1", "--temperature", "-1"], "temperature must be a number >= 0 (-1.0)"),
    (["generate", "--tokens", "1", "--top-k", "0"], "top-k must be at least 1 (0)"),
    (["generate", "--tokens", "5"], "token id outside the vocabulary 0..2 (5)"),
    (["generate", "--model", "gpt2", "--tokens", "99999999", "--max-new-tokens", "1"],
     "token id outside the vocabulary 0..50256 (99999999)"),
])
def test_a_mistake_in_generate_is_the_only_line_on_stderr(argv, line, capsys) -> None:
    """The notes (the sort model stops at its context, a preset's weights are random) used to be written
    before the options were checked: a mistake came as a note and then the error."""
    assert main(argv) == 2
    assert capsys.readouterr().err == f"glviz: error: {line}\n"


@pytest.mark.parametrize(("argv", "line"), [
    (["render", "--size", "-5x5", "--out", "x.png"], "--size must look like 1280x720 (-5x5)"),
    (["generate", "--tokens", "1", "--temperature", "-inf"], "temperature must be a number >= 0 (-inf)"),
    (["generate", "--tokens", "-1,2"], "token id outside the vocabulary 0..2 (-1)"),
    (["record", "--chapter", "embedding", "--from", "-inf", "--out", "x.gif"],
     "--from must be at least 0 and before --to (-inf, inf)"),
    (["generate", "--prompt", "-hello"],
     "argument --prompt: expected one argument; a value that starts with - is written --prompt=-hello "
     "(-hello)"),
    (["generate", "--prompt", "--tokens", "1"], "argument --prompt: expected one argument"),
])
def test_values_that_start_with_a_minus_sign_are_named(argv, line, tmp_path, monkeypatch, capsys) -> None:
    """argparse took -5x5, -inf and -1,2 for options and said only 'expected one argument'."""
    monkeypatch.chdir(tmp_path)
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    assert status == 2
    assert capsys.readouterr().err == f"glviz: error: {line}\n"


@pytest.mark.parametrize("runs", ["0", "-3"])
def test_bench_refuses_runs_below_one_before_measuring(runs, capsys) -> None:
    """0 meant the default and a negative count each benchmark's minimum: minutes of measuring, silently."""
    assert main(["bench", "forward", "--runs", runs]) == 2
    assert capsys.readouterr().err == f"glviz: error: --runs must be at least 1 ({runs})\n"


def test_a_reader_that_goes_away_ends_generate_quietly(tmp_path: Path) -> None:
    """`glviz generate ... | head -c 2`: the closed pipe was a BrokenPipeError traceback. Now the command
    stops with nothing on stderr and status 141 (128 + SIGPIPE), as a shell's tools do."""
    save_npz(random_weights(GPTConfig(n_layer=1, n_head=2, n_embd=8, vocab_size=50, block_size=100_000)),
             tmp_path / "long.npz")
    argv = ["generate", "--weights", str(tmp_path / "long.npz"), "--tokens", "1", "--ids",
            "--max-new-tokens", "99990"]
    proc = subprocess.Popen([sys.executable, "-m", "glviz", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert proc.stdout.read(2)
        proc.stdout.close()
        assert proc.wait(timeout=120) == 141
        assert proc.stderr.read() == b""
    finally:
        proc.kill()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["chapters"], ["generate", "--input", "CBABBC"]])
def test_output_onto_a_full_disk_is_one_error_line(argv) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "glviz", *argv], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == "glviz: error: cannot write the output: No space left on device (standard output)\n"


def test_progress_bars_cut_short_say_how_far_they_got(tmp_path: Path) -> None:
    """Ctrl+C in train-sort: 'glviz: interrupted' was written on the progress bar's line. A recording's bar,
    closed after Ctrl+C, jumped to full (14476/14476) as if the video were complete."""
    import io

    from glviz.progress import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(10, "recording ", stream=stream, interval_s=0.0)
    bar.update(3)
    bar.close()
    assert "3/10" in stream.getvalue() and "10/10" not in stream.getvalue()

    argv = ["train-sort", "--steps", "1000000", "--out", str(tmp_path / "w.npz")]
    proc = subprocess.Popen([sys.executable, "-m", "glviz", *argv], stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = os.read(proc.stderr.fileno(), 4096)
        assert first.startswith(b"\rstep")  # training has started
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    err = first + err
    assert proc.returncode == 130 and err.endswith(b" \nglviz: interrupted\n"), err[-200:]
    assert not (tmp_path / "w.npz").exists()
