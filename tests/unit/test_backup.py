"""``workspace backup DIR`` / ``workspace restore DIR`` (issue 16): a backup taken by the CLI while a
second process holds the workspace and keeps writing (as the app does) restores into a workspace whose
records are a consistent prefix of those writes, whose audit chain verifies and whose production model
serves; every checksum is checked before anything is replaced; admins only."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from lifecycle import audit, auth, backup
from lifecycle.cli import main
from lifecycle.deploy import process
from lifecycle.deploy.paths import deploy_dir, log_dir
from lifecycle.errors import InputError, PermissionDenied, WorkspaceLocked
from lifecycle.store import wal
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.unit import retire_fixtures as rf
from tests.unit.deploy_fixtures import rows

ROOT = Path(__file__).resolve().parents[2]

HOLD_AND_WRITE = """
    import sys
    from lifecycle import auth
    from lifecycle.workspace import open_workspace
    workspace = open_workspace(sys.argv[1])  # holds the file, as the app does
    admin = auth.get_user(workspace, "admin")
    print("READY", flush=True)
    n = 0
    while True:  # one commit after another, a checkpoint every 5 (each rewrites the file's headers)
        auth.add_user(workspace, admin, f"busy{n:05d}", "stakeholder")
        n += 1
        if n % 5 == 0:
            workspace.db.cursor().execute("CHECKPOINT")
"""


@pytest.fixture
def world(workspace, actors, project):
    """v1 in production (manifest written), v2 in staging, two prediction-log segments; closed."""
    past = rf.history(workspace, actors, project)
    rf.log_segments(workspace, project.id, past.v1.id, [[2, 1], [0.5]])
    close_database(workspace.path)
    return workspace.path, project.id, past


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lifecycle", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _post(port: int, payload: dict) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow  # two real processes and a scoring service (~20 s here)
def test_a_backup_taken_while_another_process_writes_restores_verifies_and_serves(world, tmp_path):
    path, project_id, past = world
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLD_AND_WRITE), str(path)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "READY", holder.stderr.read()
        assert wal.held_by_another_process(path)  # DuckDB's lock: no other process may open it
        done = _cli("--workspace", str(path), "--user", "admin", "--json", "workspace", "backup", str(tmp_path / "b"))
        assert done.returncode == 0, done.stderr
        assert holder.poll() is None  # it kept running (and writing) throughout
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    report = json.loads(done.stdout)
    assert report["taken"] == "beside another process"
    manifest = json.loads((tmp_path / "b" / backup.MANIFEST).read_text())
    names = {f["path"] for f in manifest["files"]}
    assert {"workspace.duckdb", f"files/models/{past.v1.artifact_hash}.skops",
            f"files/deploy/{project_id}/manifest.json"} <= names
    assert any(n.startswith(f"files/logs/{project_id}/predictions/") for n in names)
    assert any(n.startswith("files/datasets/") for n in names)
    assert manifest["tool_version"] and manifest["created_at"] and manifest["created_by"] == "admin"

    restored = tmp_path / "restored" / "w.duckdb"
    assert backup.restore_workspace(tmp_path / "b", restored, "admin").backup.audit_head == manifest["audit_head"]
    workspace = open_workspace(restored)
    assert audit.verify_chain(workspace).ok
    busy = sorted(u.name for u in auth.list_users(workspace) if u.name.startswith("busy"))
    assert busy == [f"busy{n:05d}" for n in range(len(busy))]  # a prefix of the writes: no gap, nothing torn
    assert report["audit_events"] == audit.verify_chain(workspace).events - 1  # + the restore's own event

    port = process.free_port()  # the restored workspace serves its production model
    started = process.start_service(deploy_dir(restored, project_id), log_dir(restored, project_id), port=port)
    try:
        inputs, _ = rf.deploy_model.frame()
        assert _post(port, rows(inputs, 1)[0])["version_id"] == past.v1.id
    finally:
        process.stop_service(deploy_dir(restored, project_id))
    close_database(restored)


def test_restore_checks_every_checksum_before_replacing_anything(world, tmp_path, capsys):
    path, project_id, past = world
    made = backup.backup_workspace(path, "admin", tmp_path / "b")
    assert made.taken == "here"
    close_database(path)
    artifact = tmp_path / "b" / "files" / "models" / f"{past.v1.artifact_hash}.skops"
    original = artifact.read_bytes()
    artifact.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    target = tmp_path / "new" / "w.duckdb"
    assert main(["--workspace", str(target), "--user", "admin", "workspace", "restore", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{artifact} does not match its checksum" in err
    assert not target.exists() and not target.with_suffix(".files").exists()
    assert not list(target.parent.glob(".*")) if target.parent.exists() else True

    artifact.write_bytes(original)
    (tmp_path / "b" / "files" / "stowaway.txt").write_text("not from the backup")
    with pytest.raises(InputError, match="stowaway.txt is in the backup but not in its manifest"):
        backup.restore_workspace(tmp_path / "b", target, "admin")
    (tmp_path / "b" / "files" / "stowaway.txt").unlink()
    assert main(["--workspace", str(target), "--user", "admin", "workspace", "restore", str(tmp_path / "b")]) == 0
    assert "audit chain intact" in capsys.readouterr().out
    close_database(target)

    with pytest.raises(InputError, match="already holds a workspace"):  # the original is not empty
        backup.restore_workspace(tmp_path / "b", path, "admin")
    before = open_workspace(path)
    auth.add_user(before, auth.get_user(before, "admin"), "after_backup", "analyst")
    close_database(path)
    done = backup.restore_workspace(tmp_path / "b", path, "admin", force=True)
    [kept_db] = [k for k in done.replaced_kept_at if k.name.startswith("w.duckdb.replaced-")]
    assert kept_db.exists()  # the replaced workspace stays beside it
    workspace = open_workspace(path)
    assert "after_backup" not in {u.name for u in auth.list_users(workspace)}
    assert audit.recent_events(workspace, limit=1)[0].action == "workspace.restored"
    assert audit.verify_chain(workspace).ok


def test_the_running_process_itself_backs_up_and_a_held_target_is_not_replaced(world, tmp_path):
    path, *_ = world
    workspace = open_workspace(path)  # this process is the app
    seen = []
    made = backup.backup_workspace(path, "admin", tmp_path / "b", progress=lambda f, m: seen.append((f, m)))
    assert made.taken == "here" and made.audit_events == audit.verify_chain(workspace).events
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and any("copying" in m for _, m in seen)
    with pytest.raises(WorkspaceLocked, match="open in a running process"):
        backup.restore_workspace(tmp_path / "b", path, "admin", force=True)
    with pytest.raises(InputError, match="not an empty folder"):
        backup.backup_workspace(path, "admin", tmp_path / "b")


@pytest.mark.parametrize("role", ["analyst", "reviewer", "stakeholder"])
def test_only_an_admin_backs_up_and_restores(world, tmp_path, role):
    path, *_ = world
    with pytest.raises(PermissionDenied, match="may not back up the whole workspace"):
        backup.backup_workspace(path, role, tmp_path / "b")
    assert not (tmp_path / "b").exists() and not list(tmp_path.glob(".b-*"))
    backup.backup_workspace(path, "admin", tmp_path / "b")
    with pytest.raises(PermissionDenied, match="may not back up the whole workspace"):
        backup.restore_workspace(tmp_path / "b", tmp_path / "r" / "w.duckdb", role)
    assert not (tmp_path / "r" / "w.duckdb").exists()


def test_a_copy_that_overlaps_a_checkpoint_is_taken_again(tmp_path, monkeypatch):
    import shutil

    import duckdb

    from lifecycle.store import snapshot

    source, target = tmp_path / "s.duckdb", tmp_path / "t.duckdb"
    connection = duckdb.connect(str(source))
    connection.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
    connection.close()
    copyfile, checkpointed = shutil.copyfile, []

    def copy_then_checkpoint(src, dst):  # the holder checkpoints while the file is being copied
        copyfile(src, dst)
        if Path(src) == source and not checkpointed:
            checkpointed.append(True)
            writer = duckdb.connect(str(source))
            writer.execute("INSERT INTO t SELECT range FROM range(1000, 5000)")
            writer.execute("CHECKPOINT")
            writer.close()

    monkeypatch.setattr(snapshot.shutil, "copyfile", copy_then_checkpoint)
    assert snapshot.copy_beside(source, target, pause=lambda attempt: None) == 2
    snapshot.settle(target)
    copied = duckdb.connect(str(target))
    assert copied.execute("SELECT count(*), max(i) FROM t").fetchone() == (5000, 4999)
    copied.close()


RESTORE_KILLED_MID_SWAP = """
    import os, sys, time
    from lifecycle import backup
    rename, calls = os.rename, []
    def renaming(*args):  # the old database is aside, its folder not yet: the kill lands here
        calls.append(args)
        if len(calls) == 2:
            print("READY", flush=True)
            time.sleep(600)
        return rename(*args)
    backup.os.rename = renaming
    backup.restore_workspace(sys.argv[1], sys.argv[2], "admin", force=True)
"""


@pytest.mark.slow  # a real process killed (~10 s here)
def test_a_restore_killed_mid_swap_refuses_to_open_until_it_is_run_again(world, tmp_path, capsys):
    from lifecycle.errors import WorkspaceDamaged

    path, *_ = world
    backup.backup_workspace(path, "admin", tmp_path / "b")
    close_database(path)
    process_ = subprocess.Popen([sys.executable, "-c", textwrap.dedent(RESTORE_KILLED_MID_SWAP),
                                 str(tmp_path / "b"), str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        assert process_.stdout.readline().strip() == "READY", process_.stderr.read()
        os.kill(process_.pid, signal.SIGKILL)
        process_.wait(timeout=30)
    finally:
        if process_.poll() is None:
            process_.kill()
            process_.wait()
    assert not path.exists()  # half swapped: opening now would make a new, empty workspace
    with pytest.raises(WorkspaceDamaged, match="restore into .* was interrupted"):
        open_workspace(path)
    assert not path.exists()
    with pytest.raises(InputError, match="was interrupted"):
        backup.restore_workspace(tmp_path / "b", path, "admin")
    assert main(["--workspace", str(path), "--user", "admin", "workspace", "restore", str(tmp_path / "b"),
                 "--force"]) == 0
    assert "audit chain intact" in capsys.readouterr().out
    assert audit.verify_chain(open_workspace(path)).ok
    assert len(list(path.parent.glob("w.duckdb.replaced-*"))) == 1  # the old database, kept
    assert not list(path.parent.glob(".w.*.restoring-*")) and not backup.restore_journal(path).exists()


def test_cli_progress_goes_to_stderr_and_only_for_long_work(capsys):
    from lifecycle.cli.context import stderr_progress

    quick = stderr_progress("backup")  # a command done within a second prints nothing
    quick(0.5, "copying a")
    quick(1.0, "done")
    slow = stderr_progress("restore", every=0.0)
    slow(0.5, "copying a")
    slow(1.0, "restored 3 files")
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == ["restore  50% copying a", "restore 100% restored 3 files"]
