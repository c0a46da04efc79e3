"""Labels joined to predictions: the one rule (first valid label wins), every bad input counted and
worded, uploads checked whole and written as one segment, and the service naming unknown ids."""
from __future__ import annotations

import io
from datetime import timedelta

import pandas as pd
import pytest
from starlette.testclient import TestClient

from lifecycle import audit
from lifecycle.deploy.paths import feedback_dir, log_dir
from lifecycle.deploy.prediction_log import PredictionLog
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.monitor import feedback as feedback_upload
from lifecycle.monitor.labels import LabelRule, canonical, label_report, refusal
from lifecycle.store.prediction_log import feedback_rows
from tests.unit.monitor_traffic import START, make_project, simulate


@pytest.fixture
def logged(workspace, actors):
    project = make_project(workspace, actors["analyst"])
    rows = simulate(workspace, project, hours=1, per_hour=40, label_share=0.0)
    return project, rows


def _feedback(workspace, project, *items):
    log = PredictionLog(log_dir(workspace.path, project.id), flush_rows=10**6, flush_seconds=3600)
    for n, (request_id, label, *row) in enumerate(items):
        log.feedback(request_id, label, row=row[0] if row else 0, time=START + timedelta(hours=2, seconds=n))
    log.close()


def test_a_label_joins_its_prediction_and_the_first_valid_one_wins(workspace, logged):
    project, rows = logged
    first, second = rows[0][0], rows[1][0]
    _feedback(workspace, project, (first, "maybe"), (first, "yes"), (first, "no"), (second, "no"))
    report = label_report(workspace, project.id)
    assert report.joined == 2 and report.rows == 4
    assert report.duplicates == 1 and report.invalid == 1 and report.unknown == 0
    from lifecycle.monitor.labels import project_logs
    from lifecycle.store import monitor_labels
    found = project_logs(workspace, project.id)
    joined = monitor_labels.window_rows(found, 3600, ("no", "yes"), version_id=7, starts=[START])
    labels = dict(zip(joined["request_id"], joined["label"]))
    assert labels[first] == "yes"  # 'maybe' does not count, then the first valid label wins over 'no'
    assert labels[second] == "no"
    assert joined["label"].notna().sum() == 2 and len(joined) == 40


def test_each_bad_label_is_counted_and_worded_with_the_fix(workspace, logged):
    project, rows = logged
    known = rows[2][0]
    _feedback(workspace, project, ("nobody-asked", "yes"), (known, {"a": 1}), (known, 3.5), (known, True),
              (known, "yes"), (known, "no"))
    report = label_report(workspace, project.id)
    assert (report.unknown, report.invalid, report.duplicates, report.joined) == (1, 3, 1, 1)
    unknown, invalid, duplicate = report.messages
    assert "'nobody-asked' row 0" in unknown and "X-Request-Id" in unknown
    assert "wrong type" in invalid and "not a class" in invalid and "one of 'no', 'yes'" in invalid
    assert "first label counts" in duplicate
    assert not report.clean


def test_a_feedback_row_for_another_row_of_the_request_does_not_join(workspace, logged):
    project, rows = logged
    _feedback(workspace, project, (rows[0][0], "yes", 3))
    report = label_report(workspace, project.id)
    assert (report.unknown, report.joined) == (1, 0)


@pytest.mark.parametrize("value, expected", [
    ("yes", None), (" no", "not one of the target's classes"), ("maybe", "not one of the target's classes ('no', 'yes')"),
    ({"a": 1}, "is a dict, not a single value"), (None, "empty"), ("", "empty"), (True, "not one of"),
])
def test_refusal_names_the_value_and_the_classes(value, expected):
    rule = LabelRule(task="binary", classes=("no", "yes"), positive="yes")
    why = refusal(rule, value)
    assert why is None if expected is None else expected in why


def test_regression_labels_must_be_numbers():
    rule = LabelRule(task="regression", classes=())
    assert refusal(rule, 3.5) is None and refusal(rule, "4") is None
    assert "not a number" in refusal(rule, "four") and "not a number" in refusal(rule, True)
    assert "not a finite number" in refusal(rule, float("inf"))


def test_canonical_reads_an_integral_float_as_an_integer():
    assert canonical(1.0) == "1" and canonical(1.5) == "1.5" and canonical("007") == "007" and canonical(None) is None


# --- uploads ------------------------------------------------------------------------------------

def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _segments(workspace, project):
    return sorted(feedback_dir(log_dir(workspace.path, project.id)).glob("*.parquet"))


def test_an_upload_is_written_as_one_segment_with_its_audit_event(workspace, actors, logged):
    project, rows = logged
    ids = [r[0] for r in rows[:5]]
    data = _csv(pd.DataFrame({"request_id": ids + [ids[0], "ghost"], "label": ["yes", "no", "yes", "no", "yes", "no",
                                                                             "yes"]}))
    upload = feedback_upload.upload_feedback(workspace, actors["analyst"], project.id, data, "labels.csv")
    assert upload.rows == 7 and upload.unknown == 1 and upload.unknown_examples == ("ghost",)
    assert upload.repeated_in_file == 1 and upload.already_labelled == 0
    assert any("'ghost'" in m for m in upload.messages) and any("first label counts" in m for m in upload.messages)
    assert len(_segments(workspace, project)) == 1
    logged_rows, _ = feedback_rows(feedback_dir(log_dir(workspace.path, project.id)))
    assert logged_rows["request_id"].tolist() == ids + [ids[0], "ghost"]
    event = audit.recent_events(workspace, entity_prefix=f"project:{project.id}")[-1]
    assert event.action == "monitor.feedback_uploaded" and event.details["rows"] == 7
    assert event.details["segment"] == upload.segment
    report = label_report(workspace, project.id)
    assert (report.joined, report.unknown, report.duplicates) == (5, 1, 1)
    again = feedback_upload.upload_feedback(workspace, actors["analyst"], project.id, _csv(
        pd.DataFrame({"request_id": ids[:2], "label": ["no", "no"]})), "again.csv")
    assert again.already_labelled == 2 and any("earlier label counts" in m for m in again.messages)


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"id": ["a"], "label": ["yes"]}), "has no 'request_id' column (its columns: 'id', 'label')"),
    (pd.DataFrame({"request_id": ["a"], "truth": ["yes"]}), "has no 'label' column"),
    (pd.DataFrame({"request_id": [], "label": []}), "has a header but no rows"),
])
def test_an_upload_without_the_columns_is_refused_and_writes_nothing(workspace, actors, logged, frame, message):
    project, _ = logged
    with pytest.raises(InputError) as refused:
        feedback_upload.upload_feedback(workspace, actors["analyst"], project.id, _csv(frame), "labels.csv")
    assert refused.value.problem.startswith("labels.csv ") and message in refused.value.problem
    assert _segments(workspace, project) == []


def test_an_upload_with_a_bad_label_names_the_rows_and_writes_nothing(workspace, actors, logged):
    project, rows = logged
    data = _csv(pd.DataFrame({"request_id": [rows[0][0], rows[1][0], "", rows[3][0]],
                              "row": ["0", "x", "0", ""], "label": ["yes", "no", "yes", "maybe"]}))
    with pytest.raises(InputError) as refused:
        feedback_upload.upload_feedback(workspace, actors["analyst"], project.id, data, "labels.csv")
    text = str(refused.value)
    assert "3 of 4 rows cannot be recorded" in text
    assert f"data row 1 (request id {rows[1][0]!r}): row 'x' is not a row position" in text
    assert "data row 2: the request id is empty" in text
    assert f"data row 3 (request id {rows[3][0]!r}): the label 'maybe' is not one of the target's classes" in text
    assert "nothing was recorded" in text
    assert _segments(workspace, project) == []


def test_an_upload_for_another_project_is_refused(workspace, actors, logged):
    project, _ = logged
    data = _csv(pd.DataFrame({"request_id": ["x1", "x2"], "label": ["yes", "no"]}))
    with pytest.raises(InputError, match="None of the 2 request ids in labels.csv"):
        feedback_upload.upload_feedback(workspace, actors["analyst"], project.id, data, "labels.csv")
    assert _segments(workspace, project) == []


def test_a_parquet_upload_and_an_unreadable_or_unknown_file(workspace, actors, logged):
    project, rows = logged
    buffer = io.BytesIO()
    pd.DataFrame({"request_id": [rows[0][0]], "label": ["yes"], "row": [0]}).to_parquet(buffer)
    assert feedback_upload.upload_feedback(workspace, actors["analyst"], project.id, buffer.getvalue(),
                                           "labels.parquet").rows == 1
    with pytest.raises(InputError, match="cannot be read as PARQUET"):
        feedback_upload.upload_feedback(workspace, actors["analyst"], project.id, b"PAR1 torn", "labels.parquet")
    with pytest.raises(InputError, match="must be CSV, TSV or Parquet"):
        feedback_upload.upload_feedback(workspace, actors["analyst"], project.id, b"x", "labels.xlsx")


def test_only_the_roles_that_bring_data_in_may_upload_labels(workspace, actors, logged):
    project, rows = logged
    data = _csv(pd.DataFrame({"request_id": [rows[0][0]], "label": ["yes"]}))
    for role in ("reviewer", "stakeholder"):
        with pytest.raises(PermissionDenied, match="may not ingest data"):
            feedback_upload.upload_feedback(workspace, actors[role], project.id, data, "labels.csv")
    assert _segments(workspace, project) == []


def test_an_upload_to_an_empty_log_says_what_to_do_first(workspace, actors):
    project = make_project(workspace, actors["analyst"])
    data = _csv(pd.DataFrame({"request_id": ["a"], "label": ["yes"]}))
    with pytest.raises(InputError, match="prediction log of 'churn' is empty"):
        feedback_upload.upload_feedback(workspace, actors["analyst"], project.id, data, "labels.csv")


# --- the service -------------------------------------------------------------------------------

def test_the_service_names_feedback_ids_it_has_not_answered(workspace, actors, tmp_path):
    from lifecycle.deploy.service import create_app
    from lifecycle.deploy.settings import ServeSettings
    from tests.unit.deploy_fixtures import deploy, register, rows

    entry, _, X = register(workspace, actors["analyst"])
    deploy(tmp_path / "deploy", entry)
    settings = ServeSettings(flush_rows=10_000, flush_seconds=60)
    with TestClient(create_app(tmp_path / "deploy", tmp_path / "logs", settings=settings, watch=False)) as client:
        scored = client.post("/predict", json=rows(X, 1)[0], headers={"X-Request-Id": "known-1"}).json()
        answer = client.post("/feedback", json=[{"request_id": scored["request_id"], "label": "yes"},
                                                {"request_id": "ghost-9", "label": "no"},
                                                {"request_id": "ghost-9", "label": "no", "row": 1}]).json()
        assert answer["recorded"] == 3 and answer["unknown_request_ids"] == ["ghost-9"] and answer["unknown"] == 1
        assert "X-Request-Id" in answer["note"]
    # a restarted service still knows the ids in the log it wrote
    with TestClient(create_app(tmp_path / "deploy", tmp_path / "logs", settings=settings, watch=False)) as client:
        assert client.post("/feedback", json={"request_id": "known-1", "label": "no"}).json() == {"recorded": 1}


def test_a_torn_feedback_segment_is_skipped_and_named(workspace, logged):
    from lifecycle.monitor.performance import refresh_performance
    from lifecycle.store.prediction_log import TornSegment

    project, rows = logged
    _feedback(workspace, project, (rows[0][0], "yes"))
    torn = feedback_dir(log_dir(workspace.path, project.id)) / "20260302T000000000000-torn.parquet"
    torn.write_bytes(b"PAR1 cut short")
    with pytest.warns(TornSegment, match="torn.parquet"):
        result = refresh_performance(workspace, project.id, size_seconds=3600, now=START + timedelta(days=1))
    assert result.labels.joined == 1 and any(s.startswith(torn.name) for s in result.skipped)
