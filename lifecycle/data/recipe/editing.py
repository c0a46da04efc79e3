"""Recipes as editable tables: what the Data page's editors show and read back.

The page only moves rows between widgets and these functions; parsing values (numbers,
lists for 'in', bin edges) and building the Recipe happen here, where they are tested.
"""
from __future__ import annotations

import math
from typing import Any

from lifecycle.errors import InputError
from lifecycle.data.recipe.spec import ColumnStep, DerivedColumn, Recipe, RowFilter

STEP_FIELDS = ("column", "role", "kind", "number_format", "imputation", "encoding", "scaling", "clip", "note")
FILTER_FIELDS = ("column", "op", "value")
DERIVED_FIELDS = ("name", "op", "inputs", "edges", "imputation", "scaling")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def _number_or_text(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def _split_list(text: Any) -> list[str]:
    return [part.strip() for part in str(text).split(",") if part.strip()]


def step_rows(recipe: Recipe) -> list[dict[str, Any]]:
    return [{f: getattr(step, f) for f in STEP_FIELDS} for step in recipe.steps]


def filter_rows(recipe: Recipe) -> list[dict[str, Any]]:
    rows = []
    for flt in recipe.filters:
        value = ", ".join(str(v) for v in flt.value) if isinstance(flt.value, tuple) else flt.value
        rows.append({"column": flt.column, "op": flt.op, "value": "" if value is None else str(value)})
    return rows


def derived_rows(recipe: Recipe) -> list[dict[str, Any]]:
    return [{"name": d.name, "op": d.op, "inputs": ", ".join(d.inputs),
             "edges": ", ".join(f"{e:g}" for e in d.edges) if d.edges else "",
             "imputation": d.imputation, "scaling": d.scaling} for d in recipe.derived]


def recipe_from_rows(steps: list[dict[str, Any]], filters: list[dict[str, Any]],
                     derived: list[dict[str, Any]], base: Recipe | None = None) -> Recipe:
    """Build a Recipe from editor rows; blank rows are skipped, bad values raise InputError."""
    kept_options = {s.column: s for s in base.steps} if base else {}
    built_steps = []
    for row in steps:
        if _blank(row.get("column")):
            continue
        values = {f: row[f] for f in STEP_FIELDS if f in row and not _blank(row[f])}
        previous = kept_options.get(row["column"])
        if previous is not None:  # keep options the table does not show (fill values, quantiles…)
            values = {**previous.to_dict(), **values}
        if "number_format" in row and _blank(row["number_format"]):
            values["number_format"] = None  # cleared in the table: the text stays text
        if values.get("kind") == "categorical":  # options only numbers take are switched off with the kind
            values["scaling"], values["clip"] = "none", "none"
            if values.get("imputation") in ("mean", "median"):
                values["imputation"] = "most_frequent"
            if values.get("encoding", "none") == "none":
                values["encoding"] = "onehot"
        built_steps.append(ColumnStep.from_dict(values))
    built_filters = []
    for row in filters:
        if _blank(row.get("column")) and _blank(row.get("op")):
            continue
        if _blank(row.get("column")) or _blank(row.get("op")):
            raise InputError(f"A row filter is missing its {'column' if _blank(row.get('column')) else 'operator'}.",
                             "Fill it in or delete the row.")
        op, raw = row["op"], row.get("value")
        if op in ("is_null", "not_null"):
            value = None
        elif op in ("in", "not_in"):
            value = tuple(_number_or_text(v) for v in _split_list(raw or ""))
        else:
            if _blank(raw):
                raise InputError(f"The filter on {row['column']!r} ({op}) has no value.", "Type the value to compare with.")
            value = _number_or_text(str(raw).strip())
        built_filters.append(RowFilter(column=row["column"], op=op, value=value))
    built_derived = []
    for row in derived:
        if _blank(row.get("name")):
            continue
        edges = None
        if not _blank(row.get("edges")):
            try:
                edges = tuple(float(e) for e in _split_list(row["edges"]))
            except ValueError:
                raise InputError(f"Bin edges {row['edges']!r} of derived column {row['name']!r} are not numbers.",
                                 "Write them like 18, 30, 45, 65.") from None
        built_derived.append(DerivedColumn(
            name=str(row["name"]).strip(), op=row.get("op") or "", inputs=tuple(_split_list(row.get("inputs") or "")),
            edges=edges, imputation=row.get("imputation") or "median", scaling=row.get("scaling") or "none"))
    if not built_steps:
        raise InputError("The recipe has no column steps.", "Start from the suggested recipe.")
    return Recipe(steps=tuple(built_steps), filters=tuple(built_filters), derived=tuple(built_derived))
