"""Managing users: roles, disabling (never deleting), passwords, and what the app remembers of each.

Every change is checked against the one permission registry (``auth.GRANTS``) and written to the
audit trail in the same transaction. A user is disabled, never deleted: the audit trail names
them. The last active admin can never be disabled or demoted, so a workspace always has someone
who can manage its users.
"""
from __future__ import annotations

from lifecycle import auth
from lifecycle.auth import Permission, require
from lifecycle.errors import InputError, PermissionDenied
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.store import users as user_store
from lifecycle.workspace import Workspace

__all__ = ["list_users", "add_user", "set_role", "set_active", "reset_password", "change_own_password",
           "record_sign_in", "last_project", "remember_project"]

list_users = auth.list_users
add_user = auth.add_user


def _keep_an_admin(cursor, name: str, doing: str) -> None:
    """Refuse ``doing`` when ``name`` is the only active admin left."""
    if user_store.active_admins(cursor) == [name]:
        raise InputError(f"{name} is the last active admin; {doing} would leave nobody to manage users.",
                         "Make another user an admin first.")


def set_role(workspace: Workspace, actor: User, name: str, role: str) -> User:
    require(actor, Permission.MANAGE_USERS)
    if role not in auth.ROLES:
        raise InputError(f"Role {role!r} does not exist.", f"Choose one of: {', '.join(auth.ROLES)}.")
    user = auth.get_user(workspace, name)
    if user.role == role:
        return user
    with workspace.db.transaction() as cursor:
        if user.role == "admin" and user.active:
            _keep_an_admin(cursor, name, f"making them {role}")
        user_store.set_role(cursor, name, role)
        audit_log.append(cursor, actor=actor.name, action="user.role_changed", entity=f"user:{name}",
                         details={"from": user.role, "to": role})
    return auth.get_user(workspace, name)


def set_active(workspace: Workspace, actor: User, name: str, active: bool) -> User:
    """Disable a user (they can no longer sign in; their name stays on every record) or enable them again."""
    require(actor, Permission.MANAGE_USERS)
    user = auth.get_user(workspace, name)
    if user.active == active:
        return user
    with workspace.db.transaction() as cursor:
        if not active and user.role == "admin":
            _keep_an_admin(cursor, name, "disabling them")
        user_store.set_active(cursor, name, active)
        audit_log.append(cursor, actor=actor.name, action="user.enabled" if active else "user.disabled",
                         entity=f"user:{name}")
    return auth.get_user(workspace, name)


def reset_password(workspace: Workspace, actor: User, name: str, password: str) -> None:
    """An admin sets another user's password (the same length rule as everywhere; on the audit trail)."""
    require(actor, Permission.MANAGE_USERS)
    auth.set_password(workspace, actor, name, password)


def change_own_password(workspace: Workspace, user: User, current: str, new: str) -> None:
    """Any signed-in user changes their own password after proving the current one."""
    if auth.authenticate(workspace, user.name, current) is None:
        raise PermissionDenied("The current password is not right.", "Type your current password again.")
    if new == current:
        raise InputError("The new password is the same as the current one.", "Choose a different one.")
    auth.set_password(workspace, user, user.name, new)


def record_sign_in(workspace: Workspace, name: str) -> None:
    """Note when a user signed in (shown on the Admin page; not an audited change). Every session
    writes it, so a write conflict is retried (``Database.retrying``) rather than shown."""
    workspace.db.retrying(lambda cursor: user_store.set_last_sign_in(cursor, name))


def last_project(workspace: Workspace, user: User) -> int | None:
    """The project this user had in focus last, so a new session opens where they left off."""
    return user_store.last_project(workspace.db.cursor(), user.name)


def remember_project(workspace: Workspace, user: User, project_id: int | None) -> None:
    """Keep the project in focus for the user's next session (retried on a write conflict, as above)."""
    workspace.db.retrying(lambda cursor: user_store.set_last_project(cursor, user.name, project_id))
