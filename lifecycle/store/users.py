"""Users and their roles."""
from __future__ import annotations

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import User

_COLUMNS = "name, role, created_at, active, last_sign_in"


def _user(row: tuple) -> User:
    name, role, created_at, active, last_sign_in = row
    return User(name=name, role=role, created_at=created_at, active=active, last_sign_in=last_sign_in)


def insert(cursor: duckdb.DuckDBPyConnection, *, name: str, role: str, password_hash: str | None) -> User:
    now = utc_now()
    cursor.execute("INSERT INTO users (name, role, password_hash, created_at, active) VALUES (?, ?, ?, ?, TRUE)",
                   [name, role, password_hash, now])
    return User(name=name, role=role, created_at=now)


def get(cursor: duckdb.DuckDBPyConnection, name: str) -> User | None:
    row = cursor.execute(f"SELECT {_COLUMNS} FROM users WHERE name = ?", [name]).fetchone()
    return _user(row) if row else None


def password_hash(cursor: duckdb.DuckDBPyConnection, name: str) -> str | None:
    row = cursor.execute("SELECT password_hash FROM users WHERE name = ? AND active", [name]).fetchone()
    return row[0] if row else None


def set_password_hash(cursor: duckdb.DuckDBPyConnection, name: str, digest: str) -> None:
    cursor.execute("UPDATE users SET password_hash = ? WHERE name = ?", [digest, name])


def set_role(cursor: duckdb.DuckDBPyConnection, name: str, role: str) -> None:
    cursor.execute("UPDATE users SET role = ? WHERE name = ?", [role, name])


def list_all(cursor: duckdb.DuckDBPyConnection) -> list[User]:
    return [_user(r) for r in cursor.execute(f"SELECT {_COLUMNS} FROM users ORDER BY name").fetchall()]


def count(cursor: duckdb.DuckDBPyConnection) -> int:
    return cursor.execute("SELECT count(*) FROM users").fetchone()[0]


def set_active(cursor: duckdb.DuckDBPyConnection, name: str, active: bool) -> None:
    cursor.execute("UPDATE users SET active = ? WHERE name = ?", [active, name])


def active_admins(cursor: duckdb.DuckDBPyConnection) -> list[str]:
    rows = cursor.execute("SELECT name FROM users WHERE role = 'admin' AND active ORDER BY name").fetchall()
    return [r[0] for r in rows]


def set_last_sign_in(cursor: duckdb.DuckDBPyConnection, name: str) -> None:
    cursor.execute("UPDATE users SET last_sign_in = ? WHERE name = ?", [utc_now(), name])


def last_project(cursor: duckdb.DuckDBPyConnection, name: str) -> int | None:
    row = cursor.execute("SELECT last_project_id FROM users WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


def set_last_project(cursor: duckdb.DuckDBPyConnection, name: str, project_id: int | None) -> None:
    cursor.execute("UPDATE users SET last_project_id = ? WHERE name = ?", [project_id, name])
