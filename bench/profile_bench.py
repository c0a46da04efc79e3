"""Benchmark: profile a 1,000,000-row × 20-column dataset.

    .venv/bin/python bench/profile_bench.py [--rows N] [--repeat 3] [--csv PATH]

Generates the CSV with a fixed seed (12 float columns with 2% missing, 4 integer columns,
3 low-cardinality text columns, a binary target), ingests it into a temporary workspace and
prints the median wall time of ``profile_dataset`` (fresh computation, never the cache).
Other profilers plug in as further ``time_*(csv_path) -> float`` functions.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEED = 20240601
TARGET = "y"


def make_csv(path: Path, rows: int = 1_000_000, seed: int = SEED) -> Path:
    """Write the benchmark CSV (deterministic for a given seed and row count)."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for i in range(12):
        values = rng.normal(loc=i, scale=1 + i, size=rows).round(4)
        values[rng.random(rows) < 0.02] = np.nan
        columns[f"f{i}"] = values
    for i in range(4):
        columns[f"i{i}"] = rng.integers(0, 10 ** (i + 1), size=rows)
    for i in range(3):
        labels = np.array([f"cat_{k}" for k in range(5 * (i + 1))])
        columns[f"s{i}"] = labels[rng.integers(0, len(labels), size=rows)]
    columns[TARGET] = (rng.random(rows) < 0.3).astype(np.int64)
    pa_csv.write_csv(pa.table(columns), path)
    return path


def time_lifecycle(csv_path: Path, repeat: int = 3) -> float:
    """Median seconds of ``profile_dataset`` over ``repeat`` fresh runs (ingest not timed)."""
    os.environ.setdefault("LIFECYCLE_MAX_UPLOAD_MB", "2000")
    from lifecycle import auth
    from lifecycle.data import datasets
    from lifecycle.problem import projects
    from lifecycle.data.profile import profile_dataset
    from lifecycle.store.db import close_database
    from lifecycle.workspace import open_workspace

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        workspace = open_workspace(path)
        try:
            auth.init_admin(workspace, "bench")
            actor = auth.get_user(workspace, "bench")
            project = projects.create_project(workspace, actor, name="bench", task="binary", target=TARGET)
            dataset = datasets.ingest_path(workspace, actor, project.id, csv_path)
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                profile_dataset(workspace, dataset, target=TARGET, task="binary")
                timings.append(time.perf_counter() - started)
        finally:
            close_database(path)
    return statistics.median(timings)


YDATA_PYTHON = Path(__file__).parent / ".venv-ydata" / "bin" / "python"


def time_ydata(csv_path: Path) -> tuple[float, float] | None:
    """ydata-profiling in minimal mode, in its own venv (it needs pandas < 3); one run.

    Returns (seconds to compute the description, seconds including the HTML report)."""
    if not YDATA_PYTHON.exists():
        return None
    import subprocess

    done = subprocess.run([str(YDATA_PYTHON), str(Path(__file__).parent / "_ydata_profile.py"), str(csv_path)],
                          capture_output=True, text=True, check=True)
    described, with_html = done.stdout.strip().splitlines()[-1].split()
    return float(described), float(with_html)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--csv", type=Path, help="profile this CSV instead of generating one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        csv_path = args.csv or make_csv(Path(folder) / "bench.csv", rows=args.rows)
        size_mb = csv_path.stat().st_size / 1024 / 1024
        ydata = time_ydata(csv_path)
        results = {"lifecycle (DuckDB)": time_lifecycle(csv_path, repeat=args.repeat),
                   "ydata-profiling minimal": ydata[0] if ydata else None,
                   "  … plus its HTML report": ydata[1] if ydata else None}
    print(f"Dataset: {args.rows:,} rows × 20 columns, {size_mb:,.0f} MB CSV; "
          f"median of {args.repeat} runs, {os.cpu_count()} CPU(s)")
    print(f"{'profiler':<24}{'seconds':>10}")
    print("-" * 34)
    for name, seconds in results.items():
        if seconds is None:
            print(f"{name:<24}{'skipped':>10}  (make bench-env installs it in bench/.venv-ydata)")
        else:
            print(f"{name:<24}{seconds:>10.2f}")
    if results["ydata-profiling minimal"]:
        print(f"ydata-profiling minimal / lifecycle: {results['ydata-profiling minimal'] / results['lifecycle (DuckDB)']:.0f}×"
              " (ydata: one run, CSV read not timed)")
    print(f"goal < 3 s: {'met' if results['lifecycle (DuckDB)'] < 3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
