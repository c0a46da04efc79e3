"""A workspace: one DuckDB file holding every record of every project."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lifecycle import config
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


def open_workspace(path: Path | str | None = None) -> Workspace:
    """Open (creating and upgrading as needed) the workspace file for this process."""
    return Workspace(open_database(path or config.workspace_path()))
