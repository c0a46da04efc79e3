"""What a killed process leaves behind, found and reclaimed when a workspace is opened.

Writes are made safe against a crash where they happen: a file is written under a temporary
``.partial`` name and renamed once complete, and its record is committed after. A process killed
in between (``kill -9``, a power cut) leaves a ``.partial`` file, or a complete file that no record
refers to, and a search whose record still says ``running`` although nothing runs it. Opening the
workspace (the first time in a process, before anything else can write) reclaims those files and
marks such searches ``interrupted``, keeping every run they finished (and a retrain whose record
says running ``failed``, as interrupted). What was done goes on the
audit trail; ``dry_run`` reports without changing anything (``python -m lifecycle workspace clean
--dry-run``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lifecycle.clock import utc_now
from lifecycle.store import audit_log
from lifecycle.store import datasets as dataset_store
from lifecycle.store import models as model_store
from lifecycle.store import retrains as retrain_store
from lifecycle.store import runs as run_store

if TYPE_CHECKING:
    from lifecycle.workspace import Workspace

SYSTEM_ACTOR = "lifecycle"
INTERRUPTED = "interrupted"


@dataclass(frozen=True, kw_only=True)
class Leftover:
    path: Path
    bytes: int
    why: str  # "partial" (a write that never finished) or "orphan" (complete, but no record refers to it)


@dataclass(frozen=True, kw_only=True)
class Recovery:
    files: tuple[Leftover, ...]
    interrupted_searches: tuple[tuple[int, int], ...]  # (search id, runs kept)
    dry_run: bool
    interrupted_retrains: tuple[int, ...] = ()  # retrain ids whose record still said running

    @property
    def empty(self) -> bool:
        return not self.files and not self.interrupted_searches and not self.interrupted_retrains

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)

    def summary(self) -> str:
        if self.empty:
            return "Nothing to reclaim: no partial or orphan files, no interrupted search."
        verb = "Would reclaim" if self.dry_run else "Reclaimed"
        parts = [f"{verb} {len(self.files)} file(s), {self.bytes:,} bytes"] if self.files else []
        if self.interrupted_searches:
            marked = "would mark" if self.dry_run else "marked"
            parts.append(f"{marked} search(es) {', '.join(f'#{s} ({n} runs kept)' for s, n in self.interrupted_searches)}"
                         " as interrupted")
        if self.interrupted_retrains:
            marked = "would mark" if self.dry_run else "marked"
            parts.append(f"{marked} retrain(s) {', '.join(f'#{r}' for r in self.interrupted_retrains)} as failed "
                         "(interrupted)")
        return "; ".join(parts) + "."


def _leftover_files(workspace: Workspace) -> list[Leftover]:
    cursor = workspace.db.cursor()
    found: list[Leftover] = []
    folders = ((dataset_store.files_dir(workspace.path), ".arrow", dataset_store.content_hashes(cursor)),
               (workspace.artifacts_dir / "models", ".skops", model_store.artifact_hashes(cursor)))
    for folder, suffix, on_record in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if not path.is_file():
                continue
            if path.name.endswith(".partial"):
                found.append(Leftover(path=path, bytes=path.stat().st_size, why="partial"))
            elif path.suffix == suffix and path.stem not in on_record:
                found.append(Leftover(path=path, bytes=path.stat().st_size, why="orphan"))
    return found


def reclaim(workspace: Workspace, *, actor: str = SYSTEM_ACTOR, dry_run: bool = False) -> Recovery:
    """Find (and unless ``dry_run``, remove and mark) what killed processes left; audit what was done.

    Call it only while nothing else writes to the workspace: ``open_workspace`` does, once per process.
    """
    files = _leftover_files(workspace)
    searches = run_store.running_searches(workspace.db.cursor())
    retrains = tuple(r.id for r in retrain_store.running(workspace.db.cursor()))
    recovery = Recovery(files=tuple(files), interrupted_searches=tuple(searches), dry_run=dry_run,
                        interrupted_retrains=retrains)
    if dry_run or recovery.empty:
        return recovery
    with workspace.db.transaction() as cursor:
        for search_id, kept in searches:
            run_store.finish_search(cursor, search_id, INTERRUPTED,
                                    f"The process running this search stopped before it ended; the {kept} "
                                    "run(s) it finished are kept.")
        for retrain_id in retrains:
            retrain_store.update_retrain(cursor, retrain_id, state="failed", finished_at=utc_now(),
                                         message="Interrupted: the process running it stopped before it ended; what "
                                                 "it finished stays on record.")
        audit_log.append(cursor, actor=actor, action="workspace.reclaimed", entity="workspace",
                         details={"files": [{"name": f.path.name, "folder": f.path.parent.name, "bytes": f.bytes,
                                             "why": f.why} for f in files],
                                  "interrupted_searches": [s for s, _ in searches],
                                  "interrupted_retrains": list(retrains)})
    for leftover in files:  # after the record: a crash here leaves files the next open removes
        leftover.path.unlink(missing_ok=True)
    return recovery
