"""Numbered schema migrations. Opening an older workspace applies the missing ones.

Append new migrations at the end; never edit one that has shipped.
"""
from __future__ import annotations

from datetime import datetime, timezone

import duckdb

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "users, projects, objectives, datasets, recipes, splits, audit log",
        [
            """CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""",
            """CREATE TABLE users (
                name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, password_hash VARCHAR,
                created_at TIMESTAMP NOT NULL, active BOOLEAN NOT NULL DEFAULT TRUE)""",
            """CREATE SEQUENCE project_ids START 1""",
            """CREATE TABLE projects (
                id INTEGER PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, statement VARCHAR NOT NULL,
                task VARCHAR NOT NULL, target VARCHAR NOT NULL, positive_class VARCHAR,
                sensitive VARCHAR NOT NULL, owner VARCHAR NOT NULL, risk_tier VARCHAR NOT NULL,
                intended_use VARCHAR NOT NULL, out_of_scope VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL,
                updated_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE objectives (
                project_id INTEGER NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL,
                metric VARCHAR NOT NULL, comparator VARCHAR NOT NULL, threshold DOUBLE NOT NULL,
                blocking BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL, PRIMARY KEY (project_id, version, position))""",
            """CREATE SEQUENCE dataset_ids START 1""",
            """CREATE TABLE dataset_versions (
                id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name VARCHAR NOT NULL,
                version INTEGER NOT NULL, rows BIGINT NOT NULL, columns VARCHAR NOT NULL,
                content_hash VARCHAR NOT NULL, lineage VARCHAR NOT NULL,
                auxiliary BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL, UNIQUE (project_id, name, version))""",
            """CREATE SEQUENCE recipe_ids START 1""",
            """CREATE TABLE recipes (
                id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name VARCHAR NOT NULL,
                version INTEGER NOT NULL, spec VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
                created_by VARCHAR NOT NULL, UNIQUE (project_id, name, version))""",
            """CREATE SEQUENCE split_ids START 1""",
            """CREATE TABLE splits (
                id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL, method VARCHAR NOT NULL,
                seed INTEGER NOT NULL, test_size DOUBLE NOT NULL, validation_size DOUBLE NOT NULL,
                column_name VARCHAR, counts VARCHAR NOT NULL, assignment_hash VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL)""",
            """CREATE TABLE profiles (
                dataset_id INTEGER PRIMARY KEY, report VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL)""",
            """CREATE TABLE audit_log (
                seq BIGINT PRIMARY KEY, "at" VARCHAR NOT NULL, actor VARCHAR NOT NULL,
                action VARCHAR NOT NULL, entity VARCHAR NOT NULL, details VARCHAR NOT NULL,
                prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL)""",
        ],
    ),
]

LATEST = MIGRATIONS[-1][0]


def current_version(cursor: duckdb.DuckDBPyConnection) -> int:
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    return cursor.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(cursor: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration newer than the file's version; return the ones applied."""
    applied = []
    start = current_version(cursor)
    for version, description, statements in MIGRATIONS:
        if version <= start:
            continue
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, ?)",
            [version, description, datetime.now(timezone.utc).replace(tzinfo=None)],
        )
        applied.append(version)
    return applied
