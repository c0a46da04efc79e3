"""Concurrent writers: a DuckDB write-write conflict is reported (WriteConflict) or retried
(``Database.retrying``), never swallowed; another process's file lock is waited for briefly, then named."""
from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from lifecycle.access import users
from lifecycle.errors import WorkspaceLocked, WriteConflict
from lifecycle.store.db import Database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rival(workspace):
    """A second connection to the same file in this process: DuckDB shares the database between
    them, but this one bypasses the workspace's write lock, so it can hold a row mid-transaction."""
    connection = duckdb.connect(str(workspace.path))
    yield connection
    connection.close()


def _last_project(workspace, name: str):
    return workspace.db.value("SELECT last_project_id FROM users WHERE name = ?", [name])


def test_a_conflict_is_reported_rolled_back_and_names_the_fix(workspace, rival):
    rival.execute("BEGIN TRANSACTION")
    rival.execute("UPDATE users SET last_project_id = 7 WHERE name = 'analyst'")
    audit_before = workspace.db.value("SELECT count(*) FROM audit_log")
    with pytest.raises(WriteConflict) as caught:
        with workspace.db.transaction() as cursor:
            cursor.execute("INSERT INTO settings VALUES ('written-before-the-conflict', '1')")
            cursor.execute("UPDATE users SET last_project_id = 9 WHERE name = 'analyst'")
    message = str(caught.value)
    assert "was not saved" in message and "nothing of it was written" in message
    assert "Conflict" in message  # DuckDB's own words, for whoever reads the server log
    assert "Reload the page" in message
    assert isinstance(caught.value.__cause__, duckdb.TransactionException)
    rival.execute("COMMIT")
    # Nothing of the refused transaction is there: not the statement before the conflict either.
    assert workspace.db.value("SELECT count(*) FROM settings WHERE key = 'written-before-the-conflict'") == 0
    assert _last_project(workspace, "analyst") == 7
    assert workspace.db.value("SELECT count(*) FROM audit_log") == audit_before
    # The handle is usable afterwards (no transaction left open on this thread's cursor).
    with workspace.db.transaction() as cursor:
        cursor.execute("UPDATE users SET last_project_id = 9 WHERE name = 'analyst'")
    assert _last_project(workspace, "analyst") == 9


def test_retrying_waits_for_the_other_writer_then_writes(workspace, rival):
    rival.execute("BEGIN TRANSACTION")
    rival.execute("UPDATE users SET last_project_id = 7 WHERE name = 'analyst'")
    tries = []

    def work(cursor):
        tries.append(time.monotonic())
        cursor.execute("UPDATE users SET last_project_id = 9 WHERE name = 'analyst'")
        return "done"

    releaser = threading.Timer(0.1, lambda: rival.execute("COMMIT"))
    releaser.start()
    try:
        assert workspace.db.retrying(work, attempts=8, backoff=0.05) == "done"
    finally:
        releaser.join()
    assert len(tries) >= 2  # the first try met the conflict
    assert all(b - a >= 0.04 for a, b in zip(tries, tries[1:]))  # with a pause between tries
    assert _last_project(workspace, "analyst") == 9


def test_retrying_gives_up_after_its_attempts_and_raises(workspace, rival):
    rival.execute("BEGIN TRANSACTION")
    rival.execute("UPDATE users SET last_project_id = 7 WHERE name = 'analyst'")
    tries = []

    def work(cursor):
        tries.append(1)
        cursor.execute("UPDATE users SET last_project_id = 9 WHERE name = 'analyst'")

    with pytest.raises(WriteConflict):
        workspace.db.retrying(work, attempts=3, backoff=0.01)
    assert len(tries) == 3
    rival.execute("ROLLBACK")
    assert _last_project(workspace, "analyst") is None


def test_remember_project_is_retried_on_a_conflict(workspace, rival, actors):
    rival.execute("BEGIN TRANSACTION")
    rival.execute("UPDATE users SET last_project_id = 7 WHERE name = 'analyst'")
    releaser = threading.Timer(0.1, lambda: rival.execute("COMMIT"))
    releaser.start()
    try:
        users.remember_project(workspace, actors["analyst"], 3)
    finally:
        releaser.join()
    assert _last_project(workspace, "analyst") == 3


def test_other_errors_pass_through_unchanged(workspace):
    with pytest.raises(duckdb.CatalogException):
        with workspace.db.transaction() as cursor:
            cursor.execute("UPDATE no_such_table SET x = 1")


def test_opening_waits_for_a_short_lived_holder(tmp_path):
    """A CLI command in flight holds the file for a moment: a second process waits, then opens it."""
    path = tmp_path / "busy.duckdb"
    Database(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, duckdb\n"
         "c = duckdb.connect(sys.argv[1])\n"
         "print('ready', flush=True)\n"
         "time.sleep(1.0)\n"
         "c.close()\n",
         str(path)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        ready, _, _ = select.select([holder.stdout], [], [], 60)
        assert ready and holder.stdout.readline().strip() == "ready"
        start = time.monotonic()
        opened = Database(path, lock_wait=30)
        waited = time.monotonic() - start
        opened.close()
    finally:
        holder.wait(timeout=30)
        holder.stdout.close()
    assert waited > 0.2  # it did meet the lock, and waited instead of failing


def test_opening_gives_up_after_its_wait_and_names_the_holder(tmp_path):
    path = tmp_path / "held.duckdb"
    Database(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, duckdb\n"
         "c = duckdb.connect(sys.argv[1])\n"
         "print('ready', flush=True)\n"
         "time.sleep(60)\n",
         str(path)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        ready, _, _ = select.select([holder.stdout], [], [], 60)
        assert ready and holder.stdout.readline().strip() == "ready"
        start = time.monotonic()
        with pytest.raises(WorkspaceLocked) as caught:
            Database(path, lock_wait=0.5)
        assert 0.3 < time.monotonic() - start < 5
    finally:
        holder.kill()
        holder.wait(timeout=30)
        holder.stdout.close()
    assert f"process {holder.pid}" in str(caught.value) and "waited" in str(caught.value)
