"""Dataset profiles: numbers checked against pandas/numpy, findings, leakage, cache, charts."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lifecycle import auth
from lifecycle.data import datasets
from lifecycle.problem import projects
from lifecycle.charts import profile_charts, theme
from lifecycle.errors import InputError
from lifecycle.data.profile import (IMBALANCE_SHARE, LEAKAGE_THRESHOLD, DatasetProfile, get_profile,
                               profile_dataset)
from lifecycle.store import datasets as dataset_store
from lifecycle.store import profile_cache, profiling

N = 2000
INJECTION = 'x"; DROP TABLE audit_log; --'


@pytest.fixture
def admin(workspace):
    return auth.get_user(workspace, "admin")


def _parquet(frame: pd.DataFrame | pa.Table) -> bytes:
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _ingest(workspace, actor, frame, *, task="binary", target="y", name="p", auxiliary=False):
    positive = None
    values = frame.select([target]).to_pandas() if isinstance(frame, pa.Table) and target in frame.column_names \
        else frame
    if task == "binary" and target in values:  # a binary project names its positive class (issue 9)
        positive = str(sorted(values[target].dropna().astype(str).unique())[-1]) if values[target].notna().any() \
            else "1"
    elif task == "binary":
        positive = "1"
    project = projects.create_project(workspace, actor, name=name, task=task, target=target,
                                      positive_class=positive)
    dataset = datasets.ingest_bytes(workspace, actor, project.id, _parquet(frame), "x.parquet",
                                    auxiliary=auxiliary)
    return project, dataset


def _synthetic(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(N) < 0.3).astype(np.int64)
    leak = np.where(rng.random(N) < 0.01, 1 - y, y)  # the target with 1% noise
    measure = rng.normal(50, 10, N)
    measure[rng.choice(N, 15, replace=False)] = rng.normal(200, 5, 15)  # far outliers
    measure[rng.choice(N, 40, replace=False)] = np.nan
    ratio = rng.normal(0, 1, N)
    ratio[:6] = [np.inf, -np.inf, np.inf, np.nan, np.nan, np.nan]
    city = rng.choice(["Lyon", "Oslo", "Kyiv", "Lima"], N).astype(object)
    city[rng.random(N) < 0.07] = None
    order = np.argsort(y, kind="stable")  # ids sorted by the target: trivially "pure" buckets
    ids = np.empty(N, dtype=np.int64)
    ids[order] = np.arange(N)
    return pd.DataFrame({
        "id": ids, "measure": measure, "ratio": ratio, "city": city, "honest": rng.normal(0, 1, N),
        "leak": leak, "constant": np.full(N, 3), "flag": rng.random(N) < 0.4, INJECTION: rng.normal(0, 1, N),
        "nothing": pd.Series([None] * N, dtype=object), "y": y,
    })


@pytest.fixture
def synthetic(workspace, admin):
    frame = _synthetic()
    project, dataset = _ingest(workspace, admin, frame)
    return frame, dataset, profile_dataset(workspace, dataset, target="y", task="binary")


def test_counts_match_pandas(synthetic):
    frame, dataset, profile = synthetic
    assert profile.rows == N and [c.name for c in profile.columns] == list(frame.columns)
    for name in ("measure", "city", "ratio"):
        assert profile.column(name).missing == frame[name].isna().sum(), name
    assert profile.column("measure").missing_share == pytest.approx(40 / N)
    finite = frame["measure"].dropna()
    column = profile.column("measure")
    assert column.kind == "numeric" and column.dtype == "float"
    assert column.distinct == finite.nunique()
    assert column.mean == pytest.approx(finite.mean())
    assert column.std == pytest.approx(finite.std(ddof=1))
    assert column.min == pytest.approx(finite.min()) and column.max == pytest.approx(finite.max())
    for label, q in (("p01", 0.01), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p99", 0.99)):
        assert getattr(column, label) == pytest.approx(np.quantile(finite, q), rel=1e-6), label
    assert sum(column.histogram.counts) == len(finite)
    assert len(column.histogram.edges) == len(column.histogram.counts) + 1
    assert profile.column("city").distinct == frame["city"].nunique()
    assert dict(profile.column("city").top_values) == frame["city"].value_counts().to_dict()


def test_outliers_follow_the_iqr_rule(synthetic):
    frame, _, profile = synthetic
    column = profile.column("measure")
    values = frame["measure"].dropna().to_numpy()
    iqr = column.p75 - column.p25
    expected = ((values < column.p25 - 1.5 * iqr) | (values > column.p75 + 1.5 * iqr)).sum()
    assert column.outliers == expected >= 15
    assert "outliers" in column.flags


def test_nan_is_missing_and_infinity_is_counted(synthetic):
    _, _, profile = synthetic
    ratio = profile.column("ratio")
    assert (ratio.missing, ratio.infinite) == (3, 3)
    assert ratio.filled == N - 6 and sum(ratio.histogram.counts) == N - 6
    assert any(f.kind == "infinite" and f.column == "ratio" and "3 infinite" in f.message
               for f in profile.findings)


def test_kinds_and_special_columns(synthetic, workspace):
    _, _, profile = synthetic
    kinds = {c.name: c.kind for c in profile.columns}
    assert kinds == {"id": "numeric", "measure": "numeric", "ratio": "numeric", "city": "categorical",
                     "honest": "numeric", "leak": "numeric", "constant": "numeric", "flag": "boolean",
                     INJECTION: "numeric", "nothing": "empty", "y": "numeric"}
    assert profile.column("nothing").missing == N
    assert "empty" in profile.column("nothing").flags
    assert "constant" in profile.column("constant").flags
    assert {v for v, _ in profile.column("flag").top_values} == {"true", "false"}
    assert profile.column(INJECTION).mean is not None
    assert workspace.db.value("SELECT count(*) FROM audit_log") > 0  # the table survived


def test_leakage_flags_the_copy_of_the_target_only(synthetic):
    _, _, profile = synthetic
    leaky = {f.column for f in profile.findings if f.kind == "leakage"}
    assert leaky == {"leak"}
    assert profile.column("leak").leakage >= LEAKAGE_THRESHOLD
    assert profile.column("honest").leakage < 0.2
    message = next(f.message for f in profile.findings if f.kind == "leakage")
    assert message.startswith("Column 'leak' ") and "drop it in the recipe" in message


def test_id_column_is_id_like_not_leaky(synthetic):
    _, _, profile = synthetic
    column = profile.column("id")
    assert column.leakage >= LEAKAGE_THRESHOLD  # pure buckets, but only because it is unique
    assert "id_like" in column.flags and "leakage" not in column.flags


def test_missing_message_names_column_number_and_fix(synthetic):
    _, _, profile = synthetic
    found = [f for f in profile.findings if f.kind == "missing" and f.column == "city"]
    share = profile.column("city").missing_share
    count = profile.column("city").missing
    assert found[0].message == (f"Column 'city' is {share:.1%} empty ({count:,} rows); choose an imputation "
                                "in the recipe or drop the column.")
    assert found[0].severity == "warning"
    severities = [f.severity for f in profile.findings]
    assert severities == sorted(severities, key=["problem", "warning", "info"].index)


def test_duplicates_match_pandas(workspace, admin):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.integers(0, 3, 300), "b": rng.choice(["u", "v"], 300),
                          "c": np.where(rng.random(300) < 0.1, np.nan, 1.0), "y": rng.integers(0, 2, 300)})
    _, dataset = _ingest(workspace, admin, frame)
    profile = profile_dataset(workspace, dataset, target="y", task="binary")
    assert profile.duplicate_rows == frame.duplicated().sum() > 0
    assert any(f.kind == "duplicates" for f in profile.findings)


def test_class_imbalance_is_flagged(workspace, admin):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=1000), "y": np.where(np.arange(1000) < 40, "rare", "common")})
    _, dataset = _ingest(workspace, admin, frame)
    profile = profile_dataset(workspace, dataset, target="y", task="binary")
    balance = profile.class_balance
    assert [(s.value, s.count) for s in balance.classes] == [("common", 960), ("rare", 40)]
    assert balance.minority_share == pytest.approx(0.04) and 0.04 < IMBALANCE_SHARE and balance.imbalanced
    finding = next(f for f in profile.findings if f.kind == "class_imbalance")
    assert "'rare'" in finding.message and "4.0%" in finding.message and "stratified" in finding.message


def test_regression_leakage_uses_r_squared(workspace, admin):
    rng = np.random.default_rng(11)
    y = rng.normal(100, 20, 3000)
    frame = pd.DataFrame({"copy": y + rng.normal(0, 0.5, 3000), "honest": rng.normal(size=3000),
                          "group": rng.choice(list("abcdef"), 3000), "y": y})
    _, dataset = _ingest(workspace, admin, frame, task="regression")
    profile = profile_dataset(workspace, dataset, target="y", task="regression")
    assert profile.class_balance is None
    assert profile.column("copy").leakage >= LEAKAGE_THRESHOLD
    assert profile.column("honest").leakage < 0.05 and profile.column("group").leakage < 0.05
    assert {f.column for f in profile.findings if f.kind == "leakage"} == {"copy"}


def test_one_row_and_no_target(workspace, admin):
    frame = pd.DataFrame({"a": [1.5], "b": ["x"], "flag": [True], "y": [1]})
    _, dataset = _ingest(workspace, admin, frame, auxiliary=True)
    profile = profile_dataset(workspace, dataset, target=None, task=None)
    assert profile.rows == 1 and profile.duplicate_rows == 0 and profile.class_balance is None
    a = profile.column("a")
    assert (a.min, a.max, a.p50, a.std, a.histogram.counts) == (1.5, 1.5, 1.5, None, (1,))
    assert json.loads(json.dumps(profile.to_dict(), allow_nan=False))["rows"] == 1


def test_large_data_path_samples_quantiles_and_buckets(workspace, admin, monkeypatch):
    """Above EXACT_MAX_ROWS: HyperLogLog distinct counts, quantiles and leakage buckets from a
    seeded sample; counts, histograms and outliers stay exact."""
    monkeypatch.setattr("lifecycle.data.profile.EXACT_MAX_ROWS", 300)
    frame = _synthetic()
    frame["sparse"] = np.where(np.arange(N) < 3, 1.0, np.nan)  # likely missed by the sample
    _, dataset = _ingest(workspace, admin, frame)
    profile = profile_dataset(workspace, dataset, target="y", task="binary")
    again = profile_dataset(workspace, dataset, target="y", task="binary")
    assert profile.approximate
    assert [c.p50 for c in profile.columns] == [c.p50 for c in again.columns]  # repeatable sample
    assert profile.column("sparse").p50 == 1.0 and profile.column("sparse").missing == N - 3
    measure = profile.column("measure")
    assert measure.missing == 40 and sum(measure.histogram.counts) == N - 40
    assert measure.p50 == pytest.approx(frame["measure"].median(), abs=1.0)
    values = frame["measure"].dropna().to_numpy()
    low, high = measure.outlier_bounds
    assert measure.outliers == ((values < low) | (values > high)).sum()
    assert measure.distinct == pytest.approx(N - 40, rel=0.05)
    assert {f.column for f in profile.findings if f.kind == "leakage"} == {"leak"}


def test_quantiles_fall_back_to_every_row_when_the_sample_misses(synthetic, workspace):
    frame, dataset, _ = synthetic
    column = profiling.ColumnInput(name="honest", kind="numeric", dtype="float")
    cursor = workspace.db.cursor().cursor()
    with dataset_store.view(cursor, workspace.path, dataset, name="q") as view:
        found = profiling.quantiles(cursor, view, [column], [0.5], sample_percent=1e-9)
    assert found["honest"][0] == pytest.approx(frame["honest"].median())


def test_edge_columns(workspace, admin):
    rng = np.random.default_rng(2)
    n = 600
    frame = pd.DataFrame({
        "huge": np.where(np.arange(n) % 2 == 0, -1e308, 1e308),
        "all_nan": np.full(n, np.nan),
        "when": pd.date_range("2024-01-01", periods=n, freq="h"),
        "code": [f"c{i % 250}" for i in range(n)],  # 250 values of 2-3 rows: high cardinality
        "y": rng.choice(["a", "b", "c"], n),
    })
    _, dataset = _ingest(workspace, admin, frame, task="multiclass")
    profile = profile_dataset(workspace, dataset, target="y", task="multiclass")
    assert profile.column("huge").histogram is not None and profile.column("huge").min == -1e308
    assert profile.column("all_nan").kind == "empty" and profile.column("all_nan").missing == n
    when = profile.column("when")
    assert when.kind == "datetime" and when.min.startswith("2024-01-01") and when.missing == 0
    code = profile.column("code")
    assert "high_cardinality" in code.flags and code.distinct == 250
    assert code.leakage is not None and code.leakage < LEAKAGE_THRESHOLD  # rare values lumped
    assert len(profile.class_balance.classes) == 3
    json.dumps(profile.to_dict(), allow_nan=False)


def test_bad_arguments_teach(synthetic, workspace):
    _, dataset, _ = synthetic
    with pytest.raises(InputError, match="not a column"):
        profile_dataset(workspace, dataset, target="nope", task="binary")
    with pytest.raises(InputError, match="without a task"):
        profile_dataset(workspace, dataset, target="y", task=None)
    with pytest.raises(InputError, match="regression"):
        profile_dataset(workspace, dataset, target="city", task="regression")


def test_json_round_trip_and_cache(synthetic, workspace):
    _, dataset, profile = synthetic
    text = json.dumps(profile.to_dict(), allow_nan=False)
    assert DatasetProfile.from_dict(json.loads(text)) == profile
    cached = get_profile(workspace, dataset, target="y", task="binary")
    assert profile_cache.get(workspace.db.cursor(), dataset.id) == cached.to_json()
    again = get_profile(workspace, dataset, target="y", task="binary")
    assert again == cached  # read back, not recomputed: same elapsed_seconds too
    other = get_profile(workspace, dataset, target=None, task=None)  # a different question
    assert other.target is None and other.class_balance is None
    assert DatasetProfile.from_json(profile_cache.get(workspace.db.cursor(), dataset.id)).target is None


def test_charts_are_figures_with_titles(synthetic):
    _, _, profile = synthetic
    figures = [profile_charts.histogram_figure(profile.column("measure")),
               profile_charts.histogram_figure(profile.column("nothing")),
               profile_charts.top_values_figure(profile.column("city")),
               profile_charts.top_values_figure(profile.column("flag")),
               profile_charts.missing_values_figure(profile),
               profile_charts.class_balance_figure(profile)]
    for figure in figures:
        assert isinstance(figure, go.Figure) and figure.layout.title.text
        assert figure.layout.xaxis.title.text is not None
    assert sum(figures[0].data[0].y) == profile.column("measure").filled
    missing_bars = figures[4].data[0]
    assert list(missing_bars.y)[-1] == "nothing"  # largest share at the top
    assert theme.STATUS_COLOURS == {"pass": "#1a7f37", "fail": "#cf222e", "pending": "#9a6700"}


@pytest.mark.slow
def test_bundled_adult(workspace, admin):
    project = projects.create_project(workspace, admin, name="Adult", task="binary", target="income",
                                      positive_class=">50K")
    dataset = datasets.ingest_bundled(workspace, admin, project.id, "adult_train")
    profile = profile_dataset(workspace, dataset, target="income", task="binary")
    assert profile.rows == 32561
    for name in ("workclass", "occupation", "native_country"):
        assert profile.column(name).missing > 0, name  # the '?' of the UCI file
    assert profile.column("workclass").missing == 1836
    assert not [f for f in profile.findings if f.kind == "leakage"]
    assert not profile.class_balance.imbalanced
    assert profile.column("income").is_target and profile.column("age").kind == "numeric"


# -- column names that differ only in case (issue 10, case 4) -----------------------------

def test_columns_differing_only_in_case_are_profiled_each_as_itself(workspace, admin):
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 200)
    frame = pd.DataFrame({"score": rng.normal(0, 1, 200), "SCORE": y + rng.normal(0, 0.01, 200),
                          "Age": rng.integers(20, 30, 200), "age": rng.integers(60, 90, 200),
                          "AGE": rng.integers(1000, 1010, 200), "y": y})
    _, dataset = _ingest(workspace, admin, frame)
    report = profile_dataset(workspace, dataset, target="y", task="binary")
    for name in ("score", "SCORE", "Age", "age", "AGE"):
        column = report.column(name)
        assert column.mean == pytest.approx(frame[name].mean()), name
        assert column.min == pytest.approx(frame[name].min()) and column.distinct == frame[name].nunique()
    assert [f.column for f in report.findings if f.kind == "leakage"] == ["SCORE"]
    twins = [f.message for f in report.findings if f.kind == "case_twins"]
    assert len(twins) == 2 and "'Age' and 'age' and 'AGE'" in twins[1] and "Age, age_2, AGE_3" in twins[1]


def test_a_case_twin_of_the_target_is_not_the_target(workspace, admin):
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"Y": rng.normal(0, 1, 60), "y": rng.integers(0, 2, 60)})
    _, dataset = _ingest(workspace, admin, frame)
    report = profile_dataset(workspace, dataset, target="y", task="binary")
    assert [c.is_target for c in report.columns] == [False, True]
    assert report.column("Y").kind == "numeric" and report.column("y").distinct == 2


# -- nested and other exotic Arrow types (issue 10, case 3) -------------------------------

def _exotic_table(n=60):
    import datetime as dt
    import decimal
    rng = np.random.default_rng(3)
    return pa.table({
        "x": rng.normal(size=n),
        "tags": pa.array([list(range(i % 4)) if i % 6 else None for i in range(n)], pa.list_(pa.int64())),
        "big": pa.array([["a"] * (i % 3) for i in range(n)], pa.large_list(pa.string())),
        "pair": pa.array([[float(i), 1.0] for i in range(n)], pa.list_(pa.float64(), 2)),
        "rec": pa.array([{"a": i, "b": "q"} for i in range(n)]),
        "kv": pa.array([[("k", i)] for i in range(n)], pa.map_(pa.string(), pa.int64())),
        "raw": pa.array([bytes([i % 256]) for i in range(n)], pa.binary()),
        "code": pa.array(rng.choice(["u", "v"], n)).dictionary_encode(),
        "price": pa.array([decimal.Decimal(f"{v:.2f}") for v in rng.uniform(0, 100, n)], pa.decimal128(10, 2)),
        "at": pa.array([dt.time(i % 24, 0) for i in range(n)], pa.time64("us")),
        "took": pa.array([dt.timedelta(seconds=int(s)) for s in rng.integers(0, 9, n)], pa.duration("s")),
        "when": pa.array([dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=i)
                          for i in range(n)], pa.timestamp("us", tz="UTC")),
        "count": pa.array(rng.integers(0, 50, n).astype(np.uint64)),
        "y": pa.array(rng.choice(["a", "b"], n)),
    })


def test_nested_columns_are_profiled_as_what_they_are(workspace, admin):
    _, dataset = _ingest(workspace, admin, _exotic_table())
    report = profile_dataset(workspace, dataset, target="y", task="binary")
    kinds = {c.name: c.kind for c in report.columns}
    assert [n for n, k in kinds.items() if k == "nested"] == ["tags", "big", "pair", "rec", "kv"]
    assert kinds["raw"] == "binary" and kinds["code"] == "categorical" and kinds["price"] == "numeric"
    assert report.column("tags").missing == 10 and report.column("tags").dtype.startswith("list<")
    about = {f.column: f.message for f in report.findings if f.kind in ("nested", "binary")}
    assert "holds lists (list<" in about["tags"] and "empty in 10 rows" in about["tags"]
    assert "'length' operation" in about["tags"] and "'length'" not in about["rec"]
    assert "holds records (struct<" in about["rec"] and "holds raw bytes" in about["raw"]
    assert not any(f.kind == "id_like" and f.column in about for f in report.findings)


# -- numbers stored as text (issue 10, case 2) --------------------------------------------

def test_numbers_stored_as_text_are_shown_as_such_not_as_an_identifier(workspace, admin):
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"balance": [f"{v:,.2f}" for v in rng.uniform(1000, 20000, 80)],
                          "eu": [f"{v:,.2f}".replace(",", " ").replace(".", ",") for v in rng.uniform(1000, 9000, 80)],
                          "city": rng.choice(["Oslo", "Rome"], 80), "y": rng.integers(0, 2, 80)})
    _, dataset = _ingest(workspace, admin, frame)
    report = profile_dataset(workspace, dataset, target="y", task="binary")
    assert report.column("balance").number_format == "1,234.56"
    assert report.column("eu").number_format == "1 234,56" and report.column("city").number_format is None
    kinds = {(f.column, f.kind) for f in report.findings}
    assert ("balance", "numbers_as_text") in kinds and ("balance", "id_like") not in kinds
    message = next(f.message for f in report.findings if f.column == "balance" and f.kind == "numbers_as_text")
    assert "holds numbers stored as text, written like '" in message and "accept or refuse" in message
    assert DatasetProfile.from_json(report.to_json()).column("eu").number_format == "1 234,56"
