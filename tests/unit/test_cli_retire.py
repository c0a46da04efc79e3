"""Stage 9's commands, headless: retire, verify-archive, retention, cleanup and handover, with the exit
codes a pipeline reads and one line on stderr for a refusal."""
from __future__ import annotations

import json

import pytest

from lifecycle.cli import main
from lifecycle.store.db import close_database
from tests.unit import retire_fixtures as rf


@pytest.fixture
def cli(workspace, actors, project, capsys):
    past = rf.history(workspace, actors, project)
    rf.log_segments(workspace, project.id, past.v1.id, [[40, 41], [0.5]])
    path = workspace.path
    close_database(path)

    def run(*argv: str, user: str = "admin"):
        code = main(["--workspace", str(path), "--user", user, "--json", *argv])
        out, err = capsys.readouterr()
        return code, json.loads(out) if out.strip() else {}, err

    yield run, past, path
    close_database(path)


def test_retire_needs_a_replacement_or_a_confirmation_for_production(cli):
    run, past, path = cli
    code, _, err = run("retire", str(past.v1.id), "--reason", "pilot over")
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and "--confirm-no-replacement" in err
    code, _, err = run("retire", str(past.v1.id), "--reason", "pilot over", "--confirm-no-replacement",
                       user="stakeholder")
    assert code == 2 and "may not retire model versions" in err
    code, done, _ = run("retire", str(past.v1.id), "--reason", "pilot over", "--confirm-no-replacement")
    assert code == 0 and done["state"] == "retired" and done["serving"] == [] and done["files"] == 7
    assert (path.with_suffix(".files") / done["archive"] / "CHECKSUMS.sha256").is_file()
    code, check, _ = run("verify-archive", str(past.v1.id))
    assert code == 0 and check["ok"]
    card = path.with_suffix(".files") / done["archive"] / "MODEL_CARD.md"
    card.write_text("edited\n")
    code, check, _ = run("verify-archive", str(past.v1.id))
    assert code == 1 and check["problems"] == ["MODEL_CARD.md changed: its SHA-256 no longer matches the manifest."]
    assert run("verify-archive", str(past.v2.id))[0] == 2  # not retired: no archive


def test_retire_with_a_replacement_moves_production(cli):
    run, past, _ = cli
    code, done, _ = run("retire", str(past.v1.id), "--reason", "v2 is better", "--replacement", str(past.v2.id),
                        user="analyst")
    assert code == 0 and done["serving"] == [past.v2.id] and done["replacement_id"] == past.v2.id
    code, shown, _ = run("deployment", "--project", "Churn")
    assert code == 0 and [v["version_id"] for v in shown["versions"]] == [past.v2.id]


def test_cleanup_dry_run_then_confirm_by_an_admin(cli):
    run, past, _ = cli
    assert run("retire", str(past.v1.id), "--reason", "v2 is better", "--replacement", str(past.v2.id))[0] == 0
    code, rule, _ = run("retention", "--project", "Churn", "--log-days", "30")
    assert code == 0 and (rule["log_days"], rule["datasets"]) == (30, True)
    code, plan, _ = run("cleanup", "--project", "Churn", "--dry-run")
    assert code == 0 and plan["dry_run"]
    assert [i["kind"] for i in plan["items"]] == ["prediction_segment", "feedback_segment", "dataset_version",
                                                  "dataset_version"]
    code, _, err = run("cleanup", "--project", "Churn", "--confirm", user="analyst")
    assert code == 2 and "may not set retention rules and delete data" in err
    code, done, _ = run("cleanup", "--project", "Churn", "--confirm")
    assert code == 0 and [(i["kind"], i["name"], i["rows"], i["bytes"]) for i in done["items"]] == [
        (i["kind"], i["name"], i["rows"], i["bytes"]) for i in plan["items"]]
    assert all(len(i["sha256"]) == 64 for i in done["items"])
    code, again, _ = run("cleanup", "--project", "Churn", "--confirm")
    assert code == 0 and again["cleanup_id"] is None  # nothing left to go
    assert run("cleanup", "--project", "Churn", "--dry-run", "--log-days", "-3")[0] == 2


@pytest.mark.parametrize("fmt, marker", [("md", "# Hand-over report: Churn"), ("html", "<!DOCTYPE html>")])
def test_handover_writes_the_report(cli, tmp_path, fmt, marker):
    run, past, _ = cli
    out = tmp_path / f"handover.{fmt}"
    code, written, _ = run("handover", "--project", "Churn", "--format", fmt, "--out", str(out), user="stakeholder")
    assert code == 0 and written["out"] == str(out)
    assert out.read_text().startswith(marker) and "Sign-offs" in out.read_text()
    assert run("handover", "--project", "Nope", "--format", fmt, "--out", str(out))[0] == 2
