"""Read-only SQL over a project's datasets: join, filter and aggregate, then freeze the result."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from lifecycle import config
from lifecycle.config import Limits
from lifecycle.data.datasets import list_datasets, load_table, store_query_result
from lifecycle.errors import InputError
from lifecycle.records import DatasetVersion, User
from lifecycle.store.sandbox import Bounds, QueryRejected, ResultTooLarge, run_select
from lifecycle.workspace import Workspace

PREVIEW_ROWS = 1000
PREVIEW_BYTES = 16 * 1024 * 1024  # what a preview sends to the browser at most


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
    """Run one read-only SELECT over the project's datasets (each a view named after it) in the sandbox.
    A preview keeps ``limit`` rows and ``PREVIEW_BYTES`` at most (marked truncated); with ``limit=None``
    the whole result, under the upload limits (refused past any of them). Raises InputError for an
    empty query, a project without data, a limit passed, or a query the sandbox refuses (with DuckDB's
    reason)."""
    if not sql.strip():
        raise InputError("The query is empty.", "Write a SELECT over the tables listed beside the editor.")
    views = available_views(workspace, project_id)
    if not views:
        raise InputError("The project has no datasets to query yet.", "Ingest a file or a bundled dataset first.")
    tables = {name: load_table(workspace, dataset) for name, dataset in views.items()}
    limits = config.limits()
    if limit is None:
        bounds = Bounds(max_rows=limits.max_rows, max_bytes=limits.max_upload_bytes,
                        max_columns=limits.max_columns, memory_bytes=limits.query_memory_bytes)
    else:
        bounds = Bounds(max_rows=limit, max_bytes=min(PREVIEW_BYTES, limits.max_upload_bytes),
                        max_columns=limits.max_columns, memory_bytes=limits.query_memory_bytes, truncate=True)
    try:
        result = run_select(sql, tables, bounds)
    except ResultTooLarge as error:
        raise _too_large(error, limits) from None
    except QueryRejected as error:
        raise InputError(f"The query was refused: {error}",
                         f"Query only these tables: {', '.join(sorted(views))}.") from None
    return QueryResult(table=result.table, truncated=result.truncated)


def _too_large(error: ResultTooLarge, limits: Limits) -> InputError:
    """The bound the result passed, its value and the setting that moves it."""
    seen = "" if error.seen is None else f" ({error.seen:,}{' bytes' if error.bound == 'bytes' else ''} so far)"
    mb = 1024 * 1024
    if error.bound == "rows":
        problem, setting = (f"The query result has more than {limits.max_rows:,} rows{seen}, the most a dataset "
                            "may hold.", "LIFECYCLE_MAX_ROWS")
    elif error.bound == "bytes":
        limit = limits.max_upload_bytes
        shown = f"{limit / mb:,.0f} MB" if limit >= mb else f"{limit:,} bytes"
        problem, setting = (f"The query result is larger than the upload limit of {shown}{seen}.",
                            "LIFECYCLE_MAX_UPLOAD_MB")
    elif error.bound == "columns":
        problem, setting = (f"The query result has {error.seen:,} columns; a dataset may have at most "
                            f"{limits.max_columns:,}.", "LIFECYCLE_MAX_COLUMNS")
    else:
        problem, setting = (f"The query needed more than its memory limit of {limits.query_memory_bytes / mb:,.0f} "
                            "MB (the result included) and was stopped.", "LIFECYCLE_QUERY_MEMORY_MB")
    return InputError(problem, f"Select fewer rows or columns (a WHERE, a LIMIT, an aggregate), or ask the admin "
                               f"to raise {setting}.")


def freeze_query(workspace: Workspace, actor: User, project_id: int, sql: str, *, name: str,
                 auxiliary: bool = False) -> DatasetVersion:
    """Run the query over all rows and store its result as a new dataset version whose lineage holds the query.
    Raises what ``run_query`` raises, and PermissionDenied (needs EDIT_DATA)."""
    result = run_query(workspace, project_id, sql, limit=None)
    return store_query_result(workspace, actor, project_id, result.table, sql, name=name, auxiliary=auxiliary)
