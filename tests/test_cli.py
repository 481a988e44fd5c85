"""The command line's own behaviour: --version, output folders, notes on stderr, the sort model's context."""

from __future__ import annotations

from pathlib import Path

import pytest

from glviz import __version__
from glviz.cli import main


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
    assert main(["generate", "--tokens", "0,1,2,0,1,2", "--max-new-tokens", "3"]) == 0
    out = capsys.readouterr()
    assert out.out.split() == ["0", "0", "1"] and out.err == ""


def test_nano_generation_stops_at_the_end_of_its_context(capsys: pytest.CaptureFixture[str]) -> None:
    """6 letters + 6 sorted ones: the last prediction is made at position 11 of 11; nothing past it."""
    assert main(["generate", "--tokens", "2,1,0,2,1,0", "--max-new-tokens", "10"]) == 0
    out = capsys.readouterr()
    assert out.out.split() == ["0", "0", "1", "1", "2", "2"]
    assert "stopped after 6 new tokens" in out.err
    assert main(["generate", "--tokens", ",".join(["0"] * 12), "--max-new-tokens", "1"]) == 2
    assert capsys.readouterr().err == "glviz: error: the sort model reads at most 11 tokens (12 tokens)\n"
