"""CLI commands of the ground floor: ``workspace init``, ``user list|add|role|disable|enable|passwd`` and
the audit trail (``audit verify|log|export|keygen|anchor``; export and anchoring are the Govern stage's,
imported when used)."""
from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from lifecycle import audit, auth, backup
from lifecycle.access import recovery, users
from lifecycle.cli.context import Context, Result, stderr_progress
from lifecycle.errors import LifecycleError
from lifecycle.workspace import recover_workspace


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    """``workspace init`` and ``user add|list``."""
    workspace = groups.add_parser("workspace", help="create a workspace").add_subparsers(dest="action", required=True)
    init = workspace.add_parser("init", parents=[output], help="create the workspace file and its first admin")
    init.add_argument("--admin", required=True)
    init.add_argument("--password", default=None)
    init.set_defaults(handler=workspace_init, needs_actor=False, creates=True)
    clean = workspace.add_parser("clean", parents=[output],
                                 help="reclaim files and searches a killed process left (also done on open)")
    clean.add_argument("--dry-run", action="store_true", help="only say what would be reclaimed")
    clean.set_defaults(handler=workspace_clean, needs_actor=False, reclaim_on_open=False)
    recover = workspace.add_parser("recover", parents=[output],
                                   help="open a workspace whose write-ahead log is damaged, keeping copies")
    recover.set_defaults(handler=workspace_recover, needs_actor=False)
    backup = workspace.add_parser("backup", parents=[output],
                                  help="copy the database, models, datasets and logs into DIR with a checksum "
                                       "manifest (admins only; works while the app runs)")
    backup.add_argument("dir", type=Path, help="a new (or empty) folder")
    backup.set_defaults(handler=workspace_backup, needs_actor=False)
    restore = workspace.add_parser("restore", parents=[output],
                                   help="check a backup's checksums, then make it the workspace (admins only)")
    restore.add_argument("dir", type=Path, help="the folder `workspace backup` wrote")
    restore.add_argument("--force", action="store_true",
                         help="replace an existing workspace (it is kept beside it, renamed)")
    restore.set_defaults(handler=workspace_restore, needs_actor=False, creates=True)

    user = groups.add_parser("user", help="users and roles").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", parents=[output], help="add a user (admins only)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=auth.ROLES)
    add.add_argument("--password", default=None)
    add.set_defaults(handler=user_add)
    user.add_parser("list", parents=[output], help="list users").set_defaults(handler=user_list)
    role = user.add_parser("role", parents=[output], help="change a user's role (admins only)")
    role.add_argument("name")
    role.add_argument("role", choices=auth.ROLES)
    role.set_defaults(handler=user_role)
    for action, handler, text in (("disable", user_disable, "disable a user: no more sign-ins; never deleted"),
                                  ("enable", user_enable, "enable a disabled user again")):
        toggle = user.add_parser(action, parents=[output], help=f"{text} (admins only)")
        toggle.add_argument("name")
        toggle.set_defaults(handler=handler)
    passwd = user.add_parser("passwd", parents=[output],
                             help="set a password: your own, or (admins) anyone's; read from stdin when not given")
    passwd.add_argument("name")
    passwd.add_argument("--password", default=None)
    passwd.set_defaults(handler=user_passwd)


def add_audit_parsers(groups, output: argparse.ArgumentParser) -> None:
    """``audit verify|log|export|keygen|anchor``: the trail every stage writes to."""
    audit_group = groups.add_parser("audit", help="the audit trail").add_subparsers(dest="action", required=True)
    verify = audit_group.add_parser("verify", parents=[output],
                                    help="check the hash chain (and, with --anchor, that no anchored event is gone)")
    verify.add_argument("--anchor", type=Path, default=None, help="an anchor file `audit anchor` wrote")
    verify.add_argument("--public-key", type=Path, default=None,
                        help="the .pub file of the key that must have signed the anchor")
    verify.set_defaults(handler=audit_verify, needs_actor=False)
    log = audit_group.add_parser("log", parents=[output], help="recent events")
    log.add_argument("--limit", type=int, default=50)
    log.set_defaults(handler=audit_log, needs_actor=False)
    export = audit_group.add_parser("export", parents=[output], help="write the trail (or part of it) as CSV or JSON")
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--project", default=None, help="a project's name: its events only")
    export.add_argument("--version", type=int, default=None, help="a model version's id: its events only")
    export.add_argument("--actor", default=None, help="one user's events only")
    export.add_argument("--action", default=None, help="one action, or a prefix ending in '.' (model.)")
    export.set_defaults(handler=audit_export, needs_actor=False)
    keygen = audit_group.add_parser("keygen", parents=[output],
                                    help="make an Ed25519 key pair for anchoring, outside the workspace's folder")
    keygen.add_argument("--out", type=Path, required=True, help="the private key file (the public one gets .pub)")
    keygen.set_defaults(handler=audit_keygen, needs_actor=False)
    anchor = audit_group.add_parser("anchor", parents=[output],
                                    help="sign the chain's head into a small file kept elsewhere")
    anchor.add_argument("--key", type=Path, required=True, help="the private key `audit keygen` wrote")
    anchor.add_argument("--out", type=Path, required=True, help="the anchor file to write (outside the workspace)")
    anchor.set_defaults(handler=audit_anchor)


def workspace_init(context: Context, args: argparse.Namespace) -> Result:
    """Create the workspace file and its first admin; prints "Created workspace PATH with admin NAME."
    Exit 0; 2 when the workspace already has users, or the name or password is refused."""
    user = auth.init_admin(context.workspace, args.admin, args.password)
    return Result(f"Created workspace {context.path} with admin {user.name}.",
                  {"workspace": str(context.path), "admin": user.name})


def workspace_clean(context: Context, args: argparse.Namespace) -> Result:
    """Reclaim ``.partial`` files, frozen files no record refers to, and searches left ``running`` by a
    killed process (marked interrupted, finished runs kept); prints what was (or, with --dry-run, would
    be) reclaimed, one line per file. Exit 0."""
    done = recovery.reclaim(context.workspace, actor=context.user or recovery.SYSTEM_ACTOR, dry_run=args.dry_run)
    lines = [done.summary()] + [f"{f.why}\t{f.bytes}\t{f.path}" for f in done.files]
    return Result("\n".join(lines), {"dry_run": done.dry_run, "bytes": done.bytes,
                                      "files": [{"path": str(f.path), "bytes": f.bytes, "why": f.why}
                                                for f in done.files],
                                      "interrupted_searches": [s for s, _ in done.interrupted_searches]})


def workspace_recover(context: Context, args: argparse.Namespace) -> Result:
    """Open a workspace whose DuckDB write-ahead log is damaged: copy the log and the database beside
    them (``.damaged-<UTC time>``), cut the log back to its whole part, replay it, put what was cut on the
    audit trail and check the chain; prints what was cut and where the copies are. Exit 0 when the chain
    verifies, 1 when it does not; 2 when the workspace is held by another process or cannot be opened."""
    workspace, repairs = recover_workspace(context.path, actor=context.user or recovery.SYSTEM_ACTOR)
    verdict = audit.verify_chain(workspace)
    lines = [f"Cut the write-ahead log {r.log}: {r.what}; kept {r.kept_bytes:,} bytes, left out {r.dropped_bytes:,} "
             f"(copies: {', '.join(str(c) for c in r.copies)})." for r in repairs]
    lines = lines or ["Nothing to recover: the write-ahead log is whole (or absent); the workspace opened as usual."]
    lines.append(f"Audit chain intact: {verdict.events} events." if verdict.ok
                 else f"Audit chain BROKEN at event {verdict.first_broken}: {verdict.reason}.")
    return Result("\n".join(lines), {"repairs": [{**asdict(r), "log": str(r.log), "copies": [str(c) for c in r.copies]}
                                                 for r in repairs], "chain": asdict(verdict)},
                  exit_code=0 if verdict.ok else 1)


def _acting_user(context: Context) -> str:
    if not context.user:
        raise LifecycleError("No acting user.", "Pass --user NAME (an admin) before the command, or set LIFECYCLE_USER.")
    return context.user


def workspace_backup(context: Context, args: argparse.Namespace) -> Result:
    """Back up the workspace into DIR (new or empty): a consistent copy of the database (also while the
    app holds it), the models, datasets, logs, deployment manifests and archives, and MANIFEST.json (each
    file's path, size, SHA-256; versions; time); progress on stderr; prints the folder, files and bytes.
    Exit 0; 2 when DIR holds files, the user is not an admin, or no consistent copy could be taken."""
    done = backup.backup_workspace(context.path, _acting_user(context), args.dir,
                                   progress=stderr_progress("backup"))
    return Result(f"Backed up {context.path} into {done.folder}: {len(done.files)} files, {done.bytes:,} bytes, "
                  f"{done.audit_events} audit events (copied {done.taken}).",
                  {"folder": str(done.folder), "files": len(done.files), "bytes": done.bytes,
                   "audit_events": done.audit_events, "audit_head": done.audit_head, "taken": done.taken})


def workspace_restore(context: Context, args: argparse.Namespace) -> Result:
    """Restore the backup in DIR as the workspace (--workspace): every file's checksum is verified before
    anything is replaced, the restored chain is verified; progress on stderr; prints what was restored.
    Exit 0; 2 when a file fails its checksum (named), the target exists without --force, a process holds
    it, or the user is not an admin of the backup."""
    done = backup.restore_workspace(args.dir, context.path, _acting_user(context), force=args.force,
                                    progress=stderr_progress("restore"))
    kept = f" The workspace it replaced is kept at {', '.join(map(str, done.replaced_kept_at))}." \
        if done.replaced_kept_at else ""
    return Result(f"Restored {done.workspace} from {done.backup.folder} ({len(done.backup.files)} files, "
                  f"{done.backup.bytes:,} bytes, taken {done.backup.created_at}); audit chain intact: "
                  f"{done.audit_events} events.{kept}",
                  {"workspace": str(done.workspace), "backup": str(done.backup.folder),
                   "files": len(done.backup.files), "bytes": done.backup.bytes, "audit_events": done.audit_events,
                   "replaced_kept_at": [str(p) for p in done.replaced_kept_at]})


def user_add(context: Context, args: argparse.Namespace) -> Result:
    """Add a user with a role (admins only); prints "Added NAME (ROLE)." Exit 0; 2 when the actor may
    not manage users, or the name, role or password is refused."""
    user = auth.add_user(context.workspace, context.actor, args.name, args.role, args.password)
    return Result(f"Added {user.name} ({user.role}).", {"name": user.name, "role": user.role})


def user_list(context: Context, args: argparse.Namespace) -> Result:
    """Print one "NAME<tab>ROLE<tab>STATUS<tab>LAST SIGN-IN" line per user (JSON: name, role, active,
    last_sign_in). Exit 0."""
    everyone = users.list_users(context.workspace)
    return Result("\n".join(f"{u.name}\t{u.role}\t{'active' if u.active else 'disabled'}\t"
                            f"{u.last_sign_in or 'never signed in'}" for u in everyone),
                  [{"name": u.name, "role": u.role, "active": u.active, "last_sign_in": u.last_sign_in}
                   for u in everyone])


def user_role(context: Context, args: argparse.Namespace) -> Result:
    """Change a user's role (admins only); prints "NAME is now ROLE." Exit 0; 2 when the actor may not manage
    users, the user does not exist, or they are the last active admin."""
    user = users.set_role(context.workspace, context.actor, args.name, args.role)
    return Result(f"{user.name} is now {user.role}.", {"name": user.name, "role": user.role})


def _set_active(context: Context, name: str, active: bool) -> Result:
    user = users.set_active(context.workspace, context.actor, name, active)
    return Result(f"{user.name} is {'enabled' if user.active else 'disabled'}.",
                  {"name": user.name, "active": user.active})


def user_disable(context: Context, args: argparse.Namespace) -> Result:
    """Disable a user (admins only; never deleted: the audit trail names them); prints "NAME is disabled."
    Exit 0; 2 when refused (not an admin, no such user, the last active admin)."""
    return _set_active(context, args.name, False)


def user_enable(context: Context, args: argparse.Namespace) -> Result:
    """Enable a disabled user again (admins only); prints "NAME is enabled." Exit 0; 2 when refused."""
    return _set_active(context, args.name, True)


def user_passwd(context: Context, args: argparse.Namespace) -> Result:
    """Set a password (your own, or as an admin anyone's), from --password or the first line of stdin;
    prints "Password set for NAME." Exit 0; 2 when refused (too short, not allowed)."""
    password = args.password if args.password is not None else sys.stdin.readline().rstrip("\n")
    if args.name == context.actor.name:
        auth.set_password(context.workspace, context.actor, args.name, password)
    else:
        users.reset_password(context.workspace, context.actor, args.name, password)
    return Result(f"Password set for {args.name}.", {"name": args.name})


def audit_verify(context: Context, args: argparse.Namespace) -> Result:
    """Check the audit trail's hash chain; prints whether it is intact or the first broken event. With
    --anchor, also check the anchor's signature (against --public-key when given), that it belongs to this
    workspace, and that every anchored event is still there unchanged (deleted newest events show).
    Exit 0 when intact, 1 when broken or the anchor is refused; 2 for an unreadable anchor or key file."""
    verdict = audit.verify_chain(context.workspace)
    text = (f"Audit chain intact: {verdict.events} events." if verdict.ok
            else f"Audit chain BROKEN at event {verdict.first_broken}: {verdict.reason}.")
    if args.anchor is None:
        return Result(text, asdict(verdict), exit_code=0 if verdict.ok else 1)
    from lifecycle.govern.anchor import verify_anchor

    checked = verify_anchor(context.workspace, args.anchor, args.public_key)
    key = (f"key {checked.key_fingerprint}" + ("" if checked.key_given else
                                             " (the anchor's own; pass --public-key to check who signed)"))
    text += (f"\nAnchor OK ({key}): {checked.reason}." if checked.ok else f"\nAnchor REFUSED ({key}): {checked.reason}.")
    return Result(text, {**asdict(verdict), "anchor": asdict(checked)}, exit_code=0 if verdict.ok and checked.ok else 1)


def audit_export(context: Context, args: argparse.Namespace) -> Result:
    """Write the trail's events (narrowed by --project, --version, --actor, --action) to --out as CSV
    (formula-like cells neutralised) or JSON (with the chain's verdict); prints how many. Exit 0; 2 for
    an unknown project or an existing --out."""
    from lifecycle.errors import InputError
    from lifecycle.govern.audit_trail import TrailFilter, events, export
    from lifecycle.problem.projects import find_project

    if args.out.exists():
        raise InputError(f"{args.out} already exists.", "Pick a new file name; an export never overwrites a file.")
    project_id = None if args.project is None else find_project(context.workspace, args.project).id
    selection = TrailFilter(project_id=project_id, version_id=args.version, actor=args.actor, action=args.action)
    data = export(context.workspace, args.format, selection)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    count = len(events(context.workspace, selection))
    return Result(f"Wrote {count} audit events to {args.out}.", {"path": str(args.out), "events": count,
                                                                 "format": args.format})


def audit_keygen(context: Context, args: argparse.Namespace) -> Result:
    """Make an Ed25519 key pair for anchoring: the private key at --out (readable by you only) and the
    public key beside it (.pub); prints both paths. Exit 0; 2 for a path inside the workspace's folder or
    an existing file."""
    from lifecycle.govern.anchor import keygen

    private, public = keygen(context.workspace, args.out)
    return Result(f"Wrote the private key {private} (keep it secret, outside the workspace) and the public key "
                  f"{public} (give it to whoever verifies).", {"private_key": str(private), "public_key": str(public)})


def audit_anchor(context: Context, args: argparse.Namespace) -> Result:
    """Sign the audit chain's head (events, last hash, workspace id) with --key into --out; prints what it
    covers. Keep the file elsewhere; `audit verify --anchor FILE` checks the trail against it. Exit 0; 2
    when the actor may not anchor, a path lies inside the workspace's folder, --out exists, or the chain is
    broken."""
    from lifecycle.govern.anchor import anchor_trail

    signed = anchor_trail(context.workspace, context.actor, args.key, args.out)
    return Result(f"Anchored {signed.events} events (last {signed.last_seq}, hash {signed.last_hash[:16]}…) with key "
                  f"{signed.key_fingerprint} in {args.out}.", asdict(signed))


def audit_log(context: Context, args: argparse.Namespace) -> Result:
    """Print the latest ``--limit`` events, one "SEQ<tab>AT<tab>ACTOR<tab>ACTION<tab>ENTITY" line each. Exit 0."""
    events = audit.recent_events(context.workspace, limit=args.limit)
    return Result("\n".join(f"{e.seq}\t{e.at}\t{e.actor}\t{e.action}\t{e.entity}" for e in events),
                  [asdict(e) for e in events])
