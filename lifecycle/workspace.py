"""A workspace: one DuckDB file holding every record of every project."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from lifecycle import config
from lifecycle.access import recovery
from lifecycle.store import audit_log
from lifecycle.store import settings as settings_store
from lifecycle.store.db import Database, open_database


@dataclass(frozen=True)
class Workspace:
    db: Database

    @property
    def path(self) -> Path:
        return self.db.path

    @property
    def artifacts_dir(self) -> Path:
        """Files beside the database (model artifacts, exports), one folder per workspace."""
        return self.path.with_suffix(".files")

    def setting(self, key: str, default: str | None = None) -> str | None:
        return settings_store.get(self.db.cursor(), key, default)

    @property
    def is_demo(self) -> bool:
        return self.setting("demo") == "1"


_recovery_lock = threading.Lock()


def open_workspace(path: Path | str | None = None, *, reclaim: bool = True) -> Workspace:
    """Open (creating and upgrading as needed) the workspace file for this process.

    The first open of a handle reclaims what a killed process left (``lifecycle.access.recovery``); other
    threads opening it meanwhile wait, so nothing they write can be taken for a leftover.
    ``reclaim=False`` leaves that to the caller (``workspace clean --dry-run``)."""
    workspace = Workspace(open_database(path or config.workspace_path()))
    if reclaim:
        with _recovery_lock:
            if not getattr(workspace.db, "leftovers_checked", False):
                recovery.reclaim(workspace)
                workspace.db.leftovers_checked = True
    return workspace


@dataclass(frozen=True, kw_only=True)
class LogRepair:
    """One cut of a damaged write-ahead log by :func:`recover_workspace`."""

    log: Path
    what: str
    kept_bytes: int  # the whole part, replayed
    dropped_bytes: int  # left out of the workspace; still in the copies
    copies: tuple[Path, ...]


def recover_workspace(path: Path | str, *, actor: str = recovery.SYSTEM_ACTOR) -> tuple[Workspace, tuple[LogRepair, ...]]:
    """Open a workspace whose write-ahead log is damaged, on purpose (``workspace recover``): the log and
    the database are copied first (``<name>.damaged-<UTC time>``), the log is cut back to its whole part,
    DuckDB replays that, and what was cut goes on the audit trail. A whole log opens as usual (no repair).

    Raises WorkspaceLocked when another process holds the file; WorkspaceDamaged when even the cut log
    cannot be replayed (restore a backup)."""
    database = open_database(path, recover=True)
    repairs = tuple(LogRepair(log=damage.path, what=damage.what, kept_bytes=damage.good_bytes,
                              dropped_bytes=damage.lost_bytes, copies=copies)
                    for damage, copies in database.recovered)
    database.recovered.clear()
    if repairs:
        with database.transaction() as cursor:
            audit_log.append(cursor, actor=actor, action="workspace.log_recovered", entity="workspace",
                             details={"repairs": [{"log": r.log.name, "what": r.what, "kept_bytes": r.kept_bytes,
                                                   "dropped_bytes": r.dropped_bytes,
                                                   "copies": [c.name for c in r.copies]} for r in repairs]})
    return open_workspace(path), repairs
