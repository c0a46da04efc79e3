"""The findings of a dataset profile: each names the column, the number and the fix.

Thresholds are named constants so the page can explain them and tests can cite them.
Works on ``lifecycle.data.profile.ColumnProfile`` values (read through attributes only).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

from lifecycle.data.recipe.checks import describe_kind

SEVERITIES = ("problem", "warning", "info")
MISSING_WARNING_SHARE = 0.05
MISSING_PROBLEM_SHARE = 0.50
HIGH_CARDINALITY_DISTINCT = 50  # a categorical with more distinct values than this ...
HIGH_CARDINALITY_SHARE = 0.05  # ... and than this share of its filled rows
ID_LIKE_SHARE = 0.95  # distinct values / filled rows
ID_LIKE_MIN_ROWS = 20
OUTLIER_WARNING_SHARE = 0.05
IMBALANCE_SHARE = 0.10  # a class below this share of labelled rows makes the target imbalanced
LEAKAGE_THRESHOLD = 0.95


@dataclass(frozen=True, kw_only=True)
class Finding:
    severity: str  # "info", "warning" or "problem"
    column: str | None
    kind: str  # empty, missing, constant, id_like, high_cardinality, outliers, infinite,
    #            duplicates, class_imbalance, leakage, target_missing, nested, binary, case_twins,
    #            numbers_as_text
    message: str


def is_id_like(kind: str, dtype: str, filled: int, distinct: int) -> bool:
    """Text or integer values that are (nearly) unique per row; floats are naturally so."""
    return ((kind == "categorical" or dtype == "integer") and filled >= ID_LIKE_MIN_ROWS
            and distinct >= ID_LIKE_SHARE * filled)


def _pct(share: float) -> str:
    return f"{share:.1%}" if share >= 0.001 or share == 0 else f"{share:.2%}"


def _number(value: Any) -> str:
    return f"{value:,.4g}" if isinstance(value, float) else str(value)


def _column_findings(c: Any, rows: int, target: str | None, task: str | None) -> tuple[list[str], list[Finding]]:
    flags: list[str] = []
    out: list[Finding] = []
    name = c.name

    def add(severity: str, kind: str, message: str) -> None:
        flags.append(kind)
        out.append(Finding(severity=severity, column=name, kind=kind, message=message))

    if c.kind == "empty":
        add("problem", "empty", f"Column {name!r} is empty in every row ({rows:,} rows); "
            "drop the column in the recipe.")
        return flags, out
    if c.kind in ("nested", "binary"):
        offer = ("; to use it, add a derived column with the 'length' operation (items per row)"
                 if c.kind == "nested" and not c.dtype.startswith("struct<") else "")
        empty = f", empty in {c.missing:,} rows" if c.missing else ""
        add("info", c.kind, f"Column {name!r} holds {describe_kind(c.kind, c.dtype)}{empty}; the suggested "
            f"recipe leaves it out of the features{offer}.")
        return flags, out
    if c.missing:
        share = c.missing / rows
        if c.is_target:
            add("warning", "target_missing",
                f"The target {name!r} is empty in {_pct(share)} of rows ({c.missing:,} rows); a model "
                "cannot learn from them — drop those rows in the recipe.")
        else:
            severity = ("problem" if share >= MISSING_PROBLEM_SHARE else
                        "warning" if share >= MISSING_WARNING_SHARE else "info")
            fix = ("drop the column, or keep a missing-indicator if the gaps mean something"
                   if severity == "problem" else "choose an imputation in the recipe or drop the column")
            add(severity, "missing", f"Column {name!r} is {_pct(share)} empty ({c.missing:,} rows); {fix}.")
    if c.infinite:
        add("warning", "infinite",
            f"Column {name!r} holds {c.infinite:,} infinite value(s) (±inf); recipes treat them as "
            "missing — fix the calculation that produced them (often a division by zero) or impute them.")
    if c.is_target:
        return flags, out
    filled = c.filled
    if c.distinct == 1 and filled:
        value = c.top_values[0][0] if c.top_values else _number(c.min)
        add("warning", "constant", f"Column {name!r} has the single value {value!r} in all {filled:,} "
            "filled rows; it carries no information — drop it in the recipe.")
    number_format = getattr(c, "number_format", None)
    if number_format:
        add("warning", "numbers_as_text",
            f"Column {name!r} holds numbers stored as text, written like {c.number_example!r} (format "
            f"{number_format}); the suggested recipe converts them to numbers — accept or refuse that in "
            "the recipe (number format).")
    id_like = is_id_like(c.kind, c.dtype, filled, c.distinct) and not number_format
    if id_like:
        add("warning", "id_like",
            f"Column {name!r} has a different value in almost every row ({c.distinct:,} distinct of "
            f"{filled:,} filled rows); it looks like an identifier — exclude it from the features.")
    elif (c.kind == "categorical" and not number_format and c.distinct > HIGH_CARDINALITY_DISTINCT
          and c.distinct > HIGH_CARDINALITY_SHARE * filled):
        add("warning", "high_cardinality",
            f"Column {name!r} has {c.distinct:,} distinct values ({_pct(c.distinct / filled)} of filled "
            "rows); group rare values, use a target or hash encoding, or drop it.")
    if c.outliers and c.outlier_bounds:
        share = c.outliers / filled
        low, high = c.outlier_bounds
        fix = ("check them for entry errors, or clip them or use a robust scaler in the recipe"
               if low < high else
               f"half the rows or more hold {_number(low)}, so the rule flags every other value — "
               "consider a log transform or an is-non-zero indicator rather than clipping")
        add("warning" if share >= OUTLIER_WARNING_SHARE else "info", "outliers",
            f"Column {name!r} has {c.outliers:,} outlier(s) ({_pct(share)} of filled rows) outside "
            f"[{_number(low)}, {_number(high)}] by the 1.5×IQR rule; {fix}.")
    if c.leakage is not None and c.leakage >= LEAKAGE_THRESHOLD and not id_like:
        measure = ("explains {:.0%} of the target's variance on its own (R² of per-bucket means)"
                   if task == "regression" else
                   "decides the target almost alone (leakage score {:.2f}: normalised bucket purity)")
        add("problem", "leakage",
            f"Column {name!r} {measure.format(c.leakage)} — a sign of target leakage for {target!r}; "
            "check it is known at prediction time, otherwise drop it in the recipe.")
    return flags, out


def findings_for(columns: Sequence[Any], *, rows: int, duplicates: int, target: str | None,
                 task: str | None, balance: Any) -> tuple[list[Any], list[Finding]]:
    """Flag each column and list the findings, problems first."""
    flagged = []
    findings: list[Finding] = []
    for column in columns:
        flags, found = _column_findings(column, rows, target, task)
        flagged.append(replace(column, flags=tuple(flags)))
        findings += found
    if duplicates:
        findings.append(Finding(
            severity="warning", column=None, kind="duplicates",
            message=f"{duplicates:,} row(s) ({_pct(duplicates / rows)}) repeat an earlier row exactly; "
                    "drop duplicates in the recipe, or confirm they are genuine repeats (copies can land "
                    "in both train and test and inflate scores)."))
    if balance is not None and balance.imbalanced:
        smallest = balance.classes[-1]
        total = sum(s.count for s in balance.classes)
        findings.append(Finding(
            severity="warning", column=target, kind="class_imbalance",
            message=f"The target {target!r} is imbalanced: its smallest class {smallest.value!r} has "
                    f"{_pct(smallest.share)} of labelled rows ({smallest.count:,} of {total:,}); use a "
                    "stratified split, class weights, and a metric such as PR-AUC or balanced accuracy."))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: order[f.severity])  # stable: column order within a severity
    return flagged, findings
