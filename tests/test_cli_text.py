"""The command line's text lives in the catalogue (i18n/*/cli.txt): every help text of every command, and
the lines commands print for the user, in English and Japanese. Help speaks the command's language: its
--lang where given (read before argparse shows help), else the locale's; Japanese help fits the terminal."""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import glviz
from glviz.cli import COMMANDS, build_parser, lang_given, main
from glviz.commands.helptext import HelpText
from glviz.i18n import catalogue
from glviz.i18n.linebreak import is_cjk

SOURCES = Path(glviz.__file__).parent
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def columns(line: str) -> int:
    return sum(2 if is_cjk(ch) else 1 for ch in line)


def parsers(command: str) -> list[argparse.ArgumentParser]:
    """The top-level parser and `command`'s, with its options."""
    parser = build_parser(command)
    return [parser, parser.commands[command]]


def help_texts(parser: argparse.ArgumentParser) -> list[tuple[str, object]]:
    """(where, help) of every option, positional argument and listed subcommand, and the description."""
    out: list[tuple[str, object]] = [("description", parser.description)]
    for action in parser._actions:
        where = "/".join(action.option_strings) or action.dest
        if isinstance(action, argparse._SubParsersAction):
            out += [(choice.dest, choice.help) for choice in action._choices_actions]
        elif action.help is not argparse.SUPPRESS:
            out.append((where, action.help))
    return out


def japanese_locale(monkeypatch) -> None:
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_help_text_comes_from_the_catalogue_in_both_languages(command) -> None:
    en, ja = catalogue("en"), catalogue("ja")
    for parser in parsers(command):
        for where, text in help_texts(parser):
            assert isinstance(text, HelpText), (command, where, text)
            assert str(text) in en and str(text) in ja, (command, where, str(text))
            assert text.text("en") != text.text("ja") and JAPANESE.search(text.text("ja")), (command, where)


def test_no_help_in_the_code_is_a_literal() -> None:
    """help= and description= take a HelpText (a catalogue key), never text written in the code."""
    files = [SOURCES / "cli.py", *(SOURCES / "commands").glob("*.py"), *(SOURCES / "bench").glob("*.py")]
    literals = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for keyword in node.keywords if isinstance(node, ast.Call) else ():
                if keyword.arg in ("help", "description", "epilog") and isinstance(
                        keyword.value, (ast.Constant, ast.JoinedStr, ast.BinOp)):
                    literals.append(f"{path.name}:{keyword.value.lineno}")
    assert literals == []


def test_help_placeholders_match_between_the_languages() -> None:
    """argparse fills %(default)s: the Japanese text names the same ones, and no stray % breaks it."""
    en, ja = catalogue("en"), catalogue("ja")
    for key in (k for k in en if k.startswith("cli.")):
        assert re.findall(r"%\(\w+\)s", en[key]) == re.findall(r"%\(\w+\)s", ja[key]), key


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_help_formats_in_both_languages_and_japanese_fits_80_columns(command, lang, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for parser in parsers(command):
        parser.speak(lang)
        text = parser.format_help()
        assert "cli." not in text and "%(" not in text
        assert bool(JAPANESE.search(text)) == (lang == "ja")
        too_wide = [line for line in text.splitlines() if columns(line) > 80]
        assert too_wide == []


def test_english_help_is_as_it_was_and_defaults_are_filled(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    app = build_parser("app", "en").commands["app"].format_help()
    assert "  -h, --help            show this help message and exit\n" in app
    assert "  --size WxH            window size (default: 1280x800)\n" in app
    assert "  --input LETTERS       six letters of A/B/C for the nano model (default:\n" in app
    top = build_parser(None, "en").format_help()
    assert "\nSee every number a GPT computes to produce one token.\n" in top
    assert "    render    render the 3D scene offscreen to a PNG\n" in top
    train = build_parser("train-sort", "ja").commands["train-sort"].format_help()
    assert "最適化のステップ数（既定：2000）" in train


def test_building_the_parser_and_the_version_read_no_catalogue() -> None:
    """Start-up stays cheap: help texts are looked up only when help is shown."""
    code = ("import sys\nfrom glviz import i18n\nfrom glviz.cli import COMMANDS, build_parser, main\n"
            "for command in COMMANDS: build_parser(command)\n"
            "assert i18n.catalogue.cache_info().currsize == 0\n"
            "del sys.modules['glviz.i18n']\n"
            "try: main(['--version'])\nexcept SystemExit: pass\n"
            "assert 'glviz.i18n' not in sys.modules, 'the version imported the catalogue'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"glviz {glviz.__version__}\n"


@pytest.mark.parametrize(("argv", "lang"), [
    (["render", "--lang", "ja", "--help"], "ja"),
    (["render", "--lang=ja", "-h"], "ja"),
    (["render", "--lang", "ja", "--lang", "en"], "en"),  # argparse keeps the last one
    (["render", "--prompt", "ja"], None),
    (["render", "--lang", "fr", "--help"], None),  # not a language: the locale's
    (["render", "--", "--lang", "ja"], None),
    (["trace", "--lang", "ja", "--help"], None),  # trace has no --lang: it speaks the locale's language
    (["render", "--lang"], None),
])
def test_lang_is_read_before_parsing_where_the_command_has_it(argv, lang) -> None:
    command = argv[0]
    assert lang_given(argv, build_parser(command), command) == lang


def _help(args: list[str], env: dict[str, str]) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    result = subprocess.run([sys.executable, "-m", "glviz", *args], capture_output=True, text=True,
                            env={**environ, **env, "COLUMNS": "80"}, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_help_speaks_the_locale_and_lang_overrides_it() -> None:
    ja = _help(["render", "--help"], {"LANG": "ja_JP.UTF-8"})
    assert "  --out PNG             画像の書き出し先\n" in ja and "3D シーンを画面なしで描き" in ja
    en = _help(["render", "--lang", "en", "--help"], {"LANG": "ja_JP.UTF-8"})
    assert "  --out PNG             where to write the image\n" in en and not JAPANESE.search(en)
    assert "画像の書き出し先" in _help(["render", "--help", "--lang", "ja"], {"LANG": "C.UTF-8"})
    assert "デスクトップアプリを開く" in _help(["--help"], {"LANG": "ja_JP.UTF-8"})


def test_trace_writes_its_line_in_the_locales_language(tmp_path, monkeypatch, capsys) -> None:
    japanese_locale(monkeypatch)
    out = tmp_path / "t.npz"
    assert main(["trace", "--input", "CBABBC", "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(r"11 トークン分の配列 \d+ 個 \(float32\) を .+ に書き出しました", line), line
    assert line.endswith(f"{out} に書き出しました")


def test_render_writes_its_line_in_the_language_of_lang(gl_ctx, tmp_path, capsys) -> None:
    out = tmp_path / "a.png"
    assert main(["render", "--size", "64x64", "--out", str(out), "--lang", "ja"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{out} に書き出しました (64x64、nano、ブロック ") and line.endswith(" 個)"), line


def test_train_sort_reports_in_the_locales_language(tmp_path, monkeypatch, capsys) -> None:
    japanese_locale(monkeypatch)
    out = tmp_path / "nano.npz"
    assert main(["train-sort", "--out", str(out), "--steps", "1", "--quiet"]) == 0
    trained, accuracy = capsys.readouterr().out.strip().splitlines()
    assert trained.startswith("1 ステップ学習しました (シード 0、")
    assert trained.endswith(f"{out} に書き出しました")
    assert re.fullmatch(r"正解率：729 通りの入力のうち \d+ 通りを正しく並べ替えました \(\d+\.\d\d%\)",
                        accuracy)


def test_notes_hints_and_interruptions_speak_the_commands_language(monkeypatch, capsys) -> None:
    japanese_locale(monkeypatch)
    assert main(["generate", "--tokens", "2,1,0,2,1,0", "--max-new-tokens", "10"]) == 0
    note = "glviz: note: 新しいトークン 6 個で止めました：並べ替えモデルのコンテキストは 11 トークンです\n"
    assert capsys.readouterr().err == note
    with pytest.raises(SystemExit, match="2"):
        main(["generate", "--prompt", "-hello"])
    err = capsys.readouterr().err
    assert err.endswith("; - で始まる値は --prompt=-hello と書きます (-hello)\n"), err

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr("glviz.commands.chapters.run", interrupted)
    assert main(["chapters"]) == 130 and capsys.readouterr().err == "glviz: 中断しました\n"
    assert main(["chapters", "--lang", "en"]) == 130 and capsys.readouterr().err == "glviz: interrupted\n"


def test_progress_bars_speak_the_language_they_are_given() -> None:
    import io

    from glviz.i18n import tr_in
    from glviz.progress import ProgressBar
    from glviz.progress import TrainingBar as TrainBar

    stream = io.StringIO()
    bar = ProgressBar(10, tr_in("ja", "cli.record.progress") + " ", stream=stream, interval_s=0.0,
                      eta=tr_in("ja", "cli.record.eta"))
    bar.update(4)  # (the time left is shown from the second update: a pace)
    bar.update(5)
    assert stream.getvalue().split("\r")[-1].startswith("録画中 [###############...............] 5/10  残り ")
    stream = io.StringIO()
    TrainBar(200, stream=stream, interval_s=0.0, lang="ja").update(7, 1.5)
    assert stream.getvalue().startswith("\rステップ   7/200 [#-----------------------------] 損失 1.5 ")
    stream = io.StringIO()
    TrainBar(200, stream=stream, interval_s=0.0).update(7, 1.5)
    line = "\rstep   7/200 [#-----------------------------] loss 1.5       elapsed 0:00 eta "
    assert stream.getvalue().startswith(line)
