"""Errors that teach: each names the problem and the fix.

Pages show ``str(error)``; the CLI prints it on one line and exits 2.
"""
from __future__ import annotations

from typing import Any


class LifecycleError(Exception):
    """Base class for every error a user can cause and fix."""

    def __init__(self, problem: str, fix: str = ""):
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} {fix}".strip())


class InputError(LifecycleError):
    """Bad input: a file, a column, a value or an option the user supplied."""


class GateRefused(InputError):
    """A move whose gate does not hold yet (not validated, not approved): the input is fine, the
    model is not ready. The CLI exits 1 on it, as on any failed check, so CI can tell the two apart."""


class PermissionDenied(LifecycleError):
    """The signed-in user's role does not allow the action."""


class NotFound(LifecycleError):
    """A project, dataset or other record that does not exist."""


class WorkspaceLocked(LifecycleError):
    """Another process holds the workspace file for writing."""


class WorkspaceDamaged(LifecycleError):
    """The workspace's files are damaged (a write-ahead log DuckDB cannot replay whole): nothing was
    opened, copies are kept, and the message names the explicit step that opens it."""


class WriteConflict(LifecycleError):
    """Another transaction changed the same records first; nothing of this change was saved."""


def shown(value: Any) -> str:
    """A data value for a message, as a user would write it: ``'yes'``, ``83.29``, ``True``;
    never a numpy repr such as ``np.float64(83.29)`` or ``np.str_('yes')``."""
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        value = item()
    return repr(value) if isinstance(value, str) else str(value)
