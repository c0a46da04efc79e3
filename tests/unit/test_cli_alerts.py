"""``feedback`` and ``alerts list|ack|resolve|webhook`` from the command line: exit 0, 2 on bad input
with one line on stderr and nothing written."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from lifecycle.cli import main
from lifecycle.deploy.paths import feedback_dir, log_dir
from lifecycle.monitor import alerts
from tests.unit.monitor_traffic import make_project, simulate


@pytest.fixture(autouse=True)
def no_default_user(monkeypatch):
    monkeypatch.delenv("LIFECYCLE_USER", raising=False)
    monkeypatch.delenv("LIFECYCLE_WORKSPACE", raising=False)


def run(capsys, workspace, *argv):
    code = main(["--workspace", str(workspace.path), *[str(a) for a in argv]])
    out, err = capsys.readouterr()
    return code, out, err


def test_feedback_records_a_file_and_refuses_a_bad_one_writing_nothing(capsys, workspace, actors, tmp_path):
    project = make_project(workspace, actors["analyst"])
    rows = simulate(workspace, project, hours=1, per_hour=20, label_share=0.0)
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"id": [rows[0][0]], "label": ["yes"]}).to_csv(bad, index=False)
    code, out, err = run(capsys, workspace, "--user", "analyst", "feedback", bad, "--project", "churn")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "bad.csv has no 'request_id' column" in err
    assert list(feedback_dir(log_dir(workspace.path, project.id)).glob("*.parquet")) == []

    good = tmp_path / "labels.csv"
    pd.DataFrame({"request_id": [rows[0][0], rows[1][0], "ghost"], "label": ["yes", "no", "no"]}).to_csv(
        good, index=False)
    code, out, err = run(capsys, workspace, "--user", "analyst", "feedback", good, "--project", "churn")
    assert code == 0, err
    assert out.startswith("Recorded 3 label(s) for churn from labels.csv") and "'ghost'" in out
    code, out, _ = run(capsys, workspace, "--user", "analyst", "--json", "feedback", good, "--project", "churn")
    assert code == 0 and json.loads(out)["already_labelled"] == 3  # the unknown one too


def test_alerts_list_ack_resolve_and_webhook(capsys, workspace, actors):
    project = make_project(workspace, actors["analyst"])
    alert = alerts.raise_alert(workspace, project_id=project.id, model_version_id=None, kind="drift",
                               key="drift:age", title="Drift confirmed in 'age'", evidence={"psi": 0.3})
    code, out, _ = run(capsys, workspace, "alerts", "list", "--state", "open")
    assert code == 0 and out.startswith(f"{alert.id}\topen\tdrift\t") and "Drift confirmed in 'age'" in out
    code, out, err = run(capsys, workspace, "--user", "stakeholder", "alerts", "ack", alert.id, "--comment", "seen")
    assert code == 2 and "may not acknowledge and resolve monitoring alerts" in err
    code, out, _ = run(capsys, workspace, "--user", "reviewer", "alerts", "ack", alert.id, "--comment", "seen")
    assert code == 0 and out.strip() == f"Alert {alert.id} acknowledged by reviewer."
    code, out, _ = run(capsys, workspace, "--user", "analyst", "--json", "alerts", "resolve", alert.id,
                       "--comment", "fixed upstream")
    assert code == 0 and json.loads(out)["state"] == "resolved" and json.loads(out)["resolved_comment"] == "fixed upstream"
    code, _, err = run(capsys, workspace, "--user", "analyst", "alerts", "resolve", alert.id, "--comment", "again")
    assert code == 2 and "already resolved" in err
    code, out, _ = run(capsys, workspace, "--json", "alerts", "list", "--project", "churn", "--state", "open")
    assert code == 0 and json.loads(out) == []

    code, _, err = run(capsys, workspace, "--user", "analyst", "alerts", "webhook", "--project", "churn",
                       "--url", "ftp://example.com")
    assert code == 2 and "not an http or https URL" in err
    code, out, _ = run(capsys, workspace, "--user", "analyst", "alerts", "webhook", "--project", "churn",
                       "--url", "https://hooks.example.com/T/B/SECRET")
    assert code == 0 and out.strip() == "churn's alerts are posted to hooks.example.com." and "SECRET" not in out
    code, out, _ = run(capsys, workspace, "--user", "analyst", "alerts", "webhook", "--project", "churn", "--url", "")
    assert code == 0 and "has no webhook now" in out
    fresh = alerts.raise_alert(workspace, project_id=project.id, model_version_id=None, kind="drift",
                               key="drift:hours", title="Drift confirmed in 'hours'", evidence={"psi": 0.4})
    code, out, _ = run(capsys, workspace, "--user", "analyst", "--json", "alerts", "webhook", "--project", "churn",
                       "--url", "https://hooks.example.com/T/B/SECRET", "--no-send-open")
    assert code == 0 and json.loads(out)["queued_alerts"] == []
    code, out, _ = run(capsys, workspace, "--user", "analyst", "alerts", "webhook", "--project", "churn",
                       "--url", "https://hooks.example.com/T/B/SECRET")
    assert code == 0 and "1 open alert(s) raised before are queued" in out
    assert alerts.get_alert(workspace, fresh.id).delivery == "pending"
