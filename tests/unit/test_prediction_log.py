"""The prediction log: segments written whole (flushed by rows or by time), read back with DuckDB,
torn segments skipped with a warning naming them, and the traffic stats the Deploy page shows."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from lifecycle import config
from lifecycle.clock import utc_now
from lifecycle.deploy.paths import log_dir
from lifecycle.deploy.prediction_log import PredictionLog
from lifecycle.deploy.settings import SERVE_SETTINGS, serve_settings
from lifecycle.deploy.stats import log_stats, service_stats
from lifecycle.store.prediction_log import TornSegment, feedback_rows, prediction_rows, segments


def _log(log, request_id, version_id=1, latency=5.0, status=200, n=1, at=None):
    log.log(request_id=request_id, version_id=version_id, version=version_id, role="answer", route="predict",
            status=status, latency_ms=latency, inputs=[{"x": i} for i in range(n)] if status == 200 else (),
            predictions=["yes"] * n if status == 200 else (), error=None if status == 200 else "bad", time=at)


def test_segments_are_flushed_every_n_rows_and_every_t_seconds(tmp_path):
    log = PredictionLog(tmp_path, flush_rows=5, flush_seconds=0.2)
    for i in range(5):
        _log(log, f"r{i}")
    deadline = time.monotonic() + 5
    while log.predictions.segments_written < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log.predictions.segments_written == 1  # five rows: one segment at once
    _log(log, "late")
    time.sleep(0.6)
    assert log.predictions.segments_written == 2 and log.predictions.pending == 0  # one row, after T seconds
    log.close()
    folder = tmp_path / "predictions"
    assert not list(folder.glob(".*"))  # no temporary left
    rows, _ = prediction_rows(folder)
    assert sorted(rows.request_id) == sorted([f"r{i}" for i in range(5)] + ["late"])
    assert json.loads(rows.inputs.iloc[0]) == {"x": 0} and json.loads(rows.prediction.iloc[0]) == "yes"


def test_a_torn_segment_is_skipped_with_a_warning_that_names_it(tmp_path):
    log = PredictionLog(tmp_path, flush_rows=1000, flush_seconds=60)
    _log(log, "kept")
    log.flush()
    _log(log, "also kept")
    log.close()
    folder = tmp_path / "predictions"
    whole = sorted(folder.glob("*.parquet"))[0]
    (folder / "20990101T000000000000-torn.parquet").write_bytes(whole.read_bytes()[:-30])
    with pytest.warns(TornSegment, match="20990101T000000000000-torn.parquet"):
        rows, found = prediction_rows(folder)
    assert sorted(rows.request_id) == ["also kept", "kept"]
    assert [name for name, _ in found.skipped] == ["20990101T000000000000-torn.parquet"]
    assert len(segments(folder).files) == 2


def test_feedback_goes_to_its_own_segments(tmp_path):
    log = PredictionLog(tmp_path, flush_rows=1000, flush_seconds=60)
    log.feedback("r1", "yes")
    log.feedback("r2", 3.5, row=4)
    log.close()
    rows, _ = feedback_rows(tmp_path / "feedback")
    assert [(r.request_id, json.loads(r.label), r.row) for r in rows.itertuples()] == [("r1", "yes", 0),
                                                                                        ("r2", 3.5, 4)]


def test_stats_count_requests_rate_errors_and_latency_percentiles_per_version(tmp_path):
    now = utc_now()
    log = PredictionLog(tmp_path, flush_rows=1000, flush_seconds=60)
    for i in range(100):
        _log(log, f"a{i}", version_id=1, latency=float(i + 1), n=3, at=now - timedelta(seconds=30))
    for i in range(20):
        _log(log, f"b{i}", version_id=2, latency=2.0, at=now - timedelta(seconds=30))
    _log(log, "bad", version_id=2, status=422, at=now - timedelta(seconds=10))
    _log(log, "old", version_id=1, at=now - timedelta(minutes=30))
    log.close()
    stats = log_stats(tmp_path, minutes=5, now=now)
    first, second = stats.for_version(1), stats.for_version(2)
    assert first.requests == 100  # a request counts once, however many rows it carried
    assert first.p50_ms == pytest.approx(50.5) and first.p95_ms == pytest.approx(95.05)
    assert first.p99_ms == pytest.approx(99.01)
    assert second.requests == 21 and second.errors == 1 and second.error_rate == pytest.approx(1 / 21)
    assert stats.total.requests == 121 and stats.total.rate_per_s == pytest.approx(121 / 300)
    assert stats.total.version_id is None and stats.skipped == ()


def test_service_stats_read_the_project_log_beside_the_workspace(tmp_path):
    workspace = tmp_path / "w.duckdb"
    empty = service_stats(workspace, 3)
    assert empty.total.requests == 0 and empty.versions == () and empty.total.p95_ms is None
    log = PredictionLog(log_dir(workspace, 3))
    _log(log, "r")
    log.close()
    assert service_stats(workspace, 3).total.requests == 1


def test_every_serving_setting_is_documented_in_config_and_the_readme():
    readme = (config.REPO_ROOT / "README.md").read_text()
    for name, text in SERVE_SETTINGS.items():
        assert config.SETTINGS[name] == text
    for name in config.SETTINGS:
        assert f"`{name}`" in readme, f"{name} is missing from the README's Settings table"
    assert serve_settings({}).flush_rows == 1000
    assert serve_settings({"LIFECYCLE_LOG_FLUSH_SECONDS": "0.5"}).flush_seconds == 0.5
    with pytest.raises(ValueError, match="LIFECYCLE_SERVE_MAX_ROWS='many' is not a number"):
        serve_settings({"LIFECYCLE_SERVE_MAX_ROWS": "many"})
