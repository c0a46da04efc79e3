"""The signed, expiring token a browser keeps so a refresh does not sign its user out.

The token names the user and a fingerprint of their password hash, signed with a secret kept
beside the workspace (``<workspace>.files/session.key``, readable by its owner only) by
itsdangerous, the signing library Flask and Streamlit's own sign-in use. It is refused when its
signature does not match, when it is older than ``LIFECYCLE_SESSION_HOURS``, when the user is
disabled, and when their password changed since it was issued (a reset signs out every browser).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from lifecycle import config
from lifecycle.records import User
from lifecycle.store import users as user_store
from lifecycle.workspace import Workspace

COOKIE = "lifecycle_session"
_SALT = "lifecycle.sign-in"


def secret_path(workspace: Workspace) -> Path:
    return workspace.artifacts_dir / "session.key"


def _secret(workspace: Workspace) -> bytes:
    """The workspace's signing secret, created on first use with owner-only permissions."""
    path = secret_path(workspace)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another session created it meanwhile
            return path.read_bytes()
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(32))
    return path.read_bytes()


def _serializer(workspace: Workspace) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(workspace), salt=_SALT)


def _fingerprint(workspace: Workspace, name: str) -> str | None:
    digest = user_store.password_hash(workspace.db.cursor(), name)  # None when disabled or without password
    return None if digest is None else hashlib.sha256(digest.encode()).hexdigest()[:32]


def issue(workspace: Workspace, user: User) -> str:
    """A token for ``user``, to keep in the browser as cookie ``COOKIE`` for ``max_age_seconds()``."""
    return _serializer(workspace).dumps({"u": user.name, "p": _fingerprint(workspace, user.name)})


def max_age_seconds() -> int:
    return config.session_hours() * 3600


def verify(workspace: Workspace, token: str | None) -> User | None:
    """The active user the token names, or None when it is missing, forged, expired or outdated."""
    if not token:
        return None
    try:
        payload = _serializer(workspace).loads(token, max_age=max_age_seconds())
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), str):
        return None
    fingerprint = _fingerprint(workspace, payload["u"])
    if fingerprint is None or not hmac.compare_digest(fingerprint, str(payload.get("p"))):
        return None
    user = user_store.get(workspace.db.cursor(), payload["u"])
    return user if user is not None and user.active else None
