"""Every page's script, warm, on the demo workspace: goal under 0.5 s each.

Times a full AppTest rerun of each page (the script plus Streamlit's own work in the test
harness, so a slight overestimate), median of 5 after two warm-up runs. Then the Validate
page's Explain and Fairness sections (read from the demo's stored evidence), and the Develop
page again with 10,000 more runs on record in the demo project (leaderboard and comparison).
Run: .venv/bin/python bench/pages_bench.py
"""
from __future__ import annotations

import os
import random
import sys
import tempfile
import time
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


def timed_page(page: str, label: str, section: str | None = None) -> None:
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
    print(f"{label:<30}{median:>10.3f}{max(timings):>10.3f}  {'met' if median < GOAL else 'NOT met'}")


def add_runs(workspace, count: int) -> None:
    from runs_bench import fake_run

    income = projects.find_project(workspace, "Income over 50K")
    rng = random.Random(0)
    with workspace.db.transaction() as cursor:
        run_store.insert_runs(cursor, [fake_run(income.id, i, rng) for i in range(count)])


def main() -> None:
    start = time.perf_counter()
    workspace = open_workspace(os.environ["LIFECYCLE_WORKSPACE"])
    demo.seed_demo(workspace)
    print(f"demo seeded in {time.perf_counter() - start:.2f} s")
    print(f"{'page':<30}{'median s':>10}{'max s':>10}  goal < {GOAL} s")
    for page in PAGES:
        timed_page(page, page)
    timed_page("pages/validate.py", "validate.py: Explain", "Explain")
    timed_page("pages/validate.py", "validate.py: Fairness", "Fairness")
    add_runs(workspace, 10_000)
    timed_page("pages/develop.py", "develop.py, 10,000 more runs")


if __name__ == "__main__":
    main()
