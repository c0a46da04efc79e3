"""Labels joined to predictions: DuckDB over the prediction and feedback logs' Parquet segments.

The one rule of which label counts, in SQL, for every caller: a feedback row is *valid* when its
label is a JSON value of the right type (a number for regression; text or a number that is one of
``classes`` for classification; an integral float such as ``1.0`` reads as ``1``), and for each
(request id, row) the *first* valid feedback wins (by feedback time, then segment name, then its
position in the segment); later ones are counted as duplicates. A prediction is a logged row that
was answered (status below 400) with a version and a prediction. Torn segments are skipped, named
in a warning (``store.prediction_log.segments``). An in-memory DuckDB connection does the reading.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from lifecycle.records.log_names import quoted
from lifecycle.store.prediction_log import Segments, input_text_sql, segments, typed_union
from lifecycle.store.window_sql import bucket_sql

NUMBER_TYPES = ("BIGINT", "UBIGINT", "HUGEINT", "DOUBLE")
TEXT_TYPES = ("VARCHAR", "BIGINT", "UBIGINT", "HUGEINT", "DOUBLE")
EXAMPLES = 5


@dataclass(frozen=True, kw_only=True)
class Logs:
    """The readable segments of a project's two logs."""

    predictions: Segments
    feedback: Segments

    @property
    def skipped(self) -> tuple[str, ...]:
        return tuple(f"{name}: {why}" for name, why in self.predictions.skipped + self.feedback.skipped)


def logs(predictions_folder: Path, feedback_folder: Path) -> Logs:
    return Logs(predictions=segments(predictions_folder), feedback=segments(feedback_folder))


def json_pointer(name: str) -> str:
    """The JSON pointer (RFC 6901) of a top-level key, for DuckDB's ``json_extract``."""
    return "/" + str(name).replace("~", "~0").replace("/", "~1")


def _files(files: tuple[Path, ...]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "]"


def _canonical(column: str) -> str:
    """SQL for the text of a JSON value ``column`` (already valid JSON or NULL): strings as they
    are, numbers as written, an integral float as an integer (``1.0`` -> ``1``)."""
    return (f"CASE WHEN json_type({column}) = 'DOUBLE' AND TRY_CAST({column} AS DOUBLE) = "
            f"floor(TRY_CAST({column} AS DOUBLE)) AND abs(TRY_CAST({column} AS DOUBLE)) < 1e15 "
            f"THEN CAST(CAST(TRY_CAST({column} AS DOUBLE) AS BIGINT) AS VARCHAR) "
            f"ELSE json_extract_string({column}, '$') END")


# The first valid label of each (request id, row): by feedback time, then segment name, then position.
_FIRST = ('SELECT request_id, "row", arg_min(label_text, struct_pack(t := fed_at, f := filename, '
          'n := file_row_number)) AS label_text FROM {source} WHERE valid GROUP BY request_id, "row"')


def _feedback_sql(found: Logs) -> str:
    """CTEs ``feedback`` (every row, typed and judged) and ``labels`` (the first valid per key).
    Parameters: ``$regression`` (bool) and ``$classes`` (VARCHAR[])."""
    if found.feedback.files:
        raw = (f"SELECT request_id, coalesce(\"row\", 0) AS \"row\", label, \"time\" AS fed_at, filename, "
               f"file_row_number FROM read_parquet({_files(found.feedback.files)}, filename = true, "
               "file_row_number = true, union_by_name = true)")
    else:
        raw = ("SELECT NULL::VARCHAR AS request_id, NULL::INTEGER AS \"row\", NULL::VARCHAR AS label, "
               "NULL::TIMESTAMP AS fed_at, NULL::VARCHAR AS filename, NULL::BIGINT AS file_row_number WHERE FALSE")
    typed = ("SELECT *, json_type(json_label) AS label_type, "
             f"{_canonical('json_label')} AS label_text FROM "
             "(SELECT *, CASE WHEN json_valid(label) THEN label END AS json_label FROM raw)")
    return f"""
        raw AS ({raw}),
        typed AS ({typed}),
        feedback AS (
            SELECT *, CASE
                WHEN $regression THEN coalesce(label_type IN {NUMBER_TYPES}, FALSE)
                ELSE coalesce(label_type IN {TEXT_TYPES} AND list_contains($classes, label_text), FALSE) END AS valid,
            CASE WHEN label_type IS NULL AND label IS NOT NULL THEN 'not JSON'
                 WHEN label_type IS NULL OR label_type = 'NULL' THEN 'empty'
                 WHEN $regression AND label_type NOT IN {NUMBER_TYPES} THEN 'wrong type'
                 WHEN NOT $regression AND label_type NOT IN {TEXT_TYPES} THEN 'wrong type'
                 ELSE 'not a class' END AS why
            FROM typed),
        labels AS ({_FIRST.format(source="feedback")})"""


def label_ctes(found: Logs) -> str:
    """The rule as SQL for another store module's query (``WITH {label_ctes(found)}, ...``): the CTEs
    ``feedback`` (every feedback row, typed and judged) and ``labels`` (request_id, row, label_text:
    the first valid label of each key, canonical text). Run it with :func:`rule_params`."""
    return _feedback_sql(found)


def rule_params(classes: tuple[str, ...] | None) -> dict[str, Any]:
    """The named parameters :func:`label_ctes` reads: the classes a label may be (None: a number)."""
    return _rule(classes)


def _predicted_sql(found: Logs, size_seconds: int, *, attributes: tuple[str, ...] = (),
                   typed: bool = False) -> str:
    """CTE ``predicted``: the answered rows; with ``attributes`` each input as text (``s0``, ..);
    with ``typed`` the segments' typed input columns too (``store.prediction_log``)."""
    union = typed_union(found.predictions.files) if attributes or typed else {}
    extra = "".join(f", {input_text_sql(name, union)} AS s{i}" for i, name in enumerate(attributes))
    if typed:
        extra += "".join(f", {quoted(column)}" for column in union.values())
    return f"""
        predicted AS (
            SELECT request_id, "row", version_id, "time", {bucket_sql('"time"', size_seconds)} AS window_start,
                   prediction, outputs, inputs{extra}
            FROM read_parquet({_files(found.predictions.files)}, union_by_name = true)
            WHERE status < 400 AND "row" IS NOT NULL AND version_id IS NOT NULL AND prediction IS NOT NULL)"""


def _run(sql: str, params: dict[str, Any]) -> pd.DataFrame:
    connection = duckdb.connect()
    try:
        return connection.execute(sql, params).df()
    finally:
        connection.close()


def _rule(classes: tuple[str, ...] | None) -> dict[str, Any]:
    return {"regression": classes is None, "classes": list(classes or ())}


def classes_in_log(found: Logs) -> tuple[str, ...]:
    """The classes a classifier's answers name: the keys of the first logged probabilities (their
    order), else the distinct predictions seen; () when nothing is logged."""
    if not found.predictions.files:
        return ()
    source = f"read_parquet({_files(found.predictions.files)}, union_by_name = true)"
    frame = _run(f"SELECT json_keys(outputs) AS keys FROM {source} WHERE outputs IS NOT NULL AND status < 400 "
                 "LIMIT 1", {})
    if len(frame):
        return tuple(str(k) for k in frame["keys"][0])
    frame = _run(f"SELECT DISTINCT {_canonical('prediction')} AS c FROM {source} WHERE prediction IS NOT NULL "
                 "AND json_valid(prediction) ORDER BY c", {})
    return tuple(str(c) for c in frame["c"])


@dataclass(frozen=True, kw_only=True)
class FeedbackCounts:
    """What the feedback log holds, judged against the predictions (see the module's rule)."""

    rows: int  # every feedback row
    invalid: int  # wrong type, empty, not JSON, or not one of the classes
    duplicates: int  # valid rows after the first for the same (request id, row)
    unknown: int  # (request id, row) keys with a valid label but no prediction
    joined: int  # keys with a valid label and a prediction
    invalid_examples: tuple[dict[str, Any], ...]  # request_id, row, label (as logged), why
    unknown_examples: tuple[dict[str, Any], ...]  # request_id, row


@dataclass(frozen=True, kw_only=True, eq=False)
class JoinSummary:
    """Both logs joined once: per (version_id, window_start) the predictions, the labelled ones and
    ``label_counts`` (class -> labelled rows; {} for regression), and the feedback log's counts."""

    counts: pd.DataFrame
    feedback: FeedbackCounts


_COUNT_COLUMNS = ["version_id", "window_start", "predictions", "labelled", "label_counts"]


_VOLUME_COLUMNS = ["version_id", "window_start", "predictions"]
# (segment path, size, mtime, window size) -> its predictions per (version, window); segments never change
_volumes: dict[tuple[str, int, int, int], pd.DataFrame] = {}
_volumes_lock = threading.Lock()


def _volume(connection: duckdb.DuckDBPyConnection, files: tuple[Path, ...], size_seconds: int) -> pd.DataFrame:
    """Predictions per (version_id, window_start) over ``files``: each segment counted once per
    process and window size (a segment never changes once written), only new ones read."""
    keys = {}
    for path in files:
        stat = path.stat()
        keys[path] = (str(path), stat.st_size, stat.st_mtime_ns, int(size_seconds))
    with _volumes_lock:
        known = {path: _volumes[key] for path, key in keys.items() if key in _volumes}
    new = [path for path in files if path not in known]
    if new:
        counted = connection.execute(f"""
            SELECT filename, version_id, {bucket_sql('"time"', size_seconds)} AS window_start, count(*) AS predictions
            FROM read_parquet({_files(tuple(new))}, filename = true, union_by_name = true)
            WHERE status < 400 AND "row" IS NOT NULL AND version_id IS NOT NULL AND prediction IS NOT NULL
            GROUP BY ALL""").df()
        parts = dict(tuple(counted.groupby("filename"))) if len(counted) else {}
        with _volumes_lock:
            if len(_volumes) > 4 * len(files) + 1_000:  # segments deleted by retention are forgotten
                for stale in set(_volumes) - set(keys.values()):
                    del _volumes[stale]
            for path in new:
                part = parts.get(str(path))
                known[path] = _volumes[keys[path]] = (part[_VOLUME_COLUMNS].reset_index(drop=True) if part is not None
                                                      else counted.iloc[:0][_VOLUME_COLUMNS])
    frames = [frame for frame in known.values() if len(frame)]
    if not frames:
        return pd.DataFrame({"version_id": pd.Series(dtype="int64"), "window_start": pd.Series(dtype="datetime64[us]"),
                             "predictions": pd.Series(dtype="int64")})
    return (pd.concat(frames, ignore_index=True).groupby(["version_id", "window_start"], as_index=False)["predictions"]
            .sum())


def join_summary(found: Logs, size_seconds: int, classes: tuple[str, ...] | None) -> JoinSummary:
    """Judge every feedback row, pick the winning labels and join them to the predictions, once
    (temporary tables in one in-memory connection), then count per window and over the log.

    The log is never copied: the predictions per window are counted from the segments, each segment
    once per process (``_volume``; no key is read), and only the labelled predictions (the join
    with the winning labels, as small as the feedback) are kept to count labels per window and
    which labels join. At 10M logged predictions this is what keeps a refresh with nothing new
    quick (12.7 s before, 1.5 s with drift, on a busy machine)."""
    connection = duckdb.connect()
    try:
        connection.execute(f"""CREATE TEMP TABLE judged AS WITH {_feedback_sql(found)}
            SELECT request_id, "row", label, fed_at, filename, file_row_number, label_text, valid, why FROM feedback""",
                           _rule(classes))
        connection.execute(f"CREATE TEMP TABLE labels AS {_FIRST.format(source='judged')}")
        if found.predictions.files:
            volume = _volume(connection, found.predictions.files, size_seconds)
            labelled = connection.execute("SELECT count(*) FROM labels").fetchone()[0]
            hits = (f"""WITH {_predicted_sql(found, size_seconds)}
                SELECT p.request_id, p."row", p.version_id, p.window_start, l.label_text
                FROM predicted p JOIN labels l USING (request_id, "row")""" if labelled else
                    """SELECT NULL::VARCHAR AS request_id, NULL::INTEGER AS "row", NULL::BIGINT AS version_id,
                    NULL::TIMESTAMP AS window_start, NULL::VARCHAR AS label_text WHERE FALSE""")
            connection.execute(f"CREATE TEMP TABLE hits AS {hits}")
        else:
            volume = pd.DataFrame({"version_id": pd.Series(dtype="int64"),
                                   "window_start": pd.Series(dtype="datetime64[us]"),
                                   "predictions": pd.Series(dtype="int64")})
            connection.execute("""CREATE TEMP TABLE hits (request_id VARCHAR, "row" INTEGER, version_id BIGINT,
                window_start TIMESTAMP, label_text VARCHAR)""")
        connection.register("volume", volume)
        counts = connection.execute("""
            SELECT v.version_id, v.window_start, v.predictions, coalesce(h.labelled, 0) AS labelled,
                   h.label_counts
            FROM volume v LEFT JOIN (
                SELECT version_id, window_start, count(*) AS labelled, histogram(label_text) AS label_counts
                FROM hits GROUP BY version_id, window_start) h USING (version_id, window_start)
            ORDER BY v.version_id, v.window_start""").df()
        connection.unregister("volume")
        counts["label_counts"] = [dict(v) if isinstance(v, dict) else {} for v in counts["label_counts"]]
        totals = connection.execute("""
            SELECT (SELECT count(*) FROM judged) AS rows, (SELECT count(*) FROM judged WHERE NOT valid) AS invalid,
                   (SELECT count(*) FROM judged WHERE valid) - (SELECT count(*) FROM labels) AS duplicates,
                   (SELECT count(*) FROM labels ANTI JOIN hits USING (request_id, "row")) AS unknown,
                   (SELECT count(*) FROM labels SEMI JOIN hits USING (request_id, "row")) AS joined""").fetchone()
        invalid = connection.execute(f"""SELECT request_id, "row", label, why FROM judged WHERE NOT valid
            ORDER BY fed_at, filename, file_row_number LIMIT {EXAMPLES}""").df()
        unknown = connection.execute(f"""SELECT request_id, "row" FROM labels ANTI JOIN hits USING (request_id, "row")
            ORDER BY request_id, "row" LIMIT {EXAMPLES}""").df()
    finally:
        connection.close()
    rows, bad, duplicates, missing, joined = (int(v) for v in totals)
    return JoinSummary(counts=counts[_COUNT_COLUMNS], feedback=FeedbackCounts(
        rows=rows, invalid=bad, duplicates=duplicates, unknown=missing, joined=joined,
        invalid_examples=tuple(_plain(r) for r in invalid.to_dict("records")),
        unknown_examples=tuple(_plain(r) for r in unknown.to_dict("records"))))


def feedback_counts(found: Logs, classes: tuple[str, ...] | None) -> FeedbackCounts:
    """Counts of the feedback log judged against the predictions."""
    return join_summary(found, 3600, classes).feedback


def _plain(record: dict) -> dict:
    return {k: (None if v is None or (isinstance(v, float) and v != v) else
                int(v) if k == "row" else v) for k, v in record.items()}


def window_rows(found: Logs, size_seconds: int, classes: tuple[str, ...] | None, *, version_id: int,
                starts: list[datetime], probability_of: tuple[str, ...] = (),
                attributes: tuple[str, ...] = ()) -> pd.DataFrame:
    """The predictions of ``version_id`` in the windows starting at ``starts``, oldest first, each
    with: window_start, request_id, row, predicted (canonical text), label (the winning valid
    label's text, NULL when unlabelled), ``p0..`` (the probability of each class in
    ``probability_of``, NULL when not logged) and ``s0..`` (each input ``attributes`` as text,
    NULL when the request did not send it)."""
    if not found.predictions.files or not starts:
        return pd.DataFrame()
    params: dict[str, Any] = {**_rule(classes), "version_id": int(version_id), "starts": list(starts),
                              "since": min(starts), "until": max(starts) + pd.Timedelta(seconds=size_seconds)}
    extra = []
    for i, name in enumerate(probability_of):
        params[f"c{i}"] = json_pointer(name)
        extra.append(f"TRY_CAST(json_extract(p.outputs, $c{i}) AS DOUBLE) AS p{i}")
    extra += [f"p.s{i}" for i in range(len(attributes))]
    listed = "".join(", " + e for e in extra)
    return _run(f"""WITH {_feedback_sql(found)}, {_predicted_sql(found, size_seconds, attributes=attributes)}
        SELECT p.window_start, p.request_id, p."row", {_canonical('CASE WHEN json_valid(p.prediction) THEN p.prediction END')}
               AS predicted, l.label_text AS label{listed}
        FROM predicted p LEFT JOIN labels l USING (request_id, "row")
        WHERE p.version_id = $version_id AND p."time" >= $since AND p."time" < $until
          AND list_contains($starts, p.window_start)
        ORDER BY p.window_start, p."time", p.request_id, p."row" """, params)


def known_keys(found: Logs, keys: pd.DataFrame, classes: tuple[str, ...] | None) -> pd.DataFrame:
    """For each (request_id, row) of ``keys`` (in order): ``known`` (a prediction has it) and
    ``labelled`` (the feedback log already holds a valid label for it)."""
    table = pa.table({"request_id": pa.array(keys["request_id"].astype(str).tolist(), pa.string()),
                      "row": pa.array(keys["row"].astype("int64").tolist(), pa.int32()),
                      "position": pa.array(range(len(keys)), pa.int64())})
    if not found.predictions.files:
        return pd.DataFrame({"known": [False] * len(keys), "labelled": [False] * len(keys)})
    connection = duckdb.connect()
    try:
        connection.register("wanted", table)
        frame = connection.execute(f"""WITH {_feedback_sql(found)}, {_predicted_sql(found, 3600)},
            keys AS (SELECT DISTINCT request_id, "row" FROM predicted)
            SELECT w.position, k.request_id IS NOT NULL AS known, l.request_id IS NOT NULL AS labelled
            FROM wanted w LEFT JOIN keys k USING (request_id, "row") LEFT JOIN labels l USING (request_id, "row")
            ORDER BY w.position""", _rule(classes)).df()
    finally:
        connection.close()
    return frame[["known", "labelled"]]


def labelled_inputs(found: Logs, classes: tuple[str, ...] | None, *, since: datetime | None = None,
                    until: datetime | None = None) -> pd.DataFrame:
    """Every answered row with a label that counts (the module's rule), logged at or after ``since``
    and before ``until`` (None: unbounded), oldest first: request_id, row, time, version_id, label (the
    winning label's text), inputs (JSON text) and the segments' typed ``input:`` columns: the row's
    inputs are ``prediction_log.inputs_frame`` of them. A row scored by several versions (an answer
    and its shadow) appears once."""
    columns = ["request_id", "row", "time", "version_id", "inputs", "label"]
    if not found.predictions.files:
        return pd.DataFrame(columns=columns)
    typed = [quoted(column) for column in typed_union(found.predictions.files).values()]
    frame = _run(f"""WITH {_feedback_sql(found)}, {_predicted_sql(found, 3600, typed=True)}
        SELECT p.request_id, p."row", p."time", p.version_id, p.inputs, l.label_text AS label{"".join(", p." + t for t in typed)}
        FROM predicted p JOIN labels l USING (request_id, "row")
        WHERE ($since IS NULL OR p."time" >= $since) AND ($until IS NULL OR p."time" < $until)
        QUALIFY row_number() OVER (PARTITION BY p.request_id, p."row" ORDER BY p."time", p.version_id) = 1
        ORDER BY p."time", p.request_id, p."row" """, {**_rule(classes), "since": since, "until": until})
    return frame[[*columns, *(c for c in frame.columns if c not in columns)]]
