"""GlvizError's text lives in the catalogue (errors.txt, English and Japanese): every raise names a key with
the values its text asks for, the message renders in the language where it is shown, and the command line
prints it in --lang's language, else the locale's."""

from __future__ import annotations

import ast
import os
import pickle
import string
import subprocess
import sys
from pathlib import Path

import pytest

from glviz import i18n
from glviz.errors import GlvizError, Text, one_of
from glviz.i18n import catalogue

SOURCES = Path(i18n.__file__).parents[1]  # src/glviz
MESSAGE_CLASSES = ("GlvizError", "Text")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def message_calls():
    """(file, line, call) for every GlvizError(...) and Text(...) call in src/glviz."""
    for path in sorted(SOURCES.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in MESSAGE_CLASSES:
                    yield path.relative_to(SOURCES), node.lineno, node


def test_every_error_is_raised_by_a_catalogue_key_with_the_values_its_text_names():
    en, ja = catalogue("en"), catalogue("ja")
    wrong, seen = [], 0
    for file, line, call in message_calls():
        if file.as_posix() == "errors.py":  # the class's own helpers pass a key they were given
            continue
        seen += 1
        where = f"{file}:{line}"
        first = call.args[0] if call.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)) or len(call.args) != 1:
            wrong.append(f"{where}: a message, not one catalogue key ({ast.unparse(call)[:80]})")
            continue
        key = first.value
        is_error = getattr(call.func, "id", getattr(call.func, "attr", "")) == "GlvizError"
        if (is_error and not key.startswith("error.")) or key not in en or key not in ja:
            # (a Text may be any catalogue text: the app's messages that follow the panel's language)
            wrong.append(f"{where}: {key} is no key of {'errors.txt' if is_error else 'the catalogue'} "
                         "in both languages")
            continue
        given = {k.arg for k in call.keywords}
        if None in given:  # **values: cannot be checked here
            continue
        if given != placeholders(en[key]):
            wrong.append(f"{where}: {key} names {sorted(placeholders(en[key]))}, the call {sorted(given)}")
    assert wrong == []
    assert seen > 100


def test_the_error_keys_live_in_errors_txt_in_both_languages_with_the_same_placeholders():
    for lang in i18n.LANGUAGES:
        own = i18n.parse_catalogue((Path(i18n.__file__).parent / lang / "errors.txt").read_text("utf-8"))
        outside = [key for key in catalogue(lang) if key.startswith("error.") and key not in own]
        assert outside == [], lang
        assert all(key.startswith("error.") for key in own), lang
    en, ja = catalogue("en"), catalogue("ja")
    for key in (k for k in en if k.startswith("error.")):
        assert placeholders(ja[key]) == placeholders(en[key]), key
        if en[key].endswith(")"):  # `<what> (<value>)`: in Japanese too, the value in ASCII brackets
            assert ja[key].endswith(")") and " (" in ja[key], (key, ja[key])
            last = ja[key][ja[key].rindex(" (") :]
            assert placeholders(last) == placeholders(en[key][en[key].rindex(" (") :]), (key, ja[key])


def test_a_message_renders_in_the_language_where_it_is_shown():
    exc = GlvizError("error.weights.missing", path="x.npz")
    assert str(exc) == "weights path does not exist (x.npz)"
    assert exc.text("ja") == "重みのパスが存在しません (x.npz)"
    i18n.set_language("ja")
    try:
        assert str(exc) == "重みのパスが存在しません (x.npz)"
        assert f"{exc}" == str(exc)
    finally:
        i18n.set_language("en")
    assert exc.args == ("error.weights.missing",) and exc.values == {"path": "x.npz"}
    assert isinstance(exc, ValueError)


def test_nested_messages_and_words_render_in_the_same_language():
    inner = GlvizError("error.config.eps", value="0")
    outer = GlvizError("error.config.in_source", error=inner, source="m.npz")
    assert str(outer) == "layer_norm_eps must be positive (0) (m.npz)"
    assert outer.text("ja").startswith(inner.text("ja"))
    assert str(one_of([".mp4", ".gif"])) == ".mp4 or .gif" and one_of([".png"]) == ".png"
    said = GlvizError("error.config.layers_stored", said_by=Text("error.npz.config"), n=9, stored=3,
                      source="f")
    assert str(said) == "the weights file's config says 9 layers, more than the file's 3 tensors (f)"


def test_a_text_that_is_no_key_is_shown_as_it_is_and_errors_pickle_with_their_values():
    assert str(GlvizError("something went wrong (x)")) == "something went wrong (x)"
    exc = pickle.loads(pickle.dumps(GlvizError("error.size.format", text="big")))
    assert str(exc) == "--size must look like 1280x720 (big)"


def test_importing_and_raising_loads_no_catalogue():
    code = ("import sys, glviz.errors as e; x = e.GlvizError('error.size.format', text='t'); "
            "print('glviz.i18n' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _cli(args: list[str], lang_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env["LANG"] = lang_env
    return subprocess.run([sys.executable, "-m", "glviz", *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=120)


@pytest.mark.parametrize(
    ("args", "lang_env", "line"),
    [
        (["chapters", "--lang", "ja", "--bogus"], "C.UTF-8", None),  # argparse's own text: not ours
        (["render", "--lang", "ja", "--size", "big", "--out", "x.png"], "C.UTF-8",
         "glviz: error: --size は 1280x720 のように書いてください (big)"),
        (["render", "--lang", "en", "--size", "big", "--out", "x.png"], "ja_JP.UTF-8",
         "glviz: error: --size must look like 1280x720 (big)"),
        (["generate", "--input", "ABCD"], "ja_JP.UTF-8",
         "glviz: error: 入力は A, B, C のどれかの文字をちょうど 6 文字にしてください ('ABCD')"),
        (["generate", "--input", "ABCD"], "C.UTF-8",
         "glviz: error: input must be exactly 6 letters from A, B, C ('ABCD')"),
    ],
)
def test_the_command_line_prints_errors_in_its_language(args, lang_env, line):
    result = _cli(args, lang_env)
    assert result.returncode == 2, result.stderr
    if line is None:
        assert "unrecognized arguments: --bogus" in result.stderr
    else:
        assert result.stderr.strip().splitlines()[-1] == line
