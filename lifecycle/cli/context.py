"""What every CLI command receives and returns: the :class:`Context` (workspace path, acting user,
output mode) and a :class:`Result` (text for people, JSON-ready data for pipelines, exit code),
plus the JSON shapes several stages print."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lifecycle import auth
from lifecycle.errors import LifecycleError
from lifecycle.records import DatasetVersion, User
from lifecycle.workspace import Workspace, open_workspace


@dataclass
class Context:
    path: Path
    user: str | None
    as_json: bool
    needs_actor: bool = True
    reclaim_on_open: bool = True  # False: the command reclaims leftovers itself (workspace clean)
    _workspace: Workspace | None = field(default=None, repr=False)

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = open_workspace(self.path, reclaim=self.reclaim_on_open)
        return self._workspace

    @property
    def actor(self) -> User:
        if not self.user:
            raise LifecycleError("No acting user.", "Pass --user NAME before the command, or set LIFECYCLE_USER.")
        return auth.get_user(self.workspace, self.user)


@dataclass
class Result:
    text: str
    data: Any
    exit_code: int = 0


def dataset_json(dataset: DatasetVersion) -> dict[str, Any]:
    """A dataset version as the ``project show`` and ``data ...`` commands print it with --json."""
    return {"id": dataset.id, "project_id": dataset.project_id, "name": dataset.name,
            "version": dataset.version, "rows": dataset.rows, "columns": len(dataset.columns),
            "content_hash": dataset.content_hash, "auxiliary": dataset.auxiliary,
            "schema": [asdict(c) for c in dataset.columns], "lineage": asdict(dataset.lineage),
            "created_at": dataset.created_at, "created_by": dataset.created_by}
