"""Every drift statistic against scipy: exact where the values are known one by one, within the
bound the grid states where a large window is counted on the reference's grid; and the DuckDB
side (``store.drift_log``) counts a real Parquet log on that grid as numpy does."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from lifecycle.deploy.prediction_log import PREDICTION_SCHEMA
from lifecycle.monitor import drift_stats
from lifecycle.monitor.drift_columns import NEW, MonitoredColumn, logged_texts
from lifecycle.monitor.drift_grid import GRID_POINTS, Distribution, Grid, GridCounts, ks_on_grid, wasserstein_on_grid
from lifecycle.store import drift_log

RNG = np.random.default_rng(7)


def _on_grid(reference, current, max_points=GRID_POINTS):
    R, C = Distribution.of(reference), Distribution.of(current)
    grid = Grid.of(R, max_points)
    return grid, GridCounts.of(grid, R), GridCounts.of(grid, C)


# ----------------------------------------------------------------------------- KS


@pytest.mark.parametrize("n_ref,n_cur", [(300, 80), (5_000, 9_000), (30_000, 4_000), (12_000, 40_000)])
def test_ks_on_exact_values_is_scipys(n_ref, n_cur):
    reference = RNG.normal(size=n_ref).round(2)  # ties inside and across the samples
    current = (RNG.normal(size=n_cur) + 0.05).round(2)
    d, p = drift_stats.ks_exact(Distribution.of(reference), Distribution.of(current))
    expected = stats.ks_2samp(reference, current)
    assert d == pytest.approx(expected.statistic, abs=1e-12)
    assert p == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_ks_on_a_grid_of_every_reference_value_is_exact_even_for_continuous_windows():
    reference = RNG.integers(17, 90, 20_000).astype(float)  # ages: few distinct values
    current = RNG.normal(45, 14, 200_000)  # continuous: values fall between the grid points
    grid, ref, cur = _on_grid(reference, current)
    assert grid.every_value
    d, bound = ks_on_grid(ref, cur)
    assert bound == 0.0
    assert d == pytest.approx(stats.ks_2samp(reference, current).statistic, abs=1e-12)


@pytest.mark.parametrize("shift", [0.0, 0.03, 0.4])
def test_ks_on_a_quantile_grid_brackets_scipys_value(shift):
    reference = RNG.normal(size=30_000)  # continuous: 30,000 distinct values, a 2,048-point grid
    current = RNG.normal(size=100_000) * 1.05 + shift
    grid, ref, cur = _on_grid(reference, current)
    assert not grid.every_value and len(grid.points) == 2048
    d, bound = ks_on_grid(ref, cur)
    exact = stats.ks_2samp(reference, current)
    assert d <= exact.statistic + 1e-12 <= d + bound + 1e-12
    assert bound < 2.5 / 2048  # about one reference cell
    p = drift_stats.ks_p_value(d, ref.n, cur.n)  # scipy's asymptotic formula at these sizes
    assert p == pytest.approx(exact.pvalue, rel=0.5) or (p < 1e-10 and exact.pvalue < 1e-10)


def test_ks_p_value_is_ks_2samp_asymptotic():
    for d, n, m in [(0.01, 30_000, 50_000), (0.05, 20_000, 12_000), (0.003, 30_000, 1_000_000)]:
        assert drift_stats.ks_p_value(d, n, m) == pytest.approx(
            float(stats.kstwo.sf(d, np.round(n * m / (n + m)))), rel=1e-12)
    reference, current = RNG.normal(size=20_000), RNG.normal(size=15_000) + 0.02
    d = stats.ks_2samp(reference, current).statistic
    assert drift_stats.ks_p_value(d, 20_000, 15_000) == pytest.approx(stats.ks_2samp(reference, current).pvalue,
                                                                       rel=1e-12)


# ----------------------------------------------------------------------------- Wasserstein


def test_wasserstein_on_exact_values_is_scipys():
    reference, current = RNG.exponential(size=3_000), RNG.exponential(size=700) * 1.2
    assert drift_stats.wasserstein_exact(Distribution.of(reference), Distribution.of(current)) == pytest.approx(
        stats.wasserstein_distance(reference, current), rel=1e-12)


def test_wasserstein_on_the_grid_is_exact_when_values_sit_on_grid_points_or_outside_it():
    reference = RNG.integers(0, 100, 30_000).astype(float)
    current = RNG.integers(-20, 130, 300_000).astype(float)  # below and above the reference's range too
    _, ref, cur = _on_grid(reference, current)
    distance, bound = wasserstein_on_grid(ref, cur)
    assert bound == 0.0
    assert distance == pytest.approx(stats.wasserstein_distance(reference, current), rel=1e-10)


@pytest.mark.parametrize("max_points", [2048, 64])
def test_wasserstein_on_the_grid_is_within_its_stated_bound(max_points):
    reference = RNG.lognormal(size=30_000)  # heavy right tail: wide cells
    current = RNG.lognormal(size=200_000) * 1.1 + 0.05
    _, ref, cur = _on_grid(reference, current, max_points)
    distance, bound = wasserstein_on_grid(ref, cur)
    exact = stats.wasserstein_distance(reference, current)
    assert abs(distance - exact) <= bound
    assert bound > 0


def test_normalised_wasserstein_divides_by_the_reference_std():
    assert drift_stats.normalised(0.5, 2.0, 10.0) == 0.25
    assert drift_stats.normalised(0.5, 0.0, -4.0) == 0.125  # a constant reference: by |mean|
    assert drift_stats.normalised(0.5, 0.0, 0.0) == 0.5


# ----------------------------------------------------------------------------- PSI, chi-square, Jensen–Shannon


def test_psi_is_the_symmetrised_kullback_leibler_divergence():
    p, q = np.array([30, 50, 20]), np.array([25, 40, 35])
    pp, qq = p / p.sum(), q / q.sum()
    assert drift_stats.psi(p, q) == pytest.approx(stats.entropy(pp, qq) + stats.entropy(qq, pp), rel=1e-12)
    # an empty bin counts as 0.0001 of its sample
    assert drift_stats.psi([10, 0], [5, 5]) == pytest.approx((1 - 0.5) * np.log(1 / 0.5)
                                                             + (1e-4 - 0.5) * np.log(1e-4 / 0.5), rel=1e-12)


def test_psi_bins_are_reference_deciles_on_grid_points():
    reference = RNG.normal(size=10_000)
    grid, ref, _ = _on_grid(reference, reference)
    edges = grid.psi_edges(ref, 10)
    assert len(edges) == 9 and set(edges) <= set(grid.points)
    assert np.allclose(ref.binned(edges) / ref.n, 0.1, atol=0.002)
    zeros = np.r_[np.zeros(9_000), np.abs(RNG.normal(size=1_000)) + 1]  # 90% ties: the deciles collapse
    grid, ref, _ = _on_grid(zeros, zeros)
    assert grid.psi_edges(ref, 10).tolist() == [0.0] and ref.binned(np.array([0.0])).tolist() == [9_000, 1_000]


def test_categorical_statistics_are_scipys():
    reference = {"u": 500, "v": 300, "w": 200}
    current = {"u": 40, "v": 30, "w": 20, "x": 10}  # x: a category the reference never had
    result = drift_stats.categorical(reference, current)
    table = np.array([[500, 300, 200, 0], [40, 30, 20, 10]])
    chi2, p, dof, _ = stats.chi2_contingency(table)
    assert (result.chi2, result.chi2_p, result.chi2_dof) == (pytest.approx(chi2), pytest.approx(p), dof)
    assert result.jensen_shannon == pytest.approx(jensenshannon(table[0] / 1000, table[1] / 100, base=2))
    assert result.unseen == 10
    same = drift_stats.categorical(reference, {"u": 5, "v": 3, "w": 2})
    assert same.jensen_shannon == pytest.approx(0.0, abs=1e-7) and same.chi2_p == pytest.approx(1.0)
    one = drift_stats.categorical({"u": 10}, {"u": 3})
    assert (one.chi2, one.chi2_p, one.jensen_shannon) == (0.0, 1.0, 0.0)


def test_categories_are_found_by_every_text_the_log_writes_them_as(tmp_path):
    from lifecycle.records import ReferenceColumn

    assert logged_texts("13", "integer") == ("13", "13.0") and logged_texts("13", "string") == ("13",)
    assert logged_texts("True", "boolean") == ("True", "true") and logged_texts("1.5", "float") == ("1.5",)
    column = MonitoredColumn.of(ReferenceColumn(source="input", name="x", kind="categorical", dtype="integer",
                                                rows=30, missing=0), categories={"13": 20, "7": 10})
    path = _log(tmp_path / "log", [13, 13.0, 7, 7.0, 99, None, "13"])  # 99: a category the reference never had
    [window] = drift_log.window_aggregates([path], version_id=1, size_seconds=3600, windows=[datetime(2026, 1, 1)],
                                           exact_windows=[], columns=[column.log_column()])
    [counted] = window.columns
    assert (counted.n, counted.counts.tolist(), counted.other) == (6, [3, 2], 1)
    stats_ = column.statistics(counted, window.rows)
    assert stats_["unseen"] == 1 and stats_["histogram"]["categories"][-1] == NEW
    expected = drift_stats.categorical({"13": 20, "7": 10}, {"13": 3, "7": 2, NEW: 1})
    assert stats_["chi2"] == expected.chi2 and stats_["jensen_shannon"] == expected.jensen_shannon


def test_a_reference_with_many_categories_counts_its_rare_ones_with_the_new(tmp_path):
    from lifecycle.monitor.drift_columns import MAX_CATEGORIES
    from lifecycle.records import ReferenceColumn

    reference = {f"c{i}": 1_000 - i for i in range(MAX_CATEGORIES + 50)}  # c200 ... c249 are the rarest
    column = MonitoredColumn.of(ReferenceColumn(source="input", name="k", kind="categorical", dtype="string",
                                                rows=sum(reference.values()), missing=0), categories=reference)
    log_column = column.log_column()
    assert log_column.categories == MAX_CATEGORIES and "c249" not in log_column.texts
    path = _log(tmp_path / "log", [0.0] * 9)  # its k column: c0, c1, c2, c0, ...
    [window] = drift_log.window_aggregates([path], version_id=1, size_seconds=3600, windows=[datetime(2026, 1, 1)],
                                           exact_windows=[], columns=[log_column])
    counted = column.statistics(window.columns[0], window.rows)
    rare = sum(reference[f"c{i}"] for i in range(MAX_CATEGORIES, MAX_CATEGORIES + 50))
    lumped = {**{f"c{i}": reference[f"c{i}"] for i in range(MAX_CATEGORIES)}, NEW: rare}
    expected = drift_stats.categorical(lumped, {"c0": 3, "c1": 3, "c2": 3})
    assert counted["chi2"] == pytest.approx(expected.chi2) and counted["unseen"] is None
    assert column.other_label == "(other categories)"


# ----------------------------------------------------------------------------- DuckDB counts the grid as numpy does


def _log(folder, values, *, start=datetime(2026, 1, 1)):
    folder.mkdir(parents=True, exist_ok=True)
    n = len(values)
    inputs = [json.dumps({"x": v, "k": f"c{i % 3}"}) for i, v in enumerate(values)]
    table = pa.table({"request_id": [f"r{i}" for i in range(n)], "row": [0] * n,
                      "time": [start + timedelta(seconds=i % 3000) for i in range(n)], "version_id": [1] * n,
                      "version": [1] * n, "role": ["answer"] * n, "route": ["predict"] * n, "status": [200] * n,
                      "latency_ms": [1.0] * n, "inputs": inputs, "prediction": ['"yes"'] * n,
                      "outputs": ['{"yes": 0.5, "no": 0.5}'] * n, "error": [None] * n}, schema=PREDICTION_SCHEMA)
    pq.write_table(table, folder / "segment.parquet")
    return folder / "segment.parquet"


@pytest.mark.parametrize("max_points", [2048, 16])
def test_duckdb_counts_a_window_on_the_grid_like_numpy(tmp_path, max_points):
    reference = Distribution.of(RNG.integers(0, 50, 2_000).astype(float))
    grid = Grid.of(reference, max_points)
    points = grid.points
    values = list(RNG.normal(25, 20, 3_000).round(3)) + list(points[:5]) + [float(np.nextafter(points[3], -np.inf)),
                                                                           -1e9, 1e9]
    logged = values + [None, "twelve", float("nan")]  # empty, text and NaN: not numbers
    path = _log(tmp_path / "log", [v if not (isinstance(v, float) and np.isnan(v)) else "NaN" for v in logged])
    column = drift_log.LogColumn(origin="input", key="x", numeric=True, boundaries=tuple(grid.boundaries),
                                 low=float(points[0]), high=float(points[-1]))
    start = datetime(2026, 1, 1)
    [exact] = drift_log.window_aggregates([path], version_id=1, size_seconds=3600, windows=[start],
                                          exact_windows=[start], columns=[column])
    [binned] = drift_log.window_aggregates([path], version_id=1, size_seconds=3600, windows=[start],
                                           exact_windows=[], columns=[column])
    expected = GridCounts.of(grid, Distribution.of(values))
    assert exact.rows == binned.rows == len(logged) and exact.exact and not binned.exact
    assert binned.columns[0].n == len(values) and binned.columns[0].total == pytest.approx(sum(values))
    counted = GridCounts.from_buckets(grid, binned.columns[0].grid, below_sum=binned.columns[0].below_sum,
                                      above_sum=binned.columns[0].above_sum)
    for name in ("below", "above"):
        assert getattr(counted, name) == getattr(expected, name)
    assert counted.below_sum == pytest.approx(expected.below_sum) and counted.above_sum == pytest.approx(expected.above_sum)
    np.testing.assert_array_equal(counted.point, expected.point)
    np.testing.assert_array_equal(counted.open, expected.open)
    from_values = Distribution.from_counts(exact.columns[0].values, exact.columns[0].counts)
    np.testing.assert_array_equal(from_values.sample(), np.sort(values))


# ----------------------------------------------------------------------------- one column, end to end


def _window(tmp_path, rows):
    from lifecycle.monitor import reference
    from lifecycle.monitor.drift import compute_windows
    from lifecycle.records import InputColumn

    schema = [InputColumn(name="x", dtype="float", kind="numeric"), InputColumn(name="k", dtype="string",
                                                                                 kind="categorical")]
    reference_x = RNG.gamma(2.0, 10.0, 20_000).round(1)
    reference_k = RNG.choice(["c0", "c1", "c2"], 20_000, p=[0.5, 0.3, 0.2])
    import pandas as pd
    columns, values = reference.describe(pd.DataFrame({"x": reference_x, "k": reference_k}), schema)
    monitored = reference.monitored_columns(columns, values, None)
    current = list(RNG.gamma(2.2, 10.0, rows).round(3))
    path = _log(tmp_path / "log", current)
    [x, k] = compute_windows(path.parent, monitored, project_id=1, version_id=1, size_seconds=3600,
                             windows=[(datetime(2026, 1, 1), rows)], now=datetime(2026, 1, 2))
    return reference_x, reference_k, np.array(current), x, k


@pytest.mark.parametrize("rows", [3_000, 12_000])  # value by value, and on the grid (over 10,000 rows)
def test_a_windows_statistics_through_the_log_agree_with_scipy(tmp_path, rows):
    reference_x, reference_k, current, x, k = _window(tmp_path, rows)
    ks = stats.ks_2samp(reference_x, current)
    wasserstein = stats.wasserstein_distance(reference_x, current)
    assert x.exact == (rows <= 10_000) and x.n_current == rows and x.n_reference == 20_000
    assert x.ks <= ks.statistic + 1e-12 <= x.ks + x.ks_bound + 1e-12
    assert abs(x.wasserstein - wasserstein) <= x.wasserstein_bound * reference_x.std() + 1e-9
    assert x.wasserstein_norm == pytest.approx(x.wasserstein / reference_x.std())
    assert x.mean_current == pytest.approx(current.mean())
    if x.exact:
        assert (x.ks, x.ks_p, x.wasserstein) == (pytest.approx(ks.statistic), pytest.approx(ks.pvalue),
                                                 pytest.approx(wasserstein))
    logged_k = np.array([f"c{i % 3}" for i in range(rows)])  # the log helper's categories
    chi2, p, dof, _ = stats.chi2_contingency([[np.sum(reference_k == c) for c in ("c0", "c1", "c2")],
                                              [np.sum(logged_k == c) for c in ("c0", "c1", "c2")]])
    assert (k.chi2, k.chi2_p, k.chi2_dof) == (pytest.approx(chi2), pytest.approx(p), dof)
    assert sum(k.histogram["counts"]) == rows and sum(x.histogram["counts"]) == rows


def test_a_constant_reference_still_compares():
    from lifecycle.monitor.drift_columns import MonitoredColumn
    from lifecycle.records import ReferenceColumn
    from lifecycle.store.drift_log import ColumnAggregate

    column = MonitoredColumn.of(ReferenceColumn(source="input", name="x", kind="numeric", dtype="float", rows=100,
                                                missing=0, mean=5.0, std=0.0), numbers=[5.0], counts=[100])
    current = Distribution.of([5.0] * 50 + [7.0] * 50)
    exact = column.statistics(ColumnAggregate(n=100, total=600.0, values=current.values, counts=current.counts), 100)
    buckets = np.zeros(len(column.grid.boundaries) + 1, dtype=np.int64)
    buckets[list(column.grid.cells).index(0)], buckets[-1] = 50, 50
    binned = column.statistics(ColumnAggregate(n=100, total=600.0, values=None, counts=None, grid=buckets,
                                               above_sum=350.0), 100)
    for result in (exact, binned):
        assert result["ks"] == pytest.approx(0.5) and result["wasserstein"] == pytest.approx(1.0)
        assert result["wasserstein_norm"] == pytest.approx(0.2)  # by |mean| when the reference is constant


def test_a_segments_values_are_parsed_once_into_the_cache_and_read_back_the_same(tmp_path):
    import os

    from lifecycle.store import log_columns

    values = list(RNG.normal(25, 20, 500).round(3)) + [None, "twelve", "NaN"]
    path = _log(tmp_path / "log", values)
    reference = Distribution.of(RNG.integers(0, 50, 500).astype(float))
    grid = Grid.of(reference, 16)
    columns = [drift_log.LogColumn(origin="input", key="x", numeric=True, boundaries=tuple(grid.boundaries),
                                   low=float(grid.points[0]), high=float(grid.points[-1])),
               drift_log.LogColumn(origin="input", key="k", numeric=False, texts=("c0", "c1"), codes=(0, 1),
                                   categories=2),
               drift_log.LogColumn(origin="score", key="yes", numeric=True, boundaries=(0.25, 0.5), low=0.25,
                                   high=0.5)]
    start, cache = datetime(2026, 1, 1), tmp_path / "cache"

    def read(exact):
        return drift_log.window_aggregates([path], version_id=1, size_seconds=3600, windows=[start],
                                           exact_windows=[start] if exact else [], columns=columns, cache=cache)

    def same(a, b):
        assert (a.rows, a.exact) == (b.rows, b.exact)
        for x, y in zip(a.columns, b.columns):
            for name in ("values", "counts", "grid"):
                np.testing.assert_array_equal(getattr(x, name), getattr(y, name))
            assert (x.n, x.total, x.below_sum, x.above_sum, x.other) == (y.n, y.total, y.below_sum, y.above_sum, y.other)

    for exact in (True, False):
        [direct] = drift_log.window_aggregates([path], version_id=1, size_seconds=3600, windows=[start],
                                               exact_windows=[start] if exact else [], columns=columns)
        [cached] = read(exact)
        same(direct, cached)
    [kept] = list(cache.glob(f"*{log_columns.SUFFIX}"))
    stamp = kept.stat().st_mtime_ns
    read(False)
    assert list(cache.glob(f"*{log_columns.SUFFIX}")) == [kept] and kept.stat().st_mtime_ns == stamp  # not parsed again
    _log(tmp_path / "log", values[:100])  # the segment replaced: its file is parsed again, the old one deleted
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))
    [window] = read(False)
    assert window.rows == 100 and not kept.exists() and len(list(cache.glob(f"*{log_columns.SUFFIX}"))) == 1
    other = _log(tmp_path / "other", values[:10])
    log_columns.columns_files([other], cache, select="NULL AS nothing", expressions=[], params=[])
    assert len(list(cache.glob(f"*{log_columns.SUFFIX}"))) == 1  # a segment gone from its folder is forgotten


def test_window_counts_count_each_segment_once_and_follow_new_and_replaced_segments(tmp_path):
    import os

    folder = tmp_path / "log"
    first = _log(folder, [1.0] * 50, start=datetime(2026, 1, 1))  # 50 rows over 50 s
    assert drift_log.window_counts(folder, version_id=1, size_seconds=3600)[0] == [(datetime(2026, 1, 1), 50)]
    second = folder / "later.parquet"
    os.replace(_log(tmp_path / "more", [1.0] * 30, start=datetime(2026, 1, 1, 0, 59, 50)), second)
    counts, found = drift_log.window_counts(folder, version_id=1, size_seconds=3600)
    assert counts == [(datetime(2026, 1, 1), 60), (datetime(2026, 1, 1, 1), 20)] and len(found.files) == 2
    assert drift_log.window_counts(folder, version_id=1, size_seconds=3600,
                                   since=datetime(2026, 1, 1, 0, 59, 55))[0] == [(datetime(2026, 1, 1), 5),
                                                                               (datetime(2026, 1, 1, 1), 20)]
    _log(folder, [1.0] * 10, start=datetime(2026, 1, 1))  # the first segment replaced (its name kept)
    stamp = first.stat().st_mtime_ns + 10**9
    os.utime(first, ns=(stamp, stamp))
    assert drift_log.window_counts(folder, version_id=1, size_seconds=3600)[0] == [(datetime(2026, 1, 1), 20),
                                                                                 (datetime(2026, 1, 1, 1), 20)]
    second.unlink()
    assert drift_log.window_counts(folder, version_id=1, size_seconds=86_400)[0] == [(datetime(2026, 1, 1), 10)]
    assert drift_log.window_counts(folder, version_id=2, size_seconds=3600)[0] == []
