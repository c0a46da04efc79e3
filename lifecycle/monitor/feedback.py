"""Labels uploaded as a file (CSV, TSV or Parquet; ``request_id``, optional ``row``, ``label``),
checked whole and then written as one feedback segment with the scoring service's own writer, so
the feedback log stays the one source of truth and a refused file writes nothing.

A file is refused (``InputError``, nothing written) when it cannot be read, lacks a column, has no
rows, holds a row whose request id is empty, whose ``row`` is not a position, or whose label is of
the wrong type or not one of the target's classes (each named by data row, id and value), or when
none of its request ids is in the project's prediction log (a file meant for another project).
Request ids missing from the log and labels repeating a request are counted and said, not refused:
they are kept in the log and judged by the one rule of ``lifecycle.monitor.labels``.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from lifecycle import config
from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.deploy.prediction_log import FEEDBACK_SCHEMA, SegmentWriter
from lifecycle.errors import InputError, shown
from lifecycle.monitor.labels import LabelRule, canonical, feedback_folder, label_rule, project_logs, refusal
from lifecycle.problem import projects
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import monitor_labels as label_store
from lifecycle.workspace import Workspace

REQUIRED = ("request_id", "label")
LISTED = 5  # refused rows a message names
SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz", ".parquet", ".pq")


@dataclass(frozen=True, kw_only=True)
class FeedbackUpload:
    """A recorded feedback file: what was written and what will not join, in numbers and words."""

    project_id: int
    file: str
    rows: int  # labels recorded (every row of the file)
    segment: str  # the feedback segment written
    unknown: int  # rows whose (request id, row) has no logged prediction
    unknown_examples: tuple[str, ...]
    repeated_in_file: int  # rows repeating an earlier (request id, row) of the file: the first counts
    already_labelled: int  # rows whose (request id, row) already had a label: that earlier one counts
    messages: tuple[str, ...]


def _suffix(name: str) -> str:
    lower = name.lower()
    found = next((s for s in SUFFIXES if lower.endswith(s)), None)
    if found is None:
        raise InputError(f"{name}: a feedback file must be CSV, TSV or Parquet (by its extension).",
                         "Save it as .csv (or .tsv, .csv.gz, .parquet) with columns request_id, label and "
                         "optionally row.")
    return found


def read_feedback(data: bytes, filename: str) -> pd.DataFrame:
    """The file's rows as ``request_id`` (text), ``row`` (text or number, may be missing) and
    ``label`` (as the file holds it; CSV values stay text, so an id like ``007`` keeps its zeros).
    Raises InputError for an unreadable file, a missing column or no rows."""
    suffix = _suffix(filename)
    limit = config.limits().max_upload_bytes
    if len(data) > limit:
        raise InputError(f"{filename} is {len(data) / 1024 / 1024:.0f} MB, over the {limit / 1024 / 1024:.0f} MB "
                         "limit (LIFECYCLE_MAX_UPLOAD_MB).", "Split it into smaller files.")
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(io.BytesIO(data))
        else:
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[],
                                sep="\t" if suffix.startswith(".tsv") else ",",
                                compression="gzip" if suffix.endswith(".gz") else None)
    except Exception as error:  # pandas and pyarrow raise many kinds for a broken file
        raise InputError(f"{filename} cannot be read as {suffix.lstrip('.').upper()} "
                         f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}).",
                         "Export it again as CSV or Parquet with columns request_id, label and optionally row.") \
            from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        found = ", ".join(repr(c) for c in frame.columns[:10]) or "none"
        raise InputError(f"{filename} has no {' and no '.join(repr(c) for c in missing)} column (its columns: {found}).",
                         "Name the columns request_id (the X-Request-Id of the scored request), label (the true "
                         "value) and optionally row (the row's position in that request, 0 when left out).")
    if frame.empty:
        raise InputError(f"{filename} has a header but no rows.", "Add one row per label.")
    if "row" not in frame.columns:
        frame["row"] = 0
    return frame[["request_id", "row", "label"]].reset_index(drop=True)


def _position(value) -> int | None:
    """A row position (0 or more) from a cell, None when it is not one; blank means 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip()):
        return 0
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() and 0 <= number < 2**31 else None


def _checked(frame: pd.DataFrame, rule: LabelRule, filename: str) -> pd.DataFrame:
    """Rows as they will be written (request_id, row, label), or InputError naming the bad rows."""
    problems, ids, rows, labels = [], [], [], []
    for index, (request_id, row, label) in enumerate(frame.itertuples(index=False, name=None)):
        text = "" if request_id is None or (isinstance(request_id, float) and math.isnan(request_id)) \
            else str(canonical(request_id)).strip()
        position = _position(row)
        why = refusal(rule, label.strip() if isinstance(label, str) else label)
        if not text:
            problems.append(f"data row {index}: the request id is empty")
        elif position is None:
            problems.append(f"data row {index} (request id {text!r}): row {shown(row)} is not a row position "
                            "(0 or more)")
        elif why is not None:
            problems.append(f"data row {index} (request id {text!r}): {why}")
        ids.append(text)
        rows.append(position or 0)
        if why is None:
            labels.append(float(label) if rule.task == "regression" else canonical(label.strip() if isinstance(label, str)
                                                                                   else label))
        else:
            labels.append(None)
    if problems:
        more = f" (and {len(problems) - LISTED} more)" if len(problems) > LISTED else ""
        raise InputError(f"{filename}: {len(problems):,} of {len(frame):,} rows cannot be recorded: "
                         f"{'; '.join(problems[:LISTED])}{more}.",
                         "Correct those rows and upload the file again; nothing was recorded.")
    return pd.DataFrame({"request_id": ids, "row": rows, "label": labels})


def upload_feedback(workspace: Workspace, actor: User, project_id: int, data: bytes,
                    filename: str) -> FeedbackUpload:
    """Check the feedback file ``data`` (named ``filename``) against the project's prediction log and
    write it whole as one feedback segment, with its audit event. Raises PermissionDenied (needs
    EDIT_DATA), NotFound for the project, InputError for a refused file (see the module)."""
    require(actor, Permission.EDIT_DATA)
    project = projects.get_project(workspace, project_id)
    frame = read_feedback(data, filename)
    found = project_logs(workspace, project.id)
    if not found.predictions.files:
        raise InputError(f"The prediction log of {project.name!r} is empty, so {filename} has nothing to join.",
                         "Serve the model and score requests first; labels name the requests they belong to.")
    rule = label_rule(project, found)
    checked = _checked(frame, rule, filename)
    keys = label_store.known_keys(found, checked, rule.sql_classes)
    known, labelled = keys["known"].to_numpy(dtype=bool), keys["labelled"].to_numpy(dtype=bool)
    if not known.any():
        examples = ", ".join(repr(i) for i in checked["request_id"].head(3))
        raise InputError(f"None of the {len(checked):,} request ids in {filename} (e.g. {examples}) is in the "
                         f"prediction log of {project.name!r}.",
                         "Check that the file belongs to this project and that its request_id column holds the "
                         "X-Request-Id each scored request was answered with; nothing was recorded.")
    repeated = int(checked.duplicated(subset=["request_id", "row"]).sum())
    unknown_ids = tuple(checked.loc[~known, "request_id"].head(LISTED))
    result = FeedbackUpload(
        project_id=project.id, file=filename, rows=len(checked), segment="", unknown=int((~known).sum()),
        unknown_examples=unknown_ids, repeated_in_file=repeated, already_labelled=int(labelled.sum()),
        messages=_messages(int((~known).sum()), unknown_ids, repeated, int(labelled.sum())))
    with workspace.db.transaction() as cursor:
        segment = _write(workspace, project.id, checked)
        try:
            audit_log.append(cursor, actor=actor.name, action="monitor.feedback_uploaded", entity=f"project:{project.id}",
                             details={"file": filename, "rows": result.rows, "segment": segment.name,
                                      "unknown": result.unknown, "repeated_in_file": repeated,
                                      "already_labelled": result.already_labelled})
        except BaseException:
            segment.unlink(missing_ok=True)
            raise
    return replace(result, segment=segment.name)


def upload_feedback_path(workspace: Workspace, actor: User, project_id: int, path: Path) -> FeedbackUpload:
    """:func:`upload_feedback` for a file on disk. Raises InputError when ``path`` is not a file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file.", "Check the path.")
    return upload_feedback(workspace, actor, project_id, path.read_bytes(), path.name)


def _write(workspace: Workspace, project_id: int, rows: pd.DataFrame) -> Path:
    """One feedback segment holding every row, written by the service's writer (temporary name,
    fsync, rename: a reader sees all of it or none)."""
    writer = SegmentWriter(feedback_folder(workspace, project_id), FEEDBACK_SCHEMA, flush_rows=len(rows) + 1,
                           flush_seconds=3600.0, json_columns=("label",))
    try:
        now = utc_now()
        writer.append({"request_id": rows["request_id"].tolist(), "row": rows["row"].astype(int).tolist(),
                       "label": rows["label"].tolist(), "time": [now] * len(rows)})
        return writer.flush()
    finally:
        writer.close()


def _messages(unknown: int, unknown_ids: tuple[str, ...], repeated: int, already: int) -> tuple[str, ...]:
    out = []
    if unknown:
        out.append(f"{unknown:,} label(s) name a request with no logged prediction (e.g. "
                   f"{', '.join(repr(i) for i in unknown_ids[:3])}); they are kept and join nothing until it is "
                   "logged. Check those request ids and rows.")
    if repeated:
        out.append(f"{repeated:,} row(s) repeat a request and row earlier in the file; the first label counts.")
    if already:
        out.append(f"{already:,} row(s) label a request that already had a label; the earlier label counts "
                   "(the first wins).")
    return tuple(out)
