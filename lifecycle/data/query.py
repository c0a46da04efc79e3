"""Read-only SQL over a project's datasets: join, filter and aggregate, then freeze the result."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from lifecycle.data.datasets import list_datasets, load_table, store_query_result
from lifecycle.errors import InputError
from lifecycle.records import DatasetVersion, User
from lifecycle.store.sandbox import QueryRejected, run_select
from lifecycle.workspace import Workspace

PREVIEW_ROWS = 1000


@dataclass(frozen=True, kw_only=True)
class QueryResult:
    table: pa.Table
    truncated: bool


def view_name(dataset: DatasetVersion, *, latest: bool) -> str:
    base = re.sub(r"[^a-z0-9_]+", "_", dataset.name.lower()).strip("_") or "dataset"
    if base[0].isdigit():
        base = f"d_{base}"
    return base if latest else f"{base}_v{dataset.version}"


def available_views(workspace: Workspace, project_id: int) -> dict[str, DatasetVersion]:
    """SQL names for the project's datasets: ``name`` is the latest version, ``name_vN`` each one."""
    views: dict[str, DatasetVersion] = {}
    for dataset in list_datasets(workspace, project_id):
        views[view_name(dataset, latest=False)] = dataset
        views[view_name(dataset, latest=True)] = dataset  # later versions overwrite earlier ones
    return views


def run_query(workspace: Workspace, project_id: int, sql: str, *, limit: int | None = PREVIEW_ROWS) -> QueryResult:
    """Run one read-only SELECT over the project's datasets (each a view named after it) in the sandbox; at most
    ``limit`` rows are kept (None: all). Raises InputError for an empty query, a project without data, or
    a query the sandbox refuses (with DuckDB's reason)."""
    if not sql.strip():
        raise InputError("The query is empty.", "Write a SELECT over the tables listed beside the editor.")
    views = available_views(workspace, project_id)
    if not views:
        raise InputError("The project has no datasets to query yet.", "Ingest a file or a bundled dataset first.")
    tables = {name: load_table(workspace, dataset) for name, dataset in views.items()}
    try:
        table = run_select(sql, tables, max_rows=None if limit is None else limit + 1)
    except QueryRejected as error:
        raise InputError(f"The query was refused: {error}",
                         f"Query only these tables: {', '.join(sorted(views))}.") from None
    truncated = limit is not None and table.num_rows > limit
    return QueryResult(table=table.slice(0, limit) if truncated else table, truncated=truncated)


def freeze_query(workspace: Workspace, actor: User, project_id: int, sql: str, *, name: str,
                 auxiliary: bool = False) -> DatasetVersion:
    """Run the query over all rows and store its result as a new dataset version whose lineage holds the query.
    Raises what ``run_query`` raises, and PermissionDenied (needs EDIT_DATA)."""
    result = run_query(workspace, project_id, sql, limit=None)
    return store_query_result(workspace, actor, project_id, result.table, sql, name=name, auxiliary=auxiliary)
