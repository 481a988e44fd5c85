"""The Open checkpoint file list, headless on EGL, on folders that are hard to list: one the user may read but
not search (its checkpoints' files cannot be looked at), one that disappears while listed, and one with more
entries than the list shows. Each is said in the panel; none shows a bug's line (tests/ui/conftest.py)."""

from __future__ import annotations

import shutil

from checkpoint_helpers import SMALL, checkpoint, click, frames, loaded, quick_clicks  # tests/ui/

from glviz.ui.checkpoint_browser import MAX_ENTRIES
from permissions import as_a_user, open_folder  # tests/


def _browse(app, fbo, folder) -> None:
    """The section open on `folder`."""
    section = app.panel.open
    section.browser.enter(folder)
    frames(app, fbo)
    if "path" not in section.rects:
        click(app, fbo, section.rects["header"])


def test_a_folder_that_may_be_read_but_not_searched(app, fbo):
    """Path.is_file raises PermissionError inside such a folder: the list left it out (is_checkpoint raised
    while listing), and typing its path showed a bug's line (it raised in the frame)."""
    with open_folder() as root:
        checkpoint(root / "shut" / "ckpt", SMALL)
        (root / "shut").chmod(0o744)  # names may be read, nothing inside looked at
        (root / "open").mkdir()
        _browse(app, fbo, root)  # (as root first: what drawing the list imports is imported)
        section = app.panel.open
        with as_a_user():
            section.browser.refresh()
            frames(app, fbo)
            assert {"entry:shut", "entry:open"} <= section.rects.keys()
            shut = next(e for e in section.browser.entries if e.name == "shut")
            assert shut.folder and not shut.openable
            section._open_typed(app, str(root / "shut"))  # a folder: browsed, and said unreadable
            frames(app, fbo)
            assert section.browser.folder == root / "shut" and section.why_empty == "open.unreadable"
            section._open_typed(app, str(root / "shut" / "ckpt"))  # inside it: one line, the model stays
            loaded(app, fbo)
            frames(app, fbo)
    assert "Permission denied" in app.message_shown and app.model_name == "nano"


def test_a_folder_that_disappears_while_listed_says_it_is_gone(app, fbo, tmp_path):
    """It said "cannot be read (no permission)", and Up went to its parent, which may be gone too."""
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "a" / "b" / "d").mkdir()
    _browse(app, fbo, tmp_path / "a" / "b")
    section = app.panel.open
    assert {"entry:c", "entry:d"} <= section.rects.keys()
    shutil.rmtree(tmp_path / "a" / "b" / "c")  # while listed: its entry is still there
    click(app, fbo, section.rects["entry:c"])
    frames(app, fbo)
    assert section.browser.folder == tmp_path / "a" / "b" / "c" and section.why_empty == "open.gone"
    shutil.rmtree(tmp_path / "a")  # the folders above it too
    click(app, fbo, section.rects["up"])
    frames(app, fbo)
    assert section.browser.folder == tmp_path and "entry:a" not in section.rects


def test_a_folder_with_more_entries_than_the_list_shows_says_how_many(app, fbo, tmp_path):
    names = [f"run{i:04d}" for i in range(MAX_ENTRIES + 7)]
    for name in names:
        (tmp_path / name).mkdir()
    _browse(app, fbo, tmp_path)
    section = app.panel.open
    assert len(section.browser.entries) == MAX_ENTRIES and section.browser.total == len(names)
    assert "cut" in section.rects
    assert "entry:" + names[MAX_ENTRIES - 1] in section.rects and "entry:" + names[-1] not in section.rects
    for name in names[MAX_ENTRIES:]:
        (tmp_path / name).rmdir()
    section.browser.refresh()
    frames(app, fbo)
    assert "cut" not in section.rects


def test_a_name_cut_at_the_list_s_edge_is_shown_whole_on_hover(app, fbo, tmp_path):
    """Folders often differ only at the end of a long name (a training run's date, a step); the list cut
    them at its edge with no way to read the rest."""
    long = "gpt2-finetuned-on-my-notes-learning-rate-3e-4-warmup-200-batch-16-run-2026-11-30-step-120000"
    (tmp_path / long).mkdir()
    (tmp_path / "short").mkdir()
    _browse(app, fbo, tmp_path)
    section = app.panel.open
    for name, whole in ((long, long + "/"), ("short", None)):
        x0, y0, x1, y1 = section.rects[f"entry:{name}"]
        assert x1 > x0 and y1 > y0
        app.mouse_move((x0 + x1) / 2, (y0 + y1) / 2)
        frames(app, fbo)
        assert section.tooltip == whole


def test_a_double_or_triple_click_acts_once_on_the_entry_under_it(app, fbo, tmp_path):
    """One click opens an entry; learners used to file managers double-click. The first click entered the
    folder (or started a load, whose bar pushes the list down) and the second landed on whatever entry was
    now under the mouse: a folder of the new list was entered, or another checkpoint was opened."""
    for name in ("a", "b", "c"):
        for child in ("1", "2", "3"):
            (tmp_path / "root" / name / f"{name}{child}").mkdir(parents=True)
    _browse(app, fbo, tmp_path / "root")
    section = app.panel.open
    quick_clicks(app, fbo, section.rects["entry:b"])  # in b, its second entry would be under the mouse
    frames(app, fbo)
    assert section.browser.folder == tmp_path / "root" / "b"
    section.browser.enter(tmp_path / "root")
    frames(app, fbo)
    quick_clicks(app, fbo, section.rects["entry:c"], 3)
    frames(app, fbo)
    assert section.browser.folder == tmp_path / "root" / "c"
    for name in ("alpha", "beta", "gamma"):  # three checkpoints: the bar pushes gamma's row under beta's
        checkpoint(tmp_path / "models" / name, SMALL, seed=len(name))
    section.browser.enter(tmp_path / "models")
    app.frame(fbo, dt=0.5)  # half a second later: a new run of clicks, where gamma's row is c's
    quick_clicks(app, fbo, section.rects["entry:gamma"])
    assert app.models.requested.endswith("gamma"), app.models.requested
    loaded(app, fbo)
    assert app.view.path == tmp_path / "models" / "gamma"
