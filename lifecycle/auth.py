"""Users, roles and permissions. Every write in ``lifecycle`` checks here first.

Passwords are hashed with Argon2 (argon2-cffi). The CLI trusts ``--user`` because whoever
can open the workspace file can already change it; the app asks for a password.
"""
from __future__ import annotations

import re
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lifecycle.errors import InputError, NotFound, PermissionDenied
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import users as user_store
from lifecycle.workspace import Workspace

ROLES = ("analyst", "reviewer", "stakeholder", "admin")
ROLE_SUMMARY = {
    "analyst": "works stages 1–7: projects, data, models",
    "reviewer": "reads everything and signs off governance checks",
    "stakeholder": "reads the portfolio and performance charts",
    "admin": "manages users and retention, and can do what analysts do",
}
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_hasher = PasswordHasher()


class Permission(Enum):
    EDIT_PROJECT = "create and edit projects and objectives"
    EDIT_DATA = "ingest data, edit recipes, freeze dataset versions and splits"
    MANAGE_USERS = "add users and change roles"
    READ = "read projects and reports"
    TRAIN = "train models and register model versions"


_GRANTS = {
    "analyst": {Permission.EDIT_PROJECT, Permission.EDIT_DATA, Permission.TRAIN, Permission.READ},
    "reviewer": {Permission.READ},
    "stakeholder": {Permission.READ},
    "admin": {Permission.EDIT_PROJECT, Permission.EDIT_DATA, Permission.TRAIN, Permission.MANAGE_USERS,
              Permission.READ},
}


def can(user: User, permission: Permission) -> bool:
    return user.active and permission in _GRANTS.get(user.role, set())


def require(user: User, permission: Permission) -> None:
    if not can(user, permission):
        allowed = " or ".join(role for role, grants in _GRANTS.items() if permission in grants)
        raise PermissionDenied(
            f"{user.name} ({user.role}) may not {permission.value}.",
            f"Ask an admin for the {allowed} role, or sign in as a user who has it.",
        )


def why_not(user: User, permission: Permission) -> str | None:
    """The reason a control is disabled for this user, or None when it is allowed."""
    if can(user, permission):
        return None
    return f"Your role ({user.role}) may not {permission.value}."


def _check_new_user(name: str, role: str) -> None:
    if not _NAME.match(name):
        raise InputError(f"User name {name!r} is not allowed.",
                         "Use 1–64 letters, digits, '.', '_', '@' or '-'.")
    if role not in ROLES:
        raise InputError(f"Role {role!r} does not exist.", f"Choose one of: {', '.join(ROLES)}.")


def get_user(workspace: Workspace, name: str) -> User:
    user = user_store.get(workspace.db.cursor(), name)
    if user is None:
        raise NotFound(f"No user named {name!r} in {workspace.path}.",
                       "Add one with `python -m lifecycle user add NAME --role ROLE` "
                       "(an admin must run it), or pass an existing --user.")
    return user


def list_users(workspace: Workspace) -> list[User]:
    return user_store.list_all(workspace.db.cursor())


def has_users(workspace: Workspace) -> bool:
    return user_store.count(workspace.db.cursor()) > 0


def init_admin(workspace: Workspace, name: str, password: str | None = None) -> User:
    """Create the first admin of a workspace that has no users yet."""
    _check_new_user(name, "admin")
    with workspace.db.transaction() as cursor:
        if user_store.count(cursor):
            raise InputError(f"The workspace {workspace.path} already has users.",
                             "Ask one of its admins to add you with `user add`.")
        user = user_store.insert(cursor, name=name, role="admin",
                                 password_hash=_hasher.hash(password) if password else None)
        audit_log.append(cursor, actor=name, action="workspace.initialised", entity=f"user:{name}",
                         details={"role": "admin"})
    return user


def add_user(workspace: Workspace, actor: User, name: str, role: str,
             password: str | None = None) -> User:
    require(actor, Permission.MANAGE_USERS)
    _check_new_user(name, role)
    with workspace.db.transaction() as cursor:
        if user_store.get(cursor, name):
            raise InputError(f"A user named {name!r} already exists.", "Pick another name.")
        user = user_store.insert(cursor, name=name, role=role,
                                 password_hash=_hasher.hash(password) if password else None)
        audit_log.append(cursor, actor=actor.name, action="user.added", entity=f"user:{name}",
                         details={"role": role})
    return user


def set_password(workspace: Workspace, actor: User, name: str, password: str) -> None:
    if actor.name != name:
        require(actor, Permission.MANAGE_USERS)
    if len(password) < 8:
        raise InputError("The password is shorter than 8 characters.", "Choose a longer one.")
    get_user(workspace, name)
    with workspace.db.transaction() as cursor:
        user_store.set_password_hash(cursor, name, _hasher.hash(password))
        audit_log.append(cursor, actor=actor.name, action="user.password_set", entity=f"user:{name}")


def authenticate(workspace: Workspace, name: str, password: str) -> User | None:
    """The user when the password matches, else None (no hint which part was wrong)."""
    digest = user_store.password_hash(workspace.db.cursor(), name)
    if not digest:
        return None
    try:
        _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return None
    return user_store.get(workspace.db.cursor(), name)
