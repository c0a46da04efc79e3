"""Run tracking: Lifecycle's DuckDB store vs MLflow's SQLite store, and the leaderboard at 10,000 runs.

Part 1 (needs bench/.venv-mlflow; without it only Lifecycle's column prints). The same
operations on a fresh store each repetition, MLflow's in a subprocess
(bench/_mlflow_tracking.py), Lifecycle's in this process through its domain functions:

- 10,000 metric points of one run: MLflow ``log_batch`` (1,000 per call) vs
  ``run_logging.log_metrics`` (one transaction, one Arrow batch);
- 1,000 single metric points: MLflow ``log_metric`` vs ``run_logging.log_metric`` (each point
  fsynced to the metric journal before the call returns: durable at once, like MLflow's
  synchronous call; the journal folds into the table every 1,000 points), and vs
  ``MetricLogger`` (buffered, flushed at the end: the trade MLflow's asynchronous logging makes);
- 100 runs of 5 params and 5 metrics: ``start_run`` + ``log_params`` + ``log_metrics`` vs
  ``training.record_run`` (how every search trial is stored);
- a search over 1,000 runs ordered by a metric: ``mlflow.search_runs`` (a DataFrame) vs
  ``runs.leaderboard(limit=1000)`` (run records).

Part 2: 10,000 runs bulk-recorded into one project, then the leaderboard's first page, a
page sorted by a non-primary metric (read from JSON), a comparison of 5 runs and the
parallel-coordinates rows (goal: leaderboard and comparison < 0.5 s).

Repetitions alternate which side goes first; medians are printed. Run from the repository root:

    python3.11 -m venv bench/.venv-mlflow && bench/.venv-mlflow/bin/pip install -r bench/requirements-mlflow.txt
    .venv/bin/python bench/runs_bench.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lifecycle import auth  # noqa: E402
from lifecycle.develop import run_logging
from lifecycle.develop import runs
from lifecycle.develop import training
from lifecycle.problem import projects
from lifecycle.store import runs as run_store  # noqa: E402
from lifecycle.store.db import close_database  # noqa: E402
from lifecycle.workspace import open_workspace  # noqa: E402

MLFLOW_PYTHON = ROOT / "bench" / ".venv-mlflow" / "bin" / "python"
MLFLOW_SCRIPT = ROOT / "bench" / "_mlflow_tracking.py"
OPERATIONS = {
    "log_batch_10k": "10,000 metric points, one run (batch)",
    "log_metric_1k": "1,000 single metric points (durable each)",
    "log_metric_1k_buffered": "1,000 single metric points (buffered)",
    "runs_100": "100 runs x 5 params + 5 metrics",
    "search_1k": "search / leaderboard over 1,000 runs",
}


def fake_run(project_id: int, index: int, rng: random.Random) -> dict:
    score = rng.random()
    metrics = {"roc_auc": {"mean": score, "std": 0.01, "folds": [score] * 5},
               "recall": {"mean": 1 - score, "std": 0.02, "folds": [1 - score] * 5}}
    return dict(search_id=index // 20 + 1, project_id=project_id, dataset_id=1, split_id=1, recipe_id=1,
                algorithm=rng.choice(["knn", "random_forest", "hist_gradient_boosting"]),
                params={"n_neighbors": rng.randint(1, 50), "weights": rng.choice(["uniform", "distance"]),
                        "leaf_size": rng.randint(10, 60)},
                seed=0, cv_folds=5, n_samples=22_791, halving_round=None, status="finished", error=None,
                cv_metrics=metrics, primary_metric="roc_auc", primary_score=score, fit_seconds=1.5,
                score_seconds=0.2, library_versions=training.library_versions(), created_by="ana")


def fresh_workspace(folder: Path, name: str):
    workspace = open_workspace(folder / f"{name}.duckdb")
    admin = auth.init_admin(workspace, "admin")
    analyst = auth.add_user(workspace, admin, "ana", "analyst")
    project = projects.create_project(workspace, analyst, name="Bench", task="binary", target="y")
    return workspace, analyst, project


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def lifecycle_side(folder: Path, repetition: int) -> dict[str, float]:
    workspace, analyst, project = fresh_workspace(folder, f"tracking{repetition}")
    rng = random.Random(repetition)
    results = {}
    with workspace.db.transaction() as cursor:
        run_ids = run_store.insert_runs(cursor, [fake_run(project.id, i, rng) for i in range(3)])
    points = [("loss", 1.0 / (i + 1), i) for i in range(10_000)]
    results["log_batch_10k"] = timed(lambda: run_logging.log_metrics(workspace, analyst, run_ids[0], points))

    def singles():
        for i in range(1000):
            run_logging.log_metric(workspace, analyst, run_ids[1], "loss", 1.0 / (i + 1), i)

    results["log_metric_1k"] = timed(singles)
    assert len(run_logging.history(workspace, run_ids[1], "loss")) == 1000

    def buffered():
        with run_logging.MetricLogger(workspace, analyst, run_ids[2]) as logger:
            for i in range(1000):
                logger.log_metric("loss", 1.0 / (i + 1), i)

    results["log_metric_1k_buffered"] = timed(buffered)
    assert len(run_logging.history(workspace, run_ids[2], "loss")) == 1000

    def runs_100():
        for i in range(100):
            fields = fake_run(project.id, i, rng)
            fields.pop("search_id"), fields.pop("halving_round"), fields.pop("created_by")
            fields["params"] = {f"p{j}": i * j for j in range(5)}
            fields["cv_metrics"] = {f"m{j}": {"mean": (i * j) / 500, "std": 0.0, "folds": [(i * j) / 500]}
                                    for j in range(5)}
            training.record_run(workspace, analyst, fields, search_id=None)

    results["runs_100"] = timed(runs_100)
    other = projects.create_project(workspace, analyst, name="Search", task="binary", target="y")
    with workspace.db.transaction() as cursor:
        run_store.insert_runs(cursor, [fake_run(other.id, i, rng) for i in range(1000)])

    def search():
        board = runs.leaderboard(workspace, other.id, limit=1000)
        assert len(board.runs) == 1000

    results["search_1k"] = timed(search)
    close_database(workspace.path)
    return results


def mlflow_side() -> dict[str, float] | None:
    if not MLFLOW_PYTHON.exists():
        return None
    done = subprocess.run([str(MLFLOW_PYTHON), str(MLFLOW_SCRIPT)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def leaderboard_at_scale(folder: Path, repeat: int) -> None:
    workspace, analyst, project = fresh_workspace(folder, "scale")
    rng = random.Random(0)
    rows = [fake_run(project.id, i, rng) for i in range(10_000)]
    start = time.perf_counter()
    with workspace.db.transaction() as cursor:
        ids = run_store.insert_runs(cursor, rows)
    inserted = time.perf_counter() - start
    chosen = rng.sample(ids, 5)
    checks = {
        "leaderboard, first page of 50": lambda: runs.leaderboard(workspace, project.id, limit=50),
        "leaderboard, page 100 (offset 4,950)": lambda: runs.leaderboard(workspace, project.id, limit=50,
                                                                         offset=4950),
        "leaderboard by recall (JSON metric)": lambda: runs.leaderboard(workspace, project.id, metric="recall",
                                                                        limit=50),
        "compare 5 runs": lambda: runs.compare(workspace, chosen),
        "parallel-coordinates rows (knn)": lambda: runs.parallel_coordinates_data(workspace, project.id, "knn"),
    }
    times = {name: [] for name in checks}
    for _ in range(repeat):
        for name, check in checks.items():
            times[name].append(timed(check))
    print(f"\n10,000 runs recorded in one bulk insert: {inserted:.3f} s")
    print(f"{'operation on 10,000 runs':40}{'median s':>10}   goal")
    for name, values in times.items():
        goal = "< 0.5 s" if name.startswith(("leaderboard", "compare")) else ""
        print(f"{name:40}{statistics.median(values):10.4f}   {goal}")
    close_database(workspace.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        ours: dict[str, list[float]] = {k: [] for k in OPERATIONS}
        theirs: dict[str, list[float]] = {}
        version = None
        for repetition in range(args.repeat):
            sides = ["mlflow", "lifecycle"] if repetition % 2 == 0 else ["lifecycle", "mlflow"]
            for side in sides:
                if side == "lifecycle":
                    for key, value in lifecycle_side(folder, repetition).items():
                        ours[key].append(value)
                else:
                    found = mlflow_side()
                    if found is not None:
                        version = found.pop("mlflow")
                        for key, value in found.items():
                            theirs.setdefault(key, []).append(value)
            print(f"  repetition {repetition + 1} done", flush=True)
        label = f"MLflow {version} s" if version else "MLflow s"
        print(f"\nmedians of {args.repeat}; MLflow with a SQLite store"
              + ("" if version else " (bench/.venv-mlflow missing: not run)"))
        print(f"{'operation':44}{'Lifecycle s':>12}{label:>16}{'MLflow/Lifecycle':>18}")
        for key, text in OPERATIONS.items():
            mine = statistics.median(ours[key])
            other_key = "log_metric_1k" if key == "log_metric_1k_buffered" else key
            other = statistics.median(theirs[other_key]) if other_key in theirs else None
            ratio = f"{other / mine:16.1f}x" if other else f"{'-':>17}"
            shown = f"{other:16.3f}" if other else f"{'-':>16}"
            print(f"{text:44}{mine:12.4f}{shown}{ratio}")
        print("goal: MLflow/Lifecycle >= 10x on every line")
        leaderboard_at_scale(folder, args.repeat)


if __name__ == "__main__":
    main()
