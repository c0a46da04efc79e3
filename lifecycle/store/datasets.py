"""Dataset version records, and DuckDB views over their frozen Arrow files."""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

from lifecycle.clock import utc_now
from lifecycle.records import ColumnSchema, DatasetVersion, Lineage
from lifecycle.store import dataset_files
from lifecycle.store.db import quote_identifier

_INSERTED = ("id, project_id, name, version, rows, columns, content_hash, lineage, auxiliary, "
             "created_at, created_by")
_COLUMNS = _INSERTED + ", deleted_at"


def files_dir(workspace_path: Path) -> Path:
    return workspace_path.with_suffix(".files") / "datasets"


def data_path(workspace_path: Path, dataset: DatasetVersion) -> Path:
    return files_dir(workspace_path) / f"{dataset.content_hash}.arrow"


def _record(row: tuple) -> DatasetVersion:
    (id_, project_id, name, version, rows, columns, content_hash, lineage, auxiliary,
     created_at, created_by, deleted_at) = row
    lineage_data = json.loads(lineage)
    lineage_data["notes"] = tuple(lineage_data.get("notes", ()))
    return DatasetVersion(
        id=id_, project_id=project_id, name=name, version=version, rows=rows,
        columns=tuple(ColumnSchema(**c) for c in json.loads(columns)),
        content_hash=content_hash, lineage=Lineage(**lineage_data), auxiliary=auxiliary,
        created_at=created_at, created_by=created_by, deleted_at=deleted_at,
    )


def arrow_type_name(arrow_type: pa.DataType) -> str:
    """A short, user-facing type name for a column; nested and other types by their Arrow name
    (``list<item: int64>``, ``struct<a: int64>``, ``binary``, ``duration[s]``)."""
    if pa.types.is_dictionary(arrow_type):
        return arrow_type_name(arrow_type.value_type)
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "float"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return "datetime"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return "string"
    if pa.types.is_null(arrow_type):
        return "empty"
    return str(arrow_type)


def insert(cursor: duckdb.DuckDBPyConnection, *, project_id: int, name: str, table: pa.Table,
           content_hash: str, lineage: Lineage, auxiliary: bool, created_by: str) -> DatasetVersion:
    dataset_id = cursor.execute("SELECT nextval('dataset_ids')").fetchone()[0]
    version = cursor.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM dataset_versions WHERE project_id = ? AND name = ?",
        [project_id, name],
    ).fetchone()[0]
    columns = [ColumnSchema(name=f.name, dtype=arrow_type_name(f.type)) for f in table.schema]
    now = utc_now()
    cursor.execute(
        f"INSERT INTO dataset_versions ({_INSERTED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [dataset_id, project_id, name, version, table.num_rows,
         json.dumps([asdict(c) for c in columns]), content_hash,
         json.dumps({**asdict(lineage), "notes": list(lineage.notes)}), auxiliary, now, created_by],
    )
    return get(cursor, dataset_id)


def get(cursor: duckdb.DuckDBPyConnection, dataset_id: int) -> DatasetVersion | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM dataset_versions WHERE id = ?", [dataset_id]).fetchone()
    return _record(row) if row else None


def for_project(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[DatasetVersion]:
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM dataset_versions WHERE project_id = ? ORDER BY id",
                          [project_id]).fetchall()
    return [_record(r) for r in rows]


def by_content_hash(cursor: duckdb.DuckDBPyConnection, project_id: int,
                    content_hash: str) -> DatasetVersion | None:
    row = cursor.execute(
        f"SELECT {_COLUMNS} FROM dataset_versions WHERE project_id = ? AND content_hash = ? AND deleted_at IS NULL "
        "ORDER BY id LIMIT 1",
        [project_id, content_hash]).fetchone()
    return _record(row) if row else None


def hash_in_use(cursor: duckdb.DuckDBPyConnection, content_hash: str) -> bool:
    """True when a dataset version whose rows are kept refers to the file of this hash."""
    return cursor.execute("SELECT count(*) FROM dataset_versions WHERE content_hash = ? AND deleted_at IS NULL",
                          [content_hash]).fetchone()[0] > 0


def counts_by_project(cursor: duckdb.DuckDBPyConnection) -> dict[int, int]:
    return dict(cursor.execute("SELECT project_id, count(*) FROM dataset_versions GROUP BY 1").fetchall())


@contextmanager
def view(cursor: duckdb.DuckDBPyConnection, workspace_path: Path, dataset: DatasetVersion,
         name: str = "ds", *, column_names: list[str] | None = None) -> Iterator[str]:
    """Expose a frozen dataset to SQL on this cursor as view ``name`` for the duration.

    ``column_names`` renames the columns by position (zero-copy): SQL names ignore case, so
    columns such as ``score`` and ``SCORE`` can only be told apart under names of our own."""
    table = dataset_files.read_table(data_path(workspace_path, dataset))
    if column_names is not None:
        table = table.rename_columns(column_names)
    cursor.register(name, table)
    try:
        yield name
    finally:
        cursor.unregister(name)


def content_hashes(cursor: duckdb.DuckDBPyConnection) -> set[str]:
    """Every content hash a dataset version refers to (its file is on record); not those whose rows a
    retention clean-up deleted."""
    return {row[0] for row in cursor.execute(
        "SELECT DISTINCT content_hash FROM dataset_versions WHERE deleted_at IS NULL").fetchall()}


def target_values(cursor: duckdb.DuckDBPyConnection, workspace_path: Path, project_id: int, target: str,
                  limit: int = 20) -> list[str]:
    """The distinct values of ``target`` in the project's newest primary dataset that holds it
    (most frequent first, at most ``limit``); empty when no such data exists."""
    holding = [d for d in for_project(cursor, project_id) if not d.auxiliary and target in d.column_names]
    if not holding:
        return []
    with view(cursor, workspace_path, holding[-1], name="target_values_ds") as name:
        rows = cursor.execute(
            f"SELECT CAST({quote_identifier(target)} AS VARCHAR) AS v, count(*) AS n FROM {quote_identifier(name)} "
            "WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT ?", [limit]).fetchall()
    return [value for value, _ in rows]
