"""Ingest speed: a 1,000,000 × 20 CSV into a frozen dataset version, beside the readers a user would use.

Goal: at most 1.5 × the faster of DuckDB's read_csv and pyarrow's CSV reader (each reading the
whole file into an in-memory Arrow table). The machine is shared and noisy, so the tools run
interleaved, round after round, and each figure is a median.
Run: .venv/bin/python bench/ingest_bench.py [rounds]
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.csv as pa_csv  # noqa: E402

from bench._data import wide_csv  # noqa: E402
from lifecycle import auth  # noqa: E402
from lifecycle.data import datasets
from lifecycle.problem import projects
from lifecycle.store.db import close_database  # noqa: E402
from lifecycle.workspace import open_workspace  # noqa: E402

LIFECYCLE = "Lifecycle ingest (read, check, freeze, record)"


def main(rounds: int = 5) -> None:
    csv = wide_csv()
    folder = Path(tempfile.mkdtemp(prefix="lifecycle-bench-"))
    workspace = open_workspace(folder / "w.duckdb")
    auth.init_admin(workspace, "bench")
    actor = auth.get_user(workspace, "bench")
    counter = iter(range(10_000))

    def lifecycle_ingest() -> float:
        # A project per run, so no run is answered by an earlier identical version; the frozen
        # file of the previous run is removed (untimed) so every run writes a new file, as a
        # new upload would.
        shutil.rmtree(folder / "w.files", ignore_errors=True)
        project = projects.create_project(workspace, actor, name=f"bench {next(counter)}", task="binary",
                                          target="target")
        start = time.perf_counter()
        datasets.ingest_path(workspace, actor, project.id, csv)
        return time.perf_counter() - start

    def timed(function) -> float:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start

    tools = {
        "DuckDB read_csv → Arrow": lambda: timed(
            lambda: duckdb.connect().sql(f"SELECT * FROM read_csv('{csv}')").to_arrow_table()),
        "pyarrow read_csv": lambda: timed(lambda: pa_csv.read_csv(csv)),
        "pandas read_csv": lambda: timed(lambda: pd.read_csv(csv)),
        LIFECYCLE: lifecycle_ingest,
    }
    timings: dict[str, list[float]] = {tool: [] for tool in tools}
    try:
        for _ in range(rounds):
            for tool, run in tools.items():
                timings[tool].append(run())
    finally:
        close_database(folder / "w.duckdb")
        shutil.rmtree(folder, ignore_errors=True)
    figures = {tool: sorted(values)[len(values) // 2] for tool, values in timings.items()}
    fastest = min(figures["DuckDB read_csv → Arrow"], figures["pyarrow read_csv"])
    print(f"Ingest of {csv.name} ({csv.stat().st_size / 1e6:,.0f} MB), median of {rounds} interleaved rounds")
    print(f"{'tool':<50}{'seconds':>10}{'× fastest reader':>20}")
    for tool, seconds in figures.items():
        print(f"{tool:<50}{seconds:>10.2f}{seconds / fastest:>20.2f}")
    ratio = figures[LIFECYCLE] / fastest
    print(f"goal ≤ 1.50 × fastest reader: {'met' if ratio <= 1.5 else 'NOT met'} ({ratio:.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
