"""A real `glviz` process for tests that interrupt it, started as a shell would start it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def start_glviz(argv: list[str]) -> subprocess.Popen:
    """`python -m glviz ARGV` with stdout and stderr piped and SIGINT acted on (as a shell starts it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "glviz", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def read_ids(proc: subprocess.Popen, count: int) -> bytes:
    """What the process printed, read while it runs until at least `count` space-separated ids came."""
    printed = b""
    while printed.count(b" ") < count - 1:
        chunk = os.read(proc.stdout.fileno(), 4096)
        assert chunk, proc.stderr.read()
        printed += chunk
    return printed
