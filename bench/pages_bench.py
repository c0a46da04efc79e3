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
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["LIFECYCLE_WORKSPACE"] = str(Path(tempfile.mkdtemp(prefix="lifecycle-pages-")) / "demo.duckdb")

from _pages import warm_page_timings  # noqa: E402
from _prediction_log import monitor_reads, write_log  # noqa: E402
from lifecycle import demo  # noqa: E402
from lifecycle.problem import projects  # noqa: E402
from lifecycle.store import runs as run_store  # noqa: E402
from lifecycle.workspace import open_workspace  # noqa: E402

PAGES = ["pages/home.py", "pages/problem.py", "pages/data.py", "pages/develop.py", "pages/validate.py",
         "pages/deploy.py"]
GOAL = 0.5


def timed_page(page: str, label: str, section: str | None = None, goal: float = GOAL) -> None:
    timings = warm_page_timings(page, user="ana", section=section)
    median = sorted(timings)[2]
    print(f"{label:<30}{median:>10.3f}{max(timings):>10.3f}  {'met' if median < goal else 'NOT met'}")


def add_runs(workspace, count: int) -> None:
    from runs_bench import fake_run

    income = projects.find_project(workspace, "Income over 50K")
    rng = random.Random(0)
    with workspace.db.transaction() as cursor:
        run_store.insert_runs(cursor, [fake_run(income.id, i, rng) for i in range(count)])


def monitor_stage(workspace, rows: int) -> None:
    from lifecycle.monitor.drift import production_version
    from lifecycle.monitor.refresh import refresh

    income = projects.find_project(workspace, "Income over 50K")
    version = production_version(workspace, income.id)
    print(f"\nMonitor, {rows:,} logged predictions on record (version #{version.id} in production)")
    print(f"log written in {write_log(workspace, income.id, version, rows):.1f} s")
    begin = time.perf_counter()
    first = refresh(workspace, income.id)
    print(f"first refresh (every window's drift computed and stored) in {time.perf_counter() - begin:.1f} s, "
          f"{first.drift.rows_read:,} rows read, {len(first.drift.computed)} windows")
    reads = monitor_reads(workspace, income.id)
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
