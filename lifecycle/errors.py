"""Errors that teach: each names the problem and the fix.

Pages show ``str(error)``; the CLI prints it on one line and exits 2.
"""
from __future__ import annotations


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
