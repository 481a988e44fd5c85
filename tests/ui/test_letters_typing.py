"""The nano letters field headless on EGL, typed as the window delivers keys: characters that are not A, B,
C refused as they are typed, keys faster than frames, a click into the field with the letters after it, all
before a frame, and keys that are text while typing (Ctrl+Q still quits)."""

from __future__ import annotations


def _click_letters_field(app, fbo) -> None:
    """Click the letters field (the first widget under "Input and output"), so that it takes the keyboard."""
    from glviz.ui.controls import LEFT

    app.frame(fbo, dt=0.016)  # the Explore tab is drawn from the second frame on
    x0, y0, x1, y1 = app.panel.letters.rect
    field = ((x0 + x1) / 2, (y0 + y1) / 2)
    app.mouse_move(*field)
    app.frame(fbo, dt=0.016)
    app.mouse_press(*field, LEFT)
    app.frame(fbo, dt=0.016)
    app.mouse_release(*field, LEFT)
    app.frame(fbo, dt=0.016)


def _type_then_idle(app, fbo, text: str) -> None:
    """Each letter's key down, its character and key up, all before a frame; then what the window's loop
    does: draw while a frame is needed, then sleep."""
    for char in text:
        key = ord(char.upper())  # glfw's key codes for letters are their upper-case ASCII codes
        app.key(key, True, 0)
        app.char(ord(char))
        app.key(key, False, 0)
    for _ in range(100):
        if not app.needs_frame:
            break
        app.frame(fbo, dt=0.016)


def test_the_letters_field_refuses_other_characters_as_they_are_typed(app, fbo):
    """Only a/b/c/A/B/C go into the field (upper-cased), at most 6; a refused character is named."""
    _click_letters_field(app, fbo)
    before = app.letters
    for char in "ab":  # the click selected all: the first letter replaces the text
        app.char(ord(char))
        app.frame(fbo, dt=0.016)
    app.char(ord("x"))
    app.frame(fbo, dt=0.016)
    assert app.panel.letters.buffer == "AB"
    assert "'x'" in app.input_error and app.letters == before
    for char in "cabca":  # the seventh letter does not fit
        app.char(ord(char))
        app.frame(fbo, dt=0.016)
    assert app.panel.letters.buffer == "ABCABC"
    assert app.letters == "ABCABC" and app.input_error == ""


def test_keys_typed_faster_than_frames_all_reach_the_field_before_the_window_idles(app, fbo):
    """A typist (or xdotool) sends press, character and release for each letter before the next frame.
    imgui takes queued input over several frames (its trickle queue), so the window keeps drawing until the
    queue is empty: the field shows every letter, not a prefix that waits for the next event."""
    from checkpoint_helpers import click  # tests/ui/

    section = app.panel.open
    app.frame(fbo, dt=0.016)
    app.frame(fbo, dt=0.016)
    click(app, fbo, section.rects["header"])  # open the section: its path field has nothing to compute
    click(app, fbo, section.rects["path"])
    for _ in range(30):
        if not app.needs_frame:
            break
        app.frame(fbo, dt=0.016)
    _type_then_idle(app, fbo, "abcabcab")
    assert section.path == "abcabcab"


def test_a_click_into_a_field_and_the_letters_typed_after_it_all_before_a_frame(app, fbo):
    """The click comes with its move, so its press waits a frame for the move (ui/controls.py); the keys
    typed right after it wait behind it and reach the field it focuses, not whatever had the keyboard."""
    from checkpoint_helpers import click  # tests/ui/

    from glviz.ui.controls import LEFT

    section = app.panel.open
    app.frame(fbo, dt=0.016)
    app.frame(fbo, dt=0.016)
    click(app, fbo, section.rects["header"])  # open the section: its path field has nothing to compute
    for _ in range(30):
        if not app.needs_frame:
            break
        app.frame(fbo, dt=0.016)
    x0, y0, x1, y1 = section.rects["path"]
    x, y = (x0 + x1) / 2, (y0 + y1) / 2
    app.mouse_move(x, y)  # one poll: the move, the click and the letters
    app.mouse_press(x, y, LEFT)
    app.mouse_release(x, y, LEFT)
    _type_then_idle(app, fbo, "cab")
    assert section.path == "cab"


def test_while_typing_keys_are_text_but_ctrl_q_still_quits(app, fbo):
    from imgui_bundle import imgui

    from glviz.ui.controls import KEY_1, KEY_Q, MOD_CONTROL

    _click_letters_field(app, fbo)
    assert imgui.get_io().want_text_input
    app.key(KEY_1 + 1, True)  # "2" goes to the text field, not to the model switch
    assert app.model_name == "nano" and app.building is None
    app.key(KEY_Q, True, MOD_CONTROL)
    assert app.quit_requested
