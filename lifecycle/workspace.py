"""A workspace: one DuckDB file holding every record of every project."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from lifecycle import config, recovery
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

    The first open of a handle reclaims what a killed process left (``lifecycle.recovery``); other
    threads opening it meanwhile wait, so nothing they write can be taken for a leftover.
    ``reclaim=False`` leaves that to the caller (``workspace clean --dry-run``)."""
    workspace = Workspace(open_database(path or config.workspace_path()))
    if reclaim:
        with _recovery_lock:
            if not getattr(workspace.db, "leftovers_checked", False):
                recovery.reclaim(workspace)
                workspace.db.leftovers_checked = True
    return workspace
