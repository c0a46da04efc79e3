"""Serving speed: Lifecycle's scoring service vs ``mlflow models serve`` for the same fitted pipeline.

A small histogram gradient boosting pipeline is trained on Adult (the demo recipe), registered
and deployed by manifest; MLflow gets the same fitted object (``mlflow.sklearn.save_model``, with
a signature) in its own venv and serves it with ``mlflow models serve --env-manager local``.
Both take the same single-row requests in MLflow's protocol (``POST /invocations`` with
``dataframe_records``) from 1, 8 and 32 concurrent clients, each client a keep-alive connection
sending its next request as soon as the answer arrives. The load generator is a few lines of raw
asyncio HTTP/1.1 (no client library), so it stays cheap on a 2-core machine. Printed: requests/s,
p50 and p99 per level and side; Lifecycle with the prediction log on (the goal) and off (the
log's cost); and the latency of one 1,000-row request. Each side runs ``--repeat`` times, the
order alternating, and medians are printed (the machine is shared and noisy).

Goals (the Deploy issue): at least 20x MLflow's throughput at 32 clients and 10x at 8, p99 under
25 ms at 8 clients, logging on; the log costing under 10%. Run from the repository root:

    make bench-env                  # once: bench/.venv-mlflow (without it only Lifecycle's side runs)
    .venv/bin/python bench/serve_bench.py [--seconds 5] [--levels 1,8,32] [--repeat 3]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _adult import adult_project  # noqa: E402
from lifecycle.deploy import paths, process  # noqa: E402
from lifecycle.deploy.manifest import Manifest, ServedVersion, write_manifest  # noqa: E402
from lifecycle.develop.training import build_pipeline, training_frames  # noqa: E402
from lifecycle.models import registry  # noqa: E402
from lifecycle.store.db import close_database  # noqa: E402

MLFLOW_PYTHON = ROOT / "bench" / ".venv-mlflow" / "bin" / "python"
MLFLOW_SCRIPT = ROOT / "bench" / "_mlflow_serve.py"
ALGORITHM = "hist_gradient_boosting"


# --- the load generator -------------------------------------------------------------------------


async def _client(host: str, port: int, bodies: list[bytes], stop_at: float, latencies: list[float],
                  errors: list[str], offset: int) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    try:
        while time.perf_counter() < stop_at:
            body = bodies[i % len(bodies)]
            i += 1
            head = (f"POST /invocations HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            start = time.perf_counter()
            writer.write(head + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if b" 200 " not in status_line:
                errors.append(status_line.decode().strip())
    finally:
        writer.close()


async def _load(host: str, port: int, bodies: list[bytes], clients: int, seconds: float) -> dict[str, float]:
    warm_latencies: list[float] = []
    await asyncio.gather(*[_client(host, port, bodies, time.perf_counter() + min(1.0, seconds / 4), warm_latencies,
                                   [], k * 97) for k in range(clients)])
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    await asyncio.gather(*[_client(host, port, bodies, start + seconds, latencies, errors, k * 97)
                           for k in range(clients)])
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[0]}")
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], "n": len(latencies)}


def measure(port: int, bodies: list[bytes], levels: list[int], seconds: float) -> dict[int, dict[str, float]]:
    return {clients: asyncio.run(_load("127.0.0.1", port, bodies, clients, seconds)) for clients in levels}


def batch_latency(port: int, body: bytes, repeat: int = 10) -> float:
    times = []
    for _ in range(repeat + 1):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                         headers={"Content-Type": "application/json"})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.loads(response.read())
        times.append(time.perf_counter() - start)
        assert len(answer["predictions"]) == 1000
    return 1000 * statistics.median(times[1:])


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


# --- the model and the two servers -------------------------------------------------------------


def prepare(folder: Path):
    workspace, analyst, project, frozen, split = adult_project(folder, objectives=())
    data = training_frames(workspace, project, frozen.id, split.id)
    pipeline = build_pipeline(data.recipe, data.schema, ALGORITHM, "binary", {"max_iter": 100}, seed=0)
    pipeline.fit(data.X_train, data.y_train)
    schema = registry.input_schema(data.recipe, data.X_train)
    version = registry.register_pipeline(workspace, analyst, project_id=project.id, run_id=1, pipeline=pipeline,
                                         schema=schema, trained_by=analyst.name)
    deploy_folder = paths.deploy_dir(workspace.path, project.id)
    entry = ServedVersion(version_id=version.id, version=version.version, share=1.0,
                          artifact=os.path.relpath(registry.artifact_path(workspace, version), deploy_folder),
                          artifact_hash=version.artifact_hash, input_schema=schema)
    write_manifest(deploy_folder, Manifest(project_id=project.id, project=project.name, task="binary",
                                           positive_class=">50K", versions=(entry,)))
    rows = data.X_test.dropna().head(500)
    records = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in rows.to_dict("records")]
    close_database(workspace.path)
    return workspace.path, project.id, pipeline, records


def lifecycle_side(workspace_path: Path, project_id: int, bodies, batch_body, levels, seconds, *, log: bool):
    deploy_folder = paths.deploy_dir(workspace_path, project_id)
    port = process.free_port()
    started = process.start_service(deploy_folder, paths.log_dir(workspace_path, project_id), port=port,
                                    extra_args=() if log else ("--no-log",))
    try:
        results = measure(port, bodies, levels, seconds)
        batch = batch_latency(port, batch_body)
    finally:
        process.stop_service(deploy_folder)
    assert started.healthy
    return results, batch


def mlflow_side(folder: Path, pipeline, records, bodies, batch_body, levels, seconds):
    if not MLFLOW_PYTHON.exists():
        return None, None, None
    pickled, example, model_dir = folder / "pipeline.pkl", folder / "example.json", folder / "mlflow-model"
    env = dict(os.environ, PYTHONPATH=str(ROOT), MLFLOW_TRACKING_URI=f"file://{folder / 'mlruns'}",
               PATH=f"{MLFLOW_PYTHON.parent}{os.pathsep}{os.environ.get('PATH', '')}")  # it execs its uvicorn
    if not (model_dir / "MLmodel").exists():  # saved once, served at every repetition
        pickled.write_bytes(pickle.dumps(pipeline))
        example.write_text(json.dumps(records[:50]))
        saved = subprocess.run([str(MLFLOW_PYTHON), str(MLFLOW_SCRIPT), str(pickled), str(example), str(model_dir)],
                               capture_output=True, text=True, env=env)
        if saved.returncode != 0:
            raise RuntimeError(f"saving the MLflow model failed: {saved.stderr[-2000:]}")
        (folder / "mlflow-version").write_text(json.loads(saved.stdout.strip().splitlines()[-1])["mlflow"])
    version = (folder / "mlflow-version").read_text()
    port = process.free_port()
    log = open(folder / "mlflow-serve.log", "wb")
    server = subprocess.Popen([str(MLFLOW_PYTHON.parent / "mlflow"), "models", "serve", "-m", str(model_dir),
                               "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        try:
            _wait_for(f"http://127.0.0.1:{port}/ping", 180)
        except RuntimeError as error:
            raise RuntimeError(f"{error}; its log ends: {(folder / 'mlflow-serve.log').read_text()[-1500:]}") from None
        results = measure(port, bodies, levels, seconds)
        batch = batch_latency(port, batch_body)
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)
        log.close()
    return version, results, batch


def _median(runs: list) -> tuple[dict[int, dict[str, float]], float]:
    levels = runs[0][0].keys()
    merged = {clients: {key: statistics.median(r[0][clients][key] for r in runs) for key in ("rps", "p50_ms", "p99_ms")}
              for clients in levels}
    return merged, statistics.median(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per level")
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (medians are printed)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        workspace_path, project_id, pipeline, records = prepare(folder)
        bodies = [json.dumps({"dataframe_records": [r]}).encode() for r in records]
        batch_body = json.dumps({"dataframe_records": (records * 2)[:1000]}).encode()
        print(f"Adult, {ALGORITHM} (100 iterations), single-row POST /invocations (dataframe_records); "
              f"{args.seconds:g} s per level after a warm-up; {os.cpu_count()} cores", flush=True)
        runs: dict[str, list] = {"on": [], "off": [], "mlflow": []}
        version = None
        for repetition in range(args.repeat):  # the machine is shared: alternate the order, keep medians
            order = ["on", "off", "mlflow"] if repetition % 2 == 0 else ["mlflow", "off", "on"]
            for side in order:
                if side == "mlflow":
                    version, found, batch = mlflow_side(folder, pipeline, records, bodies, batch_body, levels,
                                                        args.seconds)
                    if found is None:
                        continue
                else:
                    found, batch = lifecycle_side(workspace_path, project_id, bodies, batch_body, levels,
                                                  args.seconds, log=side == "on")
                runs[side].append((found, batch))
            print(f"  repetition {repetition + 1} of {args.repeat} done", flush=True)
    logged, logged_batch = _median(runs["on"])
    unlogged, unlogged_batch = _median(runs["off"])
    theirs, their_batch = _median(runs["mlflow"]) if runs["mlflow"] else (None, None)
    label = f"MLflow {version}" if version else "MLflow"
    print(f"\nmedians of {args.repeat} run(s)")
    print(f"{'clients':>7} | {'Lifecycle (log on)':^26} | {'log off':^26} | {label:^26} | ratio")
    print(f"{'':>7} | {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} | {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} | "
          f"{'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} |")
    for clients in levels:
        on, off = logged[clients], unlogged[clients]
        line = (f"{clients:>7} | {on['rps']:8.0f} {on['p50_ms']:8.1f} {on['p99_ms']:8.1f} | "
                f"{off['rps']:8.0f} {off['p50_ms']:8.1f} {off['p99_ms']:8.1f} | ")
        if theirs:
            other = theirs[clients]
            line += (f"{other['rps']:8.0f} {other['p50_ms']:8.1f} {other['p99_ms']:8.1f} | "
                     f"{on['rps'] / other['rps']:.1f}x")
        else:
            line += f"{'—':>8} {'—':>8} {'—':>8} |"
        print(line)
    for clients in levels:
        cost = 1 - logged[clients]["rps"] / unlogged[clients]["rps"]
        print(f"logging cost at {clients} client(s): {cost:+.1%} of throughput (goal < 10%)")
    print(f"one 1,000-row request: Lifecycle {logged_batch:.0f} ms (log on), {unlogged_batch:.0f} ms (log off)"
          + (f", {label} {their_batch:.0f} ms" if theirs else ""))
    if theirs:
        goals = [(32, 20), (8, 10)]
        for clients, factor in goals:
            if clients in logged:
                ratio = logged[clients]["rps"] / theirs[clients]["rps"]
                print(f"goal {factor}x MLflow at {clients} clients: {ratio:.1f}x {'met' if ratio >= factor else 'MISSED'}")
    else:
        print("\nMLflow's side did not run: bench/.venv-mlflow is missing. Create it with `make bench-env` "
              "(or: python3.11 -m venv bench/.venv-mlflow && bench/.venv-mlflow/bin/pip install -r "
              "bench/requirements-mlflow.txt), then run this again.")
    if 8 in logged:
        p99 = logged[8]["p99_ms"]
        print(f"goal p99 < 25 ms at 8 clients (log on): {p99:.1f} ms {'met' if p99 < 25 else 'MISSED'}")


if __name__ == "__main__":
    main()
