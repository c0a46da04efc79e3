"""Stage 2 — Data: bringing data in and freezing immutable, content-hashed dataset versions."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lifecycle import config, names
from lifecycle.config import Limits
from lifecycle.auth import Permission, require
from lifecycle.errors import InputError, NotFound
from lifecycle.hashing import sha256_file
from lifecycle.data.ingest import ReadResult, read_path, read_upload
from lifecycle.data.numbers import NumberFormat
from lifecycle.progress import Progress, quiet
from lifecycle.problem.projects import get_project
from lifecycle.problem.target import check_target_column
from lifecycle.records import DatasetVersion, Lineage, Project, User
from lifecycle.store import audit_log, dataset_files
from lifecycle.store import datasets as dataset_store
from lifecycle.workspace import Workspace


BUNDLED = {
    "adult_train": ("adult_train.csv", "UCI Adult (Census Income), original train split; CC BY 4.0"),
    "adult_test": ("adult_test.csv", "UCI Adult (Census Income), original test split; CC BY 4.0"),
    "german_credit": ("german_credit.csv", "UCI Statlog German Credit, Hofmann 1994; CC BY 4.0"),
}


def check_target(project: Project, table: pa.Table, source: str) -> None:
    """A primary dataset must hold the project's target, with at least two values."""
    check_target_column(project.target, table.column_names, source, project=project.name,
                        fix="Rename the column in the file, change the project's target in stage 1, or ingest "
                            "the file as an auxiliary table to join it with SQL.")
    column = table.column(project.target)
    present = column.drop_null()
    if len(present) == 0:
        raise InputError(f"The target column {project.target!r} is empty in every row of {source}.",
                         "Pick a file where the target is filled in.")
    distinct = pc.count_distinct(present).as_py()
    if distinct < 2:
        raise InputError(
            f"The target column {project.target!r} has the single value {present[0].as_py()!r} in "
            f"all {len(present):,} filled rows of {source}; a model cannot learn from a constant.",
            "Check the export (a filter may have removed the other classes) or pick another target.")
    if project.task == "regression" and not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        raise InputError(f"The target {project.target!r} holds text, but project {project.name!r} is a "
                         "regression task.", "Change the task to binary or multiclass in stage 1, "
                         "or pick a numeric target.")
    if project.positive_class is not None and project.task == "binary":
        values = {str(v) for v in pc.unique(present).to_pylist()}
        if project.positive_class not in values:
            raise InputError(f"The positive class {project.positive_class!r} of project {project.name!r} "
                             f"does not occur in its target {project.target!r} (values: "
                             f"{', '.join(sorted(values)[:10])}).",
                             "Fix the positive class in stage 1 or check the file.")


def _store(workspace: Workspace, actor: User, project: Project, result: ReadResult, *, name: str,
           lineage: Lineage, auxiliary: bool, progress: Progress) -> DatasetVersion:
    if not auxiliary:
        check_target(project, result.table, lineage.name)
    max_rows = config.limits().max_rows
    if result.table.num_rows > max_rows:
        raise InputError(f"{lineage.name} has {result.table.num_rows:,} rows; a dataset may hold at most "
                         f"{max_rows:,}.", "Take a sample or a filtered extract, or raise LIFECYCLE_MAX_ROWS.")
    progress(0.6, "Freezing the dataset version")
    path, content_hash = dataset_files.write_table(result.table, dataset_store.files_dir(workspace.path))
    try:
        with workspace.db.transaction() as cursor:
            existing = dataset_store.by_content_hash(cursor, project.id, content_hash)
            if existing is not None and existing.name == name:
                return existing
            dataset = dataset_store.insert(cursor, project_id=project.id, name=name, table=result.table,
                                           content_hash=content_hash, lineage=lineage,
                                           auxiliary=auxiliary, created_by=actor.name)
            audit_log.append(cursor, actor=actor.name, action="dataset.ingested",
                             entity=f"dataset:{dataset.id}",
                             details={"project_id": project.id, "name": name, "version": dataset.version,
                                      "rows": dataset.rows, "columns": len(dataset.columns),
                                      "content_hash": content_hash, "source": lineage.kind,
                                      "source_name": lineage.name, "source_hash": lineage.source_hash})
    except BaseException:
        # The file is named by its content; keep it only if some record refers to it.
        if not dataset_store.hash_in_use(workspace.db.cursor(), content_hash):
            path.unlink(missing_ok=True)
        raise
    progress(1.0, f"Stored {dataset.label}: {dataset.rows:,} rows × {len(dataset.columns)} columns")
    return dataset


def _dataset_name(filename: str, name: str | None) -> str:
    """A typed name is refused if it holds a control character; one taken from a file name was cleaned."""
    stem = names.check(name, "Dataset name") if name else Path(filename).name.split(".")[0].strip()
    if not stem or len(stem) > 80:
        raise InputError(f"Dataset name {stem!r} is empty or longer than 80 characters.", "Give a short name.")
    return stem


def _ingest_file(workspace: Workspace, actor: User, project_id: int, filename: str,
                 read: Callable[[Limits], ReadResult], *, name: str | None, auxiliary: bool,
                 progress: Progress) -> DatasetVersion:
    """The one way a user's file comes in; ``read`` turns it into a table under the limits."""
    require(actor, Permission.EDIT_DATA)
    project = get_project(workspace, project_id)
    filename = names.clean(filename) or "unnamed"  # a file's name as it came: CR/LF, NUL and the like removed
    name = _dataset_name(filename, name)
    progress(0.1, f"Reading {filename}")
    result = read(config.limits())
    lineage = Lineage(kind="file", name=filename, source_hash=result.source_hash, notes=result.notes)
    return _store(workspace, actor, project, result, name=name, lineage=lineage, auxiliary=auxiliary,
                  progress=progress)


def ingest_bytes(workspace: Workspace, actor: User, project_id: int, data: bytes, filename: str, *,
                 name: str | None = None, auxiliary: bool = False, encoding: str = "utf-8",
                 decimal: str | None = None, thousands: str | None = None,
                 progress: Progress = quiet) -> DatasetVersion:
    """Ingest an uploaded CSV/Parquet file as a new dataset version of the project. ``decimal``
    and ``thousands`` name how the file writes numbers (such as ',' and '.' for 1.234,56)."""
    filename = names.clean(filename) or "unnamed"
    number_format = _number_format(decimal, thousands)
    return _ingest_file(workspace, actor, project_id, filename,
                        lambda limits: read_upload(data, filename, limits, encoding=encoding,
                                                   number_format=number_format),
                        name=name, auxiliary=auxiliary, progress=progress)


def ingest_path(workspace: Workspace, actor: User, project_id: int, path: Path, *,
                name: str | None = None, auxiliary: bool = False, encoding: str = "utf-8",
                decimal: str | None = None, thousands: str | None = None,
                progress: Progress = quiet) -> DatasetVersion:
    """Ingest a CSV/Parquet file on disk (memory-mapped, not copied) as a new dataset version."""
    path = Path(path)
    number_format = _number_format(decimal, thousands)
    return _ingest_file(workspace, actor, project_id, path.name,
                        lambda limits: read_path(path, limits, encoding=encoding, number_format=number_format),
                        name=name, auxiliary=auxiliary, progress=progress)


def _number_format(decimal: str | None, thousands: str | None) -> NumberFormat | None:
    """The convention a user named (None when they named none); a thousands separator alone
    implies the other decimal mark (thousands '.' means decimal ',')."""
    if not decimal and not thousands:
        return None
    if not decimal:
        decimal = "," if thousands == "." else "."
    return NumberFormat(decimal=decimal, thousands=thousands or None)


def ingest_bundled(workspace: Workspace, actor: User, project_id: int, key: str, *,
                   name: str | None = None, auxiliary: bool = False,
                   progress: Progress = quiet) -> DatasetVersion:
    """Ingest one of the datasets bundled in ``data/`` (``BUNDLED`` keys) into a project as a new dataset version
    with its attribution in the lineage; ``progress(fraction, message)`` is called while reading and
    hashing. Raises InputError for an unknown key, PermissionDenied (needs EDIT_DATA), NotFound for the
    project."""
    if key not in BUNDLED:
        raise InputError(f"No bundled dataset {key!r}.", f"Choose one of: {', '.join(BUNDLED)}.")
    require(actor, Permission.EDIT_DATA)
    project = get_project(workspace, project_id)
    filename, attribution = BUNDLED[key]
    result = read_path(config.DATA_DIR / filename, config.limits())
    lineage = Lineage(kind="bundled", name=filename, source_hash=result.source_hash,
                      notes=(attribution, *result.notes))
    return _store(workspace, actor, project, result, name=name or key, lineage=lineage,
                  auxiliary=auxiliary, progress=progress)


def store_query_result(workspace: Workspace, actor: User, project_id: int, table: pa.Table, sql: str,
                       *, name: str, auxiliary: bool = False) -> DatasetVersion:
    """Freeze the result of a read-only SQL query over the workspace's datasets."""
    require(actor, Permission.EDIT_DATA)
    project = get_project(workspace, project_id)
    if table.num_rows == 0:
        raise InputError("The query returned no rows.", "Loosen its WHERE clause or check the joins.")
    from lifecycle.data.ingest import check_column_names  # same header rules as files
    check_column_names(table.column_names, "the query result", config.limits())
    result = ReadResult(table=table, source_hash=None, source_bytes=0, notes=())
    lineage = Lineage(kind="query", name=name, query=sql)
    return _store(workspace, actor, project, result, name=_dataset_name(name, name), lineage=lineage,
                  auxiliary=auxiliary, progress=quiet)


def store_table(workspace: Workspace, actor: User, project_id: int, table: pa.Table, *, name: str,
                lineage: Lineage, progress: Progress = quiet) -> DatasetVersion:
    """Freeze a table another stage assembled (a retrain's rows: the reference and labelled production
    rows) as a new primary dataset version named ``name``, with ``lineage`` saying where its rows came
    from; checked like an ingested file (column names, the target, the row limit). The same rows under
    the same name return the version already on record. Raises PermissionDenied (EDIT_DATA), NotFound,
    InputError."""
    require(actor, Permission.EDIT_DATA)
    project = get_project(workspace, project_id)
    from lifecycle.data.ingest import check_column_names
    check_column_names(table.column_names, lineage.name, config.limits())
    result = ReadResult(table=table, source_hash=None, source_bytes=0, notes=())
    return _store(workspace, actor, project, result, name=_dataset_name(name, name), lineage=lineage,
                  auxiliary=False, progress=progress)


def list_datasets(workspace: Workspace, project_id: int) -> list[DatasetVersion]:
    """Every dataset version of a project, oldest first (primary and auxiliary)."""
    return dataset_store.for_project(workspace.db.cursor(), project_id)


def get_dataset(workspace: Workspace, dataset_id: int) -> DatasetVersion:
    """The dataset version with this id. Raises NotFound."""
    dataset = dataset_store.get(workspace.db.cursor(), dataset_id)
    if dataset is None:
        raise NotFound(f"No dataset version with id {dataset_id}.",
                       "List them with `data list --project NAME`.")
    return dataset


def check_rows_kept(dataset: DatasetVersion) -> None:
    """Raise NotFound when a retention clean-up deleted the version's rows (its record and hash stay)."""
    if dataset.deleted_at is not None:
        raise NotFound(f"The rows of {dataset.label} were deleted by a retention clean-up on "
                       f"{dataset.deleted_at:%Y-%m-%d}; its record and content hash are kept.",
                       "Ingest the data again (a new version) to work with it.")


def load_table(workspace: Workspace, dataset: DatasetVersion) -> pa.Table:
    check_rows_kept(dataset)
    path = dataset_store.data_path(workspace.path, dataset)
    if not path.exists():
        raise NotFound(f"The rows of {dataset.label} are missing from {path.parent}.",
                       "Restore the workspace's .files folder from a backup.")
    return dataset_files.read_table(path)


def load_frame(workspace: Workspace, dataset: DatasetVersion, *, columns: list[str] | None = None,
               limit: int | None = None) -> pd.DataFrame:
    """The version's rows as a pandas DataFrame (n_rows x n_columns; only ``columns``, and at most ``limit``
    rows, when given), read zero-copy from its Arrow file. Raises NotFound when the file is missing."""
    table = load_table(workspace, dataset)
    if columns is not None:
        table = table.select(columns)
    if limit is not None:
        table = table.slice(0, limit)
    return table.to_pandas()


def verify_dataset(workspace: Workspace, dataset: DatasetVersion) -> bool:
    """True when the stored rows still hash to the version's content hash."""
    return sha256_file(dataset_store.data_path(workspace.path, dataset)) == dataset.content_hash


def parquet_bytes(workspace: Workspace, dataset: DatasetVersion) -> bytes:
    """The dataset version as a Parquet file, for download (the same rows and types as on record)."""
    import io

    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(load_table(workspace, dataset), buffer, compression="zstd")
    return buffer.getvalue()
