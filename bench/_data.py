"""Synthetic benchmark data, generated with a fixed seed (nothing is downloaded)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "out"


def wide_csv(rows: int = 1_000_000, seed: int = 0) -> Path:
    """A rows × 20 CSV: 12 float, 4 integer, 3 low-cardinality text columns and a binary target."""
    path = OUT / f"bench_{rows}x20_seed{seed}.csv"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    columns = {f"num_{i}": rng.normal(100, 15, rows).round(3) for i in range(12)}
    columns |= {f"int_{i}": rng.integers(0, 1000, rows) for i in range(4)}
    columns |= {f"cat_{i}": rng.choice(["alpha", "beta", "gamma", "delta", "epsilon"], rows) for i in range(3)}
    columns["target"] = rng.choice(["yes", "no"], rows, p=[0.3, 0.7])
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


def median_seconds(function, repeat: int = 3) -> float:
    import time
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return sorted(timings)[len(timings) // 2]
