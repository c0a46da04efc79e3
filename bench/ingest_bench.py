"""Ingest speed: a 1,000,000 × 20 CSV into a frozen dataset version, beside the readers a user would use.

Goal: at most 1.5 × the faster of DuckDB's read_csv and pyarrow's CSV reader (each reading the
whole file into an in-memory Arrow table). Run: .venv/bin/python bench/ingest_bench.py
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.csv as pa_csv  # noqa: E402

from bench._data import median_seconds, wide_csv  # noqa: E402
from lifecycle import auth, datasets, projects  # noqa: E402
from lifecycle.store.db import close_database  # noqa: E402
from lifecycle.workspace import open_workspace  # noqa: E402


def lifecycle_ingest(csv: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="lifecycle-bench-"))
    try:
        workspace = open_workspace(folder / "w.duckdb")
        auth.init_admin(workspace, "bench")
        actor = auth.get_user(workspace, "bench")
        project = projects.create_project(workspace, actor, name="bench", task="binary", target="target")
        datasets.ingest_path(workspace, actor, project.id, csv)
        close_database(folder / "w.duckdb")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    csv = wide_csv()
    size_mb = csv.stat().st_size / 1e6
    figures = {
        "DuckDB read_csv → Arrow": median_seconds(lambda: duckdb.connect().sql(f"SELECT * FROM read_csv('{csv}')").to_arrow_table()),
        "pyarrow read_csv": median_seconds(lambda: pa_csv.read_csv(csv)),
        "pandas read_csv": median_seconds(lambda: pd.read_csv(csv), repeat=1),
        "Lifecycle ingest (read, check, freeze, record)": median_seconds(lambda: lifecycle_ingest(csv)),
    }
    fastest = min(figures["DuckDB read_csv → Arrow"], figures["pyarrow read_csv"])
    print(f"Ingest of {csv.name} ({size_mb:,.0f} MB), median of 3 (pandas: 1 run)")
    print(f"{'tool':<50}{'seconds':>10}{'× fastest reader':>20}")
    for tool, seconds in figures.items():
        print(f"{tool:<50}{seconds:>10.2f}{seconds / fastest:>20.2f}")
    ratio = figures["Lifecycle ingest (read, check, freeze, record)"] / fastest
    print(f"goal ≤ 1.50 × fastest reader: {'met' if ratio <= 1.5 else 'NOT met'} ({ratio:.2f})")


if __name__ == "__main__":
    main()
