"""Drift monitoring in the workspace: reference profiles of model versions (with their value
counts), drift statistics per window and feature, and each project's drift rules."""
from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from lifecycle.clock import utc_now
from lifecycle.records import DriftConfig, DriftStatistics, ReferenceColumn, ReferenceProfile

_REFERENCE = ("id, project_id, model_version_id, dataset_id, split_id, rows, prediction_rows, columns, labels, "
              "positive_class, created_at, created_by")
_STATS = ("project_id, model_version_id, size_seconds, window_start, source, feature, kind, status, window_rows, "
          "n_current, n_missing, n_reference, mean_current, ks, ks_p, ks_bound, wasserstein, wasserstein_norm, "
          "wasserstein_bound, psi, chi2, chi2_p, chi2_dof, jensen_shannon, unseen, exact, histogram, computed_at")
_STAT_NAMES = tuple(name.strip() for name in _STATS.split(","))
_TYPES = {"project_id": pa.int32(), "model_version_id": pa.int32(), "size_seconds": pa.int32(),
          "window_start": pa.timestamp("us"), "chi2_dof": pa.int32(), "exact": pa.bool_(),
          "computed_at": pa.timestamp("us"), **dict.fromkeys(("window_rows", "n_current", "n_missing", "n_reference",
                                                               "unseen"), pa.int64()),
          **dict.fromkeys(("source", "feature", "kind", "status", "histogram"), pa.string())}
_VALUES = pa.schema([("reference_id", pa.int32()), ("source", pa.string()), ("feature", pa.string()),
                     ("number", pa.float64()), ("category", pa.string()), ("count", pa.int64())])
_ARROW = pa.schema([(name, _TYPES.get(name, pa.float64())) for name in _STAT_NAMES])


def _profile(row: tuple) -> ReferenceProfile:
    (id_, project_id, version_id, dataset_id, split_id, rows, prediction_rows, columns, labels, positive,
     created_at, created_by) = row
    return ReferenceProfile(id=id_, project_id=project_id, model_version_id=version_id, dataset_id=dataset_id,
                            split_id=split_id, rows=rows, prediction_rows=prediction_rows,
                            columns=tuple(ReferenceColumn(**c) for c in json.loads(columns)),
                            labels=json.loads(labels), positive_class=positive, created_at=created_at,
                            created_by=created_by)


def insert_reference(cursor: duckdb.DuckDBPyConnection, *, project_id: int, model_version_id: int,
                     dataset_id: int | None, split_id: int | None, rows: int, prediction_rows: int,
                     columns: Sequence[ReferenceColumn], labels: dict[str, int], positive_class: str | None,
                     values: pd.DataFrame, created_by: str) -> ReferenceProfile:
    """Store a profile and its value counts (``values``: source, feature, number, category, count)."""
    listed = [{"source": c.source, "name": c.name, "kind": c.kind, "dtype": c.dtype, "rows": c.rows,
               "missing": c.missing, "mean": c.mean, "std": c.std} for c in columns]
    row = cursor.execute(
        f"INSERT INTO monitor_references ({_REFERENCE}) VALUES (nextval('monitor_reference_ids'), ?, ?, ?, ?, ?, ?, "
        f"?, ?, ?, ?, ?) RETURNING {_REFERENCE}",
        [project_id, model_version_id, dataset_id, split_id, rows, prediction_rows, json.dumps(listed),
         json.dumps(labels), positive_class, utc_now(), created_by]).fetchone()
    profile = _profile(row)
    table = pa.Table.from_pandas(values.assign(reference_id=profile.id), schema=_VALUES, preserve_index=False)
    cursor.register("reference_values_table", table)  # NaN numbers (categories' rows) become NULL
    try:
        cursor.execute("INSERT INTO monitor_reference_values SELECT reference_id, source, feature, number, category, "
                       "count FROM reference_values_table")
    finally:
        cursor.unregister("reference_values_table")
    return profile


def reference_for(cursor: duckdb.DuckDBPyConnection, model_version_id: int) -> ReferenceProfile | None:
    row = cursor.execute(f"SELECT {_REFERENCE} FROM monitor_references WHERE model_version_id = ?",
                         [model_version_id]).fetchone()
    return _profile(row) if row else None


def reference_values(cursor: duckdb.DuckDBPyConnection, reference_id: int) -> pd.DataFrame:
    """Every stored value count of a profile: source, feature, number, category, count."""
    return cursor.execute("SELECT source, feature, number, category, count FROM monitor_reference_values "
                          "WHERE reference_id = ? ORDER BY source, feature, number, category",
                          [reference_id]).df()


def stored_windows(cursor: duckdb.DuckDBPyConnection, *, project_id: int, model_version_id: int,
                   size_seconds: int) -> dict[datetime, tuple[int, datetime]]:
    """Window start -> (rows it held, when it was computed) for every stored window."""
    rows = cursor.execute(
        "SELECT window_start, max(window_rows), min(computed_at) FROM monitor_drift WHERE project_id = ? "
        "AND model_version_id = ? AND size_seconds = ? GROUP BY window_start",
        [project_id, model_version_id, size_seconds]).fetchall()
    return {start: (int(count), computed) for start, count, computed in rows}


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    return value


def replace_windows(cursor: duckdb.DuckDBPyConnection, statistics: Iterable[DriftStatistics]) -> int:
    """Store statistics, replacing what a window held before (every feature of each window given).
    Returns the number of rows written."""
    records = list(statistics)
    if not records:
        return 0
    windows: dict[tuple[int, int, int], set[datetime]] = {}
    for record in records:
        windows.setdefault((record.project_id, record.model_version_id, record.size_seconds), set()).add(
            record.window_start)
    for (project_id, version_id, size), starts in windows.items():
        cursor.execute("DELETE FROM monitor_drift WHERE project_id = ? AND model_version_id = ? AND size_seconds = ? "
                       "AND list_contains(?::TIMESTAMP[], window_start)", [project_id, version_id, size, sorted(starts)])
    columns: dict[str, list] = {name: [] for name in _STAT_NAMES}
    for record in records:
        for name in _STAT_NAMES:
            value = getattr(record, name)
            columns[name].append(json.dumps(value, allow_nan=False) if name == "histogram" else _plain(value))
    table = pa.Table.from_pydict(columns, schema=_ARROW)
    cursor.register("drift_rows_table", table)
    try:
        cursor.execute(f"INSERT INTO monitor_drift ({_STATS}) SELECT {_STATS} FROM drift_rows_table")
    finally:
        cursor.unregister("drift_rows_table")
    return table.num_rows


def _statistics(row: tuple) -> DriftStatistics:
    values = dict(zip(_STAT_NAMES, row))
    values["histogram"] = json.loads(values["histogram"])
    for name, value in values.items():
        if isinstance(value, float) and math.isnan(value):
            values[name] = None
    return DriftStatistics(**values)


def statistics(cursor: duckdb.DuckDBPyConnection, *, project_id: int, model_version_id: int, size_seconds: int,
               since: datetime | None = None, until: datetime | None = None,
               feature: str | None = None) -> list[DriftStatistics]:
    """Stored statistics, oldest window first, features in name order (``until`` exclusive)."""
    where = ["project_id = ?", "model_version_id = ?", "size_seconds = ?"]
    params: list[Any] = [project_id, model_version_id, size_seconds]
    for clause, value in (("window_start >= ?", since), ("window_start < ?", until), ("feature = ?", feature)):
        if value is not None:
            where.append(clause)
            params.append(value)
    rows = cursor.execute(f"SELECT {_STATS} FROM monitor_drift WHERE {' AND '.join(where)} "
                          "ORDER BY window_start, source, feature", params).fetchall()
    return [_statistics(r) for r in rows]


def versions_with_statistics(cursor: duckdb.DuckDBPyConnection, project_id: int, size_seconds: int) -> list[int]:
    """Model versions of the project with stored statistics at this window size, newest window last."""
    rows = cursor.execute("SELECT model_version_id FROM monitor_drift WHERE project_id = ? AND size_seconds = ? "
                          "GROUP BY model_version_id ORDER BY max(window_start)", [project_id, size_seconds]).fetchall()
    return [r[0] for r in rows]


def monitored_stamp(cursor: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    """(project, version) pairs with drift statistics on record and their stored windows, over the
    workspace: changes whenever a refresh stores a new window (refreshes write no audit event)."""
    row = cursor.execute("SELECT count(DISTINCT (project_id, model_version_id)), count(*) FROM monitor_drift").fetchone()
    return (int(row[0]), int(row[1])) if row else None


def get_config(cursor: duckdb.DuckDBPyConnection, project_id: int) -> DriftConfig | None:
    row = cursor.execute("SELECT config FROM monitor_drift_config WHERE project_id = ?", [project_id]).fetchone()
    return DriftConfig.from_dict(json.loads(row[0])) if row else None


def put_config(cursor: duckdb.DuckDBPyConnection, project_id: int, config: DriftConfig, updated_by: str) -> None:
    cursor.execute("INSERT OR REPLACE INTO monitor_drift_config VALUES (?, ?, ?, ?)",
                   [project_id, json.dumps(config.to_dict(), sort_keys=True), utc_now(), updated_by])
