"""The archive bundle of a retired model version: its artifact with its evidence, card and audit
excerpt in one folder, and a checksum manifest that proves nothing in it changed.

A bundle lives at ``<workspace>.files/archive/<project id>/v<version>/``. It is written into a hidden
temporary folder beside it and renamed into place only once complete, so a failure leaves no half
archive. ``CHECKSUMS.sha256`` lists the SHA-256 of every other file in ``sha256sum`` format
(``sha256sum -c CHECKSUMS.sha256`` checks it without Lifecycle); the SHA-256 of that manifest is
kept on the retirement record and on the audit trail, so replacing the manifest is caught too.

Layout::

    MODEL_CARD.md                  the card as it stood when the version retired
    model/<artifact hash>.skops    the artifact, byte for byte
    model/input_schema.json        the columns a serving row carried
    record/version.json            the version, its run and its deployments
    record/retirement.json         the reason, the replacement, who and when
    evidence/validation_report.json, evidence/<kind>-<id>.json   what Validate and Review stored
    audit_excerpt.json             the version's events on the hash-chained trail (seq, hashes)
    CHECKSUMS.sha256
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from lifecycle.errors import InputError
from lifecycle.hashing import sha256_file
from lifecycle.records import AuditEvent, ModelVersion, Project
from lifecycle.workspace import Workspace

CHECKSUMS = "CHECKSUMS.sha256"


@dataclass(frozen=True, kw_only=True)
class ArchiveBundle:
    """A bundle written in place: its folder, the SHA-256 of its checksum manifest, files and bytes listed."""

    folder: Path
    sha256: str
    files: int
    bytes: int


@dataclass(frozen=True, kw_only=True)
class ArchiveCheck:
    """The outcome of checking a bundle against its checksum manifest (and the digest on record)."""

    folder: Path
    files: int  # files the manifest lists
    problems: tuple[str, ...]  # each names the file and what is wrong with it

    @property
    def ok(self) -> bool:
        return not self.problems


def archive_root(workspace: Workspace) -> Path:
    """Where every project's archive bundles live."""
    return workspace.artifacts_dir / "archive"


def archive_folder(workspace: Workspace, version: ModelVersion) -> Path:
    """The bundle folder of ``version``: ``archive/<project id>/v<version>``."""
    return archive_root(workspace) / str(int(version.project_id)) / f"v{int(version.version)}"


def relative_path(workspace: Workspace, folder: Path) -> str:
    """``folder`` relative to the workspace's files folder, as stored on the retirement record."""
    return Path(folder).relative_to(workspace.artifacts_dir).as_posix()


def card_text(workspace: Workspace, version: ModelVersion, actor_name: str) -> str:
    """The model card the bundle carries (Markdown): the Govern stage's card, the one card of a version."""
    from lifecycle.govern.card import model_card

    return model_card(workspace, version.id, "md", generated_by=actor_name)


def json_bytes(value: Any) -> bytes:
    """Plain JSON for a bundle file: sorted keys, one value per line, dates as ISO text."""
    return (json.dumps(value, indent=1, sort_keys=True, default=str, allow_nan=False) + "\n").encode()


def events_json(events: list[AuditEvent]) -> bytes:
    return json_bytes([asdict(e) for e in events])


def write_bundle(target: Path, contents: dict[str, bytes], copies: dict[str, Path]) -> ArchiveBundle:
    """Write ``contents`` (relative path -> bytes) and copy ``copies`` (relative path -> source file)
    into a new bundle folder ``target`` with its checksum manifest, atomically: everything goes into a
    hidden temporary folder beside it, each file fsynced, which is renamed to ``target`` at the end.
    Raises InputError when ``target`` exists or a path leaves the bundle; on any failure nothing is left."""
    target = Path(target)
    if target.exists():
        raise InputError(f"An archive already exists at {target}.",
                         "A version is archived once, when it retires; check its retirement on the Retire page.")
    for name in (*contents, *copies):
        _check_member(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-", suffix=".partial"))
    try:
        for name, data in contents.items():
            _write(temporary / name, data)
        for name, source in copies.items():
            destination = temporary / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
            _fsync(destination)
        listed = sorted((p for p in temporary.rglob("*") if p.is_file()), key=lambda p: p.relative_to(temporary).as_posix())
        lines = [f"{sha256_file(p)}  {p.relative_to(temporary).as_posix()}" for p in listed]
        _write(temporary / CHECKSUMS, ("\n".join(lines) + "\n").encode())
        digest = sha256_file(temporary / CHECKSUMS)
        size = sum(p.stat().st_size for p in listed)
        os.rename(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return ArchiveBundle(folder=target, sha256=digest, files=len(listed), bytes=size)


def verify_archive(folder: Path, expected_sha256: str | None = None) -> ArchiveCheck:
    """Check every file of the bundle in ``folder`` against ``CHECKSUMS.sha256``: a changed, missing or
    unlisted file is a problem, named. With ``expected_sha256`` (the digest on the retirement record),
    a replaced manifest is a problem too."""
    folder = Path(folder)
    manifest = folder / CHECKSUMS
    if not manifest.is_file():
        return ArchiveCheck(folder=folder, files=0, problems=(f"{CHECKSUMS} is missing: the bundle cannot be checked.",))
    problems = []
    if expected_sha256 is not None and sha256_file(manifest) != expected_sha256:
        problems.append(f"{CHECKSUMS} itself changed: its SHA-256 differs from the one on the retirement record.")
    listed: dict[str, str] = {}
    for number, line in enumerate(manifest.read_text(errors="replace").splitlines(), start=1):
        digest, separator, name = line.partition("  ")
        if not separator or len(digest) != 64:
            problems.append(f"{CHECKSUMS} line {number} is not '<sha256>  <file>'.")
            continue
        try:
            _check_member(name)
        except InputError:
            problems.append(f"{CHECKSUMS} line {number} names a path outside the bundle: {name!r}.")
            continue
        listed[name] = digest
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing.")
        elif sha256_file(path) != digest:
            problems.append(f"{name} changed: its SHA-256 no longer matches the manifest.")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {CHECKSUMS}
    problems += [f"{name} is not listed in {CHECKSUMS} (added after archiving)." for name in sorted(present - set(listed))]
    return ArchiveCheck(folder=folder, files=len(listed), problems=tuple(problems))


def _check_member(name: str) -> None:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or name == CHECKSUMS:
        raise InputError(f"{name!r} cannot be a file of an archive bundle.", "Use a relative path inside the bundle.")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
