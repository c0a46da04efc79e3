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
from lifecycle.store.sandbox import Bounds, QueryRejected, ResultTooLarge, column_references, run_select
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


def sql_column_names(names: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Column -> its name in SQL. SQL names ignore case, so of columns whose names differ only
    in case ('score', 'SCORE') the first keeps its name and each later one gets a suffix
    ('SCORE_2') that no other column uses; every other column keeps its own name."""
    taken = {n.lower() for n in names}
    first: set[str] = set()
    out: dict[str, str] = {}
    for name in names:
        if name.lower() not in first:
            first.add(name.lower())
            out[name] = name
            continue
        k = 2
        while f"{name}_{k}".lower() in taken:
            k += 1
        out[name] = f"{name}_{k}"
        taken.add(out[name].lower())
    return out


def case_twins(views: dict[str, DatasetVersion]) -> dict[str, dict[str, str]]:
    """Per SQL table, its columns that differ from another only in case -> their SQL names."""
    found = {}
    seen: set[int] = set()
    # The latest-version name ('case') before the versioned ones ('case_v1'); each dataset once.
    for view, dataset in sorted(views.items(), key=lambda item: (re.search(r"_v\d+$", item[0]) is not None,
                                                                item[0])):
        if dataset.id in seen:
            continue
        seen.add(dataset.id)
        names = list(dataset.column_names)
        lowered = [n.lower() for n in names]
        twins = {n: sql for n, sql in sql_column_names(names).items() if lowered.count(n.lower()) > 1}
        if twins:
            found[view] = twins
    return found


def case_twin_notes(views: dict[str, DatasetVersion]) -> list[str]:
    """One line per table whose column names differ only in case: how to address each in SQL."""
    return [f"In {view}, columns whose names differ only in case are "
            + ", ".join(f"{original!r} as {sql}" for original, sql in twins.items())
            + " (SQL names ignore case)."
            for view, twins in case_twins(views).items()]


def _refuse_ambiguous(sql: str, views: dict[str, DatasetVersion]) -> None:
    twins = case_twins(views)
    if not twins:
        return
    for reference in column_references(sql):
        written = reference[-1]
        for view, names in twins.items():
            group = {o: n for o, n in names.items() if o.lower() == written.lower()}
            if group and written not in group.values():
                listed = " and ".join(repr(o) for o in group)
                raise InputError(
                    f"{written} is ambiguous: table {view} has columns {listed}, whose names differ only "
                    "in case, and SQL names ignore case.",
                    "Write " + ", ".join(f"{n} for {o!r}" for o, n in group.items())
                    + "; or rename one of them in the file and ingest it again.")


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
    _refuse_ambiguous(sql, views)
    tables = {}
    for name, dataset in views.items():
        table = load_table(workspace, dataset)
        tables[name] = table.rename_columns(list(sql_column_names(table.column_names).values()))
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
