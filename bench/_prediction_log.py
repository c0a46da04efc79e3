"""The prediction log of a project written straight as Parquet segments (the service's schema), for
benchmarks that need millions of logged predictions fast: bench/pages_bench.py --only-monitor and
bench/scale_bench.py."""
from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SEGMENT_ROWS = 100_000


def write_log(workspace, project_id: int, version, rows: int, *, days: int = 7) -> float:
    """Write ``rows`` answered predictions of ``version`` into the project's log as Parquet
    segments in the service's format (each input the version's schema names a typed column, the
    rest JSON; the footer's answered rows), vectorised: each Adult row's values made once by the
    service's own code (``deploy.log_inputs.split``), then taken by index. Seconds taken."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lifecycle.clock import utc_now
    from lifecycle.deploy.log_inputs import InputSpec, split
    from lifecycle.deploy.prediction_log import ANSWERED_KEY, EPOCH, ONE_MICROSECOND, PREDICTION_SCHEMA
    from lifecycle.monitor.drift import log_folder

    begin = time.perf_counter()
    pool = pd.concat([pd.read_csv(ROOT / "data" / name) for name in ("adult_train.csv", "adult_test.csv")],
                     ignore_index=True).drop(columns="income")
    records = pool.to_dict("records")
    extras, typed = split(records, [InputSpec.of(version.input_schema)] * len(records))
    inputs = pa.array(extras, pa.string())
    scores = np.round(np.linspace(0.01, 0.99, 99), 2)
    outputs = pa.array([json.dumps({"<=50K": round(1 - p, 2), ">50K": float(p)}) for p in scores])
    predictions = pa.array(['">50K"' if p >= 0.5 else '"<=50K"' for p in scores])
    folder = log_folder(workspace, project_id)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(13)
    end = utc_now().replace(tzinfo=None) - timedelta(minutes=1)
    first = end - timedelta(days=days)
    step_us = days * 86_400_000_000 // rows
    for number, offset in enumerate(range(0, rows, SEGMENT_ROWS)):
        n = min(SEGMENT_ROWS, rows - offset)
        times = pa.array(np.datetime64(first, "us") + (np.arange(offset, offset + n) * step_us).astype("timedelta64[us]"))
        which = pa.array(rng.integers(0, len(scores), n))
        drawn = pa.array(rng.integers(0, len(inputs), n))
        table = pa.table({
            "request_id": pa.array(np.char.add(f"bench{number}-", np.arange(n).astype(str))), "row": pa.repeat(0, n),
            "time": times, "version_id": pa.repeat(version.id, n), "version": pa.repeat(version.version, n),
            "role": pa.repeat("answer", n), "route": pa.repeat("predict", n), "status": pa.repeat(200, n),
            "latency_ms": pa.array(rng.gamma(2.0, 2.0, n)), "inputs": inputs.take(drawn),
            "prediction": predictions.take(which), "outputs": outputs.take(which), "error": pa.nulls(n, pa.string())})
        table = table.cast(PREDICTION_SCHEMA)
        for column, values in typed.items():
            table = table.append_column(column, values.take(drawn))
        started = (first - EPOCH) // ONE_MICROSECOND + offset * step_us
        table = table.replace_schema_metadata({ANSWERED_KEY: json.dumps(
            {str(version.id): [n, started, started + (n - 1) * step_us]})})
        stamp = (first + timedelta(microseconds=offset * step_us)).strftime("%Y%m%dT%H%M%S%f")
        pq.write_table(table, folder / f"{stamp}-bench-{number:05d}.parquet", compression="zstd")
    return time.perf_counter() - begin


def monitor_reads(workspace, project_id: int) -> list[tuple[str, object]]:
    """(label, call) of the monitoring reads the Monitor and Deploy pages make for a project."""
    from lifecycle.clock import utc_now
    from lifecycle.deploy.stats import service_stats
    from lifecycle.monitor import drift_config
    from lifecycle.monitor.drift_views import drift_history, drift_table
    from lifecycle.monitor.performance import performance_history
    from lifecycle.monitor.refresh import refresh
    from lifecycle.monitor.traffic import traffic_series

    def now():
        return utc_now().replace(tzinfo=None)

    size = drift_config.drift_rules(workspace, project_id).window_seconds
    return [("refresh, nothing new", lambda: refresh(workspace, project_id)),
            ("drift_table", lambda: drift_table(workspace, project_id)),
            ("drift_history", lambda: drift_history(workspace, project_id)),
            ("performance_history", lambda: performance_history(workspace, project_id, size_seconds=size)),
            ("traffic stats (Deploy, 5 min)", lambda: service_stats(workspace.path, project_id, minutes=5)),
            ("traffic_series (4 days, hourly)", lambda: traffic_series(workspace, project_id,
                                                                     since=now() - timedelta(days=4), until=now(),
                                                                     size_seconds=3600))]
