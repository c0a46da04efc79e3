"""``workspace backup DIR`` and ``workspace restore DIR``: the database, the model artifacts, the dataset
files and the prediction logs, with a checksum manifest.

A backup folder holds ``workspace.duckdb`` (one consistent copy of the database, its write-ahead log
folded in: ``store.snapshot`` says how it is taken while the app holds the file), ``files/`` (the
folder beside the database: models, datasets, logs, deployment manifests, archives) and
``MANIFEST.json``: every file's relative path, size and SHA-256, the tool's version, DuckDB's, the time,
who made it and the audit chain's head. It is written into a hidden folder beside ``DIR`` and renamed
into place once complete. Left out: what is unfinished (``*.partial``, hidden temporary names), the
clean-up trash, the scoring service's PID file and the sign-in cookie key (a restored workspace makes a
new one: everyone signs in again).

A restore checks the manifest first (every file there, of its size and SHA-256, nothing added), then
copies into temporary names beside the target (hashing again as it copies), checks that the copied
database opens, reads whole and its audit chain verifies, and only then puts it in place; a workspace it
replaces (``--force``) is kept beside it under ``<name>.replaced-<UTC time>``. Both are admin actions
(``Permission.BACKUP_WORKSPACE``), checked against the users of the database being copied.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import lifecycle
from lifecycle import audit, auth
from lifecycle.auth import Permission
from lifecycle.errors import InputError, LifecycleError, WorkspaceLocked
from lifecycle.hashing import sha256_file
from lifecycle.progress import Progress, quiet
from lifecycle.store import audit_log, snapshot, wal
from lifecycle.store.db import Database, is_open_here, restore_journal
from lifecycle.workspace import Workspace, open_workspace

MANIFEST = "MANIFEST.json"
DATABASE = "workspace.duckdb"
FILES = "files"
FORMAT = 1
_LEFT_OUT_NAMES = {"retention-trash", "service.pid.json", "session.key"}
_CHUNK = 1 << 20


@dataclass(frozen=True, kw_only=True)
class BackupFile:
    path: str  # relative to the backup folder, with "/"
    bytes: int
    sha256: str


@dataclass(frozen=True, kw_only=True)
class Backup:
    """A backup folder as its manifest describes it."""

    folder: Path
    created_at: str
    created_by: str
    tool_version: str
    duckdb_version: str
    source: str
    audit_events: int
    audit_head: str | None
    taken: str  # "here" (this process held the database) or "beside another process"
    files: tuple[BackupFile, ...]

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)


@dataclass(frozen=True, kw_only=True)
class Restored:
    workspace: Path
    backup: Backup
    replaced_kept_at: tuple[Path, ...]  # the workspace a --force restore replaced, kept beside it
    audit_events: int


def _left_out(relative: Path) -> bool:
    return any(part in _LEFT_OUT_NAMES or part.startswith(".") or part.endswith(".partial")
               for part in relative.parts)


def _files_to_copy(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not _left_out(p.relative_to(folder)))


def _copy_hashing(source: Path, target: Path, progress: Progress, done: list[int], total: int) -> str:
    """Copy ``source`` to ``target`` (fsynced), reporting bytes; returns the SHA-256 of what was written."""
    import hashlib

    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            done[0] += len(chunk)
            progress(min(done[0] / total, 1.0) if total else 1.0, f"copying {source.name}")
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest()


def _open_copy(path: Path) -> Workspace:
    """A settled database copy, opened on its own (not the process-wide handle, no reclaiming)."""
    return Workspace(Database(path))


def _check_copy(copy: Workspace, actor_name: str) -> audit.ChainVerdict:
    """The actor may back up or restore (by the copy's own users), every block reads, the chain holds."""
    auth.require(auth.get_user(copy, actor_name), Permission.BACKUP_WORKSPACE)
    snapshot.read_every_table(copy.db.cursor())
    verdict = audit.verify_chain(copy)
    if not verdict.ok:
        raise LifecycleError(f"The audit chain of the database copy is broken at event {verdict.first_broken}: "
                             f"{verdict.reason}.", "Run `audit verify` on the workspace and deal with that first.")
    return verdict


def _snapshot(path: Path, target: Path) -> str:
    held = is_open_here(path)
    if held is not None:
        snapshot.copy_here(held, target)
        return "here"
    if wal.held_by_another_process(path):
        try:
            snapshot.copy_beside(path, target)
        except snapshot.SnapshotUnstable as error:
            raise WorkspaceLocked(f"No consistent copy of {path} could be taken: {error}.",
                                  "The process holding it checkpoints constantly; run the backup again later.") from None
        return "beside another process"
    workspace = open_workspace(path)  # nobody holds it: hold it, as the app would
    snapshot.copy_here(workspace.db, target)
    return "here"


def backup_workspace(path: Path | str, actor_name: str, target: Path | str, *,
                     progress: Progress = quiet) -> Backup:
    """Back up the workspace at ``path`` into the new folder ``target`` (absent or empty), while the app
    may be running; returns what the manifest says.

    Raises InputError (``target`` holds files, or lies inside the workspace's folder), NotFound (no such
    user), PermissionDenied (needs BACKUP_WORKSPACE), WorkspaceLocked (no consistent copy could be taken),
    LifecycleError (the copy's audit chain is broken: nothing is written)."""
    path, target = Path(path).resolve(), Path(target).resolve()
    files_folder = path.with_suffix(".files")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(f"{target} is not an empty folder.", "Give a new folder for the backup; a backup never "
                                                              "overwrites anything.")
    if target == files_folder or files_folder in target.parents:
        raise InputError(f"{target} is inside the workspace's own folder {files_folder}.",
                         "Put backups somewhere else (another disk, ideally).")
    if not path.exists():
        raise InputError(f"No workspace at {path}.", "Pass --workspace PATH of an existing workspace.")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-", suffix=".partial"))
    try:
        progress(0.0, "copying the database")
        database = staging / DATABASE
        taken = _snapshot(path, database)
        snapshot.settle(database)
        copy = _open_copy(database)
        try:
            verdict = _check_copy(copy, actor_name)
            last = audit_log.head(copy.db.cursor())
            head = last[2] if last else None
        finally:
            copy.db.close()
        sources = _files_to_copy(files_folder)
        total = sum(p.stat().st_size for p in sources) + database.stat().st_size
        done = [database.stat().st_size]
        listed = [BackupFile(path=DATABASE, bytes=database.stat().st_size, sha256=sha256_file(database))]
        for source in sources:
            relative = Path(FILES) / source.relative_to(files_folder)
            try:
                digest = _copy_hashing(source, staging / relative, progress, done, total)
            except FileNotFoundError:  # deleted meanwhile (a clean-up): it is not in the copy's records either
                continue
            listed.append(BackupFile(path=relative.as_posix(), bytes=(staging / relative).stat().st_size,
                                     sha256=digest))
        backup = Backup(folder=target, created_at=datetime.now(timezone.utc).isoformat(), created_by=actor_name,
                        tool_version=lifecycle.__version__, duckdb_version=_duckdb_version(), source=str(path),
                        audit_events=verdict.events, audit_head=head, taken=taken, files=tuple(listed))
        _write_manifest(staging / MANIFEST, backup)
        if target.exists():
            target.rmdir()
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress(1.0, f"backed up {len(listed)} files")
    return backup


def _duckdb_version() -> str:
    from importlib.metadata import version

    return version("duckdb")


def _write_manifest(path: Path, backup: Backup) -> None:
    data = {"format": FORMAT, **{k: v for k, v in asdict(backup).items() if k not in ("folder", "files")},
            "files": [asdict(f) for f in backup.files]}
    with path.open("w") as file:
        json.dump(data, file, indent=1, sort_keys=True)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())


def read_backup(folder: Path | str) -> Backup:
    """The backup at ``folder`` as its manifest says; InputError when there is none or it is unreadable."""
    folder = Path(folder)
    manifest = folder / MANIFEST
    try:
        data = json.loads(manifest.read_text())
        files = tuple(BackupFile(path=f["path"], bytes=int(f["bytes"]), sha256=f["sha256"]) for f in data["files"])
        backup = Backup(folder=folder, files=files, **{k: data[k] for k in (
            "created_at", "created_by", "tool_version", "duckdb_version", "source", "audit_events", "audit_head",
            "taken")})
    except FileNotFoundError:
        raise InputError(f"{folder} holds no {MANIFEST}, so it is not a Lifecycle backup.",
                         "Give the folder `workspace backup` wrote.") from None
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"{manifest} cannot be read ({error}).", "Use an intact backup.") from None
    for item in files:
        relative = Path(item.path)
        if relative.is_absolute() or ".." in relative.parts or item.path == MANIFEST:
            raise InputError(f"{manifest} names {item.path!r}, which is not a file inside the backup.",
                             "Use an intact backup.")
    if DATABASE not in {f.path for f in files}:
        raise InputError(f"{manifest} lists no {DATABASE}.", "Use an intact backup.")
    return backup


def verify_backup(folder: Path | str, *, progress: Progress = quiet) -> Backup:
    """Check every file of the backup at ``folder`` against its manifest (present, size, SHA-256, nothing
    added); returns it. Raises InputError naming the first file that fails."""
    backup = read_backup(folder)
    listed = {f.path for f in backup.files}
    present = {p.relative_to(backup.folder).as_posix() for p in backup.folder.rglob("*") if p.is_file()} - {MANIFEST}
    for extra in sorted(present - listed):
        raise InputError(f"{backup.folder / extra} is in the backup but not in its manifest.",
                         "Use an intact backup (or remove the file if you put it there).")
    total, done = backup.bytes, 0
    for item in backup.files:
        path = backup.folder / item.path
        if not path.is_file():
            raise InputError(f"{path} is missing from the backup.", "Use an intact backup.")
        if path.stat().st_size != item.bytes or sha256_file(path) != item.sha256:
            raise InputError(f"{path} does not match its checksum in {MANIFEST}: it changed after the backup.",
                             "Use an intact backup; nothing was restored.")
        done += item.bytes
        progress(done / total if total else 1.0, f"checked {item.path}")
    return backup


def _target_files(path: Path) -> list[Path]:
    return [p for p in (path, wal.wal_path(path), path.with_suffix(".files")) if p.exists()]


def _swap(path: Path, staged_db: Path, staged_files: Path, stamp: str, backup: Backup) -> list[Path]:
    """Put the staged copy in place of the workspace at ``path`` (whose parts go aside). A journal beside
    it says a swap is under way: a process killed in the middle leaves it, and the workspace refuses to
    open until the restore is run again (``store.db``); a failure here puts the old workspace back."""
    journal = restore_journal(path)
    journal.write_text(json.dumps({"backup": str(backup.folder), "stamp": stamp}) + "\n")
    moved: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for old in _target_files(path):
            aside = old.parent / f"{old.name}.replaced-{stamp}"
            os.rename(old, aside)
            moved.append((old, aside))
        os.rename(staged_db, path)
        placed.append(path)
        if staged_files.exists():
            os.rename(staged_files, path.with_suffix(".files"))
            placed.append(path.with_suffix(".files"))
    except BaseException:
        for new in placed:
            if new.is_dir():
                shutil.rmtree(new, ignore_errors=True)
            else:
                new.unlink(missing_ok=True)
        for old, aside in reversed(moved):
            os.rename(aside, old)
        staged_db.unlink(missing_ok=True)
        shutil.rmtree(staged_files, ignore_errors=True)
        journal.unlink(missing_ok=True)
        raise
    journal.unlink()
    return [aside for _, aside in moved]


def restore_workspace(folder: Path | str, path: Path | str, actor_name: str, *, force: bool = False,
                      progress: Progress = quiet) -> Restored:
    """Restore the backup at ``folder`` as the workspace at ``path``. Every checksum is verified before
    anything is replaced; an existing workspace is replaced only with ``force`` (and kept beside it).

    Raises InputError (not a backup; a file fails its checksum, named; the target exists without
    ``force``), WorkspaceLocked (a process holds the target), NotFound / PermissionDenied (the actor is
    not an admin of the backup), LifecycleError (the backup's chain is broken). Nothing changes on error."""
    path = Path(path).resolve()
    backup = verify_backup(folder, progress=lambda f, m: progress(0.5 * f, m))
    existing = _target_files(path)
    if restore_journal(path).exists():
        if not force:
            raise InputError(f"A restore into {path} was interrupted ({restore_journal(path)}).",
                             "Run the restore again with --force; what it was replacing is kept beside it.")
        for stale in path.parent.glob(f".{path.stem}.*.restoring-*"):  # the interrupted restore's staged copy
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
    if existing and not force:
        raise InputError(f"{path} already holds a workspace ({', '.join(p.name for p in existing)}).",
                         "Restore into a new path with --workspace, or pass --force to replace it (it is kept "
                         "beside it, renamed).")
    if is_open_here(path) is not None or (path.exists() and wal.held_by_another_process(path)):
        raise WorkspaceLocked(f"The workspace {path} is open in a running process (the app?).",
                              "Stop it first: a workspace cannot be replaced under a process using it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    staged_db = path.parent / f".{path.name}.restoring-{stamp}"
    staged_files = path.parent / f".{path.with_suffix('.files').name}.restoring-{stamp}"
    try:
        done = [0]
        for item in backup.files:
            target = staged_db if item.path == DATABASE else staged_files / Path(item.path).relative_to(FILES)
            digest = _copy_hashing(backup.folder / item.path, target,
                                   lambda f, m: progress(0.5 + 0.45 * f, m), done, backup.bytes)
            if digest != item.sha256:
                raise InputError(f"{backup.folder / item.path} changed while it was restored.",
                                 "Run the restore again; nothing was replaced.")
        copy = _open_copy(staged_db)
        try:
            _check_copy(copy, actor_name)
        finally:
            copy.db.close()
        wal.wal_path(staged_db).unlink(missing_ok=True)  # a clean close leaves none
    except BaseException:
        staged_db.unlink(missing_ok=True)
        wal.wal_path(staged_db).unlink(missing_ok=True)
        shutil.rmtree(staged_files, ignore_errors=True)
        raise
    kept = _swap(path, staged_db, staged_files, stamp, backup)
    workspace = open_workspace(path)
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor_name, action="workspace.restored", entity="workspace",
                         details={"backup": str(backup.folder), "created_at": backup.created_at,
                                  "created_by": backup.created_by, "files": len(backup.files),
                                  "bytes": backup.bytes, "audit_head": backup.audit_head,
                                  "replaced_kept_at": [str(k) for k in kept]})
    verdict = audit.verify_chain(workspace)
    progress(1.0, f"restored {len(backup.files)} files")
    return Restored(workspace=path, backup=backup, replaced_kept_at=tuple(kept), audit_events=verdict.events)
