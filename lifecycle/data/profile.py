"""Stage 2 — Profile: what a dataset version holds, and what to fix before modelling.

``profile_dataset`` computes a ``DatasetProfile`` once, in five DuckDB queries over the
memory-mapped Arrow file (SQL in ``lifecycle.store.profiling``); afterwards it is only read.
Above ``EXACT_MAX_ROWS`` rows, distinct counts are HyperLogLog estimates and quantiles and
leakage buckets come from a seeded ~``EXACT_MAX_ROWS``-row sample; counts, missing values,
histograms, outliers, duplicates and class balance are always exact.
``get_profile`` returns the cached JSON copy when it matches the target and task.

Target leakage — one column that predicts the target almost perfectly on its own:

* Each column is cut into buckets: a categorical column by value (values in fewer than
  ``MIN_BUCKET_ROWS`` rows, or beyond the 1,000 most frequent, share one bucket), a numeric or
  datetime column into ~``LEAK_BUCKETS`` quantile bins; missing values form their own bucket.
* Classification: *purity* is the share of rows whose target equals the majority target of
  their bucket; *base* is the share of the overall majority class. The score is
  ``(purity - base) / (1 - base)``: 0 when the buckets tell nothing, 1 when they decide the
  target. Regression: the R² of the per-bucket mean of the target (between-bucket sum of
  squares over total sum of squares).
* A score ≥ ``LEAKAGE_THRESHOLD`` is a problem, unless the column is id-like: one value per
  row is trivially pure, so it is reported as an identifier instead.
"""
from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from contextlib import closing
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from lifecycle.data.datasets import check_rows_kept
from lifecycle.data.numbers import detect_format
from lifecycle.data.recipe.checks import UNFED_KINDS, dtype_kind
from lifecycle.data.recipe.compiler import DETECT_VALUES
from lifecycle.errors import InputError, NotFound
from lifecycle.data.findings import (ID_LIKE_MIN_ROWS, ID_LIKE_SHARE, IMBALANCE_SHARE,  # noqa: F401
                                        LEAKAGE_THRESHOLD, Finding, findings_for, is_id_like)
from lifecycle.records import TASKS, DatasetVersion
from lifecycle.store import datasets as dataset_store
from lifecycle.store import profile_cache
from lifecycle.store import profiling as sql
from lifecycle.workspace import Workspace

FORMAT_VERSION = 3  # 2: case twins profiled each as itself; 3: numbers stored as text
HIST_BINS = 30
LEAK_BUCKETS = 20
TOP_VALUES = 10
EXACT_MAX_ROWS = 100_000  # above this, approximate distinct counts and a sample (see above)
IQR_FACTOR = 1.5
LEAKAGE_MIN_ROWS = 30
MIN_BUCKET_ROWS = 5
SUMMARY_QUANTILES = (0.01, 0.25, 0.5, 0.75, 0.99)
_LEAK_QUANTILES = tuple(k / LEAK_BUCKETS for k in range(1, LEAK_BUCKETS))
KINDS = ("numeric", "categorical", "boolean", "datetime", "empty", "nested", "binary")
_KIND_OF_DTYPE = {"integer": "numeric", "float": "numeric", "boolean": "boolean",
                  "datetime": "datetime", "string": "categorical", "empty": "empty"}


def kind_of_dtype(dtype: str) -> str:
    """The profile kind of a stored type: lists, records and maps are "nested", raw bytes
    "binary" (profiled for missing and distinct values only); other types are categories."""
    if dtype in _KIND_OF_DTYPE:
        return _KIND_OF_DTYPE[dtype]
    unfed = dtype_kind(dtype)
    return unfed if unfed in UNFED_KINDS else "categorical"


@dataclass(frozen=True, kw_only=True)
class Histogram:
    edges: tuple[float, ...]  # len(counts) + 1 bin edges; bins are [edge, next edge)
    counts: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class ColumnProfile:
    """One column's profile: its kind and type, missing values, distinct count, distribution (histogram or top
    values), outliers and the findings about it. Computed once in DuckDB and then only read."""
    name: str
    kind: str  # one of KINDS
    dtype: str
    rows: int
    missing: int  # NULL, plus NaN for float columns
    missing_share: float
    infinite: int = 0  # ±inf (float columns; not counted as missing)
    distinct: int = 0  # among filled values; approximate above EXACT_MAX_ROWS rows
    min: float | str | None = None  # text for datetimes
    max: float | str | None = None
    mean: float | None = None
    std: float | None = None
    p01: float | None = None
    p25: float | None = None
    p50: float | None = None
    p75: float | None = None
    p99: float | None = None
    histogram: Histogram | None = None
    top_values: tuple[tuple[str, int], ...] = ()  # (value, rows), most frequent first
    outliers: int = 0  # outside [p25 - 1.5·IQR, p75 + 1.5·IQR]
    outlier_bounds: tuple[float, float] | None = None
    leakage: float | None = None  # see the module docstring
    is_target: bool = False
    number_format: str | None = None  # text holding numbers written like this ("1,234.56")
    number_example: str | None = None  # one of its values, as written
    flags: tuple[str, ...] = ()

    @property
    def filled(self) -> int:
        return self.rows - self.missing - self.infinite


@dataclass(frozen=True, kw_only=True)
class ClassShare:
    value: str
    count: int
    share: float


@dataclass(frozen=True, kw_only=True)
class ClassBalance:
    classes: tuple[ClassShare, ...]  # largest first
    minority_share: float
    imbalanced: bool  # minority_share < IMBALANCE_SHARE


@dataclass(frozen=True, kw_only=True)
class DatasetProfile:
    """A dataset version's profile: one ColumnProfile per column, duplicate rows, target balance and the findings
    (each naming the column and the fix). Cached in the workspace per dataset version."""
    dataset_id: int
    dataset_label: str
    rows: int
    columns: tuple[ColumnProfile, ...]
    duplicate_rows: int
    target: str | None
    task: str | None
    class_balance: ClassBalance | None
    findings: tuple[Finding, ...]
    approximate: bool  # distinct counts and quantiles from HyperLogLog / T-digest
    elapsed_seconds: float

    def column(self, name: str) -> ColumnProfile:
        for column in self.columns:
            if column.name == name:
                return column
        raise NotFound(f"Column {name!r} is not in the profile of {self.dataset_label}.",
                       "Pick one of its columns.")

    def findings_about(self, name: str | None) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.column == name)

    @property
    def counts_by_severity(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in ("problem", "warning", "info")}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data: non-finite floats become None."""
        return {"format": FORMAT_VERSION, **_json_safe(asdict(self))}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetProfile:
        if data.get("format") != FORMAT_VERSION:
            raise InputError(f"Profile format {data.get('format')!r} is not {FORMAT_VERSION}.",
                             "Compute the profile again.")
        columns = []
        for c in data["columns"]:
            c = dict(c)
            c["histogram"] = (Histogram(edges=tuple(c["histogram"]["edges"]),
                                        counts=tuple(c["histogram"]["counts"]))
                              if c["histogram"] else None)
            c["top_values"] = tuple((v, n) for v, n in c["top_values"])
            c["outlier_bounds"] = tuple(c["outlier_bounds"]) if c["outlier_bounds"] else None
            c["flags"] = tuple(c["flags"])
            columns.append(ColumnProfile(**c))
        balance = data["class_balance"]
        if balance is not None:
            balance = ClassBalance(classes=tuple(ClassShare(**s) for s in balance["classes"]),
                                   minority_share=balance["minority_share"],
                                   imbalanced=balance["imbalanced"])
        names = {f.name for f in fields(cls)}
        return cls(**{**{k: v for k, v in data.items() if k in names}, "columns": tuple(columns),
                      "class_balance": balance,
                      "findings": tuple(Finding(**f) for f in data["findings"])})

    @classmethod
    def from_json(cls, text: str) -> DatasetProfile:
        return cls.from_dict(json.loads(text))


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


# -- planning pass 2 from pass 1 -----------------------------------------------------------
def _plan(column: sql.ColumnInput, stats: dict[str, Any]) -> sql.ColumnPlan:
    quantiles = stats.get("quantiles") or {}
    edges = tuple(sorted({quantiles[q] for q in _LEAK_QUANTILES if quantiles.get(q) is not None}))
    if column.kind != "numeric":
        return sql.ColumnPlan(column=column, edges=edges)
    low, high = float(stats["min"]), float(stats["max"])
    if column.dtype == "integer" and high - low + 1 <= HIST_BINS:
        # One bin per integer: the bins are exact buckets for leakage too, so skip the edges.
        lo, width, bins, edges = low - 0.5, 1.0, int(high - low) + 1, ()
    elif high > low and math.isfinite((high - low) / HIST_BINS) and (high - low) / HIST_BINS > 0:
        # A hair wider than (max - min) / bins so that the maximum lands in the last bin.
        lo, width, bins = low, (high - low) / HIST_BINS * (1 + 1e-12), HIST_BINS
    else:
        lo, width, bins = low - 0.5, 1.0, 1
    q1, q3 = quantiles[0.25], quantiles[0.75]
    iqr = q3 - q1
    return sql.ColumnPlan(column=column, hist_lo=lo, hist_width=width, hist_bins=bins,
                          outlier_lo=q1 - IQR_FACTOR * iqr, outlier_hi=q3 + IQR_FACTOR * iqr,
                          edges=edges, finite=not (stats["nan"] or stats["inf"]))


def _leakage(rows: list[dict[str, Any]], kind: str, mode: str) -> float | None:
    """The leakage score of one column from its pass-2 bucket rows (see the module docstring)."""
    rows = [r for r in rows if r["leak"]]
    if kind in ("categorical", "boolean"):
        totals: dict[Any, int] = defaultdict(int)
        for r in rows:
            totals[r["v"]] += r["n"]
        small = {v for v, n in totals.items() if v is not None and n < MIN_BUCKET_ROWS}
        key = lambda r: ("other",) if r["other"] or r["v"] in small else ("v", r["v"])  # noqa: E731
    else:
        key = lambda r: r["q"]  # noqa: E731
    if mode == "classes":
        table: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        classes: dict[str, int] = defaultdict(int)
        for r in rows:
            if r["y"] is not None:
                table[key(r)][r["y"]] += r["n"]
                classes[r["y"]] += r["n"]
        total = sum(classes.values())
        if total < LEAKAGE_MIN_ROWS or len(classes) < 2:
            return None
        base = max(classes.values()) / total
        purity = sum(max(counts.values()) for counts in table.values()) / total
        return max(0.0, (purity - base) / (1 - base))
    # Regression: s and ss are sums of (y - c) and (y - c)² for a constant c, so around the
    # mean m of these rows: total SS = Σss - S²/N, between-bucket SS = Σ s_b²/n_b - S²/N.
    buckets: dict[Any, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for r in rows:
        if r["ny"]:
            bucket = buckets[key(r)]
            bucket[0] += r["ny"]
            bucket[1] += r["s"]
            bucket[2] += r["ss"]
    n = sum(b[0] for b in buckets.values())
    if n < LEAKAGE_MIN_ROWS:
        return None
    shift = sum(b[1] for b in buckets.values()) ** 2 / n
    total = sum(b[2] for b in buckets.values()) - shift
    if not math.isfinite(total) or total <= 0:
        return None
    between = sum(b[1] * b[1] / b[0] for b in buckets.values()) - shift
    return min(1.0, max(0.0, between / total))


def _column_profile(column: sql.ColumnInput, stats: dict[str, Any], rows_total: int,
                    plan: sql.ColumnPlan | None, dist: list[dict[str, Any]] | None,
                    leakage: float | None, is_target: bool) -> ColumnProfile:
    infinite = stats["inf"]
    filled = stats["non_null"]
    missing = rows_total - filled - infinite
    kind = column.kind if filled else "empty"
    values: dict[str, Any] = {}
    quantiles = stats.get("quantiles") or {}
    if kind == "numeric":
        as_number = (lambda v: int(v) if v is not None and float(v).is_integer() else _finite(v)) \
            if column.dtype == "integer" else _finite
        values.update(min=as_number(stats["min"]), max=as_number(stats["max"]),
                      mean=_finite(stats["mean"]), std=_finite(stats["std"]),
                      **{f"p{round(q * 100):02d}": _finite(quantiles.get(q)) for q in SUMMARY_QUANTILES})
    elif kind == "datetime":
        values.update(min=stats.get("min"), max=stats.get("max"))
    dist = dist or []
    if plan is not None and plan.hist_bins:
        counts = [0] * plan.hist_bins
        for r in dist:
            if r["h"] is not None and not r["leak"]:
                counts[min(max(r["h"], 0), plan.hist_bins - 1)] += r["n"]
        values["histogram"] = Histogram(
            edges=tuple(plan.hist_lo + i * plan.hist_width for i in range(plan.hist_bins + 1)),
            counts=tuple(counts))
        values["outliers"] = sum(r["n"] for r in dist if r["o"] and not r["leak"])
        values["outlier_bounds"] = (plan.outlier_lo, plan.outlier_hi)
    if kind in ("categorical", "boolean"):
        totals: dict[str, int] = defaultdict(int)
        for r in dist:
            if r["v"] is not None:
                totals[r["v"]] += r["n"]
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        values["top_values"] = tuple(ranked[:TOP_VALUES])
    return ColumnProfile(name=column.name, kind=kind, dtype=column.dtype, rows=rows_total,
                         missing=missing, missing_share=missing / rows_total if rows_total else 0.0,
                         infinite=infinite, distinct=int(stats["distinct"] or 0),
                         leakage=leakage, is_target=is_target, **values)


def _class_balance(counts: list[tuple[str, int]]) -> ClassBalance | None:
    total = sum(n for _, n in counts)
    if not total:
        return None
    shares = tuple(ClassShare(value=v, count=n, share=n / total)
                   for v, n in sorted(counts, key=lambda item: (-item[1], item[0])))
    minority = shares[-1].share
    return ClassBalance(classes=shares, minority_share=minority, imbalanced=minority < IMBALANCE_SHARE)


# -- public --------------------------------------------------------------------------------
def _check_arguments(dataset: DatasetVersion, target: str | None, task: str | None) -> None:
    if task is not None and task not in TASKS:
        raise InputError(f"Task {task!r} is not one of {', '.join(TASKS)}.", "Pick one of them.")
    if target is not None:
        if target not in dataset.column_names:
            raise InputError(f"Target {target!r} is not a column of {dataset.label}.",
                             "Profile it without a target, or pick the project's primary dataset.")
        if task is None:
            raise InputError(f"A target ({target!r}) was given without a task.",
                             f"Pass task= one of {', '.join(TASKS)}.")


def profile_dataset(workspace: Workspace, dataset: DatasetVersion, *, target: str | None,
                    task: str | None) -> DatasetProfile:
    """Compute the profile of a dataset version (two scans in DuckDB; see the module doc)."""
    _check_arguments(dataset, target, task)
    check_rows_kept(dataset)
    path = dataset_store.data_path(workspace.path, dataset)
    if not path.exists():
        raise NotFound(f"The rows of {dataset.label} are missing from {path.parent}.",
                       "Restore the workspace's .files folder from a backup.")
    started = time.perf_counter()
    # SQL sees each column under a name of ours ("c0", "c1", ...): SQL names ignore case, so
    # 'score' and 'SCORE' would otherwise both read the first of them.
    real_names = {f"c{i}": c.name for i, c in enumerate(dataset.columns)}
    inputs = [sql.ColumnInput(name=f"c{i}", kind=kind_of_dtype(c.dtype), dtype=c.dtype)
              for i, c in enumerate(dataset.columns)]
    user_target, target = target, next((k for k, v in real_names.items() if v == target), None)
    target_input = next((c for c in inputs if c.name == target), None)
    if task == "regression" and target_input is not None and target_input.kind != "numeric":
        raise InputError(f"The target {user_target!r} holds {target_input.dtype} values, but the task is "
                         "regression.", "Pick a numeric target, or a classification task.")
    exact = dataset.rows <= EXACT_MAX_ROWS
    sample_percent = min(100.0, 100.0 * EXACT_MAX_ROWS / max(dataset.rows, 1))
    # A cursor of our own: the view stays private, and an unfinished result left on the
    # thread's cursor (a fetchone elsewhere) cannot block registering it.
    with closing(workspace.db.cursor().cursor()) as cursor, \
            dataset_store.view(cursor, workspace.path, dataset, name=f"profile_{dataset.id}",
                               column_names=list(real_names)) as view:
        summary = sql.summarise(cursor, view, inputs, exact_distinct=exact)
        stats = {s["name"]: s for s in summary["columns"]}
        ranked = [c for c in inputs if c.kind in ("numeric", "datetime") and stats[c.name]["non_null"]]
        found = sql.quantiles(cursor, view, ranked, SUMMARY_QUANTILES + _LEAK_QUANTILES,
                              sample_percent=sample_percent)
        for name, values in found.items():
            stats[name]["quantiles"] = dict(zip(SUMMARY_QUANTILES + _LEAK_QUANTILES, values or ()))
        duplicates = sql.duplicate_rows(cursor, view)
        plans = {}
        for column in inputs:
            s = stats[column.name]
            if not s["non_null"] or column.kind in ("empty", *UNFED_KINDS):
                continue
            if column.name != target and column.kind == "categorical" \
                    and is_id_like(column.kind, column.dtype, s["non_null"], s["distinct"]):
                continue  # one value per row: no top values or buckets worth a GROUP BY
            plans[column.name] = _plan(column, s)
        target_plan = mode = None
        if target_input is not None and stats[target]["non_null"]:
            mode = "values" if task == "regression" else "classes"
            target_plan = sql.TargetPlan(column=target_input, mode=mode, mean=stats[target].get("mean"))
        dist = sql.distributions(cursor, view, list(plans.values()), target=target_plan,
                                 sample_percent=sample_percent)
        balance = _class_balance(sql.class_counts(cursor, view, target_input)) if mode == "classes" else None
        texts = [c for c in inputs if c.dtype == "string" and c.name != target and stats[c.name]["non_null"]]
        numbers = {name: detect_format(values) for name, values in
                   sql.text_samples(cursor, view, texts, DETECT_VALUES).items()}
    columns = []
    for column in inputs:
        rows = dist.get(column.name)
        leakage = None
        if mode is not None and column.name != target and rows is not None:
            leakage = _leakage(rows, column.kind, mode)
        profiled = _column_profile(column, stats[column.name], summary["rows"], plans.get(column.name),
                                   rows, leakage, column.name == target)
        found = numbers.get(column.name)
        if found is not None:
            profiled = replace(profiled, number_format=found.format.label, number_example=found.example)
        columns.append(replace(profiled, name=real_names[column.name]))
    columns, findings = findings_for(columns, rows=summary["rows"], duplicates=duplicates,
                                     target=user_target, task=task, balance=balance)
    findings += _case_twin_findings(dataset)
    return DatasetProfile(dataset_id=dataset.id, dataset_label=dataset.label, rows=summary["rows"],
                          columns=tuple(columns), duplicate_rows=duplicates, target=user_target, task=task,
                          class_balance=balance, findings=tuple(findings), approximate=not exact,
                          elapsed_seconds=round(time.perf_counter() - started, 3))


def _case_twin_findings(dataset: DatasetVersion) -> list[Finding]:
    from lifecycle.data.query import sql_column_names

    groups: dict[str, list[str]] = defaultdict(list)
    for name in dataset.column_names:
        groups[name.lower()].append(name)
    in_sql = sql_column_names(list(dataset.column_names))
    return [Finding(severity="info", column=names[0], kind="case_twins",
                    message=f"Columns {' and '.join(map(repr, names))} have names that differ only in case; "
                            "each is profiled and used as itself, but SQL names ignore case, so in the query "
                            f"sandbox write {', '.join(in_sql[n] for n in names)} — or rename one in the file "
                            "and ingest it again.")
            for names in groups.values() if len(names) > 1]


def get_profile(workspace: Workspace, dataset: DatasetVersion, target: str | None,
                task: str | None) -> DatasetProfile:
    """The cached profile when it was computed for this target and task; else compute and cache."""
    cached = profile_cache.get(workspace.db.cursor(), dataset.id)
    if cached is not None:
        try:
            profile = DatasetProfile.from_json(cached)
        except (InputError, KeyError, TypeError, ValueError):
            profile = None
        if profile is not None and profile.target == target and profile.task == task:
            return profile
    profile = profile_dataset(workspace, dataset, target=target, task=task)
    with workspace.db.transaction() as cursor:
        profile_cache.put(cursor, dataset.id, profile.to_json())
    return profile
