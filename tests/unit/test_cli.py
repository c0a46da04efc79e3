"""``python -m lifecycle``: commands in-process with capsys, and one real subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lifecycle.cli import main
from lifecycle.store.db import close_database

ROOT = Path(__file__).resolve().parents[2]
CSV = b"age,sex,y\n31,F,yes\n45,M,no\n27,F,yes\n52,M,no\n"


@pytest.fixture(autouse=True)
def no_default_user(monkeypatch):
    monkeypatch.delenv("LIFECYCLE_USER", raising=False)
    monkeypatch.delenv("LIFECYCLE_WORKSPACE", raising=False)


@pytest.fixture
def path(tmp_path):
    """A workspace path the CLI creates; its handle is closed at the end."""
    target = tmp_path / "cli.duckdb"
    yield target
    close_database(target)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, *argv) -> str:
    """Exit 2 with exactly one line on stderr; return it."""
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert out == ""
    return lines[0]


def _counts(path):
    from lifecycle.workspace import open_workspace

    db = open_workspace(path).db
    return db.value("SELECT count(*) FROM dataset_versions"), db.value("SELECT count(*) FROM audit_log")


@pytest.fixture
def ready(capsys, path, tmp_path):
    """A workspace with admin 'root', analyst 'ana', stakeholder 'sam' and project Churn."""
    assert run(capsys, "--workspace", path, "workspace", "init", "--admin", "root")[0] == 0
    assert run(capsys, "--workspace", path, "--user", "root", "user", "add", "ana", "--role", "analyst")[0] == 0
    assert run(capsys, "--workspace", path, "--user", "root", "user", "add", "sam", "--role", "stakeholder")[0] == 0
    code, out, err = run(capsys, "--workspace", path, "--user", "ana", "project", "create", "Churn",
                         "--task", "binary", "--target", "y", "--positive-class", "yes", "--sensitive", "sex",
                         "--objective", "roc_auc>=0.8")
    assert code == 0, err
    assert out.startswith("Created project Churn (id 1).")
    csv = tmp_path / "churn.csv"
    csv.write_bytes(CSV)
    return path, csv


def test_workspace_init_creates_the_file_and_admin(capsys, path):
    code, out, _ = run(capsys, "--workspace", path, "workspace", "init", "--admin", "root")
    assert code == 0 and path.exists()
    assert out.strip() == f"Created workspace {path} with admin root."
    line = refused(capsys, "--workspace", path, "workspace", "init", "--admin", "other")
    assert "already has users" in line and "user add" in line


def test_user_add_and_list(capsys, ready):
    path, _ = ready
    code, out, _ = run(capsys, "--workspace", path, "--json", "user", "list")
    assert code == 0
    assert json.loads(out) == [{"name": "ana", "role": "analyst", "active": True, "last_sign_in": None},
                               {"name": "root", "role": "admin", "active": True, "last_sign_in": None},
                               {"name": "sam", "role": "stakeholder", "active": True, "last_sign_in": None}]
    line = refused(capsys, "--workspace", path, "--user", "ana", "user", "add", "eve", "--role", "admin")
    assert "ana (analyst) may not add users" in line and "admin role" in line


def test_project_show(capsys, ready):
    path, _ = ready
    code, out, _ = run(capsys, "--workspace", path, "project", "show", "Churn")
    assert code == 0
    assert "Churn (id 1) — binary, target 'y'" in out
    assert "sensitive: sex; owner ana; risk medium" in out
    assert "objectives (v1):\n    roc_auc >= 0.8" in out
    code, out, _ = run(capsys, "--workspace", path, "--json", "project", "show", "Churn")
    data = json.loads(out)
    assert data["positive_class"] == "yes" and data["sensitive"] == ["sex"]
    assert data["objectives"]["items"] == [{"metric": "roc_auc", "comparator": ">=", "threshold": 0.8,
                                            "blocking": True}]
    line = refused(capsys, "--workspace", path, "project", "show", "Nope")
    assert "No project named 'Nope'. Projects here: Churn." in line


def test_data_ingest_json_list_and_profile(capsys, ready):
    path, csv = ready
    code, out, err = run(capsys, "--workspace", path, "--user", "ana", "data", "ingest", csv,
                         "--project", "Churn", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["id"], data["rows"], data["columns"]) == (1, 4, 3)
    assert len(data["content_hash"]) == 64
    code, out, _ = run(capsys, "--workspace", path, "data", "list", "--project", "Churn")
    assert out.strip() == f"1\tchurn\tv1\t4\t3\t{data['content_hash'][:12]}"
    code, out, _ = run(capsys, "--workspace", path, "--json", "data", "list", "--project", "Churn")
    assert [d["content_hash"] for d in json.loads(out)] == [data["content_hash"]]

    pytest.importorskip("lifecycle.data.profile")
    code, out, err = run(capsys, "--workspace", path, "data", "profile", "1")
    assert code == 0, err
    assert out.startswith("churn v1 (#1): 4 rows × 3 columns")
    assert "  age:" in out and "  y:" in out


def test_data_ingest_text_output_and_global_json(capsys, ready):
    path, csv = ready
    code, out, _ = run(capsys, "--workspace", path, "--user", "ana", "data", "ingest", csv, "--project", "Churn")
    assert code == 0 and out.startswith("Ingested churn v1 (#1): 4 rows × 3 columns, content hash ")
    code, out, _ = run(capsys, "--workspace", path, "--json", "--user", "ana", "data", "ingest", csv,
                       "--project", "Churn")
    assert json.loads(out)["id"] == 1  # same file, same version


def test_audit_verify_and_tampering(capsys, ready):
    path, _ = ready
    code, out, _ = run(capsys, "--workspace", path, "audit", "verify")
    assert code == 0 and out.strip() == "Audit chain intact: 4 events."
    from lifecycle.workspace import open_workspace

    open_workspace(path).db.cursor().execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    code, out, _ = run(capsys, "--workspace", path, "audit", "verify")
    assert code == 1
    assert out.strip() == ("Audit chain BROKEN at event 3: event 3 (user.added by mallory) "
                           "was changed after it was written.")
    code, out, _ = run(capsys, "--workspace", path, "--json", "audit", "verify")
    assert code == 1 and json.loads(out)["first_broken"] == 3


def test_audit_log(capsys, ready):
    path, _ = ready
    code, out, _ = run(capsys, "--workspace", path, "audit", "log", "--limit", "2")
    assert code == 0
    assert [line.split("\t")[3] for line in out.strip().splitlines()] == ["user.added", "project.created"]


def test_bad_input_exits_2_and_writes_nothing(capsys, ready, tmp_path):
    path, _ = ready
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    before = _counts(path)
    line = refused(capsys, "--workspace", path, "--user", "ana", "data", "ingest", empty, "--project", "Churn")
    assert line == "error: empty.csv is empty. Export it again with a header row and data rows."
    ragged = tmp_path / "ragged.csv"
    ragged.write_bytes(b"age,y\n1,yes\n2,no,3\n")
    line = refused(capsys, "--workspace", path, "--user", "ana", "data", "ingest", ragged, "--project", "Churn")
    assert "on line 3" in line and "Fix or remove those rows" in line
    line = refused(capsys, "--workspace", path, "--user", "ana", "project", "create", "Bad",
                   "--task", "binary", "--target", "y", "--positive-class", "yes", "--objective", "roc_auc<=0.8")
    assert "points the wrong way" in line and "Write roc_auc>=0.8" in line
    assert _counts(path) == before


def test_stakeholder_cannot_create_a_project(capsys, ready):
    path, _ = ready
    before = _counts(path)
    line = refused(capsys, "--workspace", path, "--user", "sam", "project", "create", "Mine",
                   "--task", "binary", "--target", "y", "--positive-class", "yes")
    assert "sam (stakeholder) may not create and edit projects" in line
    assert "analyst or admin role" in line
    assert _counts(path) == before


def test_missing_user(capsys, ready):
    path, _ = ready
    line = refused(capsys, "--workspace", path, "project", "create", "Mine", "--task", "binary", "--target", "y", "--positive-class", "yes")
    assert line == "error: No acting user. Pass --user NAME before the command, or set LIFECYCLE_USER."
    line = refused(capsys, "--workspace", path, "--user", "ghost", "project", "create", "Mine",
                   "--task", "binary", "--target", "y", "--positive-class", "yes")
    assert "No user named 'ghost'" in line


def test_user_from_the_environment(capsys, ready, monkeypatch):
    path, _ = ready
    monkeypatch.setenv("LIFECYCLE_USER", "ana")
    code, out, _ = run(capsys, "--workspace", path, "project", "create", "Env", "--task", "regression",
                       "--target", "price")
    assert code == 0 and out.startswith("Created project Env")


def test_missing_workspace_is_not_created(capsys, tmp_path):
    missing = tmp_path / "nowhere" / "w.duckdb"
    line = refused(capsys, "--workspace", missing, "--user", "admin", "project", "list")
    assert f"No workspace at {missing}." in line and "workspace init --admin NAME" in line
    assert not missing.exists() and not missing.parent.exists()
    refused(capsys, "--workspace", missing, "audit", "verify")
    assert not missing.exists()


def test_usage_errors_exit_2(capsys, path):
    with pytest.raises(SystemExit) as caught:
        main(["--workspace", str(path), "project", "create", "X", "--task", "clustering", "--target", "y"])
    assert caught.value.code == 2
    assert "invalid choice: 'clustering'" in capsys.readouterr().err
    assert not path.exists()


def test_real_subprocess(capsys, ready):
    path, _ = ready
    close_database(path)  # DuckDB lets one process hold the file
    done = subprocess.run([sys.executable, "-m", "lifecycle", "--workspace", str(path), "--json",
                           "project", "list"],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert [p["name"] for p in json.loads(done.stdout)] == ["Churn"]
