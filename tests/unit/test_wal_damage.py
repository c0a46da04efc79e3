"""A damaged DuckDB write-ahead log (issue 16): a real process writes and is killed with SIGKILL before
any checkpoint, so its commits live in ``<workspace>.wal`` only; the log is then damaged three ways.
Opening says so plainly, copies the log and the database first, changes nothing, and opens only through
``workspace recover``, which keeps every whole commit before the damage and verifies the chain."""
from __future__ import annotations

import html
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from lifecycle import audit, auth
from lifecycle.access import users
from lifecycle.cli import main
from lifecycle.errors import WorkspaceDamaged
from lifecycle.hashing import sha256_file
from lifecycle.store import wal
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace, recover_workspace

ROOT = Path(__file__).resolve().parents[2]
ADDED = [f"user{n}" for n in range(6)]

WRITE_THEN_DIE = """
    import os, signal, sys
    from lifecycle import auth
    from lifecycle.workspace import open_workspace
    workspace = open_workspace(sys.argv[1])
    admin = auth.get_user(workspace, "admin")
    for name in sys.argv[2:]:
        auth.add_user(workspace, admin, name, "analyst")  # each its own commit, in the log only
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


DAMAGE = {
    "cut short": lambda data: data[:-25],
    "a byte changed": lambda data: _flip(data, len(data) * 3 // 4),
    "header overwritten": lambda data: b"\x13" * 16 + data[16:],
}


@pytest.fixture(scope="module")
def logged_template(tmp_path_factory):
    """A workspace whose last six users are in its write-ahead log only (the writer was killed); built once."""
    path = tmp_path_factory.mktemp("wal") / "w.duckdb"
    auth.init_admin(open_workspace(path), "admin")
    close_database(path)  # a clean close: checkpointed, no log
    assert not wal.wal_path(path).exists()
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(WRITE_THEN_DIE), str(path), *ADDED], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert wal.wal_path(path).stat().st_size > 0
    return path


@pytest.fixture
def logged(logged_template, tmp_path):
    """A copy of the template, database and log, for one test to open or damage."""
    path = tmp_path / "w.duckdb"
    shutil.copyfile(logged_template, path)
    shutil.copyfile(wal.wal_path(logged_template), wal.wal_path(path))
    yield path
    close_database(path)


def _names(path: Path) -> list[str]:
    return sorted(u.name for u in users.list_users(open_workspace(path)) if u.name != "admin")


def test_a_whole_log_from_a_killed_process_opens_with_every_commit(logged):
    assert wal.check(logged) is None
    assert _names(logged) == ADDED
    assert audit.verify_chain(open_workspace(logged)).ok
    assert not list(logged.parent.glob("*.damaged-*"))


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_a_damaged_log_is_named_copied_and_left_alone(logged, how, capsys):
    log = wal.wal_path(logged)
    log.write_bytes(DAMAGE[how](log.read_bytes()))
    before = {p: sha256_file(p) for p in (logged, log)}

    with pytest.raises(WorkspaceDamaged) as raised:
        open_workspace(logged)
    message = str(raised.value)
    assert f"write-ahead log {log} is damaged" in message and "workspace recover" in message
    assert "would lose them" in message or "refuses" in message
    copies = sorted(logged.parent.glob("*.damaged-*"))
    assert {c.name.split(".damaged-")[0] for c in copies} == {log.name, logged.name}
    assert {sha256_file(c) for c in copies} == set(before.values())  # byte for byte what was damaged
    assert {p: sha256_file(p) for p in (logged, log)} == before  # nothing touched

    assert main(["--workspace", str(logged), "user", "list"]) == 2  # the CLI: one line, exit 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "workspace recover" in err
    assert len(list(logged.parent.glob("*.damaged-*"))) == 2  # the same damage is not copied twice

    assert main(["--workspace", str(logged), "--user", "admin", "workspace", "recover"]) == 0
    out = capsys.readouterr().out
    assert "Cut the write-ahead log" in out and "Audit chain intact" in out
    names = _names(logged)
    assert names == ADDED[:len(names)]  # every commit before the damage, in order, none after it
    if how == "cut short":
        assert names == ADDED[:-1]  # only the cut commit is gone
    workspace = open_workspace(logged)
    assert audit.verify_chain(workspace).ok
    [event] = [e for e in audit.recent_events(workspace, limit=5) if e.action == "workspace.log_recovered"]
    assert event.actor == "admin" and event.details["repairs"][0]["copies"]


def test_recover_on_a_whole_workspace_changes_nothing(logged):
    workspace, repairs = recover_workspace(logged)
    assert repairs == () and _names(logged) == ADDED
    assert not list(logged.parent.glob("*.damaged-*"))


def test_duckdb_itself_drops_a_cut_log_silently(logged, tmp_path):
    """Why the check exists: DuckDB 2.0.1 opens a cut log and loses the commit without a word."""
    copy = tmp_path / "raw.duckdb"
    copy.write_bytes(logged.read_bytes())
    wal.wal_path(copy).write_bytes(wal.wal_path(logged).read_bytes()[:-25])
    connection = duckdb.connect(str(copy))
    count = connection.execute("SELECT count(*) FROM users").fetchone()[0]
    connection.close()
    assert count == 1 + len(ADDED) - 1


def test_the_app_says_the_log_is_damaged(logged, monkeypatch):
    from streamlit.testing.v1 import AppTest

    log = wal.wal_path(logged)
    log.write_bytes(DAMAGE["cut short"](log.read_bytes()))
    monkeypatch.setenv("LIFECYCLE_WORKSPACE", str(logged))
    monkeypatch.setenv("LIFECYCLE_DEMO", "0")
    monkeypatch.setenv("LIFECYCLE_AUTOSERVE", "0")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not app.exception
    shown = html.unescape(" ".join(e.value for e in app.error))  # shown as literal text, escaped
    assert "write-ahead log" in shown and "is damaged" in shown and "workspace recover" in shown
    assert ".damaged-" in shown
