"""How many threads numpy's BLAS uses, for a while.

One token appended to a trace is a chain of matrix-vector products: memory-bound, so a second BLAS thread
gains little, and while the window's thread draws (or anything else runs) on a two-core machine, OpenBLAS's
threads wait on each other: GPT-2's step took 0.2-0.4 s with two of them and 0.05-0.07 s with one (measured
under load on a shared 2-core machine). OpenBLAS has one count for the process (its
`openblas_set_num_threads_local` returns the count it replaces, so that it can be put back); with another
BLAS this does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager

# OpenBLAS's idle threads spin for 2^n cycles (n = OPENBLAS_THREAD_TIMEOUT, 28 by default: about 0.1 s
# here) before they sleep: after a token's step on two threads, the spinning one took a core from the
# window's next frame (its software GL shading went from 16 to 30 ms). OpenBLAS reads it once, as it loads.
IDLE_THREADS_ENV = {"OPENBLAS_THREAD_TIMEOUT": "4"}

# Commands that draw nothing and run long chains of small BLAS calls keep OpenBLAS's spinning: a KV-cache
# step (about 340 calls) then wakes no sleeping thread per call. GPT-2's step at T = 1024 took 24.5 against
# 25.8 ms (medians of 18 measures in alternated processes; 1.50 against 1.61 x its floor).
SPINNING_COMMANDS = frozenset({"generate"})

_added: dict[str, str] = {}  # what quiet_idle_threads put in the environment (not the user's own settings)


def quiet_idle_threads(command: str | None = None) -> None:
    """Call before numpy is imported: OpenBLAS's idle threads then sleep at once (unless the user set it),
    except for a `command` in SPINNING_COMMANDS."""
    if command in SPINNING_COMMANDS:
        return
    for name, value in IDLE_THREADS_ENV.items():
        if name not in os.environ:
            os.environ[name] = _added[name] = value


def spinning_environment() -> dict[str, str]:
    """This process's environment as a SPINNING_COMMANDS command has it: less what quiet_idle_threads
    added (for a child process that must run as `glviz generate` does)."""
    return {name: value for name, value in os.environ.items() if _added.get(name) != value}


# The thread count's getter by the names OpenBLAS builds give it (numpy's wheels prefix theirs).
GETTERS = ("openblas_get_num_threads", "scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads")


@functools.cache
def _openblas() -> ctypes.CDLL | None:
    """The OpenBLAS library numpy has loaded (found in this process's maps: Linux), else None."""
    import numpy  # noqa: F401  (loads its BLAS)

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
            function = library.openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        function.argtypes, function.restype = [ctypes.c_int], ctypes.c_int
        return library
    return None


def thread_count() -> int | None:
    """OpenBLAS's thread count, or None where that is not known."""
    library = _openblas()
    for name in GETTERS if library is not None else ():
        getter = getattr(library, name, None)
        if getter is not None:
            getter.restype = ctypes.c_int
            return int(getter())
    return None


@contextmanager
def blas_threads(n: int) -> Iterator[bool]:
    """Run the body with BLAS on `n` threads (for the whole process: the window's thread does no BLAS work
    that matters meanwhile), then put the count back; yields whether it could be set."""
    library = _openblas()
    if library is None:
        yield False
        return
    before = library.openblas_set_num_threads_local(int(n))
    try:
        yield True
    finally:
        library.openblas_set_num_threads_local(before)
