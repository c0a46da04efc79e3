"""The real scoring service under a bounded load (~20 s, 4 keep-alive clients on localhost) while the
Monitor refresh runs back to back on the same project: no error response, no failed refresh, and
every answered request is in the Parquet prediction log exactly once (bench/load_bench.py runs the
same for minutes)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import load_bench  # noqa: E402

SECONDS = 20.0
CLIENTS = 4


def test_no_error_and_no_lost_log_row_under_load_while_the_monitor_refreshes(tmp_path):
    result, rows, ids = load_bench.under_load(tmp_path, seconds=SECONDS, clients=CLIENTS)
    assert result.failures == [] and result.errors == 0, result.failures[:5]
    assert set(result.statuses) == {200}
    assert result.refresh_errors == []
    assert result.refreshes >= 2  # the Monitor did read the log while it was being written
    assert len(result.answered) > 100  # the load did happen
    assert rows == len(result.answered)  # no row lost, none twice
    assert ids == result.answered  # and they are the same requests
    print(f"\n{CLIENTS} clients, {result.seconds:.0f} s: {result.requests / result.seconds:,.0f} req/s, "
          f"{rows:,} rows logged, {result.refreshes} refreshes")
