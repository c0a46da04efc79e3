"""The Monitor's traffic per window is incremental: a rerun with nothing new reads no segment, a late
segment or a deleted one changes exactly the windows it touches, and the numbers always equal a
count from the logged rows themselves."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow.parquet as pq
import pytest

from lifecycle import auth
from lifecycle.monitor.drift import log_folder
from lifecycle.monitor.traffic import traffic_series
from lifecycle.store import prediction_log as log_store
from lifecycle.store.db import close_database
from lifecycle.workspace import open_workspace
from tests.unit.monitor_drift_fixtures import START, served_project, traffic, write_log

HOUR = timedelta(hours=1)


@pytest.fixture
def served(tmp_path):
    workspace = open_workspace(tmp_path / "w.duckdb")
    admin = auth.init_admin(workspace, "admin")
    for name in ("analyst", "reviewer", "stakeholder"):
        auth.add_user(workspace, admin, name, name)
    actors = {user.role: user for user in auth.list_users(workspace)}
    project, version = served_project(workspace, actors)
    yield workspace, project.id, version
    close_database(workspace.path)


@pytest.fixture
def queries(monkeypatch):
    """How many DuckDB reads of the log the traffic windows made."""
    made = []
    original = log_store._query
    monkeypatch.setattr(log_store, "_query", lambda files, sql, params: made.append(files) or original(files, sql,
                                                                                                        params))
    return made


def _expected(workspace, project_id, since, until):
    """Requests, rows and p95 latency per hour counted with pandas from the logged rows."""
    rows, _ = log_store.prediction_rows(log_folder(workspace, project_id), since=since, until=until)
    out = []
    for hour in range(int((until - since) / HOUR)):
        start = since + hour * HOUR
        window = rows[(rows["time"] >= start) & (rows["time"] < start + HOUR)]
        first = window[window["row"].fillna(0) == 0]
        out.append((len(first), len(window),
                    None if first.empty else pytest.approx(float(np.percentile(first["latency_ms"], 95)))))
    return out


def _reads(queries, call):
    """The series ``call`` returns and the file lists of the log reads it made."""
    before = len(queries)
    series = call()
    return series, queries[before:]


def _seen(series):
    return [(w.requests, w.rows, w.p95_ms) for w in series.windows]


def test_reruns_read_only_what_changed_and_always_equal_the_rows(served, queries):
    workspace, project_id, version = served
    until = START + 3 * HOUR
    for hour in (0, 2):
        write_log(workspace, project_id, version, traffic(100, seed=hour), start=START + hour * HOUR, seconds=3000)
    def series():
        return _reads(queries, lambda: traffic_series(workspace, project_id, since=START, until=until,
                                                      size_seconds=3600))

    first, reads = series()
    assert [w.requests for w in first.windows] == [10, 0, 10] and len(reads) == 1
    assert _seen(first) == _expected(workspace, project_id, START, until)

    again, reads = series()
    assert _seen(again) == _seen(first) and reads == []  # nothing new: no read at all

    # A late segment for the first hour (a replica's buffer flushed late): only that window is read again.
    write_log(workspace, project_id, version, traffic(50, seed=7), start=START + 30 * timedelta(minutes=1),
              seconds=600, per_request=5)
    late, reads = series()
    assert [w.requests for w in late.windows] == [20, 0, 10] and [w.rows for w in late.windows] == [150, 0, 100]
    assert len(reads) == 1 and len(reads[0]) == 2  # the first hour's two segments, not the third hour's
    assert _seen(late) == _expected(workspace, project_id, START, until)

    # Retention deletes the third hour's segment: that window reads as empty.
    for path in log_store.segments(log_folder(workspace, project_id)).files:
        if pq.read_table(path, columns=["time"])["time"].to_pandas().min() >= START + 2 * HOUR:
            path.unlink()
    cleaned, _ = series()
    assert [w.requests for w in cleaned.windows] == [20, 0, 0]
    assert _seen(cleaned) == _expected(workspace, project_id, START, until)


def test_a_range_that_cuts_windows_counts_only_inside_it(served, queries):
    workspace, project_id, version = served
    write_log(workspace, project_id, version, traffic(100, seed=1), start=START, seconds=3000)
    since, until = START + 10 * timedelta(minutes=1), START + 40 * timedelta(minutes=1)
    whole = traffic_series(workspace, project_id, since=START, until=START + HOUR, size_seconds=3600)
    cut = traffic_series(workspace, project_id, since=since, until=until, size_seconds=3600)
    rows, _ = log_store.prediction_rows(log_folder(workspace, project_id), since=since, until=until)
    assert whole.windows[0].requests == 10
    assert cut.windows[0].requests == rows["request_id"].nunique() < 10 and cut.windows[0].rows == len(rows)
    again = traffic_series(workspace, project_id, since=START, until=START + HOUR, size_seconds=3600)
    assert _seen(again) == _seen(whole)  # the clipped read was not kept as the whole window
