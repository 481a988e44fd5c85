"""The help: every key and gesture, and where screenshots go."""

from __future__ import annotations

from imgui_bundle import imgui

from glviz.i18n import tr
from glviz.ui.style import ACCENT_COLOUR, WHITE, dim, header, wrapped

# (keys, action) catalogue keys, in the order shown
ROWS = ("left_drag", "right_drag", "shift_drag", "wheel", "hover", "double_click", "f", "home", "w", "i",
        "numbers", "space", "backspace", "arrows", "t", "p", "ctrl_q")


def draw(app) -> None:
    """The help table under a collapsing header."""
    if not header("help.header"):
        return
    if imgui.begin_table("##help", 2, imgui.TableFlags_.sizing_fixed_fit):
        imgui.table_setup_column("keys", imgui.TableColumnFlags_.width_fixed)
        imgui.table_setup_column("action", imgui.TableColumnFlags_.width_stretch)
        for row in ROWS:
            imgui.table_next_row()
            imgui.table_next_column()
            imgui.text_colored(imgui.ImVec4(*ACCENT_COLOUR), tr(f"help.{row}.keys"))
            imgui.table_next_column()
            wrapped(WHITE, tr(f"help.{row}"))  # (imgui's wrap broke Japanese anywhere: "（埋め込み / ）の")
        imgui.end_table()
    imgui.push_text_wrap_pos(0.0)
    dim(tr("help.screenshots", folder=app.screenshot_dir))
    imgui.pop_text_wrap_pos()
