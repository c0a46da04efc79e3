"""Sign-offs of model versions (stage 8): inserted once, never updated."""
from __future__ import annotations

import json
from dataclasses import asdict

import duckdb

from lifecycle.clock import utc_now
from lifecycle.records import ItemJudgement, SignOff

_COLUMNS = ("id, model_version_id, project_id, signer, role, decision, comment, items, risk_tier, checklist_hash, "
            "audit_seq, signed_at")


def _signoff(row: tuple) -> SignOff:
    (id_, version_id, project_id, signer, role, decision, comment, items, risk_tier, checklist_hash, audit_seq,
     signed_at) = row
    return SignOff(id=id_, model_version_id=version_id, project_id=project_id, signer=signer, role=role,
                   decision=decision, comment=comment,
                   items=tuple(ItemJudgement(**item) for item in json.loads(items)), risk_tier=risk_tier,
                   checklist_hash=checklist_hash, audit_seq=audit_seq, signed_at=signed_at)


def insert(cursor: duckdb.DuckDBPyConnection, *, model_version_id: int, project_id: int, signer: str, role: str,
           decision: str, comment: str, items: tuple[ItemJudgement, ...], risk_tier: str, checklist_hash: str,
           audit_seq: int) -> SignOff:
    rows = cursor.execute(
        f"INSERT INTO signoffs ({_COLUMNS}) VALUES (nextval('signoff_ids'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        f"RETURNING {_COLUMNS}",
        [model_version_id, project_id, signer, role, decision, comment, json.dumps([asdict(i) for i in items]),
         risk_tier, checklist_hash, audit_seq, utc_now()]).fetchall()
    return _signoff(rows[0])


def for_version(cursor: duckdb.DuckDBPyConnection, model_version_id: int) -> list[SignOff]:
    """The sign-offs of a version, oldest first."""
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM signoffs WHERE model_version_id = ? ORDER BY id",
                          [model_version_id]).fetchall()
    return [_signoff(r) for r in rows]


def for_project(cursor: duckdb.DuckDBPyConnection, project_id: int) -> list[SignOff]:
    """Every sign-off of a project's versions, oldest first."""
    rows = cursor.execute(f"SELECT {_COLUMNS} FROM signoffs WHERE project_id = ? ORDER BY id",
                          [project_id]).fetchall()
    return [_signoff(r) for r in rows]
