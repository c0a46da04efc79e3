"""What every CLI command receives and returns: the :class:`Context` (workspace path, acting user,
output mode) and a :class:`Result` (text for people, JSON-ready data for pipelines, exit code),
plus the JSON shapes several stages print."""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lifecycle import auth
from lifecycle.errors import LifecycleError
from lifecycle.progress import Progress
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


def stderr_progress(what: str, *, every: float = 1.0) -> Progress:
    """A progress callback for long commands: "WHAT NN% MESSAGE" on stderr once every ``every`` seconds
    (the first after ``every`` seconds, so a quick command, or a quick refusal, prints nothing) and at the
    end of one that printed; stdout stays the result (and --json stays parseable)."""
    last = [time.monotonic()]
    printed = [False]

    def report(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= every or (fraction >= 1.0 and printed[0]):
            last[0] = now
            printed[0] = True
            print(f"{what} {fraction:4.0%} {message}", file=sys.stderr, flush=True)

    return report
