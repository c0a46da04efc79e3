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
MIN_PASSWORD_LENGTH = 8
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_hasher = PasswordHasher()


class Permission(Enum):
    """Every action a role may or may not take; the value says what it lets a user do and
    reads after "may" / "may not" in messages and role summaries."""

    READ = "read projects and reports"
    EDIT_PROJECT = "create and edit projects and objectives"
    EDIT_DATA = "ingest data, edit recipes, freeze dataset versions and splits"
    TRAIN = "train models and register model versions"
    VALIDATE_MODEL = "validate model versions"
    APPROVE_MODEL = "approve models"
    MOVE_MODEL = "move approved model versions to staging and production"
    REJECT_MODEL = "reject model versions"
    SCORE_BATCH = "score files with a model version"
    EXPORT_MODEL = "export model versions as serving bundles"
    RUN_SERVICE = "start and stop the scoring service"
    MANAGE_USERS = "add users, change roles, disable users and reset passwords"
    ARCHIVE_PROJECT = "archive and restore projects"
    HANDLE_ALERTS = "acknowledge and resolve monitoring alerts"
    CONFIGURE_ALERTS = "set the webhook a project's alerts are sent to"
    SIMULATE_TRAFFIC = "write simulated traffic history into a project's prediction log"
    RUN_EXPERIMENT = "start, conclude and roll back A/B tests between model versions"
    RETRAIN = "set retraining policies and run or cancel retrains"
    SIGN_OFF = "sign off model versions on the governance checklist"
    ANCHOR_AUDIT = "anchor the audit trail with a signing key"
    CONFIGURE_MONITORING = "change the drift rules of a project's monitoring"
    RETIRE_MODEL = "retire model versions (stop serving, archive, record the end of life)"
    CLEAN_DATA = "set retention rules and delete data by them"
    BACKUP_WORKSPACE = "back up the whole workspace and restore it from a backup"


_EVERYONE = frozenset(ROLES)
_BUILDERS = frozenset({"analyst", "admin"})

# The one registry: each action and the roles allowed it. The state machine's gates, the pages'
# disabled controls, the CLI and the role summaries all read it.
GRANTS: dict[Permission, frozenset[str]] = {
    Permission.READ: _EVERYONE,
    Permission.EDIT_PROJECT: _BUILDERS,
    Permission.EDIT_DATA: _BUILDERS,
    Permission.TRAIN: _BUILDERS,
    Permission.VALIDATE_MODEL: _BUILDERS,
    Permission.APPROVE_MODEL: frozenset({"reviewer"}),  # and never one's own model: see models.states.four_eyes
    Permission.MOVE_MODEL: _BUILDERS,
    Permission.REJECT_MODEL: frozenset({"analyst", "reviewer", "admin"}),
    # Scoring a file applies the model to new (often personal) rows and hands out its decisions:
    # the work of whoever runs the pipeline, not of reading reports. Reviewers probe a model with
    # the what-if form (READ); stakeholders read portfolio and performance charts only.
    Permission.SCORE_BATCH: _BUILDERS,
    # A bundle carries the model out of the workspace to run anywhere: the people who deploy it.
    Permission.EXPORT_MODEL: _BUILDERS,
    Permission.RUN_SERVICE: _BUILDERS,  # who deploys runs what serves
    Permission.MANAGE_USERS: frozenset({"admin"}),
    Permission.ARCHIVE_PROJECT: frozenset({"admin"}),
    # Whoever watches a model in production answers its alerts: the analysts who run it and the
    # reviewers who judge it (a reviewer acknowledging a fairness breach is the point of review).
    # Stakeholders see alerts on Home but do not decide what they mean.
    Permission.HANDLE_ALERTS: frozenset({"analyst", "reviewer", "admin"}),
    # A webhook sends alert evidence out of the workspace, like an export: the people who deploy.
    Permission.CONFIGURE_ALERTS: _BUILDERS,
    # Simulated history lands in the log every monitoring chart reads (marked, but there): the
    # people who run the model's pipeline, as for batch scoring.
    Permission.SIMULATE_TRAFFIC: _BUILDERS,
    # An A/B test sends live traffic to a challenger and may promote it: the people who deploy.
    Permission.RUN_EXPERIMENT: _BUILDERS,
    # A retrain builds a dataset version, trains, registers and validates: the people who train.
    Permission.RETRAIN: _BUILDERS,
    # Stage 8: a reviewer signs a version off (never one they trained or registered: see
    # models.approval); the sign-off that completes the approval makes the APPROVE_MODEL move.
    Permission.SIGN_OFF: frozenset({"reviewer"}),
    Permission.ANCHOR_AUDIT: frozenset({"reviewer", "admin"}),
    Permission.CONFIGURE_MONITORING: _BUILDERS,  # who deploys sets what counts as drift
    # Retiring is terminal: whoever runs the model in production (analysts) and admins; a reviewer
    # judges, a stakeholder reads. Deleting data by retention rules is an admin's decision alone.
    Permission.RETIRE_MODEL: _BUILDERS,
    Permission.CLEAN_DATA: frozenset({"admin"}),
    # A backup carries every record, dataset and model out; a restore replaces them all: admins alone.
    Permission.BACKUP_WORKSPACE: frozenset({"admin"}),
}


def roles_with(permission: Permission) -> tuple[str, ...]:
    """The roles allowed ``permission``, in the order of ``ROLES``."""
    return tuple(role for role in ROLES if role in GRANTS[permission])


def permissions_of(role: str) -> tuple[Permission, ...]:
    """What ``role`` may do, in the order ``Permission`` declares it."""
    return tuple(p for p in Permission if role in GRANTS[p])


def role_summary(role: str) -> str:
    """One sentence listing what ``role`` may do, derived from the registry."""
    does = [p.value for p in permissions_of(role)]
    if not does:
        return "May do nothing yet."
    listed = does[0] if len(does) == 1 else "; ".join(does[:-1]) + "; and " + does[-1]
    return f"May {listed}."


ROLE_SUMMARY = {role: role_summary(role) for role in ROLES}


def can(user: User, permission: Permission) -> bool:
    return user.active and user.role in GRANTS[permission]


def require(user: User, permission: Permission) -> None:
    if not can(user, permission):
        allowed = " or ".join(roles_with(permission))
        raise PermissionDenied(
            f"{user.name} ({user.role}) may not {permission.value}.",
            f"Ask an admin for the {allowed} role, or sign in as a user who has it.",
        )


def why_not(user: User, permission: Permission) -> str | None:
    """The reason a control is disabled for this user, or None when it is allowed."""
    if can(user, permission):
        return None
    return f"Your role ({user.role}) may not {permission.value}."


def check_password(password: str) -> None:
    """Refuse a password shorter than ``MIN_PASSWORD_LENGTH`` characters, whichever path sets it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"The password is shorter than {MIN_PASSWORD_LENGTH} characters.", "Choose a longer one.")


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
    """Create the first admin of a workspace that has no users yet (``password`` None: none, as the CLI allows)."""
    if password is not None:
        check_password(password)
    _check_new_user(name, "admin")
    with workspace.db.transaction() as cursor:
        if user_store.count(cursor):
            raise InputError(f"The workspace {workspace.path} already has users.",
                             "Ask one of its admins to add you with `user add`.")
        user = user_store.insert(cursor, name=name, role="admin",
                                 password_hash=None if password is None else _hasher.hash(password))
        audit_log.append(cursor, actor=name, action="workspace.initialised", entity=f"user:{name}",
                         details={"role": "admin"})
    return user


def add_user(workspace: Workspace, actor: User, name: str, role: str,
             password: str | None = None) -> User:
    require(actor, Permission.MANAGE_USERS)
    _check_new_user(name, role)
    if password is not None:
        check_password(password)
    with workspace.db.transaction() as cursor:
        if user_store.get(cursor, name):
            raise InputError(f"A user named {name!r} already exists.", "Pick another name.")
        user = user_store.insert(cursor, name=name, role=role,
                                 password_hash=None if password is None else _hasher.hash(password))
        audit_log.append(cursor, actor=actor.name, action="user.added", entity=f"user:{name}",
                         details={"role": role})
    return user


def set_password(workspace: Workspace, actor: User, name: str, password: str) -> None:
    if actor.name != name:
        require(actor, Permission.MANAGE_USERS)
    check_password(password)
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
