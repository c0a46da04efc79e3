"""MLflow's side of bench/runs_bench.py; runs in bench/.venv-mlflow (see requirements-mlflow.txt).

Each operation runs once against a fresh SQLite tracking store in a temporary folder and
prints its wall time in seconds as one JSON object on the last line of stdout:

- ``log_batch_10k``: 10,000 metric points of one run through ``MlflowClient.log_batch``
  (1,000 per call, MLflow's limit);
- ``log_metric_1k``: 1,000 single ``MlflowClient.log_metric`` calls;
- ``runs_100``: 100 runs, each ``start_run`` + ``log_params`` (5) + ``log_metrics`` (5) + end;
- ``search_1k``: ``mlflow.search_runs`` over an experiment of 1,000 runs, ordered by a metric
  (the 1,000 runs are created first, untimed).
"""
from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
logging.getLogger("mlflow").setLevel(logging.ERROR)
logging.getLogger("alembic").setLevel(logging.ERROR)

import mlflow  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        mlflow.set_tracking_uri(f"sqlite:///{Path(folder) / 'mlflow.db'}")
        client = MlflowClient()
        experiment = client.create_experiment("bench", artifact_location=str(Path(folder) / "artifacts"))
        mlflow.set_experiment(experiment_id=experiment)

        run = client.create_run(experiment)
        stamp = int(time.time() * 1000)
        points = [Metric("loss", 1.0 / (i + 1), stamp, i) for i in range(10_000)]

        def log_batch():
            for start in range(0, len(points), 1000):
                client.log_batch(run.info.run_id, metrics=points[start:start + 1000])

        results["log_batch_10k"] = timed(log_batch)

        run = client.create_run(experiment)

        def log_metric():
            for i in range(1000):
                client.log_metric(run.info.run_id, "loss", 1.0 / (i + 1), step=i)

        results["log_metric_1k"] = timed(log_metric)

        def runs_100():
            for i in range(100):
                with mlflow.start_run(experiment_id=experiment):
                    mlflow.log_params({f"p{j}": i * j for j in range(5)})
                    mlflow.log_metrics({f"m{j}": (i * j) / 500 for j in range(5)})

        results["runs_100"] = timed(runs_100)

        search_experiment = client.create_experiment("search", artifact_location=str(Path(folder) / "a2"))
        for i in range(1000):
            created = client.create_run(search_experiment)
            client.log_batch(created.info.run_id, metrics=[Metric("score", (i * 7919 % 1000) / 1000, stamp, 0)],
                             params=[Param("n_neighbors", str(i % 50))])
            client.set_terminated(created.info.run_id)

        def search():
            frame = mlflow.search_runs(experiment_ids=[search_experiment], max_results=1000,
                                       order_by=["metrics.score DESC"])
            assert len(frame) == 1000

        results["search_1k"] = timed(search)
    print(json.dumps({"mlflow": mlflow.__version__, **results}))


if __name__ == "__main__":
    sys.exit(main())
