"""Confirming a clean-up: deleting exactly what the dry run listed, each item recorded with its hash.

The plan is rebuilt inside the transaction (with the reviewed plan's cut-off) and compared with the
plan the admin reviewed: if anything differs (a model was trained on a dataset meanwhile, a segment
appeared), nothing is deleted and the admin is asked to review again. So data something live uses
is never deleted, whatever plan a caller passes in.

Files are first moved into ``<workspace>.files/retention-trash/<clean-up id>/`` (a rename on the
same disk), each hashed as it goes; the records, the dataset versions' deletion marks and the audit
events are then committed together; only then is the trash emptied. A failure before the commit
moves every file back. A process killed in between leaves the trash behind: the next open of the
workspace (``lifecycle.access.recovery``) or the next clean-up empties it when its clean-up is on record, and
otherwise puts the files back.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import asdict, replace
from pathlib import Path

from lifecycle.access import recovery
from lifecycle.auth import Permission, require
from lifecycle.errors import InputError
from lifecycle.hashing import sha256_file, sha256_json
from lifecycle.monitor.drift import columns_cache
from lifecycle.problem.projects import get_project
from lifecycle.records import Cleanup, User
from lifecycle.retire.retention import DATASET_VERSION, CleanupPlan, build_plan, plan_cleanup, source_path
from lifecycle.store import audit_log, log_columns
from lifecycle.store import retention as retention_store
from lifecycle.workspace import Workspace


def trash_root(workspace: Workspace) -> Path:
    return workspace.artifacts_dir / recovery.TRASH


def run_cleanup(workspace: Workspace, actor: User, project_id: int, *, expected: CleanupPlan | None = None,
                log_days: int | None = None) -> Cleanup | None:
    """Delete what the project's retention rule lets go (``log_days`` overrides its days), recording every
    item with the SHA-256 of the bytes removed, in one transaction with its audit events. With ``expected``
    (the dry run the admin reviewed) the same cut-off is used and the deletions must equal it. Returns
    the clean-up on record, or None when there was nothing to delete.

    Raises PermissionDenied (needs CLEAN_DATA), InputError (bad days; the data changed since the dry run)."""
    require(actor, Permission.CLEAN_DATA)
    project = get_project(workspace, project_id)
    settle_trash(workspace)
    moved: list[tuple[Path, Path]] = []
    trash: Path | None = None
    try:
        with workspace.db.transaction() as cursor:  # the plan is rebuilt under the write lock
            fresh = plan_cleanup(workspace, actor, project.id, log_days=log_days)
            plan = fresh if expected is None else build_plan(workspace, project.id, log_days=expected.log_days,
                                                             cutoff=expected.cutoff, datasets=fresh.datasets)
            if expected is not None and (plan.key() != expected.key() or expected.project_id != project.id):
                raise InputError("What the clean-up would delete is no longer what the dry run listed (data was "
                                 "used, added or removed meanwhile); nothing was deleted.",
                                 "Run the dry run again, review it, and confirm that one.")
            if plan.empty:
                return None
            cleanup_id = retention_store.next_cleanup_id(cursor)
            trash = trash_root(workspace) / str(cleanup_id)
            items = []
            for item in plan.items:
                digest = item.sha256
                if item.bytes > 0:
                    source = source_path(workspace, project.id, item)
                    digest = sha256_file(source)
                    destination = trash / source.relative_to(workspace.artifacts_dir)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(source, destination)
                    moved.append((destination, source))
                items.append(replace(item, sha256=digest))
                if item.kind == DATASET_VERSION:
                    retention_store.mark_dataset_deleted(cursor, item.dataset_id)
                    audit_log.append(cursor, actor=actor.name, action="dataset.deleted",
                                     entity=f"dataset:{item.dataset_id}",
                                     details={"project_id": project.id, "cleanup_id": cleanup_id, "rows": item.rows,
                                              "bytes": item.bytes, "sha256": digest,
                                              "reason": "retention: no longer used"})
            digest = sha256_json([asdict(i) for i in items])
            record = retention_store.insert_cleanup(cursor, cleanup_id=cleanup_id, project_id=project.id,
                                                    log_days=plan.log_days, cutoff=plan.cutoff, datasets=plan.datasets,
                                                    digest=digest, items=tuple(items), created_by=actor.name)
            audit_log.append(cursor, actor=actor.name, action="retention.cleanup", entity=f"project:{project.id}",
                             details={"cleanup_id": cleanup_id, "log_days": plan.log_days,
                                      "cutoff": plan.cutoff.isoformat() if plan.cutoff else None,
                                      "items": len(items), "rows": record.rows, "bytes": record.bytes,
                                      "digest": digest})
    except BaseException:
        for destination, source in reversed(moved):
            os.rename(destination, source)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
        raise
    shutil.rmtree(trash, ignore_errors=True)
    # The drift engine's parsed copies of deleted segments go with them (never kept past the rule).
    log_columns.forget(columns_cache(workspace, project.id), [source.stem for _, source in moved])
    return record


def cleanups(workspace: Workspace, project_id: int) -> list[Cleanup]:
    """The project's clean-ups on record, oldest first, each with what it deleted and the hashes."""
    return retention_store.cleanups_for(workspace.db.cursor(), project_id)


def settle_trash(workspace: Workspace) -> list[str]:
    """Finish what a killed clean-up left in the trash: empty a clean-up's folder when it is on record,
    else put its files back where they were. Returns what was done, one line per folder. (Opening the
    workspace does it too: ``lifecycle.access.recovery``.)"""
    return recovery.settle_trash(workspace)
