"""Content hashes used across the spine (leaf module: imports nothing of ours)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str, allow_nan=True)


def audit_event_hash(
    *, seq: int, at: str, actor: str, action: str, entity: str, details: dict[str, Any], prev_hash: str
) -> str:
    payload = canonical_json(
        {"seq": seq, "at": at, "actor": actor, "action": action, "entity": entity,
         "details": details, "prev_hash": prev_hash}
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
