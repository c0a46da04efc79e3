"""Analytical SQL for dataset profiles: two scans of a registered view.

The caller opens ``datasets.view(...)`` and passes the view name. Column names come from
user data, so every one is quoted with ``quote_identifier``; every value derived from the
data (bin edges, bounds, means) is bound as a parameter. Generated aliases (``c3``, ``n3``)
are ours, never the user's.

* ``summarise`` — one aggregate over all columns: counts, NULLs, NaN and ±inf, distinct
  values, min/max/mean/std, quantiles, and the number of distinct rows (a 64-bit hash of
  the whole row; a collision needs ~4·10⁹ rows to become likely).
* ``distributions`` — one ``UNION ALL`` of one ``GROUP BY`` per column: numeric columns
  are grouped by (histogram bin, IQR-outlier flag, leakage bucket, target), categorical
  ones by (value, target). Rare values beyond the ``max_values`` most frequent are lumped
  in SQL so a high-cardinality column returns a bounded number of rows.

Both return plain Python data; the statistics built from them live in ``lifecycle.profile``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import duckdb

from lifecycle.store.db import quote_identifier


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
    if column.kind in ("categorical", "boolean"):
        return f"CAST({quoted} AS VARCHAR)"
    return quoted


def _class_expr(column: ColumnInput) -> str:
    """A classification target as text labels; a float target loses NaN/±inf."""
    quoted = quote_identifier(column.name)
    if column.dtype == "float":
        return f"CASE WHEN isfinite(CAST({quoted} AS DOUBLE)) THEN CAST({quoted} AS VARCHAR) END"
    return f"CAST({quoted} AS VARCHAR)"


def summarise(cursor: duckdb.DuckDBPyConnection, view: str, columns: Sequence[ColumnInput], *,
              quantiles: Sequence[float], exact: bool) -> dict[str, Any]:
    """Pass 1. ``exact`` selects count(DISTINCT)/quantile_cont over the approximate
    HyperLogLog/T-digest functions. Returns ``{"rows", "distinct_rows", "columns": [...]}``."""
    quantile_list = "[" + ", ".join(repr(float(q)) for q in quantiles) + "]"
    distinct_fn = "count(DISTINCT {})" if exact else "approx_count_distinct({})"
    quantile_fn = "quantile_cont" if exact else "approx_quantile"
    inner = []
    outer = ["count(*) AS rows_"]
    everything = ", ".join(quote_identifier(c.name) for c in columns)
    inner.append(f"hash({everything}) AS row_hash_")
    outer.append("count(DISTINCT row_hash_) AS distinct_rows_")
    for k, column in enumerate(columns):
        quoted = quote_identifier(column.name)
        inner.append(f"{_value_expr(column)} AS c{k}")
        outer.append(f"count(c{k}) AS n{k}")
        if column.kind == "empty":
            continue
        outer.append(distinct_fn.format(f"c{k}") + f" AS d{k}")
        if column.kind == "numeric":
            outer += [f"min(c{k}) AS min{k}", f"max(c{k}) AS max{k}", f"avg(c{k}) AS mean{k}",
                      f"stddev_samp(c{k}) AS std{k}", f"{quantile_fn}(c{k}, {quantile_list}) AS q{k}"]
            if column.dtype == "float":
                inner.append(f"isnan(CAST({quoted} AS DOUBLE)) AS nan{k}")
                inner.append(f"isinf(CAST({quoted} AS DOUBLE)) AS inf{k}")
                outer += [f"count_if(nan{k}) AS nan{k}", f"count_if(inf{k}) AS inf{k}"]
        elif column.kind == "datetime":
            inner.append(f"{quoted} AS t{k}")
            outer += [f"CAST(min(t{k}) AS VARCHAR) AS min{k}", f"CAST(max(t{k}) AS VARCHAR) AS max{k}",
                      f"{quantile_fn}(c{k}, {quantile_list}) AS q{k}"]
        elif column.kind == "boolean":
            outer.append(f"count_if(c{k} = 'true') AS true{k}")
    sql = f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {quote_identifier(view)})"
    result = cursor.execute(sql)
    names = [d[0] for d in result.description]
    row = dict(zip(names, result.fetchone()))
    out = []
    for k, column in enumerate(columns):
        stats: dict[str, Any] = {"name": column.name, "non_null": row[f"n{k}"],
                                 "nan": row.get(f"nan{k}") or 0, "inf": row.get(f"inf{k}") or 0,
                                 "distinct": row.get(f"d{k}", 0) or 0}
        for key in ("min", "max", "mean", "std", "true"):
            if f"{key}{k}" in row:
                stats[key] = row[f"{key}{k}"]
        if f"q{k}" in row:
            values = row[f"q{k}"]
            stats["quantiles"] = (None if values is None else
                                  {q: (None if v is None else float(v)) for q, v in zip(quantiles, values)})
        out.append(stats)
    return {"rows": row["rows_"], "distinct_rows": row["distinct_rows_"], "columns": out}


def _bucket_case(expr: str, edges: Sequence[float], params: list[Any], offset: int = 0) -> str:
    """A balanced CASE tree: the bucket index of ``expr`` against sorted ``edges``."""
    if not edges:
        return str(offset)
    middle = len(edges) // 2
    params.append(float(edges[middle]))
    low_branch = _bucket_case(expr, edges[:middle], params, offset)
    high_branch = _bucket_case(expr, edges[middle + 1:], params, offset + middle + 1)
    return f"CASE WHEN {expr} < ? THEN {low_branch} ELSE {high_branch} END"


def _branch(k: int, plan: ColumnPlan, view: str, target: TargetPlan | None,
            params: list[Any]) -> str:
    column = plan.column
    value = _value_expr(column)
    if target is None:
        y_inner, y_key, y_aggs = "NULL AS yv", "NULL AS y", "NULL::BIGINT AS ny, NULL::DOUBLE AS s"
    elif target.mode == "classes":
        y_inner = f"{_class_expr(target.column)} AS yv"
        y_key, y_aggs = "yv AS y", "NULL::BIGINT AS ny, NULL::DOUBLE AS s"
    else:
        y_inner = f"{_value_expr(target.column)} AS yv"
        y_key, y_aggs = "NULL AS y", "count(yv) AS ny, sum(yv - ?) AS s"
    select_params: list[Any] = []
    if column.kind in ("categorical", "boolean"):
        keys = "NULL::INTEGER AS h, NULL::BOOLEAN AS o, NULL::INTEGER AS q, x AS v"
    else:
        if plan.hist_bins:
            h = "least(greatest(CAST(floor((x - ?) / ?) AS INTEGER), 0), ?)"
            select_params += [plan.hist_lo, plan.hist_width, plan.hist_bins - 1]
            o = "(x < ? OR x > ?)"
            select_params += [plan.outlier_lo, plan.outlier_hi]
        else:
            h, o = "NULL::INTEGER", "NULL::BOOLEAN"
        q = f"CASE WHEN x IS NULL THEN NULL ELSE {_bucket_case('x', plan.edges, select_params)} END"
        keys = f"{h} AS h, {o} AS o, CAST({q} AS INTEGER) AS q, NULL::VARCHAR AS v"
    params += select_params
    if target is not None and target.mode == "values":
        params.append(target.mean)
    return (f"SELECT {k} AS col, {keys}, {y_key}, count(*) AS n, {y_aggs} "
            f"FROM (SELECT {value} AS x, {y_inner} FROM {quote_identifier(view)}) GROUP BY ALL")


def distributions(cursor: duckdb.DuckDBPyConnection, view: str, plans: Sequence[ColumnPlan], *,
                  target: TargetPlan | None, max_values: int = 1000) -> dict[str, dict[str, Any]]:
    """Pass 2. For each planned column: ``{"rows": [{h, o, q, v, other, y, n, ny, s}, ...]}``
    where ``v`` is one of the column's ``max_values`` most frequent values (or NULL, with
    ``other`` true for the lumped rest), ``ny``/``s`` are the count and sum of (y - mean)
    for a regression target, and ``y`` the class for a classification target."""
    if not plans:
        return {}
    params: list[Any] = []
    branches = [_branch(k, plan, view, target, params) for k, plan in enumerate(plans)]
    params += [max_values, max_values]
    sql = f"""
        WITH g AS MATERIALIZED ({' UNION ALL '.join(branches)}),
        ranked AS (
            SELECT col, v, row_number() OVER (PARTITION BY col ORDER BY sum(n) DESC, v) AS r
            FROM g WHERE v IS NOT NULL GROUP BY col, v)
        SELECT g.col, g.h, g.o, g.q,
               CASE WHEN ranked.r <= ? THEN g.v END AS v,
               coalesce(ranked.r > ?, false) AS other,
               g.y, sum(g.n) AS n, sum(g.ny) AS ny, sum(g.s) AS s
        FROM g LEFT JOIN ranked ON g.col = ranked.col AND g.v = ranked.v
        GROUP BY ALL
        ORDER BY g.col"""
    result = cursor.execute(sql, params)
    names = [d[0] for d in result.description]
    out: dict[str, dict[str, Any]] = {plan.column.name: {"rows": []} for plan in plans}
    for values in result.fetchall():
        row = dict(zip(names, values))
        col = row.pop("col")
        if row["s"] is not None and not math.isfinite(row["s"]):
            row["s"] = None
        out[plans[col].column.name]["rows"].append(row)
    return out
