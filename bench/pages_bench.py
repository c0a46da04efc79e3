"""Every page's script, warm, on the demo workspace: goal under 0.5 s each.

Times a full AppTest rerun of each page (the script plus Streamlit's own work in the test
harness, so a slight overestimate), median of 5 after two warm-up runs. Then the Validate
page's Explain and Fairness sections (read from the demo's stored evidence), and the Develop
page again with 10,000 more runs on record in the demo project (leaderboard and comparison).

Then the Monitor stage with 10,000,000 logged predictions on record for the demo project: Parquet
segments written straight into its prediction log (the service's schema; inputs are Adult rows
as JSON, drawn with replacement, over the last 7 days), one first refresh (every window's drift
computed and stored), then the monitoring reads the Monitor page makes, warm, median of 5: a
refresh with nothing new, the drift table, drift history, performance history, the Deploy
traffic stats (last 5 minutes) and the Monitor page's traffic per window over its default range
(4 days, hourly); then an AppTest rerun of ``pages/monitor.py`` (its default view).
Run: .venv/bin/python bench/pages_bench.py [--only-monitor] [--logged-rows N]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["LIFECYCLE_WORKSPACE"] = str(Path(tempfile.mkdtemp(prefix="lifecycle-pages-")) / "demo.duckdb")

from streamlit.testing.v1 import AppTest  # noqa: E402

from lifecycle import demo  # noqa: E402
from lifecycle.problem import projects  # noqa: E402
from lifecycle.store import runs as run_store  # noqa: E402
from lifecycle.workspace import open_workspace  # noqa: E402

PAGES = ["pages/home.py", "pages/problem.py", "pages/data.py", "pages/develop.py", "pages/validate.py",
         "pages/deploy.py"]
GOAL = 0.5


def timed_page(page: str, label: str, section: str | None = None, goal: float = GOAL) -> None:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.session_state["user"] = "ana"
    app.run()
    app.switch_page(page).run()
    if section:
        app.radio(key="validate_section").set_value(section).run()
    app.run()  # warm: caches filled, profile computed and stored
    timings = []
    for _ in range(5):
        begin = time.perf_counter()
        app.run()
        timings.append(time.perf_counter() - begin)
    assert not app.exception, [e.value for e in app.exception]
    median = sorted(timings)[2]
    print(f"{label:<30}{median:>10.3f}{max(timings):>10.3f}  {'met' if median < goal else 'NOT met'}")


def add_runs(workspace, count: int) -> None:
    from runs_bench import fake_run

    income = projects.find_project(workspace, "Income over 50K")
    rng = random.Random(0)
    with workspace.db.transaction() as cursor:
        run_store.insert_runs(cursor, [fake_run(income.id, i, rng) for i in range(count)])


SEGMENT_ROWS = 100_000


def write_log(workspace, project_id: int, version, rows: int, *, days: int = 7) -> float:
    """Write ``rows`` answered predictions of ``version`` into the project's log as Parquet
    segments in the service's format (each input the version's schema names a typed column, the
    rest JSON; the footer's answered rows), vectorised: each Adult row's values made once by the
    service's own code (``deploy.log_inputs.split``), then taken by index. Seconds taken."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lifecycle.clock import utc_now
    from lifecycle.deploy.log_inputs import InputSpec, split
    from lifecycle.deploy.prediction_log import ANSWERED_KEY, EPOCH, ONE_MICROSECOND, PREDICTION_SCHEMA
    from lifecycle.monitor.drift import log_folder

    begin = time.perf_counter()
    pool = pd.concat([pd.read_csv(ROOT / "data" / name) for name in ("adult_train.csv", "adult_test.csv")],
                     ignore_index=True).drop(columns="income")
    records = pool.to_dict("records")
    extras, typed = split(records, [InputSpec.of(version.input_schema)] * len(records))
    inputs = pa.array(extras, pa.string())
    scores = np.round(np.linspace(0.01, 0.99, 99), 2)
    outputs = pa.array([json.dumps({"<=50K": round(1 - p, 2), ">50K": float(p)}) for p in scores])
    predictions = pa.array(['">50K"' if p >= 0.5 else '"<=50K"' for p in scores])
    folder = log_folder(workspace, project_id)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(13)
    end = utc_now().replace(tzinfo=None) - timedelta(minutes=1)
    first = end - timedelta(days=days)
    step_us = days * 86_400_000_000 // rows
    for number, offset in enumerate(range(0, rows, SEGMENT_ROWS)):
        n = min(SEGMENT_ROWS, rows - offset)
        times = pa.array(np.datetime64(first, "us") + (np.arange(offset, offset + n) * step_us).astype("timedelta64[us]"))
        which = pa.array(rng.integers(0, len(scores), n))
        drawn = pa.array(rng.integers(0, len(inputs), n))
        table = pa.table({
            "request_id": pa.array(np.char.add(f"bench{number}-", np.arange(n).astype(str))), "row": pa.repeat(0, n),
            "time": times, "version_id": pa.repeat(version.id, n), "version": pa.repeat(version.version, n),
            "role": pa.repeat("answer", n), "route": pa.repeat("predict", n), "status": pa.repeat(200, n),
            "latency_ms": pa.array(rng.gamma(2.0, 2.0, n)), "inputs": inputs.take(drawn),
            "prediction": predictions.take(which), "outputs": outputs.take(which), "error": pa.nulls(n, pa.string())})
        table = table.cast(PREDICTION_SCHEMA)
        for column, values in typed.items():
            table = table.append_column(column, values.take(drawn))
        started = (first - EPOCH) // ONE_MICROSECOND + offset * step_us
        table = table.replace_schema_metadata({ANSWERED_KEY: json.dumps(
            {str(version.id): [n, started, started + (n - 1) * step_us]})})
        stamp = (first + timedelta(microseconds=offset * step_us)).strftime("%Y%m%dT%H%M%S%f")
        pq.write_table(table, folder / f"{stamp}-bench-{number:05d}.parquet", compression="zstd")
    return time.perf_counter() - begin


def monitor_stage(workspace, rows: int) -> None:
    from lifecycle.clock import utc_now
    from lifecycle.deploy.stats import service_stats
    from lifecycle.monitor import drift_config
    from lifecycle.monitor.drift import production_version
    from lifecycle.monitor.drift_views import drift_history, drift_table
    from lifecycle.monitor.performance import performance_history
    from lifecycle.monitor.refresh import refresh
    from lifecycle.monitor.traffic import traffic_series

    def now():
        return utc_now().replace(tzinfo=None)

    income = projects.find_project(workspace, "Income over 50K")
    version = production_version(workspace, income.id)
    print(f"\nMonitor, {rows:,} logged predictions on record (version #{version.id} in production)")
    print(f"log written in {write_log(workspace, income.id, version, rows):.1f} s")
    begin = time.perf_counter()
    first = refresh(workspace, income.id)
    print(f"first refresh (every window's drift computed and stored) in {time.perf_counter() - begin:.1f} s, "
          f"{first.drift.rows_read:,} rows read, {len(first.drift.computed)} windows")
    size = drift_config.drift_rules(workspace, income.id).window_seconds
    reads = [("refresh, nothing new", lambda: refresh(workspace, income.id)),
             ("drift_table", lambda: drift_table(workspace, income.id)),
             ("drift_history", lambda: drift_history(workspace, income.id)),
             ("performance_history", lambda: performance_history(workspace, income.id, size_seconds=size)),
             ("traffic stats (Deploy, 5 min)", lambda: service_stats(workspace.path, income.id, minutes=5)),
             ("traffic_series (4 days, hourly)", lambda: traffic_series(workspace, income.id, since=now() - timedelta(days=4),
                                                                      until=now(), size_seconds=3600))]
    print(f"{'read':<30}{'median s':>10}{'max s':>10}  goal < 1 s")
    total = 0.0
    for label, read in reads:
        read()
        timings = []
        for _ in range(5):
            begin = time.perf_counter()
            read()
            timings.append(time.perf_counter() - begin)
        median = sorted(timings)[2]
        total += median
        print(f"{label:<30}{median:>10.3f}{max(timings):>10.3f}  {'met' if median < 1 else 'NOT met'}")
    print(f"{'the reads together':<30}{total:>10.3f}{'':>10}  {'met' if total < 1 else 'NOT met'}")
    if (ROOT / "pages" / "monitor.py").exists():
        timed_page("pages/monitor.py", f"monitor.py, {rows:,} logged", goal=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only-monitor", action="store_true", help="seed the demo, then time the Monitor stage only")
    parser.add_argument("--logged-rows", type=int, default=10_000_000)
    args = parser.parse_args()
    start = time.perf_counter()
    workspace = open_workspace(os.environ["LIFECYCLE_WORKSPACE"])
    demo.seed_demo(workspace)
    print(f"demo seeded in {time.perf_counter() - start:.2f} s")
    if args.only_monitor:
        monitor_stage(workspace, args.logged_rows)
        return
    print(f"{'page':<30}{'median s':>10}{'max s':>10}  goal < {GOAL} s")
    for page in PAGES:
        timed_page(page, page)
    timed_page("pages/validate.py", "validate.py: Explain", "Explain")
    timed_page("pages/validate.py", "validate.py: Fairness", "Fairness")
    add_runs(workspace, 10_000)
    timed_page("pages/develop.py", "develop.py, 10,000 more runs")
    monitor_stage(workspace, args.logged_rows)


if __name__ == "__main__":
    main()
