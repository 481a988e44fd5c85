"""model/blas.py: the BLAS thread count set for a while, and put back."""

import pytest

from glviz.model.blas import blas_threads, thread_count


def test_blas_threads_sets_the_count_and_puts_it_back():
    before = thread_count()
    if before is None or before < 2:
        pytest.skip("numpy's BLAS is not an OpenBLAS on several threads whose count can be read")
    with blas_threads(1) as ok:
        inside = thread_count()
    assert (ok, inside, thread_count()) == (True, 1, before)
