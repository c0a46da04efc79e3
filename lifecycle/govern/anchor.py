"""Anchoring the audit trail: the chain's head (how many events, the last one's hash, the
workspace's id) signed with an Ed25519 key kept outside the workspace, into a small JSON file a
team keeps elsewhere. The hash chain alone shows an edited, reordered or removed event in the
middle, but not that the newest events were deleted; an anchor does: the trail must still hold the
anchored event, unchanged, with every event before it.

Keys are made by :func:`keygen` (PEM files; the private one readable by its owner only) and must
live outside the folder that holds the workspace file: whoever can rewrite the trail there could
then also sign a new anchor. Signatures use ``cryptography``'s Ed25519 (RFC 8032).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lifecycle import audit
from lifecycle.auth import Permission, require
from lifecycle.clock import utc_now
from lifecycle.errors import InputError
from lifecycle.hashing import canonical_json, sha256_bytes
from lifecycle.records import User
from lifecycle.store import audit_log
from lifecycle.workspace import Workspace

FORMAT = "lifecycle-audit-anchor/1"


@dataclass(frozen=True, kw_only=True)
class Anchor:
    """A signed chain head: the trail of ``workspace_id`` held ``events`` events, the last being
    ``last_seq`` with hash ``last_hash``, when ``anchored_at``."""

    format: str
    workspace_id: str
    events: int
    last_seq: int
    last_hash: str
    anchored_at: str
    anchored_by: str
    public_key: str  # raw Ed25519 public key, hex
    signature: str = ""  # hex, over the canonical JSON of every other field

    def signed_bytes(self) -> bytes:
        fields = asdict(self)
        fields.pop("signature")
        return canonical_json(fields).encode()

    @property
    def key_fingerprint(self) -> str:
        return fingerprint(bytes.fromhex(self.public_key))


@dataclass(frozen=True, kw_only=True)
class AnchorVerdict:
    """An anchor checked against the trail: ``ok``, or the first event that breaks it and why."""

    ok: bool
    reason: str
    anchored_events: int
    events: int  # events on the trail now
    first_broken: int | None = None
    key_fingerprint: str = ""
    key_given: bool = False  # checked against a public key the caller supplied (not only the anchor's own)


def fingerprint(raw_public_key: bytes) -> str:
    """The first 16 hex digits of the SHA-256 of a raw public key: how messages name a key."""
    return sha256_bytes(raw_public_key)[:16]


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def check_outside(workspace: Workspace, path: Path, what: str) -> Path:
    """``path`` resolved, refused (InputError) when it lies in the folder holding the workspace file."""
    resolved = Path(path).expanduser().resolve()
    home = workspace.path.resolve().parent
    if resolved == home or home in resolved.parents:
        raise InputError(f"The {what} {path} is inside the workspace's folder {home}.",
                         f"Keep the {what} elsewhere (another disk, a vault, a team share): whoever can change the "
                         "workspace there could change it too.")
    return resolved


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write a new file (never overwrite), readable as ``mode``, renamed into place when whole."""
    if path.exists():
        raise InputError(f"{path} already exists.", "Pick a new file name; nothing is overwritten.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(partial, path)


def keygen(workspace: Workspace, out: Path) -> tuple[Path, Path]:
    """Make an Ed25519 key pair: the private key at ``out`` (PEM, PKCS#8, mode 0600) and the public
    key at ``out`` + ``.pub``. Refuses a path inside the workspace's folder or an existing file."""
    private_path = check_outside(workspace, out, "private key")
    public_path = private_path.with_name(private_path.name + ".pub")
    for path in (private_path, public_path):
        if path.exists():
            raise InputError(f"{path} already exists.", "Pick a new file name; keys are never overwritten.")
    key = Ed25519PrivateKey.generate()
    _write_new(private_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()), 0o600)
    _write_new(public_path, key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)
    return private_path, public_path


def _private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise InputError(f"No key file at {path}.",
                         "Make one with `python -m lifecycle audit keygen --out FILE`.") from None
    except (ValueError, TypeError) as error:
        raise InputError(f"{path} is not an unencrypted PEM private key ({error}).",
                         "Use the private key `audit keygen` wrote.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path} holds a {type(key).__name__}, not an Ed25519 key.", "Use a key `audit keygen` wrote.")
    return key


def public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in a PEM file (``audit keygen``'s ``.pub``). Raises InputError."""
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except FileNotFoundError:
        raise InputError(f"No public key file at {path}.", "Give the .pub file `audit keygen` wrote.") from None
    except ValueError as error:
        raise InputError(f"{path} is not a PEM public key ({error}).", "Give the .pub file `audit keygen` wrote.") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{path} holds a {type(key).__name__}, not an Ed25519 key.", "Give an Ed25519 public key.")
    return key


def anchor_trail(workspace: Workspace, actor: User, key_path: Path, out: Path) -> Anchor:
    """Sign the chain's head with the private key at ``key_path`` and write the anchor to ``out``
    (both outside the workspace's folder; ``out`` must not exist). The anchoring is itself an audit
    event, and the anchor covers it. Refuses to anchor a broken chain. Raises PermissionDenied
    (needs ANCHOR_AUDIT) or InputError."""
    require(actor, Permission.ANCHOR_AUDIT)
    key = _private_key(check_outside(workspace, key_path, "private key"))
    target = check_outside(workspace, out, "anchor file")
    if target.exists():
        raise InputError(f"{target} already exists.", "Pick a new file name; an anchor is never overwritten.")
    verdict = audit.verify_chain(workspace)
    if not verdict.ok:
        raise InputError(f"The audit chain is broken at event {verdict.first_broken}: {verdict.reason}.",
                         "An anchor would vouch for a broken trail; find out what changed first (audit verify).")
    workspace_id = workspace.setting("workspace_id")
    raw = _raw(key.public_key())
    with workspace.db.transaction() as cursor:
        audit_log.append(cursor, actor=actor.name, action="audit.anchored", entity="workspace",
                         details={"key": fingerprint(raw), "file": str(target)})
        count, last_seq, last_hash = audit_log.head(cursor)
        unsigned = Anchor(format=FORMAT, workspace_id=workspace_id, events=count, last_seq=last_seq,
                          last_hash=last_hash, anchored_at=utc_now().isoformat(timespec="seconds") + "Z",
                          anchored_by=actor.name, public_key=raw.hex())
        signed = Anchor(**{**asdict(unsigned), "signature": key.sign(unsigned.signed_bytes()).hex()})
        _write_new(target, (json.dumps(asdict(signed), indent=1) + "\n").encode(), 0o644)
    return signed


def read_anchor(path: Path) -> Anchor:
    """An anchor file, parsed. Raises InputError for a missing or malformed file."""
    try:
        data = json.loads(Path(path).read_text())
        found = Anchor(**data)
        bytes.fromhex(found.public_key), bytes.fromhex(found.signature)
        int(found.events), int(found.last_seq)
    except FileNotFoundError:
        raise InputError(f"No anchor file at {path}.", "Give the file `audit anchor` wrote.") from None
    except (ValueError, TypeError, AttributeError) as error:
        raise InputError(f"{path} is not an audit anchor ({error}).", "Give the file `audit anchor` wrote.") from None
    if found.format != FORMAT:
        raise InputError(f"{path} is an anchor in format {found.format!r}.", f"This version reads {FORMAT}.")
    return found


def verify_anchor(workspace: Workspace, anchor_path: Path, public_key_path: Path | None = None) -> AnchorVerdict:
    """Check the anchor's signature (against ``public_key_path`` when given, else the key the anchor
    names), that it belongs to this workspace, that the chain is intact, and that the trail still
    holds every anchored event unchanged. Raises InputError for unreadable files; every failed check
    is a verdict with ``ok`` False and the reason."""
    found = read_anchor(anchor_path)
    events_now = audit.verify_chain(workspace)
    base = dict(anchored_events=found.events, events=events_now.events, key_fingerprint=found.key_fingerprint,
                key_given=public_key_path is not None)
    embedded = Ed25519PublicKey.from_public_bytes(bytes.fromhex(found.public_key))
    if public_key_path is not None:
        given = public_key(public_key_path)
        if _raw(given) != _raw(embedded):
            return AnchorVerdict(ok=False, reason=f"the anchor was signed by key {found.key_fingerprint}, not by the "
                                                  f"given key {fingerprint(_raw(given))}", **base)
    try:
        embedded.verify(bytes.fromhex(found.signature), found.signed_bytes())
    except InvalidSignature:
        return AnchorVerdict(ok=False, reason="the anchor's signature does not verify: the file was forged or "
                                              "altered after it was signed", **base)
    workspace_id = workspace.setting("workspace_id")
    if found.workspace_id != workspace_id:
        return AnchorVerdict(ok=False, reason=f"the anchor belongs to another workspace ({found.workspace_id}); this "
                                              f"one is {workspace_id}", **base)
    if not events_now.ok:
        return AnchorVerdict(ok=False, first_broken=events_now.first_broken,
                             reason=f"the chain is broken at event {events_now.first_broken}: {events_now.reason}",
                             **base)
    if events_now.events < found.last_seq:
        return AnchorVerdict(ok=False, first_broken=events_now.events + 1,
                             reason=f"events {events_now.events + 1} to {found.last_seq} are missing: the trail ends "
                                    f"at event {events_now.events}, the anchor of {found.anchored_at} covers "
                                    f"{found.last_seq} (the newest events were deleted)", **base)
    anchored = audit_log.event_at(workspace.db.cursor(), found.last_seq)
    if anchored is None or anchored.hash != found.last_hash:
        return AnchorVerdict(ok=False, first_broken=found.last_seq,
                             reason=f"event {found.last_seq} is not the one anchored on {found.anchored_at}: the "
                                    "trail was rewritten from there back", **base)
    return AnchorVerdict(ok=True, reason=f"the trail holds the {found.events} events anchored on {found.anchored_at}"
                                         f" unchanged, and {events_now.events - found.events} since", **base)
