"""Every string the app shows comes from the catalogue: no call that puts text on screen in src/glviz/ui is
given English words written in the code (IDs after ## and the brand name excepted)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "src" / "glviz" / "ui"
# imgui / implot / draw-list calls whose string arguments are shown to the user, and the app's messages.
SHOWN = {"text", "text_colored", "text_wrapped", "text_disabled", "bullet_text", "button", "small_button",
         "selectable", "checkbox", "radio_button", "collapsing_header", "begin_tab_item", "tree_node",
         "begin_combo", "progress_bar", "set_tooltip", "menu_item", "begin_menu", "add_text", "input_text",
         "slider_float", "slider_int", "drag_float", "input_int", "input_float", "setup_axes", "begin_plot",
         "message", "dim", "wrapped", "label_text"}
ALLOWED = {"glviz", "gelu", "exp"}  # the program's name, and function names of formulas (notation)
WORD = re.compile(r"[A-Za-z]{2,}")


def _literal_parts(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    if isinstance(node, ast.BinOp):
        return _literal_parts(node.left) + _literal_parts(node.right)
    return []


def _shown_words(text: str) -> list[str]:
    visible = text.split("##", 1)[0]  # imgui shows nothing after ## (an ID)
    return [w for w in WORD.findall(visible) if w not in ALLOWED]


def test_no_english_words_are_written_in_the_ui_code():
    found = []
    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in SHOWN:
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                for part in _literal_parts(arg):
                    words = _shown_words(part)
                    if words:
                        found.append(f"{path.relative_to(UI)}:{node.lineno} {name}({part!r})")
    assert found == [], "\n".join(found)


def test_the_check_finds_a_written_string(tmp_path):
    """The scan itself: an English label in a button call is caught, an ID and a key lookup are not."""
    source = 'imgui.button("Continue")\nimgui.button("##id")\nimgui.button(tr("tour.continue"))\n'
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and
             getattr(n.func, "attr", "") == "button"]
    flagged = [c.lineno for c in calls if any(_shown_words(p) for a in c.args for p in _literal_parts(a))]
    assert flagged == [1]
