"""Every page warm at scale: 100 projects, 10,000 runs, 1,000 model versions, 10,000,000 logged predictions.

Builds the workspace once into --workspace (kept; a later run reuses it and says so): the demo
(seeded through the lifecycle functions), 99 more projects (``projects.create_project``, audited),
runs and model versions written in bulk through the store layer (``store.runs.insert_runs``,
``store.models.insert_versions``) until the workspace holds 10,000 runs and 1,000 versions, most
of them in the demo project "Income over 50K" (the project every page is timed on: its leaderboard
holds about 9,000 runs, its model list about 900 versions) and ten runs and one version in each
other project; then 10,000,000 predictions of the demo's production version written straight into
its prediction log as Parquet segments (bench/_prediction_log.py, as pages_bench.py does), and one
first monitoring refresh (every drift window computed and stored).

Then times a warm AppTest rerun of every page in app.py (median of 5 after two warm-up runs, as
pages_bench.py does) for the admin, who sees every page (Admin included), with the demo project in
focus, beside the 1 s goal; then the Monitor's reads one by one. Run from the repository root:

    .venv/bin/python -W ignore bench/scale_bench.py [--workspace DIR] [--rebuild]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROJECTS, RUNS, VERSIONS, LOGGED = 100, 10_000, 1_000, 10_000_000
OTHER_RUNS, OTHER_VERSIONS = 10, 1  # per project besides the demo's
GOAL = 1.0
PAGES = ["pages/home.py", "pages/problem.py", "pages/data.py", "pages/develop.py", "pages/validate.py",
         "pages/deploy.py", "pages/monitor.py", "pages/retrain.py", "pages/govern.py", "pages/retire.py",
         "pages/admin.py"]
DEMO_PROJECT = "Income over 50K"
USER = "admin"


def build(folder: Path, logged: int) -> dict:
    """Build the workspace in ``folder``; returns what was built and the seconds each part took."""
    from _prediction_log import write_log
    from runs_bench import fake_run

    from lifecycle import auth, demo
    from lifecycle.models import registry
    from lifecycle.monitor.drift import production_version
    from lifecycle.monitor.refresh import refresh
    from lifecycle.problem import projects
    from lifecycle.store import models as model_store
    from lifecycle.store import runs as run_store
    from lifecycle.store.db import close_database
    from lifecycle.workspace import open_workspace

    seconds = {}
    path = folder / "scale.duckdb"
    begin = time.perf_counter()
    workspace = open_workspace(path)
    demo.seed_demo(workspace)
    seconds["demo seeded"] = time.perf_counter() - begin

    begin = time.perf_counter()
    analyst = auth.get_user(workspace, "ana")
    income = projects.find_project(workspace, DEMO_PROJECT)
    existing = projects.list_projects(workspace)
    others = [p for p in existing if p.id != income.id]
    for number in range(len(existing), PROJECTS):
        others.append(projects.create_project(
            workspace, analyst, name=f"Scale project {number:03d}", task="binary", target="y", positive_class="yes",
            statement="A synthetic project of the scale bench.", objectives=["roc_auc>=0.8", "recall>=0.6"]))
    seconds["projects created"] = time.perf_counter() - begin

    begin = time.perf_counter()
    rng = random.Random(16)
    have_runs = _count_runs(workspace)
    wanted = [(p.id, OTHER_RUNS) for p in others]
    wanted.append((income.id, RUNS - have_runs - OTHER_RUNS * len(others)))
    with workspace.db.transaction() as cursor:
        run_ids = {project_id: run_store.insert_runs(cursor, [fake_run(project_id, i, rng) for i in range(count)])
                   for project_id, count in wanted}
    seconds["runs inserted"] = time.perf_counter() - begin

    begin = time.perf_counter()
    model = production_version(workspace, income.id)
    have_versions = sum(len(registry.list_versions(workspace, p.id)) for p in [income, *others])
    versions = [dict(project_id=p.id, run_id=run_ids[p.id][0], artifact_hash=model.artifact_hash,
                     input_schema=model.input_schema, trained_by="ana", created_by="ana")
                for p in others for _ in range(OTHER_VERSIONS)]
    extra = VERSIONS - have_versions - len(versions)
    versions += [dict(project_id=income.id, run_id=run_ids[income.id][i], artifact_hash=model.artifact_hash,
                      input_schema=model.input_schema, trained_by="ana", created_by="ana") for i in range(extra)]
    with workspace.db.transaction() as cursor:
        model_store.insert_versions(cursor, versions)
    seconds["model versions inserted"] = time.perf_counter() - begin

    seconds["predictions logged"] = write_log(workspace, income.id, model, logged)
    begin = time.perf_counter()
    refresh(workspace, income.id)
    seconds["first monitoring refresh"] = time.perf_counter() - begin
    built = {"projects": len(projects.list_projects(workspace)), "runs": _count_runs(workspace),
             "model versions": sum(len(registry.list_versions(workspace, p.id))
                                   for p in projects.list_projects(workspace)),
             "logged predictions": logged, "seconds": seconds}
    close_database(path)
    return built


def _count_runs(workspace) -> int:
    from lifecycle.develop import runs
    from lifecycle.problem import projects

    return sum(runs.leaderboard(workspace, p.id, limit=1, include_failed=True).total
               for p in projects.list_projects(workspace))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path(tempfile.gettempdir()) / "lifecycle-scale-bench",
                        help="folder holding the built workspace (built once, then reused)")
    parser.add_argument("--rebuild", action="store_true", help="build the workspace again")
    parser.add_argument("--logged-rows", type=int, default=LOGGED)
    parser.add_argument("--pages", nargs="*", default=PAGES, help="pages to time (default: every page)")
    args = parser.parse_args()
    folder = args.workspace.resolve()
    marker = folder / "built.json"
    if args.rebuild and folder.exists():
        import shutil
        shutil.rmtree(folder)
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        begin = time.perf_counter()
        built = build(folder, args.logged_rows)
        built["build seconds"] = time.perf_counter() - begin
        marker.write_text(json.dumps(built, indent=2))
        print(f"built in {built['build seconds']:.1f} s at {folder}; timing in a fresh process", flush=True)
        # The build leaves gigabytes of garbage and a heap Python's collector keeps walking: time the
        # pages as a freshly started app would, not in the process that wrote 10M rows.
        os.execv(sys.executable, [a for a in sys.orig_argv if a != "--rebuild"])
    else:
        built = json.loads(marker.read_text())
        print(f"reusing the workspace built at {folder} (built in {built['build seconds']:.1f} s; --rebuild to redo)")
    print(", ".join(f"{built[k]:,} {k}" for k in ("projects", "runs", "model versions", "logged predictions")))
    print("  " + "; ".join(f"{k} {v:.1f} s" for k, v in built["seconds"].items()))

    os.environ["LIFECYCLE_WORKSPACE"] = str(folder / "scale.duckdb")
    os.environ["LIFECYCLE_DEMO"] = "0"  # the demo is already seeded; do not check it again
    os.environ["LIFECYCLE_AUTOSERVE"] = "0"  # time the pages, not services starting
    from _pages import warm_page_timings
    from _prediction_log import monitor_reads

    from lifecycle.problem import projects
    from lifecycle.workspace import open_workspace

    workspace = open_workspace(os.environ["LIFECYCLE_WORKSPACE"])
    income = projects.find_project(workspace, DEMO_PROJECT)
    print(f"\n{'page (' + USER + ', ' + DEMO_PROJECT + ')':<34}{'median s':>10}{'max s':>10}  goal < {GOAL:g} s")
    for page in args.pages:
        timings = warm_page_timings(page, user=USER, project_id=income.id)
        median = sorted(timings)[len(timings) // 2]
        print(f"{page:<34}{median:>10.3f}{max(timings):>10.3f}  {'met' if median < GOAL else 'NOT met'}")
    print(f"\n{'Monitor read, ' + format(args.logged_rows, ',') + ' logged':<34}{'median s':>10}{'max s':>10}")
    for label, read in monitor_reads(workspace, income.id):
        read()
        timings = []
        for _ in range(5):
            begin = time.perf_counter()
            read()
            timings.append(time.perf_counter() - begin)
        print(f"{label:<34}{sorted(timings)[2]:>10.3f}{max(timings):>10.3f}")


if __name__ == "__main__":
    main()
