"""End to end with a real window: `glviz` under Xvfb, driven by xdotool, checked on real X screenshots.

Screenshots are read from the X server with libX11's XGetImage through ctypes (libX11 is there wherever Xvfb
and glfw are), so the test needs no screenshot tool beyond Xvfb and xdotool.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.window, pytest.mark.slow]

WIDTH, HEIGHT = 1280, 800
PANEL = 400  # glviz.ui.panel.PANEL_WIDTH
INPUT_FIELD = (WIDTH - PANEL + 60, 196)  # the letters field, under "Open checkpoint…" in the Explore tab


class _XImage(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.POINTER(ctypes.c_ubyte)),
                ("byte_order", ctypes.c_int), ("bitmap_unit", ctypes.c_int),
                ("bitmap_bit_order", ctypes.c_int),
                ("bitmap_pad", ctypes.c_int), ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int),
                ("bits_per_pixel", ctypes.c_int)]


def x_screenshot(display: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB of the X root window (real pixels from the X server)."""
    xlib = ctypes.CDLL(ctypes.util.find_library("X11"))
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XDefaultRootWindow.restype = ctypes.c_ulong
    xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    xlib.XGetImage.restype = ctypes.POINTER(_XImage)
    xlib.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_uint,
                               ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
    xlib.XDestroyImage.argtypes = [ctypes.POINTER(_XImage)]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = xlib.XOpenDisplay(display.encode())
    assert dpy, f"cannot open X display {display}"
    try:
        z_pixmap = 2
        image = xlib.XGetImage(dpy, xlib.XDefaultRootWindow(dpy), 0, 0, WIDTH, HEIGHT, 0xFFFFFFFF, z_pixmap)
        assert image, "XGetImage failed"
        im = image.contents
        assert im.bits_per_pixel == 32, im.bits_per_pixel
        raw = ctypes.string_at(im.data, im.bytes_per_line * im.height)
        pixels = np.frombuffer(raw, np.uint8).reshape(im.height, im.bytes_per_line // 4, 4)[:, :im.width]
        rgb = pixels[..., [2, 1, 0]].copy()  # BGRX little-endian
        xlib.XDestroyImage(image)
        return rgb
    finally:
        xlib.XCloseDisplay(dpy)


@pytest.fixture(scope="module")
def xvfb(require):
    """A private Xvfb server; yields its DISPLAY string."""
    require("Xvfb", "xdotool")
    number = next(n for n in range(91, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    display = f":{number}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{WIDTH}x{HEIGHT}x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert server.poll() is None, "Xvfb exited"
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.05)
    yield display
    server.terminate()
    server.wait(timeout=10)


def _xdotool(display: str, *args: str, timeout: float = 30) -> str:
    out = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, (args, out.stderr)
    return out.stdout.strip()


def _settle(display: str, region=None, timeout: float = 15.0) -> np.ndarray:
    """A screenshot once two in a row agree (the app has finished drawing)."""
    previous = x_screenshot(display)
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(0.3)
        current = x_screenshot(display)
        a = previous if region is None else previous[region]
        b = current if region is None else current[region]
        if np.array_equal(a, b) or time.monotonic() > deadline:
            return current
        previous = current


def _changed(display: str, before: np.ndarray, region, timeout: float = 15.0) -> np.ndarray:
    """A settled screenshot once `region` differs from `before` by more than a few pixels (a key was handled:
    on a busy machine the first screenshots after a key may still show the old frame)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = x_screenshot(display)
        if np.abs(current[region].astype(int) - before[region]).sum() > 20000:
            break
        time.sleep(0.1)
    return _settle(display)


def _until(display: str, done, timeout: float = 15.0) -> np.ndarray:
    """The first screenshot for which `done(screenshot)` holds, or the last one at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        current = x_screenshot(display)
        if done(current) or time.monotonic() > deadline:
            return current
        time.sleep(0.1)


def _shift(before: np.ndarray, after: np.ndarray) -> tuple[int, int]:
    """(dx, dy) in pixels that best moves `before` onto `after` (cross-correlation of their grey levels)."""
    a, b = (image.astype(np.float64).mean(axis=2) for image in (before, after))
    correlation = np.fft.irfft2(np.fft.rfft2(b - b.mean()) * np.conj(np.fft.rfft2(a - a.mean())), s=a.shape)
    iy, ix = np.unravel_index(np.argmax(correlation), correlation.shape)
    h, w = a.shape
    return int(ix if ix <= w // 2 else ix - w), int(iy if iy <= h // 2 else iy - h)


def _known_cell():
    """A viewport pixel over a cell of a large nano block, found with the app's own camera and picking."""
    from glviz.layout.build import build_layout
    from glviz.model.config import PRESETS
    from glviz.render.camera import OrbitCamera, overview_pose
    from glviz.render.picking import pick

    layout = build_layout(PRESETS["nano"])
    viewport = (0.0, 0.0, float(WIDTH - PANEL), float(HEIGHT))
    camera = OrbitCamera(overview_pose(layout, aspect=viewport[2] / viewport[3]))
    vp = camera.view_projection(viewport[2] / viewport[3]).astype(np.float64)
    areas = layout.shapes[:, 0] * layout.shapes[:, 1]
    for block in np.argsort(-areas):
        centre = (layout.mins[block] + layout.maxs[block]) / 2
        centre[2] = layout.maxs[block][2]
        clip = np.append(centre, 1.0) @ vp
        ndc = clip[:3] / clip[3]
        px, py = (ndc[0] + 1) / 2 * viewport[2], (1 - ndc[1]) / 2 * viewport[3]
        if not (20 < px < viewport[2] - 20 and 20 < py < viewport[3] - 20):
            continue
        hit = pick(layout, *camera.ray(px, py, viewport))
        if hit is not None and hit.block == block:
            return int(px), int(py), layout.blocks[block].name
    pytest.fail("no block of the nano overview is visible")


@pytest.fixture
def app_process(xvfb, tmp_path):
    # Screenshots and the tour's saved place go under the test's folder, not the user's.
    env = {**os.environ, "DISPLAY": xvfb, "XDG_PICTURES_DIR": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("GLVIZ_EXIT_AFTER_FIRST_FRAME", None)
    log = open(tmp_path / "glviz.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "glviz", "app", "--size", f"{WIDTH}x{HEIGHT}"], env=env,
                               cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    yield process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)
    log.close()
    # The app shows a bug it caught in its panel and lives on; its log has the traceback.
    assert "Traceback" not in (tmp_path / "glviz.log").read_text(), (tmp_path / "glviz.log").read_text()


def test_hover_drag_wheel_keys_in_a_real_window(xvfb, app_process, tmp_path):
    window = _xdotool(xvfb, "search", "--sync", "--name", "^glviz", timeout=60).splitlines()[0]
    assert _xdotool(xvfb, "getwindowname", window) == "glviz — nano (sort)"
    _xdotool(xvfb, "mousemove", "5", str(HEIGHT - 5))  # an empty corner of the view
    deadline = time.monotonic() + 60
    while x_screenshot(xvfb).std() < 1 and time.monotonic() < deadline:  # the window is mapped before drawn
        time.sleep(0.1)
    _settle(xvfb)
    # A first launch opens the tour; T leaves it for free exploring, Home brings the overview.
    _xdotool(xvfb, "key", "t", "Home")
    before = _settle(xvfb)
    assert before[:, : WIDTH - PANEL].std() > 1, "the 3D view is blank"
    assert before[:, WIDTH - PANEL:].std() > 1, "the panel is blank"

    # Hover a known cell: the highlight and the tooltip change the view, the explanation changes the panel.
    x, y, name = _known_cell()
    near = (slice(max(y - 60, 0), y + 60), slice(max(x - 60, 0), x + 200))
    _xdotool(xvfb, "mousemove", str(x), str(y))
    hovered = _changed(xvfb, before, near)
    assert app_process.poll() is None, (tmp_path / "glviz.log").read_text()
    assert np.abs(hovered[near].astype(int) - before[near].astype(int)).sum() > 2000, f"no hover over {name}"
    panel = (slice(0, HEIGHT), slice(WIDTH - PANEL, WIDTH))
    panel_change = np.abs(hovered[panel].astype(int) - before[panel].astype(int)).sum()
    assert panel_change > 2000, "the panel did not explain the hovered cell"

    # Left-drag pans the scene, even when the app handles the drag's events only after all of them happened
    # (a slow frame on a busy machine; here the app is stopped meanwhile): the press is where the button went
    # down, not where the pointer is when it is handled (that drag panned by nothing).
    app_process.send_signal(signal.SIGSTOP)
    try:
        _xdotool(xvfb, "mousedown", "1")
        for step in range(1, 6):
            _xdotool(xvfb, "mousemove", str(x + 12 * step), str(y + 8 * step))
        _xdotool(xvfb, "mouseup", "1")
        _xdotool(xvfb, "mousemove", "5", str(HEIGHT - 5))
    finally:
        app_process.send_signal(signal.SIGCONT)
    view = (slice(0, HEIGHT), slice(0, WIDTH - PANEL))
    panned = _changed(xvfb, hovered, view)
    assert np.abs(panned[view].astype(int) - before[view].astype(int)).sum() > 10000, "drag did not pan"
    dx, dy = _shift(before[view], panned[view])
    assert abs(dx - 60) <= 15 and abs(dy - 40) <= 15, f"a drag of (60, 40) px moved the model by {(dx, dy)}"
    assert panned[view].std() > 1, "the drag threw the model out of view"

    # The wheel zooms.
    _xdotool(xvfb, "mousemove", str(x), str(y))
    _xdotool(xvfb, "click", "--repeat", "3", "4")
    zoomed = _changed(xvfb, panned, view)
    assert np.abs(zoomed[view].astype(int) - panned[view].astype(int)).sum() > 10000, "wheel did not zoom"
    assert zoomed[view].std() > 1, "the zoom lost the model"
    assert app_process.poll() is None, (tmp_path / "glviz.log").read_text()

    # Typing in the panel's input field: select all, type new letters, the model's output changes; copy the
    # text, type an invalid letter (refused with a message), paste the copy back: the panel is as before.
    output = (slice(209, 419), slice(WIDTH - PANEL, WIDTH))  # "Sorted by the model" and the bars (Explore)
    _xdotool(xvfb, "mousemove", str(INPUT_FIELD[0]), str(INPUT_FIELD[1]))
    _xdotool(xvfb, "click", "1")
    _xdotool(xvfb, "key", "ctrl+a")
    _xdotool(xvfb, "type", "--delay", "30", "AAABCC")
    typed = _settle(xvfb)
    changed = np.abs(typed[output].astype(int) - zoomed[output].astype(int)).sum()
    assert changed > 2000, "typing changed nothing"
    _xdotool(xvfb, "key", "ctrl+a", "ctrl+c")
    _xdotool(xvfb, "type", "D")
    refused = _settle(xvfb)
    assert np.abs(refused[panel].astype(int) - typed[panel].astype(int)).sum() > 500, "no refusal message"
    _xdotool(xvfb, "key", "ctrl+a", "ctrl+v")

    def restored(shot: np.ndarray) -> bool:
        return np.abs(shot[output].astype(int) - typed[output].astype(int)).sum() < 500

    # The refusal goes. Not the first settled change: on a busy machine the selection (ctrl+a) can be drawn
    # and stay a moment before the paste is handled.
    pasted = _until(xvfb, restored)
    _xdotool(xvfb, "mousemove", "5", str(HEIGHT - 5))
    _xdotool(xvfb, "click", "1")  # a click in the view ends typing, so keys are shortcuts again
    if not restored(pasted):  # seen once in ~40 runs of the suite, never alone: keep what the screen showed
        from PIL import Image

        for label, shot in (("typed", typed), ("refused", refused), ("pasted", pasted)):
            Image.fromarray(shot).save(tmp_path / f"paste-{label}.png")
    assert restored(pasted), f"paste did not restore (screenshots in {tmp_path})"
    assert app_process.poll() is None, (tmp_path / "glviz.log").read_text()

    # Resizing (down to a sliver and back) keeps the app running and the panel beside the view.
    for w, h in ((640, 400), (1, 1), (WIDTH, HEIGHT)):
        _xdotool(xvfb, "windowsize", window, str(w), str(h))
        _settle(xvfb)
        assert app_process.poll() is None, (tmp_path / "glviz.log").read_text()
    resized = _settle(xvfb)
    assert resized[:, WIDTH - PANEL:].std() > 1 and resized[:, : WIDTH - PANEL].std() > 1

    # P saves a screenshot, 2 switches to GPT-2 (title follows), Ctrl+Q quits cleanly.
    _xdotool(xvfb, "key", "p")  # no window manager: keys go to the window under the pointer
    deadline = time.monotonic() + 15
    while not list(tmp_path.glob("glviz/glviz-*.png")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(tmp_path.glob("glviz/glviz-*.png")), "P saved no screenshot in the pictures folder"
    _xdotool(xvfb, "key", "2")
    deadline = time.monotonic() + 30
    while "GPT-2" not in _xdotool(xvfb, "getwindowname", window) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "glviz — GPT-2 small" in _xdotool(xvfb, "getwindowname", window)
    # The app quits on the key press, so xdotool's key release may find the window gone: ignore its status.
    subprocess.run(["xdotool", "key", "ctrl+q"], env={**os.environ, "DISPLAY": xvfb},
                   capture_output=True, timeout=30)
    assert app_process.wait(timeout=20) == 0, (tmp_path / "glviz.log").read_text()


def test_without_a_display_the_app_exits_2_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    out = subprocess.run([sys.executable, "-m", "glviz"], env=env, capture_output=True, text=True, timeout=60,
                         cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == "glviz: error: no display: set DISPLAY or use `glviz render`"


def test_the_tour_in_a_real_window(xvfb, app_process, tmp_path):
    """A first launch opens the tour: Space plays it, the arrows change chapter, Backspace goes back, Ctrl+Q
    saves the place."""
    import json

    window = _xdotool(xvfb, "search", "--sync", "--name", "^glviz", timeout=60).splitlines()[0]
    assert window
    _xdotool(xvfb, "mousemove", "5", str(HEIGHT - 5))
    deadline = time.monotonic() + 60
    while x_screenshot(xvfb).std() < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    start = _settle(xvfb)
    view = (slice(0, HEIGHT), slice(0, WIDTH - PANEL))
    panel = (slice(0, HEIGHT), slice(WIDTH - PANEL, WIDTH))
    _xdotool(xvfb, "key", "space")  # play: the camera flies from the whole model to its top
    time.sleep(1.5)
    playing = x_screenshot(xvfb)
    assert np.abs(playing[view].astype(int) - start[view]).sum() > 20000, "Space did not play the tour"
    _xdotool(xvfb, "key", "Right")  # next chapter: another title and text in the panel
    second = _changed(xvfb, playing, panel)
    assert np.abs(second[panel].astype(int) - playing[panel]).sum() > 20000, "Right did not change chapter"
    _xdotool(xvfb, "key", "Right")
    third = _changed(xvfb, second, panel)
    assert np.abs(third[panel].astype(int) - second[panel]).sum() > 20000, "Right did not change chapter"
    _xdotool(xvfb, "key", "space")
    time.sleep(1.7)  # inside the chapter's first step (its first pause comes at 2 s), past Back's grace
    _xdotool(xvfb, "key", "BackSpace")  # back to the start of the section, playing again
    time.sleep(0.3)
    assert app_process.poll() is None, (tmp_path / "glviz.log").read_text()
    _xdotool(xvfb, "key", "space")  # pause
    subprocess.run(["xdotool", "key", "ctrl+q"], env={**os.environ, "DISPLAY": xvfb}, capture_output=True,
                   timeout=30)
    assert app_process.wait(timeout=20) == 0, (tmp_path / "glviz.log").read_text()
    saved = json.loads((tmp_path / "glviz" / "tour.json").read_text())
    assert saved["chapter"] == "embedding" and saved["touring"] is True
    assert saved["t"] < 1.0 and saved["furthest"]["embedding"] >= 1.0  # Backspace went back in the chapter


def test_escape_does_not_close_the_window(xvfb, app_process, tmp_path):
    """Escape closes a combo's list or leaves a text field in imgui; moderngl-window's default closed the
    whole window on it, so a learner closing the speed list quit the app. Ctrl+Q quits."""
    _xdotool(xvfb, "search", "--sync", "--name", "^glviz", timeout=60)
    _xdotool(xvfb, "mousemove", "5", str(HEIGHT - 5))
    deadline = time.monotonic() + 60
    while x_screenshot(xvfb).std() < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    _settle(xvfb)
    _xdotool(xvfb, "key", "Escape")
    time.sleep(1.5)
    assert app_process.poll() is None, "Escape closed the app"
    subprocess.run(["xdotool", "key", "ctrl+q"], env={**os.environ, "DISPLAY": xvfb}, capture_output=True,
                   timeout=30)
    assert app_process.wait(timeout=20) == 0, (tmp_path / "glviz.log").read_text()


def test_sigterm_and_sighup_save_the_tours_place(xvfb, app_process, tmp_path):
    """Closing the terminal glviz was started from (SIGHUP), or a session logging out (SIGTERM), killed the
    app: what the learner did since the tour's last pause (here Skip, which saves nothing by itself) was
    lost. Both now end the app as Ctrl+Q does, saving the place."""
    import json
    import signal

    _xdotool(xvfb, "search", "--sync", "--name", "^glviz", timeout=60)
    _xdotool(xvfb, "mousemove", "5", str(HEIGHT - 5))
    deadline = time.monotonic() + 60
    while x_screenshot(xvfb).std() < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    before = _settle(xvfb)
    # A first launch opens the tour; its Skip button, right of Continue and Back (tour_panel: PLAY_WIDTH).
    _xdotool(xvfb, "mousemove", str(WIDTH - PANEL + 188), "100")
    _xdotool(xvfb, "click", "1")
    _changed(xvfb, before, (slice(130, 170), slice(WIDTH - PANEL, WIDTH)))  # the scrub bar moved
    app_process.send_signal(signal.SIGTERM)
    assert app_process.wait(timeout=20) == 0, (tmp_path / "glviz.log").read_text()
    saved = json.loads((tmp_path / "glviz" / "tour.json").read_text())
    assert saved["chapter"] == "overview" and saved["t"] > 0, saved
