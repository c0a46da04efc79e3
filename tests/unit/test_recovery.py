"""``kill -9`` leftovers (issue 11, case 8): a real subprocess is killed with SIGKILL at a chosen
moment; opening the workspace again reclaims orphan and partial files and marks the search it was
running as interrupted, keeping the runs it finished, all on the audit trail."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lifecycle import audit, auth
from lifecycle.access import recovery
from lifecycle.cli import main
from lifecycle.data import datasets
from lifecycle.store import datasets as dataset_store
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.unit.training_data import csv_bytes, frozen_split, make_project

ROOT = Path(__file__).resolve().parents[2]


def _kill_when_ready(script: str, workspace_path: Path) -> None:
    """Run ``script`` in a fresh interpreter; SIGKILL it as soon as it prints READY."""
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), str(workspace_path)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.strip() == "READY", (line, process.stderr.read() if process.poll() is not None else "")
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def ready(tmp_path):
    """A workspace with an analyst and a binary project, closed so a subprocess can hold it."""
    path = tmp_path / "w.duckdb"
    workspace = open_workspace(path)
    analyst = auth.add_user(workspace, auth.init_admin(workspace, "admin"), "ana", "analyst")
    project = make_project(workspace, analyst, "binary")
    dataset, split = frozen_split(workspace, analyst, project, csv_bytes("binary", rows=300))
    close_database(path)
    yield path, project.id, dataset.id, split.id
    close_database(path)


INGEST_KILLED_AFTER_THE_FILE = """
    import sys, time
    from lifecycle import auth
    from lifecycle.data import datasets
    from lifecycle.store import datasets as dataset_store
    from lifecycle.workspace import open_workspace
    workspace = open_workspace(sys.argv[1])
    def stuck(*args, **kwargs):  # the frozen file is complete; its record never comes
        print("READY", flush=True)
        time.sleep(600)
    dataset_store.insert = stuck
    rows = "a,y\\n" + "".join(f"{i},{'yes' if i % 2 else 'no'}\\n" for i in range(50000))
    datasets.ingest_bytes(workspace, auth.get_user(workspace, "ana"), 1, rows.encode(), "orphan.csv")
"""

INGEST_KILLED_WHILE_WRITING = """
    import sys, time
    from lifecycle import auth
    from lifecycle.data import datasets
    from lifecycle.store import dataset_files
    from lifecycle.workspace import open_workspace
    workspace = open_workspace(sys.argv[1])
    write = dataset_files._HashingSink.write
    def slow(self, data):  # half the file is on disk under its .partial name
        written = write(self, data)
        if self._raw.tell() > 100_000:
            print("READY", flush=True)
            time.sleep(600)
        return written
    dataset_files._HashingSink.write = slow
    rows = "a,y\\n" + "".join(f"{i},{'yes' if i % 2 else 'no'}\\n" for i in range(50000))
    datasets.ingest_bytes(workspace, auth.get_user(workspace, "ana"), 1, rows.encode(), "partial.csv")
"""

SEARCH_KILLED_AFTER_TWO_RUNS = """
    import sys, time
    from lifecycle import auth
    from lifecycle.develop import search
    from lifecycle.workspace import open_workspace
    workspace = open_workspace(sys.argv[1])
    project_id, dataset_id, split_id = map(int, sys.argv[2:5])
    record = search.record_run
    done = []
    def record_then_stop(*args, **kwargs):
        run = record(*args, **kwargs)
        done.append(run)
        if len(done) == 2:
            print("READY", flush=True)
            time.sleep(600)
        return run
    search.record_run = record_then_stop
    search.run_search(workspace, auth.get_user(workspace, "ana"), project_id=project_id, dataset_id=dataset_id,
                      split_id=split_id, algorithm="linear", method="random", trials=6, seed=0, cv_folds=2)
"""


def _files(path: Path) -> dict[str, list[str]]:
    folder = dataset_store.files_dir(path)
    return {"partial": sorted(p.name for p in folder.glob("*.partial")),
            "arrow": sorted(p.name for p in folder.glob("*.arrow"))}


def test_opening_reclaims_the_files_killed_ingests_left(ready):
    path, *_ = ready
    before = _files(path)
    _kill_when_ready(INGEST_KILLED_AFTER_THE_FILE, path)
    assert len(_files(path)["arrow"]) == len(before["arrow"]) + 1  # complete, but no record
    _kill_when_ready(INGEST_KILLED_WHILE_WRITING, path)  # its open reclaimed the orphan first
    assert _files(path) == {"partial": _files(path)["partial"], "arrow": before["arrow"]}
    assert len(_files(path)["partial"]) == 1

    workspace = open_workspace(path)
    assert _files(path) == before  # the partial file is gone, every file on record stays
    for dataset in datasets.list_datasets(workspace, 1):
        assert datasets.verify_dataset(workspace, dataset)
    reclaimed = [e for e in audit.recent_events(workspace, limit=10) if e.action == "workspace.reclaimed"]
    assert [[f["why"] for f in e.details["files"]] for e in reclaimed] == [["orphan"], ["partial"]]
    assert {e.actor for e in reclaimed} == {"lifecycle"}
    assert audit.verify_chain(workspace).ok


def test_a_killed_search_is_marked_interrupted_and_keeps_its_finished_runs(ready):
    path, project_id, dataset_id, split_id = ready
    process_args = [str(project_id), str(dataset_id), str(split_id)]
    script = SEARCH_KILLED_AFTER_TWO_RUNS
    process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), str(path), *process_args],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "READY", process.stderr.read()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    workspace = open_workspace(path)
    status, message = workspace.db.one("SELECT status, message FROM searches ORDER BY id DESC LIMIT 1").values()
    assert status == "interrupted" and "the 2 run(s) it finished are kept" in message
    assert workspace.db.value("SELECT count(*) FROM runs WHERE status = 'finished' AND search_id = "
                              "(SELECT max(id) FROM searches)") == 2
    event = audit.recent_events(workspace, limit=1)[0]
    assert event.action == "workspace.reclaimed" and len(event.details["interrupted_searches"]) == 1


def test_workspace_clean_dry_run_reports_and_changes_nothing(ready, capsys):
    path, *_ = ready
    _kill_when_ready(INGEST_KILLED_WHILE_WRITING, path)
    args = ["--workspace", str(path), "workspace", "clean"]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Would reclaim 1 file(s)") and "partial\t" in out
    close_database(path)
    assert len(_files(path)["partial"]) == 1
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("Reclaimed 1 file(s)")
    assert _files(path)["partial"] == []
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("Nothing to reclaim")


def test_nothing_found_writes_nothing(workspace):
    before = len(audit.recent_events(workspace, limit=1000))
    done = recovery.reclaim(workspace)
    assert done.empty and len(audit.recent_events(workspace, limit=1000)) == before
