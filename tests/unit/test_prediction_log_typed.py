"""The typed prediction log: each input the schema names in a column of its own, the other keys as
JSON; bad values logged as NULL without breaking a segment; old all-JSON segments still read, and
a folder mixing both gives the drift numbers of the all-JSON log."""
from __future__ import annotations

import json
import math
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from lifecycle.deploy.prediction_log import PredictionLog
from lifecycle.records.log_names import column_name, input_name
from lifecycle.monitor.drift import compute_windows
from lifecycle.monitor.drift_columns import MonitoredColumn
from lifecycle.records import InputColumn, ReferenceColumn
from lifecycle.store import drift_log
from lifecycle.store.prediction_log import inputs_frame, prediction_rows, segments

SCHEMA = (InputColumn(name="age", dtype="integer", kind="numeric"),
          InputColumn(name="work class", dtype="string", kind="categorical", categories=("a", "b", "c")),
          InputColumn(name="code", dtype="integer", kind="categorical", categories=("13", "7")))
START = datetime(2026, 1, 1)


def _write(folder, records, *, schema=SCHEMA, at=START, request_id="r", role="answer"):
    log = PredictionLog(folder, flush_rows=10**6, flush_seconds=3600)
    try:
        log.log(request_id=request_id, version_id=1, version=1, role=role, route="predict", status=200,
                latency_ms=1.0, inputs=records, predictions=["yes"] * len(records),
                outputs=[{"yes": 0.5, "no": 0.5}] * len(records), time=at, input_schema=schema)
        return log.predictions.flush()
    finally:
        log.close()


def test_a_column_name_is_one_to_one_and_never_clashes_with_the_logs_own():
    names = ["age", "Age", "AGE", "work class", "a%b", 'quote"s', "café", "x:y", "", "inputs", "time", "日本"]
    columns = [column_name(n) for n in names]
    assert len({c.lower() for c in columns}) == len(names)  # DuckDB matches names without regard to case
    assert [input_name(c) for c in columns] == names
    assert column_name("age") == "input:age" and column_name("Age") == "input:%000041ge"
    assert input_name("inputs") is None and input_name("input:%zz") is None and input_name("input:A") is None


def test_each_input_is_a_typed_column_and_only_the_other_keys_stay_json(tmp_path):
    path = _write(tmp_path, [{"age": 39, "work class": "a", "code": 13, "sex": "F"},
                             {"age": 40.5, "work class": "b", "code": 7.0}])
    schema = pq.read_schema(path)
    assert schema.field("input:age").type == "double" and schema.field("input:work class").type == "string"
    assert schema.field("input:code").type == "double"  # an integer category: the number, as the pipeline reads it
    table = pq.read_table(path)
    assert table.column("input:age").to_pylist() == [39.0, 40.5]
    assert table.column("input:work class").to_pylist() == ["a", "b"]
    assert table.column("inputs").to_pylist() == ['{"sex": "F"}', None]  # nothing written twice
    frame, _ = prediction_rows(tmp_path / "predictions")
    inputs = inputs_frame(frame)
    assert inputs.astype(object).where(inputs.notna(), None).to_dict("records") == [
        {"age": 39.0, "work class": "a", "code": 13.0, "sex": "F"},
        {"age": 40.5, "work class": "b", "code": 7.0, "sex": None}]


def test_a_missing_or_wrongly_typed_value_is_null_and_never_breaks_a_segment(tmp_path):
    bad = [{"age": "forty", "work class": 3.0, "code": "13"}, {"work class": None}, {"age": math.inf, "code": [1]},
           {"age": {"x": 1}, "work class": True, "code": float("nan")}, {"age": "41", "work class": "c", "code": 7},
           "not a row", None, {"age": 2**70, "work class": ["a"], "code": True}]
    path = _write(tmp_path, bad)
    table = pq.read_table(path)
    assert table.num_rows == len(bad)
    assert table.column("input:age").to_pylist() == [None, None, None, None, 41.0, None, None, float(2**70)]
    assert table.column("input:work class").to_pylist() == ["3", None, None, "True", "c", None, None, None]
    assert table.column("input:code").to_pylist() == [13.0, None, None, None, 7.0, None, None, 1.0]


def test_two_schemas_that_disagree_on_a_type_log_the_column_as_text(tmp_path):
    log = PredictionLog(tmp_path, flush_rows=10**6, flush_seconds=3600)
    other = (InputColumn(name="age", dtype="string", kind="categorical"),)
    for schema, value, role in ((SCHEMA, 39, "answer"), (other, "young", "shadow")):
        log.log(request_id="r", version_id=1, version=1, role=role, route="predict", status=200, latency_ms=1.0,
                inputs=[{"age": value}], predictions=["yes"], input_schema=schema)
    path = log.predictions.flush()
    log.close()
    assert pq.read_table(path).column("input:age").to_pylist() == ["39", "young"]


def _columns():
    numbers = np.arange(20, 70, dtype=float)
    age = MonitoredColumn.of(ReferenceColumn(source="input", name="age", kind="numeric", dtype="integer",
                                             rows=50, missing=0, mean=44.5, std=14.4),
                             numbers=numbers, counts=np.full(50, 2))
    work = MonitoredColumn.of(ReferenceColumn(source="input", name="work class", kind="categorical", dtype="string",
                                              rows=90, missing=0), categories={"a": 50, "b": 30, "c": 10})
    code = MonitoredColumn.of(ReferenceColumn(source="input", name="code", kind="categorical", dtype="integer",
                                              rows=30, missing=0), categories={"13": 20, "7": 10})
    return [age, work, code]


def _traffic(seed):
    rng = np.random.default_rng(seed)
    for hour in range(6):
        n = 40 if hour % 2 else 12_000  # exact windows and windows counted on the grid
        ages = rng.normal(45 + hour, 12, n).round(1)
        work = rng.choice(["a", "b", "c", "d"], n).tolist()
        code = rng.choice([13, 7, 99], n).tolist()
        records = [{"age": float(a) if i % 17 else int(a), "work class": w, "code": c, "extra": "x"}
                   for i, (a, w, c) in enumerate(zip(ages, work, code))]
        records[0]["age"] = None
        records[1]["work class"] = None
        yield START + timedelta(hours=hour, minutes=5), records


def _statistics(folder, cache=None):
    found = segments(folder / "predictions")
    counts, _ = drift_log.window_counts(folder / "predictions", version_id=1, size_seconds=3600)
    return compute_windows(folder / "predictions", _columns(), project_id=1, version_id=1, size_seconds=3600,
                           windows=counts, now=START + timedelta(days=1), files=found.files, cache=cache)


def test_a_folder_of_old_json_and_new_typed_segments_gives_the_drift_of_the_all_json_log(tmp_path):
    for index, (at, records) in enumerate(_traffic(3)):
        _write(tmp_path / "json", records, schema=None, at=at)  # the log's first format: every input as JSON
        _write(tmp_path / "mixed", records, schema=SCHEMA if index % 2 == 0 else None, at=at)
        _write(tmp_path / "typed", records, at=at)
    kinds = [bool(pq.read_schema(p).get_field_index("input:age") + 1)
             for p in segments(tmp_path / "mixed" / "predictions").files]
    assert kinds == [True, False] * 3
    expected = _statistics(tmp_path / "json")
    assert len(expected) == 18 and {s.status for s in expected} == {"ok"}
    for folder, cache in (("mixed", None), ("mixed", tmp_path / "cache"), ("typed", None)):
        got = _statistics(tmp_path / folder, cache)
        for a, b in zip(expected, got, strict=True):
            assert a == b, (folder, a.feature, a.window_start)  # every field, to the bit


def test_labelled_rows_read_their_inputs_from_both_kinds_of_segment(tmp_path):
    from lifecycle.store import monitor_labels

    _write(tmp_path, [{"age": 30, "work class": "a", "code": 13, "sex": "F"}], schema=None, request_id="old")
    _write(tmp_path, [{"age": 31, "work class": "b", "code": 7, "sex": "M"}], request_id="new",
           at=START + timedelta(hours=1))
    log = PredictionLog(tmp_path, flush_rows=10, flush_seconds=3600)
    log.feedback("old", "yes")
    log.feedback("new", "no")
    log.close()
    found = monitor_labels.logs(tmp_path / "predictions", tmp_path / "feedback")
    joined = monitor_labels.labelled_inputs(found, ("no", "yes"))
    inputs = inputs_frame(joined)
    assert inputs.to_dict("records") == [{"age": 30, "work class": "a", "code": 13, "sex": "F"},
                                         {"age": 31.0, "work class": "b", "code": 7.0, "sex": "M"}]
    rows = monitor_labels.window_rows(found, 3600, ("no", "yes"), version_id=1, starts=[START, START + timedelta(hours=1)],
                                      attributes=("sex", "age", "code"))
    assert rows[["s0", "s1", "s2"]].values.tolist() == [["F", "30", "13"], ["M", "31", "7"]]


def test_typed_columns_are_read_by_name_whatever_their_case(tmp_path):
    schema = (InputColumn(name="Age", dtype="integer", kind="numeric"), InputColumn(name="age", dtype="integer",
                                                                                    kind="numeric"))
    path = _write(tmp_path, [{"Age": 1, "age": 2}], schema=schema)
    found = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").df()
    assert found[column_name("Age")].tolist() == [1.0] and found[column_name("age")].tolist() == [2.0]
    assert json.loads(json.dumps(inputs_frame(found).to_dict("records"))) == [{"Age": 1.0, "age": 2.0}]


def test_window_counts_read_from_the_footer_equal_a_scan_of_the_rows(tmp_path):
    log = PredictionLog(tmp_path, flush_rows=10**6, flush_seconds=3600)
    moments = [START + timedelta(minutes=m) for m in (1, 2, 59, 61, 125, 300)]
    for group, at in enumerate(moments):  # a segment inside one hour, then one across two
        for k, (version_id, role, status) in enumerate([(1, "answer", 200), (2, "answer", 200), (1, "shadow", 200),
                                                        (1, "answer", 422), (1, "answer", 200)]):
            log.log(request_id=f"r{group}-{k}", version_id=version_id, version=version_id, role=role, route="predict",
                    status=status, latency_ms=1.0, inputs=[{"age": 1}] * (k + 1), predictions=["yes"] * (k + 1),
                    time=at, input_schema=SCHEMA)
        if group % 3 != 1:
            log.predictions.flush()
    log.close()
    folder = tmp_path / "predictions"
    stated = {json.dumps(drift_log.answered_rows(p)) for p in segments(folder).files}
    assert '{"1": [6, ' in " ".join(stated) and all(s != "null" for s in stated)
    for size in (3600, 600, 86400):
        for version_id in (1, 2, 3):
            counted, _ = drift_log.window_counts(folder, version_id=version_id, size_seconds=size)
            scanned, _ = drift_log.window_counts(folder, version_id=version_id, size_seconds=size,
                                                 since=datetime(1970, 1, 1))
            assert counted == scanned and (version_id == 3) == (not counted)
