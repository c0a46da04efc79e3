"""What a killed process leaves behind, found and reclaimed when a workspace is opened.

Writes are made safe against a crash where they happen: a file is written under a temporary
``.partial`` name and renamed once complete, and its record is committed after. A process killed
in between (``kill -9``, a power cut) leaves a ``.partial`` file, or a complete file that no record
refers to, and a search whose record still says ``running`` although nothing runs it. Opening the
workspace (the first time in a process, before anything else can write) reclaims those files and
marks such searches ``interrupted``, keeping every run they finished (and a retrain whose record
says running ``failed``, as interrupted). The same goes for the Retire stage's folders: an archive
bundle being written (a hidden ``.v<n>-….partial`` folder) or written but never recorded (the
retirement did not commit) is removed, and a clean-up's trash is settled (``settle_trash``): emptied
when its clean-up is on record, else every file is put back where it was. What was done goes on the
audit trail; ``dry_run`` reports without changing anything (``python -m lifecycle workspace clean
--dry-run``). ``tests/unit/test_kill_nine.py`` kills real processes at each of these points.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lifecycle.clock import utc_now
from lifecycle.store import audit_log
from lifecycle.store import datasets as dataset_store
from lifecycle.store import models as model_store
from lifecycle.store import retention as retention_store
from lifecycle.store import retirements as retirement_store
from lifecycle.store import retrains as retrain_store
from lifecycle.store import runs as run_store

if TYPE_CHECKING:
    from lifecycle.workspace import Workspace

SYSTEM_ACTOR = "lifecycle"
INTERRUPTED = "interrupted"
ARCHIVE = "archive"  # <files>/archive/<project id>/v<version>/: the Retire stage's bundles
TRASH = "retention-trash"  # <files>/retention-trash/<clean-up id>/: files a clean-up moved aside


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
    trash: tuple[str, ...] = ()  # what settling a killed clean-up's trash did (or would do), one line a folder

    @property
    def empty(self) -> bool:
        return not self.files and not self.interrupted_searches and not self.interrupted_retrains and not self.trash

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
        parts.extend(self.trash)
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
    return found + _archive_leftovers(workspace)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _archive_leftovers(workspace: Workspace) -> list[Leftover]:
    """Archive folders being written when a process died, or written for a retirement that never committed."""
    root = workspace.artifacts_dir / ARCHIVE
    if not root.is_dir():
        return []
    on_record = retirement_store.archive_paths(workspace.db.cursor())
    found = []
    for folder in sorted(p for project in root.iterdir() if project.is_dir() for p in project.iterdir() if p.is_dir()):
        if folder.name.startswith(".") and folder.name.endswith(".partial"):
            found.append(Leftover(path=folder, bytes=_folder_bytes(folder), why="partial"))
        elif folder.relative_to(workspace.artifacts_dir).as_posix() not in on_record:
            found.append(Leftover(path=folder, bytes=_folder_bytes(folder), why="orphan"))
    return found


def settle_trash(workspace: Workspace, *, dry_run: bool = False) -> list[str]:
    """Finish what a killed clean-up left in its trash: empty a clean-up's folder when the clean-up is on
    record, else put its files back where they were. Returns what was (or would be) done, one line per folder."""
    root = workspace.artifacts_dir / TRASH
    if not root.is_dir():
        return []
    done = []
    cursor = workspace.db.cursor()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name.isdigit() and retention_store.cleanup_exists(cursor, int(folder.name)):
            done.append(f"{'would empty' if dry_run else 'emptied'} the trash of clean-up #{folder.name}")
            if not dry_run:
                shutil.rmtree(folder, ignore_errors=True)
            continue
        done.append(f"{'would put' if dry_run else 'put'} back the files of unfinished clean-up {folder.name}")
        if dry_run:
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            original = workspace.artifacts_dir / path.relative_to(folder)
            original.parent.mkdir(parents=True, exist_ok=True)
            if not original.exists():
                os.rename(path, original)
        shutil.rmtree(folder, ignore_errors=True)
    return done


def reclaim(workspace: Workspace, *, actor: str = SYSTEM_ACTOR, dry_run: bool = False) -> Recovery:
    """Find (and unless ``dry_run``, remove and mark) what killed processes left; audit what was done.

    Call it only while nothing else writes to the workspace: ``open_workspace`` does, once per process.
    """
    files = _leftover_files(workspace)
    searches = run_store.running_searches(workspace.db.cursor())
    retrains = tuple(r.id for r in retrain_store.running(workspace.db.cursor()))
    trash = tuple(settle_trash(workspace, dry_run=True))
    recovery = Recovery(files=tuple(files), interrupted_searches=tuple(searches), dry_run=dry_run,
                        interrupted_retrains=retrains, trash=trash)
    if dry_run or recovery.empty:
        return recovery
    if trash:  # files put back before the record says so: a crash here leaves a trash the next open settles
        recovery = Recovery(files=recovery.files, interrupted_searches=recovery.interrupted_searches, dry_run=False,
                            interrupted_retrains=retrains, trash=tuple(settle_trash(workspace)))
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
                                  "interrupted_retrains": list(retrains), "trash": list(recovery.trash)})
    for leftover in files:  # after the record: a crash here leaves files the next open removes
        if leftover.path.is_dir():
            shutil.rmtree(leftover.path, ignore_errors=True)
        else:
            leftover.path.unlink(missing_ok=True)
    return recovery
