"""Spread a row-wise computation that holds the GIL over the machine's cores.

SHAP's tree kernel (``shap._cext.dense_tree_shap``) keeps the GIL, so threads do not help; a
forked worker per core inherits the explainer and the rows without copying or pickling them and
sends back only its slice of the result. Fork is used only where it exists (Linux, macOS) and
only for work big enough to repay the few tens of milliseconds it costs; workers run numpy and
compiled code only and leave by ``os._exit``, so nothing of the parent (the DuckDB workspace,
Streamlit's threads) is touched in them.
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Callable

import numpy as np

MIN_ROWS_PER_WORKER = 1000
_job: tuple[Callable[[np.ndarray], np.ndarray], np.ndarray] | None = None  # read by forked workers


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def _run_slice(bounds: tuple[int, int]) -> np.ndarray:
    function, rows = _job
    return function(rows[bounds[0]:bounds[1]])


def map_rows(function: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, *,
             workers: int | None = None) -> np.ndarray:
    """``function(rows)``, computed in slices on forked workers when that pays off; results are
    stacked along the first axis, so ``function`` must return one entry per row, in order."""
    global _job
    workers = min(workers or usable_cores(), len(rows) // MIN_ROWS_PER_WORKER)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return function(rows)
    edges = np.linspace(0, len(rows), workers + 1).astype(int)
    _job = (function, rows)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_run_slice, list(zip(edges[:-1], edges[1:])))
    finally:
        _job = None
    return np.concatenate(parts, axis=0)
