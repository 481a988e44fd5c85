"""The window: a moderngl-window glfw window that forwards its events to a GlvizApp, and the main loop.

The loop sleeps in `glfw.wait_events_timeout` while nothing changes, so an idle window costs no CPU.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import os
import sys
import time
import warnings

from glviz.errors import GlvizError


def _modifier_bits(modifiers, window=None) -> int:
    """moderngl-window's KeyModifiers (+ Super read from glfw) as glfw's bit field."""
    from glviz.ui.imgui_renderer import MOD_ALT, MOD_CONTROL, MOD_SHIFT, MOD_SUPER

    bits = (MOD_SHIFT if modifiers.shift else 0) | (MOD_CONTROL if modifiers.ctrl else 0)
    bits |= MOD_ALT if modifiers.alt else 0
    if window is not None:
        import glfw

        if glfw.get_key(window, glfw.KEY_LEFT_SUPER) or glfw.get_key(window, glfw.KEY_RIGHT_SUPER):
            bits |= MOD_SUPER
    return bits


def _window_config_class():
    """GlvizWindow, defined on first use so that importing this module does not import moderngl-window."""
    import moderngl_window as mglw

    class GlvizWindow(mglw.WindowConfig):
        """Forwards the window's events to a GlvizApp and draws it into the window."""

        gl_version = (3, 3)
        title = "glviz"
        resizable = True
        vsync = True
        aspect_ratio = None

        def __init__(self, app_options: dict, **kwargs) -> None:
            super().__init__(**kwargs)
            glfw_window = self.wnd._window

            def get_clipboard() -> str:
                import glfw

                text = glfw.get_clipboard_string(glfw_window)
                return text.decode("utf-8", "replace") if isinstance(text, bytes) else (text or "")

            def set_clipboard(text: str) -> None:
                import glfw

                glfw.set_clipboard_string(glfw_window, text)

            from glviz.ui.app import GlvizApp

            self.app = GlvizApp(self.ctx, size=self.wnd.size, pixel_ratio=self.wnd.pixel_ratio,
                                clipboard=(get_clipboard, set_clipboard), **app_options)

        def sync_title(self) -> None:
            if self.app.title_changed:
                self.wnd.title = self.app.title
                self.app.title_changed = False

        def on_render(self, time_s: float, frame_time: float) -> None:
            self.app.frame(self.wnd.fbo)

        def on_resize(self, width: int, height: int) -> None:
            self.pointer = None  # the window changed under the pointer: its last move may not be where it is
            self.app.resize(*self.wnd.size, pixel_ratio=self.wnd.pixel_ratio if self.wnd.width else None)

        def on_iconify(self, iconified: bool) -> None:
            self.app.invalidate()

        def on_key_event(self, key, action, modifiers) -> None:
            keys = self.wnd.keys
            if action in (keys.ACTION_PRESS, keys.ACTION_RELEASE) or action == 2:  # 2: glfw REPEAT
                self.app.key(key, action != keys.ACTION_RELEASE, _modifier_bits(modifiers, self.wnd._window))

        # moderngl-window gives a button event the pointer's position when the event is handled (it asks glfw,
        # which asks the X server), not where the button went down: after a slow frame that is where the
        # pointer has gone since, and a drag's start landed at its end (it panned by nothing). The pointer's
        # last reported move, handled in order with the buttons, is where the button went down (until the
        # window is resized: then it may be elsewhere in the window without having moved).
        pointer: tuple[float, float] | None = None

        def on_mouse_position_event(self, x: int, y: int, dx: int, dy: int) -> None:
            self.pointer = (x, y)
            self.app.mouse_move(x, y)

        def on_mouse_drag_event(self, x: int, y: int, dx: int, dy: int) -> None:
            self.pointer = (x, y)
            self.app.mouse_move(x, y)

        def on_mouse_press_event(self, x: int, y: int, button: int) -> None:
            x, y = self.pointer or (x, y)
            self.app.mouse_press(x, y, button, _modifier_bits(self.wnd.modifiers))

        def on_mouse_release_event(self, x: int, y: int, button: int) -> None:
            x, y = self.pointer or (x, y)
            self.app.mouse_release(x, y, button, _modifier_bits(self.wnd.modifiers))

        def on_mouse_scroll_event(self, x_offset: float, y_offset: float) -> None:
            self.app.scroll(x_offset, y_offset)

        def on_unicode_char_entered(self, char: str) -> None:
            self.app.char(ord(char))

    return GlvizWindow


def has_display() -> bool:
    """Whether an X11 or Wayland display is set."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def process_age() -> float:
    """Seconds since this process started (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return max(uptime - start_ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return 0.0


FIRST_FRAME_ENV = "GLVIZ_EXIT_AFTER_FIRST_FRAME"  # set: print the time to the first frame, then exit


def use_bundled_glfw() -> None:
    """Point pyGLFW at the library its own wheel carries, unless the user chose one (PYGLFW_LIBRARY). Left
    to search, it starts a Python subprocess to read the version of every libglfw it finds: ~40 ms of
    start-up, before the window can open. A bundled library that does not load is left to that search."""
    chosen = os.environ.get("PYGLFW_LIBRARY")
    if chosen or sys.platform in ("darwin", "win32") or getattr(sys, "frozen", False):
        return
    spec = importlib.util.find_spec("glfw")
    if spec is None or not spec.submodule_search_locations:
        return
    variant = os.environ.get("PYGLFW_LIBRARY_VARIANT", "").lower()  # as pyGLFW picks it
    if variant not in ("x11", "wayland"):
        variant = "wayland" if os.environ.get("XDG_SESSION_TYPE") == "wayland" else "x11"
    library = os.path.join(spec.submodule_search_locations[0], variant, "libglfw.so")
    try:
        ctypes.CDLL(library)
    except OSError:
        return
    os.environ["PYGLFW_LIBRARY"] = library


def _quit_on_signals(app) -> None:
    """SIGTERM (a session logging out) and SIGHUP (the terminal glviz was started from closed) end the loop
    as Ctrl+Q does, so that the tour's place is saved: killed, the app lost what the learner did since the
    last pause (Skip, the scrub bar, the chapters reached)."""
    import signal

    def quit_(signum, frame) -> None:
        app.quit_requested = True

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), quit_)


def run_app(model: str = "nano", size: tuple[int, int] = (1280, 800), **app_options) -> int:
    """Open the window and run until it is closed; `app_options` go to GlvizApp (letters, screenshot_dir,
    lang, ...). GlvizError when there is no display."""
    if not has_display():
        raise GlvizError("error.window.no_display")
    use_bundled_glfw()
    import glfw
    from moderngl_window import activate_context
    from moderngl_window.context.glfw import Window
    from moderngl_window.timers.clock import Timer

    from glviz.model.config import DISPLAY_NAMES
    from glviz.ui.preload import Preload

    # The window opens in C without the GIL while the preload imports the app (ui/preload.py). What the window
    # needs is imported above, first: the preload importing it too (moderngl, Pillow) would hold it back.
    preload = Preload()

    try:
        with warnings.catch_warnings():  # glfw warns before raising: one line is enough
            warnings.simplefilter("ignore")
            window = Window(title=f"glviz — {DISPLAY_NAMES.get(model, model)}", size=size, resizable=True,
                            vsync=True, gl_version=(3, 3), aspect_ratio=None, visible=True, cursor=True,
                            samples=0)
    except Exception as exc:  # glfw/glcontext failures: no X server, no GL 3.3
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        preload.wait()  # the interpreter must not exit under a thread still inside an extension's import
        raise GlvizError("error.window.no_window", reason=reason) from None
    # Escape closes an imgui popup or leaves a text field; moderngl-window's default of closing the whole
    # window on it would end the app (Ctrl+Q quits).
    window.exit_key = None
    activate_context(window=window)
    preload.wait()
    timer = Timer()
    config = _window_config_class()(
        {"model": model, **app_options},
        ctx=window.ctx, wnd=window, timer=timer,
    )
    app = config.app
    _quit_on_signals(app)
    from glviz.ui import wakeup

    wakeup.set_waker(glfw.post_empty_event)  # background work wakes the loop when it has news
    exit_after_first = bool(os.environ.get(FIRST_FRAME_ENV))
    frozen = False
    polled_at = time.monotonic()  # when the loop last took the events glfw had queued
    timer.start()
    try:
        while not window.is_closing and not app.quit_requested:
            if app.needs_frame and window.width > 0 and window.height > 0:
                config.sync_title()
                window.use()
                drawn = app.frame(window.fbo)
                glfw.swap_buffers(window._window)
                if drawn and exit_after_first:
                    sys.stdout.write(f"glviz: first frame after {process_age():.3f} s\n")
                    sys.stdout.flush()
                    break
                # What this poll hands over queued during the frame: it may have happened as early as the
                # last poll (a double click's second press after a slow frame is still a double click).
                app.controls.events_since = polled_at
                glfw.poll_events()
                app.controls.events_since = None
            else:
                if not frozen:
                    # The first idle moment: start-up's garbage (~1,300 objects) collected, then what start-up
                    # made kept for good (frozen: later collections do not walk it again; 85 ms here, when
                    # nothing waits for a frame).
                    gc.collect()
                    gc.freeze()
                    frozen = True
                    app.first_idle()
                # Idle: sleep until an event arrives (briefly while a model builds, a checkpoint loads or a
                # trace grows in the background: a frame then polls what it made; drawing every frame would
                # take the CPU the work needs). Background work that has news wakes it at once (ui/wakeup.py).
                glfw.wait_events_timeout(0.05 if app.building or app.working else 0.5)  # handled as they come
                if app.working and app.background_frame_due():
                    app.invalidate(1)
                app.tracing.fill_missing()  # values shown nowhere: computed once the view is still
                if app.message_line.expire():  # a note's time is up: the panel without it
                    app.invalidate()
                if window.width <= 0 or window.height <= 0:
                    app.invalidate()
            polled_at = time.monotonic()
            if not gc.isenabled():  # started with the collector off (cli.main): on from the first frame
                gc.enable()
    finally:
        wakeup.set_waker(None)  # before glfw ends: a thread finishing later has nothing to wake
        app.release()
        window.destroy()
    return 0


