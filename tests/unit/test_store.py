"""The DuckDB store: migrations, identifier quoting and the one-writer workspace lock."""
from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from lifecycle.errors import WorkspaceLocked
from lifecycle.store import migrations
from lifecycle.store.db import Database, close_database, open_database, quote_identifier
from lifecycle.workspace import open_workspace

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = 'x"; DROP TABLE audit_log; --'


def _applied(db: Database) -> list[int]:
    return [r["version"] for r in db.rows("SELECT version FROM schema_migrations ORDER BY version")]


def test_fresh_file_is_at_latest_migration(workspace):
    assert _applied(workspace.db) == [v for v, _, _ in migrations.MIGRATIONS]
    assert _applied(workspace.db)[-1] == migrations.LATEST
    tables = {r["table_name"] for r in workspace.db.rows("SELECT table_name FROM information_schema.tables")}
    assert {"users", "projects", "objectives", "dataset_versions", "audit_log"} <= tables


def test_reopening_applies_nothing(tmp_path):
    path = tmp_path / "again.duckdb"
    open_database(path)
    close_database(path)
    db = open_database(path)
    try:
        assert _applied(db) == sorted(v for v, _, _ in migrations.MIGRATIONS)
        assert migrations.migrate(db.cursor()) == []
    finally:
        close_database(path)


def test_opening_an_older_file_applies_only_the_missing_migration(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    db = open_database(path)
    first_applied = db.value("SELECT applied_at FROM schema_migrations WHERE version = 1")
    close_database(path)

    extra = migrations.LATEST + 1
    newer = [*migrations.MIGRATIONS,
             (extra, "model notes", ["CREATE TABLE model_notes (id INTEGER PRIMARY KEY, note VARCHAR)"])]
    monkeypatch.setattr(migrations, "MIGRATIONS", newer)
    db = open_database(path)
    try:
        assert _applied(db) == sorted(v for v, _, _ in newer)
        # Migration 1 did not run again: its row is the original one.
        assert db.value("SELECT applied_at FROM schema_migrations WHERE version = 1") == first_applied
        assert db.value("SELECT description FROM schema_migrations WHERE version = ?", [extra]) == "model notes"
        db.cursor().execute("INSERT INTO model_notes VALUES (1, 'ok')")
        assert db.value("SELECT note FROM model_notes") == "ok"
    finally:
        close_database(path)


def test_a_missing_lower_numbered_migration_is_still_applied(tmp_path, monkeypatch):
    """Migrations written side by side may land out of order; a file that has 1 and 3 gets 2."""
    path = tmp_path / "gap.duckdb"
    first, *rest = sorted(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [first])
    db = open_database(path)
    close_database(path)
    monkeypatch.setattr(migrations, "MIGRATIONS", [first, (90, "later", ["CREATE TABLE later (x INTEGER)"])])
    db = open_database(path)
    close_database(path)
    monkeypatch.setattr(migrations, "MIGRATIONS", [first, (50, "earlier", ["CREATE TABLE earlier (x INTEGER)"]),
                                                   (90, "later", ["CREATE TABLE later (x INTEGER)"])])
    db = open_database(path)
    try:
        assert _applied(db) == [1, 50, 90]
        assert db.value("SELECT count(*) FROM earlier") == 0
    finally:
        close_database(path)


def test_quote_identifier_makes_hostile_names_inert():
    quoted = quote_identifier(HOSTILE)
    assert quoted == '"x""; DROP TABLE audit_log; --"'
    with duckdb.connect() as con:
        con.execute("CREATE TABLE audit_log (seq INTEGER)")
        con.execute(f"CREATE TABLE t ({quoted} INTEGER)")
        con.execute(f"INSERT INTO t ({quoted}) VALUES (7)")
        assert con.execute(f"SELECT {quoted} FROM t").fetchone() == (7,)
        assert con.execute("SELECT column_name FROM information_schema.columns "
                           "WHERE table_name = 't'").fetchone() == (HOSTILE,)
        assert con.execute("SELECT count(*) FROM information_schema.tables "
                           "WHERE table_name = 'audit_log'").fetchone() == (1,)
    with pytest.raises(ValueError, match="NUL"):
        quote_identifier("a\x00b")


def test_a_failed_transaction_rolls_back(workspace):
    before = workspace.db.value("SELECT count(*) FROM settings")
    with pytest.raises(RuntimeError):
        with workspace.db.transaction() as cursor:
            cursor.execute("INSERT INTO settings VALUES ('k', 'v')")
            raise RuntimeError("boom")
    assert workspace.db.value("SELECT count(*) FROM settings") == before


# -- the workspace lock: a second process gets a message naming the holder ---------------

@pytest.fixture
def held_workspace(tmp_path):
    """A workspace file held open by another Python process; yields (path, pid)."""
    path = tmp_path / "held.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from lifecycle import auth\n"
         "from lifecycle.workspace import open_workspace\n"
         "w = open_workspace(sys.argv[1])\n"
         "auth.init_admin(w, 'admin')\n"
         "print('ready', flush=True)\n"
         "time.sleep(120)\n",
         str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        ready, _, _ = select.select([holder.stdout], [], [], 120)
        line = holder.stdout.readline() if ready else ""
        assert line.strip() == "ready", "the holder did not start: " + ("" if ready else "timed out")
        yield path, holder.pid
    finally:
        holder.kill()
        holder.wait(timeout=30)
        holder.stdout.close()
        holder.stderr.close()


def test_second_process_gets_workspace_locked(held_workspace):
    path, pid = held_workspace
    with pytest.raises(WorkspaceLocked) as caught:
        Database(path)
    message = str(caught.value)
    assert f"process {pid}" in message
    assert str(path) in message
    assert "Stop that process" in message and "--workspace" in message


def test_cli_on_a_held_workspace_exits_2_with_one_line(held_workspace):
    path, pid = held_workspace
    done = subprocess.run(
        [sys.executable, "-m", "lifecycle", "--workspace", str(path), "--user", "admin", "project", "list"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert f"process {pid}" in lines[0] and "Stop that process" in lines[0]
    assert done.stdout == ""


def test_lock_is_released_after_the_holder_stops(tmp_path):
    path = tmp_path / "free.duckdb"
    opened = open_workspace(path)
    close_database(opened.path)
    again = Database(path)  # would raise if the first handle still held the file
    again.close()


def test_runs_written_before_migration_4_read_back_whole(tmp_path, monkeypatch):
    from lifecycle.store import runs as run_store
    path = tmp_path / "runs_v3.duckdb"
    full = list(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in full if m[0] <= 3])
    db = open_database(path)
    db.cursor().execute(
        "INSERT INTO runs VALUES (7, 2, 1, 1, 1, 1, 'forest', '{\"max_depth\": 3}', 42, 5, 900, 1, "
        "'done', NULL, '{\"roc_auc\": {\"mean\": 0.9}}', 'roc_auc', 0.9, 1.5, 0.25, "
        "'{\"sklearn\": \"1.9.1\"}', TIMESTAMP '2026-01-01 10:00:00', 'ana', NULL)")
    close_database(path)

    monkeypatch.setattr(migrations, "MIGRATIONS", full)
    db = open_database(path)
    try:
        run = run_store.get_run(db.cursor(), 7)
        assert (run.algorithm, run.params, run.seed, run.cv_folds, run.n_samples) == ("forest", {"max_depth": 3},
                                                                                      42, 5, 900)
        assert (run.halving_round, run.fit_seconds, run.score_seconds, run.rerun_of) == (1, 1.5, 0.25, None)
        assert run.library_versions == {"sklearn": "1.9.1"} and run.cv_metrics == {"roc_auc": {"mean": 0.9}}
    finally:
        close_database(path)
