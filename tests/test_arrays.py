"""glviz.arrays.unique gives what np.unique gives, without importing numpy's masked arrays."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from glviz.arrays import unique


@pytest.mark.parametrize("values", [
    np.array([], dtype=np.int64),
    np.array([7], dtype=np.int32),
    np.array([3, 1, 3, 3, 2, 1], dtype=np.int64),
    np.array([[5, 5], [4, 6]], dtype=np.int64),  # flattened, as np.unique does
    np.random.default_rng(0).integers(0, 50, 1000),
    np.random.default_rng(1).standard_normal(300).astype(np.float32).repeat(2),
])
def test_unique_is_numpys_unique(values):
    got = unique(values)
    want = np.unique(values)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_unique_leaves_its_argument_as_it_was():
    values = np.array([3, 1, 2, 1])
    unique(values)
    np.testing.assert_array_equal(values, [3, 1, 2, 1])


def test_unique_does_not_import_numpys_masked_arrays():
    code = ("import sys, numpy as np\nfrom glviz.arrays import unique\nunique(np.array([2, 1, 2]))\n"
            "print('numpy.ma' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
