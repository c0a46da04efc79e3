"""Recipe versions and splits."""
from __future__ import annotations

import json
from typing import Any

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import RecipeVersion, Split


def _recipe(row: tuple) -> RecipeVersion:
    id_, project_id, name, version, spec, created_at, created_by = row
    return RecipeVersion(id=id_, project_id=project_id, name=name, version=version, spec=json.loads(spec),
                         created_at=created_at, created_by=created_by)


_RECIPE_COLUMNS = "id, project_id, name, version, spec, created_at, created_by"


def insert_recipe(cursor: duckdb.DuckDBPyConnection, *, project_id: int, name: str, spec: dict[str, Any],
                  created_by: str) -> RecipeVersion:
    recipe_id = cursor.execute("SELECT nextval('recipe_ids')").fetchone()[0]
    version = cursor.execute("SELECT coalesce(max(version), 0) + 1 FROM recipes WHERE project_id = ? AND name = ?",
                             [project_id, name]).fetchone()[0]
    cursor.execute(f"INSERT INTO recipes ({_RECIPE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [recipe_id, project_id, name, version, json.dumps(spec, sort_keys=True), utc_now(), created_by])
    return get_recipe(cursor, recipe_id)


def get_recipe(cursor: duckdb.DuckDBPyConnection, recipe_id: int) -> RecipeVersion | None:
    row = cursor.execute(f"SELECT {_RECIPE_COLUMNS} FROM recipes WHERE id = ?", [recipe_id]).fetchone()
    return _recipe(row) if row else None


def recipes_for(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[RecipeVersion]:
    rows = cursor.execute(f"SELECT {_RECIPE_COLUMNS} FROM recipes WHERE project_id = ? ORDER BY id",
                          [project_id]).fetchall()
    return [_recipe(r) for r in rows]


_SPLIT_COLUMNS = ("id, dataset_id, method, seed, test_size, validation_size, column_name, counts, "
                  "assignment_hash, created_at, created_by")


def _split(row: tuple) -> Split:
    (id_, dataset_id, method, seed, test_size, validation_size, column, counts, assignment_hash,
     created_at, created_by) = row
    return Split(id=id_, dataset_id=dataset_id, method=method, seed=seed, test_size=test_size,
                 validation_size=validation_size, column=column, counts=json.loads(counts),
                 assignment_hash=assignment_hash, created_at=created_at, created_by=created_by)


def insert_split(cursor: duckdb.DuckDBPyConnection, *, dataset_id: int, method: str, seed: int, test_size: float,
                 validation_size: float, column: str | None, counts: dict[str, int], assignment_hash: str,
                 created_by: str) -> Split:
    split_id = cursor.execute("SELECT nextval('split_ids')").fetchone()[0]
    cursor.execute(f"INSERT INTO splits ({_SPLIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [split_id, dataset_id, method, seed, test_size, validation_size, column, json.dumps(counts),
                    assignment_hash, utc_now(), created_by])
    return get_split(cursor, split_id)


def get_split(cursor: duckdb.DuckDBPyConnection, split_id: int) -> Split | None:
    row = cursor.execute(f"SELECT {_SPLIT_COLUMNS} FROM splits WHERE id = ?", [split_id]).fetchone()
    return _split(row) if row else None


def splits_for_dataset(cursor: duckdb.DuckDBPyConnection, dataset_id: int) -> list[Split]:
    rows = cursor.execute(f"SELECT {_SPLIT_COLUMNS} FROM splits WHERE dataset_id = ? ORDER BY id",
                          [dataset_id]).fetchall()
    return [_split(r) for r in rows]


def split_count(cursor: duckdb.DuckDBPyConnection, project_id: int) -> int:
    return cursor.execute(
        "SELECT count(*) FROM splits s JOIN dataset_versions d ON d.id = s.dataset_id WHERE d.project_id = ?",
        [project_id]).fetchone()[0]
