"""Batch scoring: a CSV or Parquet file scored by one model version of the workspace.

The file is read by the data stage's safe readers (size limit, gzip, a message that teaches), then
scored in chunks so a progress callback can follow a large file. Every row is checked against the
version's input schema first (``schema.check_frame``); a row that does not fit is kept in the output
with an empty prediction and the reason in ``not_scored_because``, and listed by row (0 = the first
data row) and column: nothing is dropped silently. The model is loaded through the registry's safe
loader (hash and trusted types checked; a refusal is audited), and each batch scored is audited too.
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lifecycle import config
from lifecycle.auth import Permission, require
from lifecycle.data.ingest import ReadResult, read_path, read_upload
from lifecycle.deploy.labels import class_labels
from lifecycle.deploy.manifest import ServedVersion
from lifecycle.deploy.schema import RowProblem, check_frame
from lifecycle.deploy.scorer import LoadedVersion, score_frame
from lifecycle.errors import InputError
from lifecycle.exports import csv_bytes
from lifecycle.models import registry
from lifecycle.problem import projects
from lifecycle.progress import Progress, quiet
from lifecycle.records import ModelVersion, User
from lifecycle.store import audit_log
from lifecycle.workspace import Workspace

CHUNK_ROWS = 20_000  # rows checked and scored at a time (one progress step)
MAX_LISTED = 1_000  # problems kept for display; every refused row still carries its reason in the output
PREDICTION = "prediction"
PROBABILITY = "probability_"  # + the class, one column per class
PROBLEM = "not_scored_because"
OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True, kw_only=True)
class BatchSummary:
    """What a batch came to: rows read, scored and refused, and how the predictions are distributed
    (count per class for classifiers; mean, min, median and max for regression)."""

    version_id: int
    version_label: str
    project: str
    task: str
    file_name: str
    source_hash: str
    rows: int
    scored: int
    refused: int  # rows not scored (each has a reason in the output)
    problems: int  # values that did not fit (a refused row may have several)
    distribution: dict[str, int] = field(default_factory=dict)  # prediction -> rows (classifiers)
    statistics: dict[str, float] = field(default_factory=dict)  # regression: mean, min, median, max
    notes: tuple[str, ...] = ()  # what the reader noticed in the file

    def lines(self) -> list[str]:
        """The summary in words, one line each (the CLI prints them)."""
        lines = [f"Scored {self.scored:,} of {self.rows:,} rows of {self.file_name} with {self.project} "
                 f"{self.version_label}; {self.refused:,} not scored."]
        if self.distribution:
            lines.append("Predictions: " + ", ".join(f"{name} {count:,} ({count / max(self.scored, 1):.1%})"
                                                   for name, count in self.distribution.items()))
        if self.statistics:
            lines.append("Predictions: " + ", ".join(f"{name} {value:.4g}" for name, value in self.statistics.items()))
        return lines + [f"Note: {note}" for note in self.notes]

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__} | {"notes": list(self.notes)}


@dataclass(frozen=True, kw_only=True)
class BatchResult:
    """Every row of the file in its order, with ``prediction``, one ``probability_<class>`` column
    per class (classifiers) and ``not_scored_because`` appended (names that clash with an input
    column get a trailing ``_``); the problems by row and column (the first ``MAX_LISTED``); the summary."""

    frame: pd.DataFrame
    problems: tuple[RowProblem, ...]
    summary: BatchSummary
    columns: dict[str, str]  # PREDICTION / PROBLEM / each probability column: its name in ``frame``

    def to_bytes(self, fmt: str) -> bytes:
        """The result as ``csv`` (formula-like text neutralised, see ``exports``) or ``parquet``."""
        buffer = io.BytesIO()
        if fmt == "csv":
            return csv_bytes(self.frame)
        if fmt == "parquet":
            self.frame.to_parquet(buffer, index=False)
        else:
            raise InputError(f"Unknown output format {fmt!r}.", "Choose csv or parquet.")
        return buffer.getvalue()

    def write(self, path: Path) -> str:
        """Write the result to ``path`` in the format its extension names; returns the format."""
        fmt = output_format(path)
        Path(path).write_bytes(self.to_bytes(fmt))
        return fmt


def output_format(path: Path | str) -> str:
    """``csv`` or ``parquet`` from a file name's extension; InputError for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise InputError(f"{Path(path).name}: the output format is chosen by the extension, and {suffix or 'none'!r} "
                         "is not one Lifecycle writes.", "End the output file name with .csv or .parquet.")
    return OUTPUT_FORMATS[suffix]


def score_path(workspace: Workspace, actor: User, version_id: int, path: Path, *, encoding: str = "utf-8",
               progress: Progress = quiet) -> BatchResult:
    """Score the CSV/TSV (optionally gzipped) or Parquet file at ``path`` with model version
    ``version_id``; ``encoding`` is a text file's (as at ingest: utf-8, latin-1, cp1252, utf-16...).
    Raises PermissionDenied (needs SCORE_BATCH), NotFound, or InputError (an unreadable file, a file
    over the size limit, a schema column missing from the file)."""
    require(actor, Permission.SCORE_BATCH)
    version = registry.get_version(workspace, version_id)
    return _score(workspace, actor, version, read_path(Path(path), config.limits(), encoding=encoding),
                  Path(path).name, progress)


def score_bytes(workspace: Workspace, actor: User, version_id: int, data: bytes, filename: str, *,
                encoding: str = "utf-8", progress: Progress = quiet) -> BatchResult:
    """Like ``score_path`` for an uploaded file given as bytes; ``filename`` says its format."""
    require(actor, Permission.SCORE_BATCH)
    version = registry.get_version(workspace, version_id)
    return _score(workspace, actor, version, read_upload(data, filename, config.limits(), encoding=encoding),
                  filename, progress)


def _score(workspace: Workspace, actor: User, version: ModelVersion, read: ReadResult, filename: str,
           progress: Progress) -> BatchResult:
    table = read.table
    schema = version.input_schema
    missing = [c.name for c in schema if c.name not in table.column_names]
    if missing:
        raise InputError(f"{filename} has no column {', '.join(repr(m) for m in missing)}, which model "
                         f"{version.label} needs in every row.",
                         f"Add the column(s); the model reads: {', '.join(c.name for c in schema)}.")
    project = projects.get_project(workspace, version.project_id)
    progress(0.0, f"Loading model {version.label}…")
    loaded = _loaded(workspace, actor, version, project.task)
    names = _output_names(table.column_names, loaded.class_names)
    pieces: list[pd.DataFrame] = []
    problems: list[RowProblem] = []
    n_problems = 0
    for start in range(0, max(table.num_rows, 1), CHUNK_ROWS):
        chunk = table.slice(start, CHUNK_ROWS).to_pandas()
        scored, found = _score_chunk(loaded, chunk, start, names)
        pieces.append(scored)
        n_problems += len(found)
        problems.extend(found[:max(MAX_LISTED - len(problems), 0)])
        done = min(start + CHUNK_ROWS, table.num_rows)
        progress(done / max(table.num_rows, 1), f"Scored {done:,} of {table.num_rows:,} rows")
    frame = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()
    refused = int(frame[names[PROBLEM]].notna().sum())
    summary = BatchSummary(version_id=version.id, version_label=version.label, project=project.name,
                           task=project.task, file_name=filename, source_hash=read.source_hash, rows=len(frame),
                           scored=len(frame) - refused, refused=refused, problems=n_problems,
                           notes=read.notes, **_distribution(frame, names, loaded))
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor.name, action="model.batch_scored", entity=f"model:{version.id}",
                         details={"file": filename, "source_hash": read.source_hash, "rows": summary.rows,
                                  "scored": summary.scored, "refused": summary.refused,
                                  "project_id": version.project_id})
    return BatchResult(frame=frame, problems=tuple(problems), summary=summary, columns=names)


def _loaded(workspace: Workspace, actor: User, version: ModelVersion, task: str) -> LoadedVersion:
    pipeline = registry.load_pipeline(workspace, version, actor_name=actor.name)
    served = ServedVersion(version_id=version.id, version=version.version,
                           artifact=registry.artifact_path(workspace, version).name,
                           artifact_hash=version.artifact_hash, input_schema=version.input_schema, share=1.0)
    classes = () if task == "regression" else tuple(
        c.item() if isinstance(c, np.generic) else c for c in getattr(pipeline, "classes_", ()))
    project = projects.get_project(workspace, version.project_id)
    return LoadedVersion(served=served, pipeline=pipeline, task=task, classes=classes,
                         labels=class_labels(workspace, project) if task == "binary" else {})


def _output_names(inputs: list[str], classes: tuple[Any, ...]) -> dict[str, str]:
    taken = set(inputs)
    names: dict[str, str] = {}
    for key in [PREDICTION, *(f"{PROBABILITY}{c}" for c in classes), PROBLEM]:
        name = key
        while name in taken:
            name += "_"
        taken.add(name)
        names[key] = name
    return names


def _score_chunk(loaded: LoadedVersion, chunk: pd.DataFrame, start: int,
                 names: dict[str, str]) -> tuple[pd.DataFrame, list[RowProblem]]:
    checked = check_frame(loaded.served.input_schema, chunk)
    scores = score_frame(loaded, checked.frame)
    n = len(chunk)
    out = chunk.copy()
    if loaded.task == "regression":
        predictions = np.full(n, np.nan)
        predictions[checked.rows] = np.asarray(scores.predictions, dtype=float)
        out[names[PREDICTION]] = predictions
    else:
        predictions = np.full(n, None, dtype=object)
        predictions[checked.rows] = scores.predictions
        out[names[PREDICTION]] = pd.Series(predictions, index=out.index, dtype=object)
    if scores.probabilities is not None:
        for position, label in enumerate(scores.classes):
            column = np.full(n, np.nan)
            column[checked.rows] = scores.probabilities[:, position]
            out[names[f"{PROBABILITY}{label}"]] = column
    reasons = np.full(n, None, dtype=object)
    moved = [RowProblem(row=p.row + start, column=p.column, problem=p.problem) for p in checked.problems]
    by_row: dict[int, list[str]] = {}
    for problem in checked.problems:
        by_row.setdefault(problem.row, []).append(f"{problem.column}: {problem.problem}")
    for row, texts in by_row.items():
        reasons[row] = "; ".join(texts)
    out[names[PROBLEM]] = pd.Series(reasons, index=out.index, dtype=object)
    return out, moved


def _distribution(frame: pd.DataFrame, names: dict[str, str], loaded: LoadedVersion) -> dict[str, Any]:
    predictions = frame[names[PREDICTION]]
    if loaded.task == "regression":
        values = predictions.dropna().to_numpy(dtype=float)
        if not len(values):
            return {}
        return {"statistics": {"mean": float(values.mean()), "min": float(values.min()),
                               "median": float(np.median(values)), "max": float(values.max())}}
    counts = Counter(str(p) for p in predictions if p is not None and not (isinstance(p, float) and np.isnan(p)))
    order = [str(c) for c in loaded.class_names] or sorted(counts)
    return {"distribution": {label: counts.get(label, 0) for label in order}}


def table_of_problems(problems: tuple[RowProblem, ...]) -> pd.DataFrame:
    """The refused values as a table (row, column, problem) for pages and reports."""
    return pd.DataFrame({"row": [p.row for p in problems], "column": [p.column for p in problems],
                         "problem": [p.problem for p in problems]})
