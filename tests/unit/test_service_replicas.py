"""Three scoring-service replicas (real uvicorn processes on their own ports) write one shared log
folder at once; the Monitor reads it whole: every answered request once, no request id twice, and
feedback sent to one replica for a request another answered is known and joins."""
from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from lifecycle.clock import utc_now
from lifecycle.deploy import process
from lifecycle.deploy.paths import log_dir
from lifecycle.monitor.drift import log_folder
from lifecycle.monitor.labels import label_report
from lifecycle.monitor.traffic import traffic_series
from lifecycle.problem import projects
from lifecycle.store.prediction_log import prediction_rows
from tests.unit.deploy_fixtures import deploy, register, rows

REPLICAS = 3
REQUESTS = 60  # per replica; every third carries two rows


@pytest.fixture
def replicas(workspace, actors, tmp_path, monkeypatch):
    """(ports, the shared log folder, X): three services of one deployment, each its own deploy folder
    (pid file) and port, all logging into the project's one log folder; stopped after the test."""
    monkeypatch.setenv("LIFECYCLE_LOG_FLUSH_SECONDS", "0.2")  # segments land quickly, many of them
    monkeypatch.setenv("LIFECYCLE_LOG_FLUSH_ROWS", "25")
    project = projects.create_project(workspace, actors["analyst"], name="Churn", task="binary", target="y",
                                      positive_class="yes")
    assert project.id == 1  # the fixtures' manifest names project 1
    entry, _, X = register(workspace, actors["analyst"])
    folders = [tmp_path / f"replica-{n}" for n in range(REPLICAS)]
    for folder in folders:
        deploy(folder, entry)
    shared = log_dir(workspace.path, project.id)
    ports = [process.free_port() for _ in folders]
    with ThreadPoolExecutor(REPLICAS) as pool:  # start together: each imports scikit-learn on its own
        started = list(pool.map(lambda fp: process.start_service(fp[0], shared, port=fp[1], timeout=120),
                                zip(folders, ports)))
    try:
        assert len({s.pid for s in started}) == REPLICAS
        yield ports, folders, X
    finally:
        for folder in folders:
            process.stop_service(folder)


def _call(port: int, path: str, payload) -> tuple[dict, str | None]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read()), response.headers.get("X-Request-Id")


def _wait_until(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow  # three service processes start, each importing scikit-learn: 90 s at load 16 here
def test_replicas_share_one_log_folder_and_the_monitor_reads_it_whole(workspace, replicas):
    ports, folders, X = replicas
    answered: dict[str, tuple[int, int]] = {}  # request id -> (replica, rows)
    lock = threading.Lock()

    def client(replica: int) -> None:  # one client per replica, all at once
        for n in range(REQUESTS):
            batch = rows(X, 2 if n % 3 == 0 else 1, start=n % 100)
            _, request_id = _call(ports[replica], "/predict", batch if len(batch) > 1 else batch[0])
            with lock:
                assert request_id not in answered
                answered[request_id] = (replica, len(batch))

    since = utc_now().replace(tzinfo=None) - timedelta(minutes=1)
    threads = [threading.Thread(target=client, args=(r,)) for r in range(REPLICAS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answered) == REPLICAS * REQUESTS
    folder = log_folder(workspace, 1)
    assert _wait_until(lambda: len(prediction_rows(folder)[0]) == sum(n for _, n in answered.values()))

    # Feedback for each request goes to the next replica, not the one that answered it.
    feedback = {port: [] for port in ports}
    for request_id, (replica, _) in answered.items():
        feedback[ports[(replica + 1) % REPLICAS]].append({"request_id": request_id, "label": "yes"})
    for port, labels in feedback.items():
        answer, _ = _call(port, "/feedback", labels)
        assert answer["recorded"] == len(labels) and "unknown" not in answer, answer
    bogus, _ = _call(ports[0], "/feedback", {"request_id": "never-answered", "label": "no"})
    assert bogus["unknown_request_ids"] == ["never-answered"]
    for folder_ in folders:
        assert process.stop_service(folder_)  # a clean stop flushes each replica's buffers

    logged, found = prediction_rows(folder)
    tags = {path.name.split("-")[1] for path in found.files}  # {time}-{pid}-{token}-{sequence}.parquet
    assert len(tags) == REPLICAS and not found.skipped
    assert len(logged) == sum(n for _, n in answered.values())
    keys = list(zip(logged["request_id"], logged["row"]))
    assert len(set(keys)) == len(keys), "a (request id, row) logged twice"
    assert set(logged["request_id"]) == set(answered)
    until = utc_now().replace(tzinfo=None) + timedelta(minutes=1)
    series = traffic_series(workspace, 1, since=since, until=until, size_seconds=3600)
    assert series.requests == len(answered) and sum(w.rows for w in series.windows) == len(logged)
    assert series.errors == 0
    report = label_report(workspace, 1)
    assert (report.joined, report.unknown, report.duplicates) == (len(answered), 1, 0)
