"""``kill -9`` in the middle of an ingest (by the CLI and by a ``streamlit run`` server), a training run, a
registration and a sign-off (issue 16): real processes killed at a named point (``kill_nine.kill_at``, a
marker file for the server); on the next open every committed record is there, nothing half-written is
visible and the audit chain verifies (``kill_nine.whole``)."""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lifecycle import audit
from lifecycle.access import recovery
from lifecycle.models import registry
from lifecycle.store import runs as run_store
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.unit import retire_fixtures as rf
from tests.unit.kill_nine import ROOT
from tests.unit.kill_nine import cli, counts, extra_run, kill_at, whole, world  # noqa: F401 (world: a fixture)

pytestmark = pytest.mark.slow  # each case starts a real interpreter (~3-8 s here)


def test_ingest_killed_after_its_file_before_its_record(world, tmp_path):
    path, project, *_ = world
    before = counts(open_workspace(path), project.id)
    close_database(path)
    data = tmp_path / "more.csv"
    data.write_bytes(rf.csv_bytes(7, n=400))
    kill_at("from lifecycle.store import datasets as s\ns.insert = stop\n",
             *cli(path, "analyst", "data", "ingest", str(data), "--project", project.name))
    workspace = whole(path)
    reclaimed = [e for e in audit.recent_events(workspace, limit=3) if e.action == "workspace.reclaimed"]
    assert [f["why"] for f in reclaimed[0].details["files"]] == ["orphan"]
    assert counts(workspace, project.id) == (before[0], before[1], before[2] + 1)  # + the reclaim event


def test_training_killed_after_two_runs_keeps_them_and_shows_the_search_interrupted(world):
    path, project, past, _ = world
    split = past.new.id
    patch = """
        from lifecycle.develop import search
        record, done = search.record_run, []
        def record_then_stop(*args, **kwargs):
            done.append(record(*args, **kwargs))
            if len(done) == 2:
                stop()
            return done[-1]
        search.record_run = record_then_stop
    """
    kill_at(patch, *cli(path, "analyst", "train", "--project", project.name, "--dataset", str(split),
                          "--algorithm", "linear", "--search", "random", "--trials", "6", "--seed", "0"))
    workspace = whole(path)
    [reclaimed] = [e for e in audit.recent_events(workspace, limit=3) if e.action == "workspace.reclaimed"]
    [search_id] = reclaimed.details["interrupted_searches"]
    search = run_store.get_search(workspace.db.cursor(), search_id)
    assert search.status == recovery.INTERRUPTED and "2 run(s)" in search.message
    runs = run_store.list_runs(workspace.db.cursor(), project.id, search_id=search_id)
    assert len(runs) == 2 and {r.status for r in runs} == {"finished"}


def test_registration_killed_after_its_artifact_before_its_record(world):
    path, project, past, _ = world
    run_id = extra_run(path, project.id, past.new)
    before = counts(open_workspace(path), project.id)
    close_database(path)
    kill_at("from lifecycle.store import models as s\ns.insert_version = stop\n",
            *cli(path, "analyst", "register", str(run_id)))
    workspace = whole(path)
    assert counts(workspace, project.id)[:2] == before[:2]  # no model version, and no artifact left behind


SIGN_OFF = """
from lifecycle.models import states
states.transition = stop  # inside the sign-off's transaction, after its record was inserted
from lifecycle import auth
from lifecycle.workspace import open_workspace
from tests.unit import govern_fixtures
workspace = open_workspace(sys.argv[1])
govern_fixtures.approve(workspace, auth.get_user(workspace, "reviewer"), int(sys.argv[2]))
"""


def test_a_sign_off_killed_inside_its_transaction_leaves_no_trace(world, actors):
    from lifecycle import auth
    from lifecycle.govern import signoff
    from tests.unit import govern_fixtures

    path, project, past, _ = world
    workspace = open_workspace(path)  # a low-risk project: one reviewer's approval approves
    version_id = rf.validated_version(workspace, actors, project.id, past.v1.run_id, approve=False).id
    before = audit.verify_chain(workspace).events
    close_database(path)
    kill_at("", str(path), str(version_id), tail=SIGN_OFF)
    workspace = whole(path)
    assert signoff.signoffs(workspace, version_id) == []
    assert registry.get_version(workspace, version_id).state == "validated"
    assert audit.verify_chain(workspace).events == before
    done = govern_fixtures.approve(workspace, auth.get_user(workspace, "reviewer"), version_id)  # signs afresh
    assert done.moved_to == "approved"
    close_database(path)


async def _open_a_session(port: int, marker: Path) -> None:
    """What a browser does to run the script: open the websocket and ask for a run; then wait for the marker."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from tornado.websocket import websocket_connect

    socket = await websocket_connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"])
    message = BackMsg()
    message.rerun_script.query_string = ""
    await socket.write_message(message.SerializeToString(), binary=True)
    for _ in range(1200):
        if marker.exists():
            break
        await asyncio.sleep(0.05)
    socket.close()


def test_the_app_server_killed_mid_ingest(world, tmp_path):
    """``streamlit run`` holding the workspace through ``ui.state`` (``app_ingest.py``), killed mid-ingest."""
    from lifecycle.deploy import process

    path, project, *_ = world
    before = counts(open_workspace(path), project.id)
    close_database(path)
    upload, marker, port = tmp_path / "upload.csv", tmp_path / "marker", process.free_port()
    upload.write_bytes(rf.csv_bytes(8, n=400))
    env = {**os.environ, "LIFECYCLE_WORKSPACE": str(path), "LIFECYCLE_AUTOSERVE": "0", "LIFECYCLE_DEMO": "0",
           "KILL_MARKER": str(marker), "KILL_UPLOAD": str(upload), "KILL_PROJECT": str(project.id),
           "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "tests/unit/app_ingest.py"),
                               "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
                               "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1200):  # health, as the browser tests wait for it
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                time.sleep(0.05)
        # In its own thread: after the browser tests, pytest-playwright's sync API keeps an event loop
        # running in this one for the whole session, and asyncio.run refuses to start beside it.
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            thread.submit(lambda: asyncio.run(_open_a_session(port, marker))).result()
        assert marker.read_text() == "READY", server.stderr.read() if server.poll() is not None else ""
        os.kill(server.pid, signal.SIGKILL)
        assert server.wait(timeout=30) == -signal.SIGKILL
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    workspace = whole(path)
    [reclaimed] = [e for e in audit.recent_events(workspace, limit=3) if e.action == "workspace.reclaimed"]
    assert [f["why"] for f in reclaimed.details["files"]] == ["orphan"]
    assert counts(workspace, project.id) == (before[0], before[1], before[2] + 1)
