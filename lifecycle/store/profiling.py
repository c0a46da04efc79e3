"""Analytical SQL for dataset profiles: a few scans of a registered view.

The caller opens ``datasets.view(...)`` and passes the view name. Column names come from
user data, so every one is quoted with ``quote_identifier``; every value derived from the
data (bin edges, bounds, means) is bound as a parameter. Generated aliases (``c3``, ``n3``)
are ours, never the user's.

* ``summarise`` — one aggregate over all columns: counts, NULLs, NaN and ±inf, distinct
  values, min/max/mean/std. ``quantiles`` — exact quantiles over every row or over a
  seeded Bernoulli sample. ``duplicate_rows`` — a hash of the whole row. (Kept apart:
  DuckDB plans a DISTINCT or FILTERed aggregate inside the big aggregate much more slowly.)
* ``distributions`` — one ``UNION ALL`` of ``GROUP BY``s: numeric columns by (histogram
  bin, IQR-outlier flag) over every row and by (leakage bucket, target) over a sample;
  categorical ones by (value, target). Values beyond the ``max_values`` most frequent are
  lumped in SQL, so a high-cardinality column returns a bounded number of rows.
  ``class_counts`` — rows per class of the target.

All return plain Python data; the statistics built from them live in ``lifecycle.data.profile``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import duckdb

from lifecycle.store.db import quote_identifier

_SEED = 20240601  # the Bernoulli sample draws the same rows on every run


@dataclass(frozen=True, kw_only=True)
class ColumnInput:
    name: str
    kind: str  # numeric, categorical, boolean, datetime, empty
    dtype: str  # the stored dtype: integer, float, string, boolean, datetime, empty, ...


@dataclass(frozen=True, kw_only=True)
class ColumnPlan:
    """How pass 2 groups one column. Numeric: histogram bins, IQR bounds, bucket edges."""
    column: ColumnInput
    hist_lo: float | None = None
    hist_width: float | None = None
    hist_bins: int = 0
    outlier_lo: float | None = None
    outlier_hi: float | None = None
    edges: tuple[float, ...] = ()  # sorted, distinct; bucket i holds edges[i-1] <= x < edges[i]
    finite: bool = False  # no NaN or ±inf in the column: skip the cleaning CASE


@dataclass(frozen=True, kw_only=True)
class TargetPlan:
    column: ColumnInput
    mode: str  # "classes": group by the target value; "values": per-bucket sums of (y - mean)
    mean: float | None = None


def _value_expr(column: ColumnInput) -> str:
    """The column as a clean value: floats lose NaN/±inf (they become NULL)."""
    quoted = quote_identifier(column.name)
    if column.kind == "numeric":
        as_double = f"CAST({quoted} AS DOUBLE)"
        if column.dtype == "float":
            return f"CASE WHEN isfinite({as_double}) THEN {as_double} END"
        return as_double
    if column.kind == "datetime":
        return f"epoch({quoted})"
    if column.kind in ("categorical", "boolean", "nested", "binary"):
        return f"CAST({quoted} AS VARCHAR)"  # nested and binary: counted, never grouped
    return quoted


def _class_expr(column: ColumnInput) -> str:
    """A classification target as stored (grouping by it is cheaper than by its text);
    a float target loses NaN/±inf."""
    quoted = quote_identifier(column.name)
    if column.dtype == "float":
        return f"CASE WHEN isfinite(CAST({quoted} AS DOUBLE)) THEN {quoted} END"
    return quoted


def summarise(cursor: duckdb.DuckDBPyConnection, view: str, columns: Sequence[ColumnInput], *,
              exact_distinct: bool) -> dict[str, Any]:
    """Pass 1: one aggregate over every column. Distinct counts are exact, or HyperLogLog
    estimates when ``exact_distinct`` is false. Returns ``{"rows", "columns": [{name,
    non_null, nan, inf, distinct, min, max, mean, std}]}``; ``non_null`` excludes NaN, ±inf."""
    distinct_fn = "count(DISTINCT {})" if exact_distinct else "approx_count_distinct({})"
    inner, outer = [], ["count(*) AS rows_"]
    for k, column in enumerate(columns):
        quoted = quote_identifier(column.name)
        plain = column.dtype in ("string", "boolean") or column.kind == "empty"
        inner.append(f"{quoted if plain else _value_expr(column)} AS c{k}")
        outer.append(f"count(c{k}) AS n{k}")
        if column.kind == "empty":
            continue
        outer.append(distinct_fn.format(f"c{k}") + f" AS d{k}")
        if column.kind == "numeric":
            outer += [f"min(c{k}) AS min{k}", f"max(c{k}) AS max{k}", f"avg(c{k}) AS mean{k}",
                      f"stddev_samp(c{k}) AS std{k}"]
            if column.dtype == "float":
                inner += [f"{quoted} AS raw{k}", f"isinf(CAST({quoted} AS DOUBLE)) AS inf{k}"]
                outer += [f"count(raw{k}) AS raw{k}", f"count_if(inf{k}) AS inf{k}"]
        elif column.kind == "datetime":
            inner.append(f"{quoted} AS t{k}")
            outer += [f"CAST(min(t{k}) AS VARCHAR) AS min{k}", f"CAST(max(t{k}) AS VARCHAR) AS max{k}"]
    result = cursor.execute(f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} "
                            f"FROM {quote_identifier(view)})")
    row = dict(zip([d[0] for d in result.description], result.fetchall()[0]))
    out = []
    for k, column in enumerate(columns):
        infinite = row.get(f"inf{k}") or 0
        stats: dict[str, Any] = {"name": column.name, "non_null": row[f"n{k}"], "inf": infinite,
                                 "nan": (row[f"raw{k}"] - row[f"n{k}"] - infinite) if f"raw{k}" in row else 0,
                                 "distinct": row.get(f"d{k}", 0) or 0}
        stats.update({key: row[f"{key}{k}"] for key in ("min", "max", "mean", "std") if f"{key}{k}" in row})
        out.append(stats)
    return {"rows": row["rows_"], "columns": out}


def quantiles(cursor: duckdb.DuckDBPyConnection, view: str, columns: Sequence[ColumnInput],
              probabilities: Sequence[float], *, sample_percent: float = 100.0) -> dict[str, list[float | None]]:
    """Exact quantiles (numeric; datetime as epoch seconds) over every row, or over a
    Bernoulli sample of ``sample_percent`` % of rows with a fixed seed (repeatable). A column
    the sample misses altogether is computed over every row."""
    if not columns:
        return {}
    listed = "[" + ", ".join(repr(float(p)) for p in probabilities) + "]"
    source = quote_identifier(view)

    def run(chosen: Sequence[ColumnInput], sample: str) -> list[Any]:
        inner = ", ".join(f"{_value_expr(c)} AS c{k}" for k, c in enumerate(chosen))
        outer = ", ".join(f"quantile_cont(c{k}, {listed})" for k in range(len(chosen)))
        return list(cursor.execute(f"SELECT {outer} FROM (SELECT {inner} FROM {source}{sample})").fetchall()[0])

    if sample_percent < 100:
        found = run(columns, f" USING SAMPLE {float(sample_percent)!r} PERCENT (bernoulli, {_SEED})")
        missed = [k for k, values in enumerate(found) if values is None]
        if missed:
            for k, values in zip(missed, run([columns[k] for k in missed], "")):
                found[k] = values
    else:
        found = run(columns, "")
    return {c.name: (None if values is None else [None if v is None else float(v) for v in values])
            for c, values in zip(columns, found)}


def _view_columns(cursor: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    result = cursor.execute(f"SELECT * FROM {quote_identifier(view)} LIMIT 0")
    names = [d[0] for d in result.description]
    result.fetchall()
    return names


def duplicate_rows(cursor: duckdb.DuckDBPyConnection, view: str) -> int:
    """Rows that repeat an earlier row exactly, by a 64-bit hash of the whole row (a false
    match needs ~4·10⁹ rows to become likely)."""
    everything = ", ".join(quote_identifier(c) for c in _view_columns(cursor, view))
    return cursor.execute(f"SELECT count(*) - count(DISTINCT hash({everything})) "
                          f"FROM {quote_identifier(view)}").fetchall()[0][0]


def _bucket_case(expr: str, edges: Sequence[float], params: list[Any]) -> str:
    """The bucket index of ``expr`` against sorted ``edges`` (a flat CASE: each WHEN only
    sees the rows the earlier ones left)."""
    params += [float(e) for e in edges]
    whens = " ".join(f"WHEN {expr} < ? THEN {i}" for i in range(len(edges)))
    return f"CASE WHEN {expr} IS NULL THEN NULL {whens} ELSE {len(edges)} END"


def _select(k: int, keys: str, key_params: list[Any], value: str, *, view: str, leak: bool,
            target: TargetPlan | None, sample: str, params: list[Any]) -> str:
    """One GROUP BY of the UNION: columns col, h, o, q, v, leak, y, n, ny, s, ss."""
    nulls = "NULL::BIGINT AS ny, NULL::DOUBLE AS s, NULL::DOUBLE AS ss"
    if target is None or not leak:
        y_inner, y_key, aggs, agg_params = "NULL AS yv", "NULL AS y", nulls, []
    elif target.mode == "classes":
        y_inner, y_key, aggs, agg_params = f"{_class_expr(target.column)} AS yv", "yv AS y", nulls, []
    else:  # sums of (y - mean) and its square per bucket: R² needs nothing else
        y_inner, y_key = f"{_value_expr(target.column)} AS yv", "NULL AS y"
        aggs = "count(yv) AS ny, sum(yv - ?) AS s, sum((yv - ?) * (yv - ?)) AS ss"
        agg_params = [target.mean] * 3
    params += key_params + agg_params
    return (f"SELECT {k} AS col, {keys}, {str(leak).upper()} AS leak, {y_key}, count(*) AS n, {aggs} "
            f"FROM (SELECT {value} AS x, {y_inner} FROM {quote_identifier(view)}{sample}) GROUP BY ALL")


def _branches(k: int, plan: ColumnPlan, view: str, target: TargetPlan | None, sample: str,
              params: list[Any]) -> list[str]:
    column = plan.column
    if column.kind in ("categorical", "boolean"):  # value counts and leakage buckets at once
        return [_select(k, "NULL::INTEGER AS h, NULL::BOOLEAN AS o, NULL::INTEGER AS q, x AS v", [],
                        _value_expr(column), view=view, leak=True, target=target, sample="",
                        params=params)]
    value = (f"CAST({quote_identifier(column.name)} AS DOUBLE)" if column.kind == "numeric" and plan.finite
             else _value_expr(column))
    # The caller sizes the bins so min..max fall in 0..bins-1 and clamps a stray rounding
    # (least/greatest would turn NULL into a bin: they skip NULLs in DuckDB).
    bin_sql, bin_params = "TRY_CAST(floor((x - ?) / ?) AS INTEGER)", [plan.hist_lo, plan.hist_width]
    out = []
    if plan.hist_bins:  # exact histogram and outlier counts over every row
        out.append(_select(k, f"{bin_sql} AS h, (x < ? OR x > ?) AS o, NULL::INTEGER AS q, NULL::VARCHAR AS v",
                           [*bin_params, plan.outlier_lo, plan.outlier_hi], value, view=view, leak=False,
                           target=None, sample="", params=params))
    if target is not None and column.name != target.column.name:  # leakage buckets, on the sample
        if plan.edges or not plan.hist_bins:
            bucket_params: list[Any] = []
            bucket = _bucket_case("x", plan.edges, bucket_params)
        else:  # one histogram bin per integer value: the bins are the buckets
            bucket, bucket_params = bin_sql, list(bin_params)
        out.append(_select(k, f"NULL::INTEGER AS h, NULL::BOOLEAN AS o, CAST({bucket} AS INTEGER) AS q, "
                              "NULL::VARCHAR AS v", bucket_params, value, view=view, leak=True,
                           target=target, sample=sample, params=params))
    return out


def _label(value: Any) -> str:
    """A class label as text, spelled as DuckDB casts it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def distributions(cursor: duckdb.DuckDBPyConnection, view: str, plans: Sequence[ColumnPlan], *,
                  target: TargetPlan | None, sample_percent: float = 100.0,
                  max_values: int = 1000) -> dict[str, list[dict[str, Any]]]:
    """Pass 2: for each planned column, rows ``{h, o, q, v, other, leak, y, n, ny, s, ss}``.

    * ``leak`` false: numeric histogram bin ``h`` and IQR-outlier flag ``o``, every row.
    * ``leak`` true: leakage buckets with the target — ``q`` (numeric/datetime bucket, on a
      Bernoulli sample of ``sample_percent`` %) or ``v`` (categorical value, every row;
      one of the ``max_values`` most frequent, else NULL with ``other`` true). ``y`` is the
      class for a classification target; for regression ``ny``, ``s``, ``ss`` are the count,
      sum and sum of squares of (y - target mean).
    """
    if not plans:
        return {}
    params: list[Any] = []
    sample = (f" USING SAMPLE {float(sample_percent)!r} PERCENT (bernoulli, {_SEED})"
              if sample_percent < 100 else "")
    branches = [b for k, plan in enumerate(plans) for b in _branches(k, plan, view, target, sample, params)]
    if not branches:
        return {plan.column.name: [] for plan in plans}
    params += [max_values, max_values]
    sql = f"""
        WITH g AS MATERIALIZED ({' UNION ALL '.join(branches)}),
        ranked AS (
            SELECT col, v, row_number() OVER (PARTITION BY col ORDER BY sum(n) DESC, v) AS r
            FROM g WHERE v IS NOT NULL GROUP BY col, v)
        SELECT g.col, g.h, g.o, g.q, CASE WHEN ranked.r <= ? THEN g.v END AS v,
               coalesce(ranked.r > ?, false) AS other, g.leak, g.y,
               sum(g.n) AS n, sum(g.ny) AS ny, sum(g.s) AS s, sum(g.ss) AS ss
        FROM g LEFT JOIN ranked ON g.col = ranked.col AND g.v = ranked.v
        GROUP BY ALL"""
    result = cursor.execute(sql, params)
    names = [d[0] for d in result.description]
    out: dict[str, list[dict[str, Any]]] = {plan.column.name: [] for plan in plans}
    for values in result.fetchall():
        row = dict(zip(names, values))
        col = row.pop("col")
        if target is not None and target.mode == "classes" and row["y"] is not None:
            row["y"] = _label(row["y"])
        out[plans[col].column.name].append(row)
    return out


def class_counts(cursor: duckdb.DuckDBPyConnection, view: str, target: ColumnInput) -> list[tuple[str, int]]:
    """Rows per class of a classification target (missing labels left out)."""
    rows = cursor.execute(f"SELECT y, count(*) FROM (SELECT {_class_expr(target)} AS y "
                          f"FROM {quote_identifier(view)}) WHERE y IS NOT NULL GROUP BY y").fetchall()
    return [(_label(y), n) for y, n in rows]


def text_samples(cursor: duckdb.DuckDBPyConnection, view: str, columns: Sequence[ColumnInput],
                 limit: int) -> dict[str, list[str]]:
    """Up to ``limit`` distinct filled values of each text column (the most frequent first), to
    check whether they are numbers written as text."""
    if not columns:
        return {}
    branches = [f"SELECT * FROM (SELECT {k} AS col, v, count(*) AS n FROM (SELECT CAST({quote_identifier(c.name)} "
                f"AS VARCHAR) AS v FROM {quote_identifier(view)}) WHERE v IS NOT NULL GROUP BY v "
                f"ORDER BY n DESC, v LIMIT {int(limit)})" for k, c in enumerate(columns)]
    out: dict[str, list[str]] = {c.name: [] for c in columns}
    for col, value, _ in cursor.execute(" UNION ALL ".join(branches)).fetchall():
        out[columns[col].name].append(value)
    return out
