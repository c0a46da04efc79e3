"""Live replay through the real scoring service (its own process, on a free localhost port): every
row sent is logged, the drift reaches the log, labels arrive at ``/feedback`` after their delay,
the rate is kept, a cancel stops it; the app's live traffic (demo workspaces only) and the CLI."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import duckdb
import pytest

from lifecycle.cli import main as cli_main
from lifecycle.clock import utc_now
from lifecycle.deploy import process, serving
from lifecycle.deploy.paths import log_dir
from lifecycle.monitor import live_traffic, simulate
from lifecycle.monitor.drift_spec import parse_drift
from lifecycle.monitor.history import write_history
from lifecycle.monitor.replay_rows import replay_rows
from lifecycle.monitor.row_stream import records_of
from lifecycle.store import settings
from lifecycle.store.db import close_database
from lifecycle.store.prediction_log import inputs_frame
from tests.unit.simulate_world import new_workspace, production_project, users


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A workspace whose project's service runs (logging every 0.2 s), and the held-out rows."""
    path = tmp_path_factory.mktemp("simulate-replay") / "w.duckdb"
    workspace = new_workspace(path)
    project = production_project(workspace)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LIFECYCLE_LOG_FLUSH_SECONDS", "0.2")
        status = serving.start(workspace, users(workspace)["analyst"], project)
    try:
        yield workspace, project, status.url, replay_rows(workspace, project)
    finally:
        live_traffic.stop_live_traffic()
        serving.stop(workspace, users(workspace)["analyst"], project)
        close_database(path)


def _inputs(frame):
    """The logged rows' inputs (typed columns and JSON, ``inputs_frame``), None where empty."""
    inputs = inputs_frame(frame)
    return inputs.astype(object).where(inputs.notna(), None)


def _logged(workspace, project, tag, kind="predictions", expected=None, timeout=15.0):
    """The log rows of requests ``sim-<tag>-…``, once ``expected`` of them are written."""
    folder = log_dir(workspace.path, project.id) / kind
    deadline = time.monotonic() + timeout
    while True:
        found = duckdb.sql(f"SELECT * FROM read_parquet('{folder}/*.parquet', union_by_name = true) "
                           f"WHERE request_id LIKE 'sim-{tag}-%' "
                           "ORDER BY \"time\", request_id, \"row\"").df() if list(folder.glob("*.parquet")) else None
        count = 0 if found is None else len(found)
        if (expected is None and count) or count == expected or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_every_row_sent_is_logged_and_every_label_comes_after_its_delay(served):
    workspace, project, url, rows = served
    summary = simulate.replay(url, rows, n_rows=60, rate=200, batch_rows=7, label_delay=1.0, label_share=1.0, seed=1)
    assert (summary.rows_sent, summary.rows_answered, summary.requests, summary.refused) == (60, 60, 9, 0)
    assert (summary.labels_sent, summary.labels_pending, summary.labels_refused) == (60, 0, 0)
    assert not summary.cancelled
    assert summary.seconds >= 1.0  # it waited for the last labels
    logged = _logged(workspace, project, summary.tag, expected=60)
    assert len(logged) == 60 and set(logged["route"]) == {"predict"} and set(logged["status"]) == {200}
    assert logged.groupby("request_id").size().sort_index().tolist() == [7] * 8 + [4]
    labels = _logged(workspace, project, summary.tag, "feedback", expected=60)
    joined = labels.merge(logged, on=["request_id", "row"], suffixes=("_label", ""))
    assert len(joined) == 60
    assert ((joined["time_label"] - joined["time"]) >= timedelta(seconds=1.0)).all()
    truth = {tuple(r.values()): label for r, label in zip(records_of(rows.frame), rows.labels)}
    assert all(truth[tuple(row.values())] == json.loads(label)
               for row, label in zip(_inputs(joined).to_dict("records"), joined["label"]))


def test_the_drift_reaches_the_log_from_its_row_on(served):
    workspace, project, url, rows = served
    summary = simulate.replay(url, rows, n_rows=40, rate=400, batch_rows=10,
                              drift=parse_drift("shift:age=+10;after:20"),
                              label_share=0.0, seed=2)
    assert summary.drifted_rows == 20 and summary.labels_sent == 0
    logged = _logged(workspace, project, summary.tag, expected=40)
    known = {tuple(r.values()) for r in records_of(rows.frame)}
    for position, row in enumerate(_inputs(logged).to_dict("records")):
        if position >= 20:
            row["age"] -= 10
        assert tuple(row.values()) in known, position


def test_the_rate_is_kept_and_a_cancel_stops_after_the_current_request(served):
    workspace, project, url, rows = served
    paced = simulate.replay(url, rows, n_rows=40, rate=40, batch_rows=4, label_share=0.0, seed=3)
    assert paced.seconds >= (40 - 4) / 40
    cancel = simulate.threading.Event()
    stopped = simulate.replay(url, rows, n_rows=1000, rate=50, batch_rows=5, label_delay=60, seed=4, cancel=cancel,
                              progress=lambda fraction, message: cancel.set())
    assert stopped.cancelled and stopped.rows_sent == 5 and stopped.labels_pending == 5 and stopped.labels_sent == 0


def test_nothing_listening_is_said_plainly(served):
    _, _, _, rows = served
    port = process.free_port()
    with pytest.raises(simulate.ServiceUnreachable, match=f"http://127.0.0.1:{port} does not answer"):
        simulate.replay(f"http://127.0.0.1:{port}", rows, n_rows=3, rate=10)


def test_cli_replays_through_the_running_service(served, capsys):
    workspace, project, url, rows = served
    code = cli_main(["--workspace", str(workspace.path), "--json", "simulate", "--project", project.name, "--rows",
                     "12", "--rate", "100", "--drift", "weight:city=east:3", "--label-delay", "0"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and (out["rows_answered"], out["labels_sent"], out["url"]) == (12, 12, url)
    assert len(_logged(workspace, project, out["tag"], expected=12)) == 12


def test_live_traffic_runs_only_in_a_demo_with_history_and_flows_through_the_service(served, monkeypatch):
    workspace, project, url, rows = served
    monkeypatch.setattr(live_traffic, "CHUNK_SECONDS", 0.5)
    assert live_traffic.start_live_traffic(workspace, rate=20) == []  # not a demo workspace
    with workspace.db.transaction() as cursor:
        settings.put(cursor, "demo", "1")
    try:
        assert live_traffic.start_live_traffic(workspace, rate=20) == []  # a demo, but no simulated history
        assert live_traffic.start_live_traffic(workspace, rate=0) == []
        write_history(workspace, project.id, days=1, rows_per_day=10, drift="shift:age=+10", label_delay=0)
        began = utc_now()
        (traffic,) = live_traffic.start_live_traffic(workspace, rate=20)
        assert live_traffic.start_live_traffic(workspace, rate=20) == [traffic]  # once per process
        deadline = time.monotonic() + 20
        while traffic.rows_sent < 20 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert live_traffic.stop_live_traffic(workspace.path) == 1 and not traffic.running
        assert traffic.rows_sent >= 20 and traffic.last_error is None
        folder = log_dir(workspace.path, project.id) / "predictions"
        time.sleep(0.5)  # the service's last flush
        live = duckdb.execute(f"SELECT * FROM read_parquet('{folder}/*.parquet', union_by_name = true) "
                              "WHERE route = 'predict' AND request_id LIKE 'sim-%' AND \"time\" >= ?", [began]).df()
        assert len(live) >= 20
        known = {tuple(r.values()) for r in records_of(rows.frame)}
        shifted = _inputs(live).to_dict("records")
        assert all((r["age"] - 10, r["hours"], r["city"]) in known for r in shifted)  # the history's drift goes on
    finally:
        with workspace.db.transaction() as cursor:
            settings.put(cursor, "demo", "0")
