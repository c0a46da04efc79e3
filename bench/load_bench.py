"""Load on the real scoring service while the Monitor refreshes: no error, no lost log row.

A small logistic-regression pipeline is registered and deployed by manifest in a fresh workspace;
the real service (``deploy.process.start_service``, uvicorn in its own process) serves it on a
free localhost port. ``--clients`` threads, each on one keep-alive connection, POST single rows to
``/predict`` for ``--seconds``, every request with its own ``X-Request-Id``; meanwhile another
thread runs ``monitor.refresh`` on the project over and over (the Monitor page's refresh: it reads
the prediction log the service is writing). Then the service is stopped (it flushes its log) and
the Parquet segments are counted. Printed: requests/s, error responses, refresh rounds, and rows
logged vs requests answered (and distinct request ids logged). Exit 1 when any request failed or
the two counts differ. Run from the repository root:

    .venv/bin/python bench/load_bench.py [--seconds 180] [--clients 8]
"""
from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass
class LoadResult:
    seconds: float
    answered: set[str] = field(default_factory=set)  # request ids answered 200
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # connection errors and non-200 answers, a few kept
    refreshes: int = 0
    refresh_errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + len(self.failures)

    @property
    def errors(self) -> int:
        return self.requests - len(self.answered)


def _client(port: int, bodies: list[bytes], stop_at: float, name: str, result: LoadResult, lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    answered, statuses, failures = set(), Counter(), []
    n = 0
    try:
        while time.perf_counter() < stop_at:
            request_id = f"{name}-{n}"
            body = bodies[n % len(bodies)]
            n += 1
            try:
                connection.request("POST", "/predict", body=body,
                                   headers={"Content-Type": "application/json", "X-Request-Id": request_id})
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as error:
                failures.append(f"{request_id}: {type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            statuses[response.status] += 1
            if response.status == 200 and json.loads(payload).get("request_id") == request_id:
                answered.add(request_id)
            elif len(failures) < 20:
                failures.append(f"{request_id}: HTTP {response.status} {payload[:200]!r}")
    finally:
        connection.close()
        with lock:
            result.answered |= answered
            result.statuses.update(statuses)
            result.failures.extend(failures)


def run_load(port: int, bodies: list[bytes], *, seconds: float, clients: int,
             refresh: Callable[[], object] | None = None) -> LoadResult:
    """``clients`` keep-alive clients POSTing ``bodies`` (JSON rows) to ``/predict`` for ``seconds``,
    each request with a unique ``X-Request-Id``, while ``refresh()`` runs back to back in another thread."""
    result = LoadResult(seconds=seconds)
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    done = threading.Event()

    def refreshing() -> None:
        while not done.is_set():
            try:
                refresh()
                result.refreshes += 1
            except Exception as error:  # counted and reported: the caller fails on any
                result.refresh_errors.append(f"{type(error).__name__}: {error}")
            done.wait(0.2)

    refresher = threading.Thread(target=refreshing, daemon=True) if refresh is not None else None
    if refresher is not None:
        refresher.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=_client, args=(port, bodies, stop_at, f"c{k}", result, lock))
               for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    done.set()
    if refresher is not None:
        refresher.join(timeout=120)
    return result


def logged(log_folder: Path) -> tuple[int, set[str]]:
    """Rows in the prediction log's Parquet segments, and the distinct request ids among them."""
    from lifecycle.store.prediction_log import prediction_rows
    rows, _ = prediction_rows(log_folder / "predictions")
    return len(rows), set(rows["request_id"])


def deployed_model(folder: Path):
    """A fresh workspace with one project and a small registered pipeline deployed by manifest.
    Returns (workspace, project, rows as JSON bodies)."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from lifecycle import auth
    from lifecycle.data.recipe.compiler import compile_recipe, default_recipe
    from lifecycle.deploy import paths
    from lifecycle.deploy.manifest import Manifest, ServedVersion, write_manifest
    from lifecycle.models import registry
    from lifecycle.problem import projects
    from lifecycle.workspace import open_workspace

    workspace = open_workspace(folder / "w.duckdb")
    admin = auth.init_admin(workspace, "admin")
    analyst = auth.add_user(workspace, admin, "analyst", "analyst")
    project = projects.create_project(workspace, analyst, name="Churn", task="binary", target="y",
                                      positive_class="yes")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.integers(18, 70, 300), "hours": rng.normal(40, 8, 300).round(1),
                      "city": rng.choice(["north", "south"], 300)})
    y = np.where(X["age"] + rng.normal(0, 8, 300) > 45, "yes", "no")
    recipe = default_recipe(X.assign(y=y), target="y")
    pipeline = Pipeline([("recipe", compile_recipe(recipe, X.assign(y=y))), ("model", LogisticRegression())])
    pipeline.fit(X, y)
    schema = registry.input_schema(recipe, X)
    version = registry.register_pipeline(workspace, analyst, project_id=project.id, run_id=1, pipeline=pipeline,
                                         schema=schema, trained_by=analyst.name)
    entry = ServedVersion(version_id=version.id, version=version.version, share=1.0,
                          artifact=str(registry.artifact_path(workspace, version)),
                          artifact_hash=version.artifact_hash, input_schema=schema)
    write_manifest(paths.deploy_dir(workspace.path, project.id),
                   Manifest(project_id=project.id, project=project.name, task="binary", positive_class="yes",
                            versions=(entry,)))
    bodies = [json.dumps({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}).encode()
              for row in X.head(200).to_dict("records")]
    return workspace, project, bodies


def under_load(folder: Path, *, seconds: float, clients: int) -> tuple[LoadResult, int, set[str]]:
    """Serve, load and refresh as the module says; returns (load result, rows logged, ids logged)."""
    from lifecycle.deploy import paths, process
    from lifecycle.monitor.refresh import refresh

    workspace, project, bodies = deployed_model(folder)
    deploy_folder = paths.deploy_dir(workspace.path, project.id)
    log_folder = paths.log_dir(workspace.path, project.id)
    process.start_service(deploy_folder, log_folder, port=process.free_port())
    try:
        result = run_load(process.service_status(deploy_folder).port, bodies, seconds=seconds, clients=clients,
                          refresh=lambda: refresh(workspace, project.id))
    finally:
        process.stop_service(deploy_folder)  # a clean stop flushes what the log still buffers
    rows, ids = logged(log_folder)
    return result, rows, ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="how long the clients send (default 180)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients (default 8)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result, rows, ids = under_load(Path(folder), seconds=args.seconds, clients=args.clients)
    print(f"{args.clients} clients for {result.seconds:.0f} s: {result.requests:,} requests, "
          f"{result.requests / result.seconds:,.0f} req/s, {result.errors} errors "
          f"(statuses {dict(result.statuses)}), {result.refreshes} Monitor refreshes "
          f"({len(result.refresh_errors)} failed)")
    print(f"rows logged {rows:,} · requests answered {len(result.answered):,} · distinct request ids logged "
          f"{len(ids):,} · answered but not logged {len(result.answered - ids)} · logged but not answered "
          f"{len(ids - result.answered)}")
    for line in (result.failures + result.refresh_errors)[:5]:
        print("  " + line)
    ok = (result.errors == 0 and not result.refresh_errors and rows == len(result.answered)
          and ids == result.answered)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
