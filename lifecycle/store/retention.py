"""Retention: the rule of each project, the clean-ups on record with what they deleted, the links that
tie dataset versions to splits, runs and model versions, and marking a dataset version's rows deleted."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import Cleanup, CleanupItem, RetentionRule


@dataclass(frozen=True, kw_only=True)
class RunLink:
    """A run of the project and what it was trained on, with the model version registered from it."""

    run_id: int
    dataset_id: int
    split_id: int
    split_dataset_id: int | None  # the dataset of its split (None when the split is not on record)
    version_id: int | None  # the model version registered from the run, if any
    version: int | None
    version_state: str | None


def get_rule(cursor: duckdb.DuckDBPyConnection, project_id: int) -> RetentionRule | None:
    row = cursor.execute("SELECT project_id, log_days, datasets, updated_at, updated_by FROM retention_rules "
                         "WHERE project_id = ?", [project_id]).fetchone()
    if row is None:
        return None
    project, log_days, datasets, updated_at, updated_by = row
    return RetentionRule(project_id=project, log_days=log_days, datasets=datasets, updated_at=updated_at,
                         updated_by=updated_by)


def put_rule(cursor: duckdb.DuckDBPyConnection, *, project_id: int, log_days: int | None, datasets: bool,
             updated_by: str) -> RetentionRule:
    cursor.execute("INSERT OR REPLACE INTO retention_rules VALUES (?, ?, ?, ?, ?)",
                   [project_id, log_days, datasets, utc_now(), updated_by])
    return get_rule(cursor, project_id)


def next_cleanup_id(cursor: duckdb.DuckDBPyConnection) -> int:
    return cursor.execute("SELECT nextval('cleanup_ids')").fetchone()[0]


def insert_cleanup(cursor: duckdb.DuckDBPyConnection, *, cleanup_id: int, project_id: int, log_days: int | None,
                   cutoff: datetime | None, datasets: bool, digest: str, items: tuple[CleanupItem, ...],
                   created_by: str) -> Cleanup:
    cursor.execute("INSERT INTO cleanups VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [cleanup_id, project_id, log_days, cutoff, datasets, digest, utc_now(), created_by])
    if items:
        cursor.executemany("INSERT INTO cleanup_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [[cleanup_id, position, i.kind, i.name, i.dataset_id, i.rows, i.bytes, i.sha256, i.newest]
                            for position, i in enumerate(items)])
    return get_cleanup(cursor, cleanup_id)


def get_cleanup(cursor: duckdb.DuckDBPyConnection, cleanup_id: int) -> Cleanup | None:
    row = cursor.execute("SELECT id, project_id, log_days, cutoff, datasets, digest, created_at, created_by "
                         "FROM cleanups WHERE id = ?", [cleanup_id]).fetchone()
    if row is None:
        return None
    id_, project_id, log_days, cutoff, datasets, digest, created_at, created_by = row
    items = cursor.execute("SELECT kind, name, dataset_id, rows, bytes, sha256, newest FROM cleanup_items "
                           "WHERE cleanup_id = ? ORDER BY position", [cleanup_id]).fetchall()
    return Cleanup(id=id_, project_id=project_id, log_days=log_days, cutoff=cutoff, datasets=datasets, digest=digest,
                   items=tuple(CleanupItem(kind=k, name=n, dataset_id=d, rows=r, bytes=b, sha256=h, newest=t)
                               for k, n, d, r, b, h, t in items),
                   created_at=created_at, created_by=created_by)


def cleanups_for(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[Cleanup]:
    """The project's clean-ups, oldest first."""
    ids = cursor.execute("SELECT id FROM cleanups WHERE project_id = ? ORDER BY id", [project_id]).fetchall()
    return [get_cleanup(cursor, cleanup_id) for (cleanup_id,) in ids]


def cleanup_exists(cursor: duckdb.DuckDBPyConnection, cleanup_id: int) -> bool:
    return cursor.execute("SELECT count(*) FROM cleanups WHERE id = ?", [cleanup_id]).fetchone()[0] > 0


def run_links(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[RunLink]:
    """Every run of the project with its split's dataset and the model version registered from it."""
    rows = cursor.execute(
        "SELECT r.id, r.dataset_id, r.split_id, s.dataset_id, v.id, v.version, v.state FROM runs r "
        "LEFT JOIN splits s ON s.id = r.split_id LEFT JOIN model_versions v ON v.run_id = r.id "
        "WHERE r.project_id = ? ORDER BY r.id, v.id", [project_id]).fetchall()
    return [RunLink(run_id=r, dataset_id=d, split_id=s, split_dataset_id=sd, version_id=v, version=n, version_state=st)
            for r, d, s, sd, v, n, st in rows]


def split_datasets(cursor: duckdb.DuckDBPyConnection, project_id: int) -> dict[int, int]:
    """Split id -> dataset id, for every split of the project's dataset versions."""
    rows = cursor.execute("SELECT s.id, s.dataset_id FROM splits s JOIN dataset_versions d ON d.id = s.dataset_id "
                          "WHERE d.project_id = ?", [project_id]).fetchall()
    return dict(rows)


def mark_dataset_deleted(cursor: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Mark the version's rows deleted (its record, lineage and content hash stay) and drop its cached
    profile, which holds values drawn from the rows."""
    cursor.execute("UPDATE dataset_versions SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                   [utc_now(), dataset_id])
    cursor.execute("DELETE FROM profiles WHERE dataset_id = ?", [dataset_id])


def kept_versions_of_hash(cursor: duckdb.DuckDBPyConnection, content_hash: str, *, besides: tuple[int, ...]) -> int:
    """How many dataset versions (any project) other than ``besides`` keep rows in the file of this hash."""
    return cursor.execute("SELECT count(*) FROM dataset_versions WHERE content_hash = ? AND deleted_at IS NULL "
                          "AND NOT list_contains(?, id)", [content_hash, list(besides)]).fetchone()[0]
