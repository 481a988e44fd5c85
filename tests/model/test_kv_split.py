"""The one-position KV step split among forked processes (model/kv_split.py): the same logits and cache as
one process, helpers that end with their cache, a failed helper, Ctrl+C or their parent's end."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from glviz.model.config import GPTConfig
from glviz.model.forward import KVCache
from glviz.model.generate import generate_stream
from glviz.model.kv_split import MIN_BYTES, MIN_STEPS, SPLIT_FROM, usable_cores, worth_splitting
from glviz.model.weights import Weights, save_npz
from glviz_process import read_ids, start_glviz  # tests/

from .helpers import varied_weights

# Four heads, 128 hidden units and 97 tokens: three processes get unequal shares of each.
CONFIG = GPTConfig(n_layer=2, n_head=4, n_embd=32, vocab_size=97, block_size=64, name="split")
WEIGHTS = varied_weights(CONFIG, seed=11)
TOKENS = np.random.default_rng(2).integers(0, CONFIG.vocab_size, 60)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
                                reason="the split runs on Linux x86-64")


def _gone(pid: int) -> bool:
    """The process has ended (a zombie nobody reaped counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def _wait_gone(pids: list[int], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(_gone(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("processes", [2, 3])
def test_split_steps_give_the_logits_and_cache_of_one_process(processes: int) -> None:
    one, split = KVCache(WEIGHTS), KVCache(WEIGHTS, split=processes)
    try:
        expected = [one.step(TOKENS[:5])] + [one.step(TOKENS[t : t + 1]) for t in range(5, 30)]
        got = [split.step(TOKENS[:5])] + [split.step(TOKENS[t : t + 1]) for t in range(5, 30)]
        assert split.processes == processes and len(split.helpers) == processes - 1
        np.testing.assert_allclose(np.concatenate(got), np.concatenate(expected), rtol=1e-5, atol=1e-6)
        # Every process wrote its heads' keys and values into the shared cache.
        np.testing.assert_allclose(split.keys[..., :30], one.keys[..., :30], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(split.values[..., :30], one.values[..., :30], rtol=1e-5, atol=1e-6)
        # Several positions at once run here (the helpers end), then the split starts again.
        np.testing.assert_allclose(split.step(TOKENS[30:33]), one.step(TOKENS[30:33]), rtol=1e-5, atol=1e-6)
        assert split.helpers == []
        for t in range(33, 40):
            np.testing.assert_allclose(split.step(TOKENS[t : t + 1]), one.step(TOKENS[t : t + 1]),
                                       rtol=1e-5, atol=1e-6)
        assert split.processes == processes
        split.truncate(35)  # back: the positions after 35 are written again
        one.truncate(35)
        np.testing.assert_allclose(split.step(TOKENS[50:51]), one.step(TOKENS[50:51]), rtol=1e-5, atol=1e-6)
        helpers = split.helpers
    finally:
        split.close()
    assert split.processes == 1 and split.helpers == []
    assert _wait_gone(helpers, 0.5)  # close waited for them


def test_going_back_before_the_split_began_keeps_every_key_and_value() -> None:
    one, split = KVCache(WEIGHTS), KVCache(WEIGHTS, split=2)
    try:
        one.step(TOKENS[:8])
        split.step(TOKENS[:8])
        for t in range(8, 14):  # the split runs from position 8: its processes record 8 - 13 apart
            np.testing.assert_allclose(split.step(TOKENS[t : t + 1]), one.step(TOKENS[t : t + 1]),
                                       rtol=1e-5, atol=1e-6)
        assert len(split.helpers) == 1
        split.truncate(5)
        one.truncate(5)
        assert split.helpers == []  # what it recorded is in the cache; a new split starts at 5
        for t in range(20, 25):
            np.testing.assert_allclose(split.step(TOKENS[t : t + 1]), one.step(TOKENS[t : t + 1]),
                                       rtol=1e-5, atol=1e-6)
        assert len(split.helpers) == 1
        np.testing.assert_allclose(split.keys[..., :10], one.keys[..., :10], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(split.values[..., :10], one.values[..., :10], rtol=1e-5, atol=1e-6)
    finally:
        split.close()


def test_a_step_whose_helper_died_runs_in_this_process() -> None:
    one, split = KVCache(WEIGHTS), KVCache(WEIGHTS, split=2)
    try:
        for t in range(10):
            one.step(TOKENS[t : t + 1])
            split.step(TOKENS[t : t + 1])
        (helper,) = split.helpers
        os.kill(helper, signal.SIGKILL)
        assert _wait_gone([helper])
        np.testing.assert_allclose(split.step(TOKENS[10:11]), one.step(TOKENS[10:11]), rtol=1e-5, atol=1e-6)
        assert split.processes == 1
        np.testing.assert_allclose(split.step(TOKENS[11:12]), one.step(TOKENS[11:12]), rtol=1e-5, atol=1e-6)
    finally:
        split.close()


def _wide() -> tuple[GPTConfig, Weights]:
    """48 MB of weights, past MIN_BYTES."""
    config = GPTConfig(n_layer=1, n_head=4, n_embd=256, vocab_size=40_000, block_size=4096, name="wide")
    weights = varied_weights(config, seed=4)
    assert sum(a.nbytes for a in weights.tensors.values()) >= MIN_BYTES
    return config, weights


def test_by_default_small_models_and_short_contexts_run_in_one_process() -> None:
    assert sum(a.nbytes for a in WEIGHTS.tensors.values()) < MIN_BYTES
    cache = KVCache(WEIGHTS, split=True)
    cache.step(TOKENS[:3])
    cache.step(TOKENS[3:4])
    assert cache.processes == 1 and cache.helpers == []
    config, weights = _wide()
    tokens = np.random.default_rng(3).integers(0, config.vocab_size, SPLIT_FROM + 2)
    cache = KVCache(weights, split=True)
    try:
        cache.step(tokens[: SPLIT_FROM - 1])
        cache.step(tokens[SPLIT_FROM - 1 : SPLIT_FROM])  # at SPLIT_FROM - 1 cached positions: one process
        assert cache.processes == 1
        cache.step(tokens[SPLIT_FROM : SPLIT_FROM + 1])
        assert cache.processes == min(usable_cores(), config.n_head, 8)
    finally:
        cache.close()
    assert not worth_splitting(SPLIT_FROM + MIN_STEPS - 1) and worth_splitting(SPLIT_FROM + MIN_STEPS)


def test_helpers_end_when_their_process_ends_without_closing(tmp_path: Path) -> None:
    tests = Path(__file__).resolve().parents[1]
    script = textwrap.dedent(f"""
        import os, sys
        import numpy as np
        sys.path[:0] = [{str(tests.parent)!r}, {str(tests)!r}]
        from tests.model.test_kv_split import KVCache, TOKENS, WEIGHTS
        cache = KVCache(WEIGHTS, split=2)
        cache.step(TOKENS[:4])
        cache.step(TOKENS[4:5])
        print(cache.helpers[0], flush=True)
        os._exit(0)  # no close, no clean-up: the helper must not spin on alone
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert _wait_gone([int(out.stdout.split()[0])])


@pytest.mark.skipif(usable_cores() < 2, reason="the split needs two cores")
def test_generate_splits_a_long_generation_and_ctrl_c_ends_its_helpers(tmp_path: Path) -> None:
    # A model past MIN_BYTES and 4,000 new tokens: `glviz generate` splits its steps from SPLIT_FROM on.
    config, weights = _wide()
    save_npz(weights, tmp_path / "wide.npz")
    argv = ["generate", "--weights", str(tmp_path / "wide.npz"), "--tokens", "1,2,3", "--ids",
            "--max-new-tokens", "4000"]
    proc = start_glviz(argv)
    try:
        printed = read_ids(proc, SPLIT_FROM + 20)  # 3 + 520 positions cached: the split runs
        with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as children:
            helpers = [int(pid) for pid in children.read().split()]
        assert len(helpers) == min(usable_cores(), config.n_head, 8) - 1
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130 and err.decode() == "glviz: interrupted\n"
    assert _wait_gone(helpers, 5.0)
    ids = [int(t) for t in (printed + rest).decode().split()]
    stream = generate_stream(weights, [1, 2, 3], 4000)  # split as the command's was, from the same position
    try:
        assert ids == list(itertools.islice(stream, len(ids)))
    finally:
        stream.close()
