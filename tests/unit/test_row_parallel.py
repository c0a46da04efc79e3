"""Row-wise work spread over forked workers gives exactly what one process gives."""
from __future__ import annotations

import numpy as np

from lifecycle import row_parallel


def test_forked_slices_stack_back_in_row_order(monkeypatch):
    monkeypatch.setattr(row_parallel, "MIN_ROWS_PER_WORKER", 10)
    rows = np.arange(105, dtype=float).reshape(35, 3)

    def per_row(block):
        return np.stack([block * 2, block + 1], axis=-1)  # rows x features x outputs, as SHAP gives

    together = row_parallel.map_rows(per_row, rows, workers=3)
    np.testing.assert_array_equal(together, per_row(rows))


def test_small_work_stays_in_process(monkeypatch):
    import multiprocessing
    calls = []
    monkeypatch.setattr(multiprocessing, "get_context", lambda *_: calls.append(1))
    rows = np.ones((50, 2))
    np.testing.assert_array_equal(row_parallel.map_rows(lambda r: r * 3, rows, workers=2), rows * 3)
    assert calls == []
