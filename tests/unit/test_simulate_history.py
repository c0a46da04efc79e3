"""Simulated history: days of traffic written into the real prediction and feedback logs, scored by
the production model as the service scores, marked as simulated, with the planted shift visible in
the log, delayed labels, the same log for the same seed, and nothing written on bad input. Also the
rows the simulator draws (replay, re-weighting, label-rate resampling) and the ``simulate`` CLI."""
from __future__ import annotations

import json
import math
import shutil
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pytest

from lifecycle import audit
from lifecycle.cli import main as cli_main
from lifecycle.deploy.paths import log_dir
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.models import registry
from lifecycle.monitor import history, marks
from lifecycle.monitor.drift_spec import parse_drift
from lifecycle.monitor.replay_rows import cached_replay_rows, replay_rows, simulation_dir
from lifecycle.monitor.row_stream import RowStream, records_of
from lifecycle.store.db import close_database
from lifecycle.store.prediction_log import inputs_frame
from tests.unit.simulate_world import new_workspace, production_project, users

END = datetime(2026, 1, 10, 0, 0, 0)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("simulate-history") / "w.duckdb"
    workspace = new_workspace(path)
    project = production_project(workspace)
    yield workspace, project
    close_database(path)


@pytest.fixture
def clean(world):
    """Each test starts from an empty log (and no history record)."""
    workspace, project = world
    yield workspace, project
    shutil.rmtree(log_dir(workspace.path, project.id), ignore_errors=True)
    (simulation_dir(workspace.path, project.id) / history.HISTORY_FILE).unlink(missing_ok=True)


def _log(workspace, project, kind="predictions"):
    folder = log_dir(workspace.path, project.id) / kind
    return duckdb.sql(f"SELECT * FROM read_parquet('{folder}/*.parquet', union_by_name = true) "
                      "ORDER BY \"time\", request_id, \"row\"").df()


def _inputs(frame):
    """The logged rows' inputs (typed columns and JSON, ``inputs_frame``), None where empty."""
    inputs = inputs_frame(frame)
    return inputs.astype(object).where(inputs.notna(), None)


def test_history_holds_the_days_the_shift_and_the_delayed_labels(clean):
    workspace, project = clean
    rows = replay_rows(workspace, project)
    summary = history.write_history(workspace, project.id, days=3, rows_per_day=600, drift="shift:age=+10",
                                    start_drift_day=2, label_delay=3600, label_share=0.5, seed=3, end=END,
                                    actor=users(workspace)["analyst"])
    assert (summary.start, summary.end, summary.rows, summary.requests) == (END - timedelta(days=3), END, 1800, 180)
    assert summary.drifted_rows == 600 and summary.drift_from >= END - timedelta(days=1)
    logged = _log(workspace, project)
    assert len(logged) == 1800 and logged["request_id"].str.startswith(marks.SIMULATED_PREFIX).all()
    assert set(logged["route"]) == {marks.HISTORY_ROUTE} and set(logged["status"]) == {200}
    assert set(logged["role"]) == {"answer"} and logged["time"].between(summary.start, summary.end).all()
    assert logged.groupby("request_id").size().eq(10).all()
    # The planted shift, per day, in the log: 600 rows a day are whole passes over the held-out rows,
    # so a clean day's mean age is theirs exactly and the drifted day's is 10 more.
    day = ((logged["time"] - summary.start) // timedelta(days=1)).astype(int)
    assert logged["inputs"].isna().all()  # every input typed by the version's schema (deploy.log_inputs)
    age = _inputs(logged)["age"].astype(float)
    means = age.groupby(day).mean()
    held_out = rows.frame["age"].mean()
    assert means.tolist() == pytest.approx([held_out, held_out, held_out + 10], abs=1e-9)
    assert logged.groupby(day).size().tolist() == [600, 600, 600]
    # Predictions and probabilities are the production model's own.
    pipeline = registry.load_pipeline(workspace, registry.get_version(workspace, summary.version_id))
    inputs = rows.frame.iloc[:0]._constructor.from_records(_inputs(logged).to_dict("records"))
    probabilities = pipeline.predict_proba(inputs.astype({"city": object}))
    yes = list(pipeline.classes_).index(1)
    logged_yes = logged["outputs"].map(lambda text: json.loads(text)["yes"])
    assert logged_yes.to_numpy() == pytest.approx(probabilities[:, yes], abs=1e-9)
    assert (logged["prediction"].map(json.loads) == np.where(probabilities[:, yes] > 0.5, "yes", "no")).all()
    # Labels: the true label of each labelled row, an hour after its prediction, none after the end.
    labels = _log(workspace, project, "feedback")
    assert len(labels) == summary.labels and labels["request_id"].str.startswith("sim-").all()
    joined = labels.merge(logged, on=["request_id", "row"], suffixes=("_label", ""))
    assert len(joined) == len(labels)
    assert ((joined["time_label"] - joined["time"]) == timedelta(hours=1)).all()
    assert (joined["time_label"] < END).all()
    late = logged[logged["time"] + timedelta(hours=1) >= END]
    assert summary.labels_pending > 0 and summary.labels + summary.labels_pending == pytest.approx(900, abs=90)
    assert summary.labels_pending <= len(late)
    truth = {(r["age"], r["hours"], r["city"]): label for r, label in zip(records_of(rows.frame), rows.labels)}
    assert len(truth) == len(rows)  # each held-out row told apart by its inputs
    shifted = ((joined["time"] - summary.start) // timedelta(days=1)).astype(int).eq(2).to_numpy()
    for row, label, moved in zip(_inputs(joined).to_dict("records"), joined["label"], shifted):
        assert truth[(row["age"] - 10 * moved, row["hours"], row["city"])] == json.loads(label)
    # On record: the history file live traffic continues from, and the audit trail.
    (run,) = history.history_runs(workspace.path, project.id)
    assert (run["drift"], run["live_drift"], run["rows"]) == ("shift:age=+10", "shift:age=+10", 1800)
    event = audit.recent_events(workspace, limit=1)[0]
    assert (event.action, event.actor, event.details["drift"]) == ("monitor.history_simulated", "analyst",
                                                                   "shift:age=+10")


def test_the_same_seed_writes_the_same_log(clean):
    workspace, project = clean

    def written(seed):
        history.write_history(workspace, project.id, days=2, rows_per_day=150,
                              drift="weight:city=east:5;label-rate:0.7",
                              start_drift_day=1, label_share=0.6, seed=seed, end=END)
        logged, labels = _log(workspace, project).drop(columns="latency_ms"), _log(workspace, project, "feedback")
        shutil.rmtree(log_dir(workspace.path, project.id))
        return logged, labels

    first, again, other = written(7), written(7), written(8)
    assert first[0].equals(again[0]) and first[1].equals(again[1])
    assert not _inputs(first[0]).equals(_inputs(other[0]))


def test_history_goes_before_traffic_already_logged(clean):
    workspace, project = clean
    first = history.write_history(workspace, project.id, days=1, rows_per_day=20, seed=1, end=END)
    oldest = _log(workspace, project)["time"].min()
    second = history.write_history(workspace, project.id, days=1, rows_per_day=20, seed=1)
    assert second.end <= oldest and second.end > first.start
    assert _log(workspace, project).groupby("request_id").ngroups == 4  # no request id written twice
    assert len(history.history_runs(workspace.path, project.id)) == 2


@pytest.mark.parametrize("settings, message", [
    (dict(drift="shift:income=+3"), "names no input column"),
    (dict(drift="weight:city=west:2"), "names a category 'city' does not have"),
    (dict(drift="shift:age"), "does not say which column"),
    (dict(days=0), "0 days of history"),
    (dict(start_drift_day=2), "cannot start on day 2 of a 2-day history"),
    (dict(label_share=1.5), "outside 0 to 1"),
    (dict(label_delay=-1.0), "is not a delay"),
    (dict(rows_per_day=10 ** 8), "over the limit"),
])
def test_bad_input_writes_nothing(clean, settings, message):
    workspace, project = clean
    with pytest.raises(InputError, match=message):
        history.write_history(workspace, project.id, **{"days": 2, "rows_per_day": 10, **settings})
    assert not log_dir(workspace.path, project.id).exists()


def test_a_stakeholder_may_not_write_history(clean):
    workspace, project = clean
    with pytest.raises(PermissionDenied, match="may not write simulated traffic"):
        history.write_history(workspace, project.id, days=1, rows_per_day=10, actor=users(workspace)["stakeholder"])
    assert not log_dir(workspace.path, project.id).exists()


# --- the rows drawn ----------------------------------------------------------------------------


def test_clean_rows_are_replayed_each_once_per_pass_as_json_values(world):
    workspace, project = world
    rows = replay_rows(workspace, project)
    drawn = RowStream(rows, parse_drift("none"), seed=0).take(np.zeros(2 * len(rows), dtype=bool))
    assert sorted(drawn.source[:len(rows)]) == list(range(len(rows)))
    assert sorted(drawn.source[len(rows):]) == list(range(len(rows)))
    assert drawn.labels == rows.labels[drawn.source].tolist() and set(drawn.labels) == {"yes", "no"}
    record = drawn.records[0]
    assert type(record["age"]) is int and type(record["city"]) is str
    assert any(r["hours"] is None for r in drawn.records) and all(set(r) == {"age", "hours", "city"}
                                                                  for r in drawn.records)


def test_a_label_rate_and_a_category_weight_resample_to_what_they_ask(world):
    workspace, project = world
    rows = replay_rows(workspace, project)
    n = 4000
    base_positive = rows.positives.mean()
    drawn = RowStream(rows, parse_drift("label-rate:0.8"), seed=1).take(np.ones(n, dtype=bool))
    share = np.mean([label == "yes" for label in drawn.labels])
    assert abs(base_positive - 0.8) > 0.2 and share == pytest.approx(0.8, abs=4 * math.sqrt(0.8 * 0.2 / n))
    east = (rows.frame["city"] == "east").to_numpy()
    expected = 4 * east.sum() / (4 * east.sum() + (~east).sum())
    drawn = RowStream(rows, parse_drift("weight:city=east:4"), seed=2).take(np.ones(n, dtype=bool))
    share = np.mean([r["city"] == "east" for r in drawn.records])
    assert share == pytest.approx(expected, abs=4 * math.sqrt(expected * (1 - expected) / n))
    drawn = RowStream(rows, parse_drift("weight:city=east:0"), seed=3).take(np.ones(500, dtype=bool))
    assert not any(r["city"] == "east" for r in drawn.records)
    with pytest.raises(InputError, match="leave no held-out row"):
        RowStream(rows, parse_drift("weight:city=east:0;weight:city=north:0;weight:city=south:0"), seed=0)


def test_a_shift_moves_only_the_drifted_rows(world):
    workspace, project = world
    rows = replay_rows(workspace, project)
    mask = np.arange(len(rows)) % 2 == 0
    drawn = RowStream(rows, parse_drift("shift:age=+10;shift:hours=-2.5"), seed=4).take(mask)
    original = records_of(rows.frame.iloc[drawn.source].reset_index(drop=True))
    for record, before, moved in zip(drawn.records, original, mask):
        assert record["age"] == before["age"] + (10 if moved else 0) and type(record["age"]) is int
        assert record["hours"] == (None if before["hours"] is None else pytest.approx(before["hours"] - 2.5 * moved))


def test_the_copy_beside_the_workspace_serves_the_same_rows(world):
    workspace, project = world
    loaded = replay_rows(workspace, project)
    copied = cached_replay_rows(workspace.path, project.id)
    assert copied is not None and copied.version_id == loaded.version_id
    assert records_of(copied.frame) == records_of(loaded.frame) and copied.labels.tolist() == loaded.labels.tolist()


# --- the command line --------------------------------------------------------------------------


def test_cli_says_how_to_start_the_service_when_it_is_not_running(world, capsys):
    workspace, project = world
    code = cli_main(["--workspace", str(workspace.path), "simulate", "--project", project.name, "--rows", "5"])
    assert code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "The scoring service of Visits is not running" in error
    assert "python -m lifecycle serve --project 'Visits'" in error
    code = cli_main(["--workspace", str(workspace.path), "simulate", "--project", project.name, "--rows", "5",
                     "--drift", "shift:city=+1"])
    assert code == 2 and "not a number" in capsys.readouterr().err


def test_cli_writes_history(clean, capsys):
    workspace, project = clean
    code = cli_main(["--workspace", str(workspace.path), "--user", "analyst", "--json", "simulate", "--project",
                     project.name, "--rows", "300", "--history-days", "3", "--drift", "shift:age=+5",
                     "--drift-day", "1", "--label-delay", "0"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and (out["rows"], out["days"], out["drifted_rows"], out["labels_pending"]) == (300, 3, 200, 0)
    assert len(_log(workspace, project)) == 300 and len(_log(workspace, project, "feedback")) == 300
    code = cli_main(["--workspace", str(workspace.path), "--user", "stakeholder", "simulate", "--project",
                     project.name, "--rows", "30", "--history-days", "3"])
    assert code == 2 and "may not write simulated traffic" in capsys.readouterr().err


def test_serve_then_simulate_as_the_message_says(clean, capsys):
    """`python -m lifecycle serve` in another process (as the refusal suggests) counts as the project's
    running service, and `simulate` replays through it."""
    import os
    import subprocess
    import sys
    import time

    from lifecycle.deploy import process
    from lifecycle.deploy.paths import deploy_dir
    from tests.unit.simulate_world import ROOT

    workspace, project = clean
    port = process.free_port()
    server = subprocess.Popen([sys.executable, "-m", "lifecycle", "--workspace", str(workspace.path), "serve",
                               "--project", project.name, "--port", str(port)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "LIFECYCLE_LOG_FLUSH_SECONDS": "0.2"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not process.service_status(deploy_dir(workspace.path, project.id)).healthy:
            assert time.monotonic() < deadline and server.poll() is None, "serve did not come up"
            time.sleep(0.2)
        code = cli_main(["--workspace", str(workspace.path), "--json", "simulate", "--project", project.name,
                         "--rows", "8", "--rate", "80", "--label-delay", "0"])
        out = json.loads(capsys.readouterr().out)
        assert code == 0 and out["rows_answered"] == 8 and out["url"] == f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert len(_log(workspace, project)) == 8 and len(_log(workspace, project, "feedback")) == 8


def test_a_project_without_production_has_no_traffic(world):
    from lifecycle.problem import projects

    workspace, _ = world
    other = projects.create_project(workspace, users(workspace)["analyst"], name="Empty", task="binary", target="y",
                                    positive_class="yes")
    with pytest.raises(InputError, match="Nothing of 'Empty' is in production"):
        history.write_history(workspace, other.id, days=1, rows_per_day=5)
    assert not log_dir(workspace.path, other.id).exists()
