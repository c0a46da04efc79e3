"""The scoring service as a real uvicorn process on a free localhost port: started and stopped
through ``deploy.process``, refusing a taken port by name, exiting with its parent, and killed
with ``kill -9`` under traffic without leaving an unreadable log segment."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from lifecycle.deploy import process
from lifecycle.errors import InputError
from lifecycle.store.prediction_log import prediction_rows, segments
from tests.unit.deploy_fixtures import deploy, register, rows


@pytest.fixture
def deployed(workspace, actors, tmp_path):
    entry, pipeline, X = register(workspace, actors["analyst"])
    deploy(tmp_path / "deploy", entry)
    return tmp_path / "deploy", tmp_path / "logs", entry, X


def _post(port, path, payload, timeout=5.0):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def _wait_until(condition, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_started_scored_refused_a_taken_port_by_name_and_stopped(deployed):
    folder, logs, entry, X = deployed
    port = process.free_port()
    started = process.start_service(folder, logs, port=port)
    try:
        assert started.running and started.healthy and started.port == port
        assert _post(port, "/predict", rows(X, 1)[0])["version_id"] == entry.version_id
        assert process.start_service(folder, logs, port=port).pid == started.pid  # already running: the same one
        record = json.loads(process.pid_path(folder).read_text())
        assert record["pid"] == started.pid and record["port"] == port and record["host"] == "127.0.0.1"
        with pytest.raises(InputError, match=f"Port {port} on 127.0.0.1 is already taken"):
            process.start_service(folder.parent / "other", logs, port=port)
        direct = subprocess.run([sys.executable, "-m", process.MODULE, "--deploy-dir", str(folder), "--log-dir",
                                 str(logs), "--port", str(port)], capture_output=True, text=True, timeout=120,
                                cwd=process.REPO_ROOT)
        assert direct.returncode == 2 and f"Port {port} on 127.0.0.1 is already taken" in direct.stderr
    finally:
        assert process.stop_service(folder)
    assert not process.service_status(folder).running and not process.pid_path(folder).exists()
    logged, _ = prediction_rows(logs / "predictions")
    assert len(logged) == 1  # flushed on a clean stop


def test_the_service_exits_when_its_parent_dies(deployed):
    folder, logs, _, _ = deployed
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        started = process.start_service(folder, logs, port=process.free_port(), parent_pid=parent.pid)
        parent.kill()
        parent.wait()
        assert _wait_until(lambda: not process.alive(started.pid)), "the service outlived its parent"
        assert not process.service_status(folder).running
    finally:
        parent.kill()
        process.stop_service(folder)


def test_kill_9_under_traffic_leaves_every_flushed_segment_readable(deployed):
    folder, logs, _, X = deployed
    port = process.free_port()
    env = dict(os.environ, LIFECYCLE_LOG_FLUSH_ROWS="7", LIFECYCLE_LOG_FLUSH_SECONDS="0.05")
    started = process.start_service(folder, logs, port=port, env=env)
    stop = threading.Event()
    answered = []

    def client(offset):
        while not stop.is_set():
            try:
                _post(port, "/predict", rows(X, 3, start=offset % 100), timeout=2)
                answered.append(1)
            except OSError:
                return
            offset += 1

    threads = [threading.Thread(target=client, args=(i * 10,)) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        assert _wait_until(lambda: len(answered) >= 60, 60)
        os.kill(started.pid, signal.SIGKILL)
        assert _wait_until(lambda: not process.alive(started.pid))
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    found = segments(logs / "predictions")
    assert found.skipped == () and len(found.files) >= 2
    logged, _ = prediction_rows(logs / "predictions")
    assert len(logged) >= 7 and set(logged.status) == {200}
    assert not process.service_status(folder).running  # the stale PID file is noticed and removed


def test_the_port_check_names_the_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        assert not process.port_free("127.0.0.1", port)
        assert process.port_taken_message("127.0.0.1", port) == f"Port {port} on 127.0.0.1 is already taken by " \
                                                                 "another program."


def test_cli_serve_runs_beside_the_app_holding_the_workspace_and_stops_cleanly(workspace, actors, tmp_path):
    from lifecycle.deploy import paths

    entry, _, X = register(workspace, actors["analyst"])  # this process holds the workspace file, as the app does
    deploy(paths.deploy_dir(workspace.path, 1), entry)
    command = [sys.executable, "-m", "lifecycle", "--workspace", str(workspace.path), "serve"]
    missing = subprocess.run(command + ["--project", "Nope"], capture_output=True, text=True, timeout=60,
                             cwd=process.REPO_ROOT)
    assert missing.returncode == 2
    assert "No deployment manifest for project 'Nope'" in missing.stderr and "deployed: Churn" in missing.stderr
    port = process.free_port()
    served = subprocess.Popen(command + ["--project", "Churn", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=process.REPO_ROOT)
    try:
        assert _wait_until(lambda: process.health("127.0.0.1", port) is not None, 60)
        assert _post(port, "/predict", rows(X, 1)[0])["version_id"] == entry.version_id
    finally:
        served.send_signal(signal.SIGTERM)
        out, err = served.communicate(timeout=30)
    assert served.returncode == 0, err
    assert f"Scoring service on http://127.0.0.1:{port} serving v1" in err and "stopped" in out
