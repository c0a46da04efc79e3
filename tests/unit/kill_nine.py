"""What the ``kill -9`` tests share (``test_kill_nine.py``, ``test_kill_nine_late.py``; issue 16).

Each case runs the real CLI (``lifecycle.cli.main``; for the sign-off, the lifecycle function) in a fresh
interpreter with one function replaced by a stop that prints READY and waits: the test sends SIGKILL the
moment it reads READY, so the kill lands at a named point, never after a guessed sleep. Then the
workspace is opened again as the app would and :func:`_whole` checks what the issue asks: every record
committed before the kill is there, nothing half-written is visible (a dataset version without its file,
a run or retrain left running, a model version without its artifact, an archive without its retirement,
a clean-up half applied), nothing is left to reclaim, and the audit chain verifies."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lifecycle import audit
from lifecycle.access import recovery
from lifecycle.data import datasets
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.retire import retirements
from lifecycle.store import retrains as retrain_store
from lifecycle.store import runs as run_store
from lifecycle.store.db import close_database
from lifecycle.workspace import Workspace, open_workspace
from tests.unit import retire_fixtures as rf

ROOT = Path(__file__).resolve().parents[2]

STOP = """
import sys, time
def stop(*_args, **_kwargs):  # the kill lands here
    print("READY", flush=True)
    time.sleep(600)
"""
RUN_CLI = "\nfrom lifecycle.cli import main\nmain(sys.argv[1:])\n"


def kill_at(patch: str, *args: str, tail: str = RUN_CLI) -> None:
    """Run ``patch`` then the CLI with ``args`` in a fresh interpreter; SIGKILL it when it prints READY."""
    script = STOP + textwrap.dedent(patch) + tail
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIFECYCLE_AUTOSERVE": "0", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.strip() == "READY":
                break
        assert lines and lines[-1].strip() == "READY", ("".join(lines), process.stderr.read())
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def whole(path: Path) -> Workspace:
    """Open ``path`` as the app does and check that nothing half-written is visible."""
    workspace = open_workspace(path)
    cursor = workspace.db.cursor()
    assert recovery.reclaim(workspace, dry_run=True).empty  # the open reclaimed everything already
    assert run_store.running_searches(cursor) == [] and retrain_store.running(cursor) == []
    for project in projects.list_projects(workspace):
        for dataset in datasets.list_datasets(workspace, project.id):
            assert dataset.deleted_at is not None or datasets.verify_dataset(workspace, dataset), dataset
        for version in registry.list_versions(workspace, project.id):
            assert version.state == "retired" or registry.artifact_path(workspace, version).is_file(), version
        for retired in retirements(workspace, project.id):
            assert (workspace.artifacts_dir / retired.archive_path).is_dir()
    assert not any((workspace.artifacts_dir / recovery.TRASH).glob("*"))
    verdict = audit.verify_chain(workspace)
    assert verdict.ok, verdict
    return workspace


def counts(workspace: Workspace, project_id: int) -> tuple[int, int, int]:
    return (len(datasets.list_datasets(workspace, project_id)), len(registry.list_versions(workspace, project_id)),
            audit.verify_chain(workspace).events)


@pytest.fixture
def world(workspace, actors, project):  # imported by the test modules
    """Two data generations, v1 in production, v2 staged, log segments 40, 41 and 0.5 days old; closed."""
    past = rf.history(workspace, actors, project)
    segments = rf.log_segments(workspace, project.id, past.v1.id, [[40, 41], [0.5]])
    close_database(workspace.path)
    yield workspace.path, project, past, segments
    close_database(workspace.path)


def cli(path: Path, user: str, *command: str) -> list[str]:
    return ["--workspace", str(path), "--user", user, *command]




def extra_run(path: Path, project_id: int, dataset) -> int:
    """One more finished run (linear, default parameters) on ``dataset``'s first split, not registered."""
    from lifecycle import auth
    from lifecycle.data import preparation
    from lifecycle.develop import training

    workspace = open_workspace(path)
    split = preparation.splits_for(workspace, dataset.id)[0]
    fields = dict(project_id=project_id, dataset_id=dataset.id, split_id=split.id, recipe_id=dataset.lineage.recipe_id,
                  algorithm="linear", params={}, seed=0, cv_folds=3, n_samples=40, primary_metric="roc_auc",
                  library_versions={}, status="finished", error=None, cv_metrics={"roc_auc": {"mean": 0.8}},
                  primary_score=0.8, fit_seconds=0.1, score_seconds=None)
    run = training.record_run(workspace, auth.get_user(workspace, "analyst"), fields, search_id=None)
    close_database(path)
    return run.id
