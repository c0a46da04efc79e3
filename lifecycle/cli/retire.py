"""CLI commands of stage 9 (Retire): ``retire`` (decommission a model version), ``verify-archive``,
``retention`` (a project's retention rule), ``cleanup`` (dry run or confirmed deletion by that rule)
and ``handover`` (the hand-over report as Markdown or HTML).

Domain modules are imported inside the commands: decommissioning loads the model registry (skops,
scikit-learn), which ``python -m lifecycle project list`` must not pay for.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from lifecycle.cli.context import Context, Result
from lifecycle.errors import InputError
from lifecycle.problem import projects

FORMATS = ("md", "html")


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    retire = groups.add_parser("retire", parents=[output],
                               help="stage 9: retire a model version (stop serving, archive it, record why)")
    retire.add_argument("version_id", type=int)
    retire.add_argument("--reason", required=True)
    retire.add_argument("--replacement", type=int, default=None,
                        help="an approved version of the same project that takes over (production moves to it)")
    retire.add_argument("--confirm-no-replacement", action="store_true",
                        help="retire the version in production with nothing to replace it (the service stops)")
    retire.set_defaults(handler=retire_command)

    verify = groups.add_parser("verify-archive", parents=[output],
                               help="check a retired version's archive against its checksum manifest")
    verify.add_argument("version_id", type=int)
    verify.set_defaults(handler=verify_archive_command, needs_actor=False)

    rule = groups.add_parser("retention", parents=[output], help="stage 9: set a project's retention rule (admins)")
    rule.add_argument("--project", required=True)
    days = rule.add_mutually_exclusive_group(required=True)
    days.add_argument("--log-days", type=int, help="keep this many days of prediction log and feedback")
    days.add_argument("--keep-logs", action="store_true", help="keep the whole prediction log and feedback")
    rule.add_argument("--keep-datasets", action="store_true",
                      help="keep dataset versions even when nothing uses them any more")
    rule.set_defaults(handler=retention_command)

    cleanup = groups.add_parser("cleanup", parents=[output],
                                help="stage 9: delete data by the project's retention rule (dry run first)")
    cleanup.add_argument("--project", required=True)
    mode = cleanup.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="list what would go and the space freed; delete nothing")
    mode.add_argument("--confirm", action="store_true", help="delete it, recording each item with its SHA-256")
    cleanup.add_argument("--log-days", type=int, default=None, help="days of log to keep this time (default: the rule)")
    cleanup.set_defaults(handler=cleanup_command)

    handover = groups.add_parser("handover", parents=[output],
                                 help="stage 9: write the hand-over report of a project (the model's whole life)")
    handover.add_argument("--project", required=True)
    handover.add_argument("--format", choices=FORMATS, default="md")
    handover.add_argument("--out", type=Path, required=True)
    handover.set_defaults(handler=handover_command)


def retire_command(context: Context, args: argparse.Namespace) -> Result:
    """Retire model version VERSION_ID for --reason: production traffic moves to --replacement when given,
    the version stops serving, its archive bundle (artifact, evidence, card, audit excerpt, checksum manifest)
    is written and it becomes retired, all in one transaction; prints where the archive is and what serves now.
    Exit 0 when retired; 1 when the replacement's production gate refuses (not approved); 2 on bad input (no
    reason, not validated, already retired, a replacement that cannot serve, the production version without
    --replacement or --confirm-no-replacement) or a refused permission, with nothing changed."""
    from lifecycle.errors import GateRefused
    from lifecycle.retire import decommission

    try:
        done = decommission(context.workspace, context.actor, args.version_id, reason=args.reason,
                            replacement_id=args.replacement, confirm_no_replacement=args.confirm_no_replacement)
    except GateRefused as refused:
        return Result(f"refused: {refused}", {"version_id": args.version_id, "refused": str(refused)}, exit_code=1)
    record = done.retirement
    lines = [f"Model version {record.model_version_id} (v{record.version}) is retired.",
             f"Archive: {record.archive_path} ({record.archive_files} files, {record.archive_bytes:,} bytes; "
             f"manifest SHA-256 {record.archive_sha256})",
             "Serving now: " + (", ".join(f"#{v}" for v in done.serving) or "nothing")
             + (" (the scoring service was stopped)" if done.service_stopped else ""), *done.notes]
    return Result("\n".join(lines), {"version_id": record.model_version_id, "version": record.version,
                                     "state": done.version.state, "archive": record.archive_path,
                                     "archive_sha256": record.archive_sha256, "files": record.archive_files,
                                     "bytes": record.archive_bytes, "replacement_id": record.replacement_id,
                                     "serving": list(done.serving), "service_stopped": done.service_stopped,
                                     "notes": list(done.notes)})


def verify_archive_command(context: Context, args: argparse.Namespace) -> Result:
    """Check the archive of retired version VERSION_ID file by file against CHECKSUMS.sha256, and that
    manifest against the digest on the retirement record; prints each problem. Exit 0 when intact; 1 when a
    file changed, went missing or was added; 2 when the version has no retirement on record."""
    from lifecycle.retire import check_archive

    check = check_archive(context.workspace, args.version_id)
    data = {"version_id": args.version_id, "ok": check.ok, "files": check.files, "problems": list(check.problems)}
    if check.ok:
        return Result(f"Archive intact: {check.files} files match their SHA-256.", data)
    return Result("Archive changed:\n" + "\n".join(f"  {p}" for p in check.problems), data, exit_code=1)


def retention_command(context: Context, args: argparse.Namespace) -> Result:
    """Set the project's retention rule: --log-days N (keep N days of prediction log and feedback) or
    --keep-logs, and --keep-datasets to keep dataset versions nothing uses any more. Exit 0; 2 for an unknown
    project, negative days, or a user who is not an admin."""
    from lifecycle.retire import set_rule

    project = projects.find_project(context.workspace, args.project)
    rule = set_rule(context.workspace, context.actor, project.id, log_days=None if args.keep_logs else args.log_days,
                    datasets=not args.keep_datasets)
    logs = "the whole log is kept" if rule.log_days is None else f"{rule.log_days} days of log are kept"
    datasets = "dataset versions no longer used go" if rule.datasets else "dataset versions are kept"
    return Result(f"{project.name}: {logs}; {datasets}.",
                  {"project": project.name, "log_days": rule.log_days, "datasets": rule.datasets})


def _plan_json(plan) -> dict:
    return {"log_days": plan.log_days, "cutoff": plan.cutoff, "rows": plan.rows, "bytes": plan.bytes,
            "items": [{"kind": i.kind, "name": i.name, "dataset_id": i.dataset_id, "rows": i.rows, "bytes": i.bytes,
                       "sha256": i.sha256, "newest": i.newest} for i in plan.items], "kept": list(plan.kept)}


def cleanup_command(context: Context, args: argparse.Namespace) -> Result:
    """With --dry-run, list what the project's retention rule lets go (log and feedback segments whose newest
    row is older than the cut-off, dataset versions nothing live uses), the rows and the bytes it frees, and
    what is kept and why; nothing changes. With --confirm, delete exactly that, each item recorded with the
    SHA-256 of its bytes on the record and the audit trail. Exit 0; 2 for an unknown project, bad days, or a
    user who is not an admin."""
    from lifecycle.retire import plan_cleanup, run_cleanup
    from lifecycle.retire.retention import KIND_WORDS

    project = projects.find_project(context.workspace, args.project)
    plan = plan_cleanup(context.workspace, context.actor, project.id, log_days=args.log_days)
    listing = [f"  {KIND_WORDS[i.kind]} {i.name}: {i.rows:,} rows, {i.bytes:,} bytes" for i in plan.items]
    kept = [f"  kept: {line}" for line in plan.kept]
    if args.dry_run:
        head = f"Dry run for {project.name}: would delete {plan.summary()}" if not plan.empty else plan.summary()
        return Result("\n".join([head, *listing, *kept]), {"project": project.name, "dry_run": True, **_plan_json(plan)})
    done = run_cleanup(context.workspace, context.actor, project.id, expected=plan)
    if done is None:
        return Result(plan.summary(), {"project": project.name, "dry_run": False, "cleanup_id": None, "items": []})
    lines = [f"Clean-up #{done.id} of {project.name}: deleted {plan.summary()}",
             *(f"  {KIND_WORDS[i.kind]} {i.name}: SHA-256 {i.sha256}" for i in done.items)]
    return Result("\n".join(lines), {"project": project.name, "dry_run": False, "cleanup_id": done.id,
                                     "digest": done.digest, "rows": done.rows, "bytes": done.bytes,
                                     "items": [{"kind": i.kind, "name": i.name, "dataset_id": i.dataset_id,
                                                "rows": i.rows, "bytes": i.bytes, "sha256": i.sha256}
                                               for i in done.items]})


def handover_command(context: Context, args: argparse.Namespace) -> Result:
    """Write the project's hand-over report (versions and their states over time, metrics per version,
    deployments, incidents and alerts, A/B decisions, sign-offs, retirements, data and clean-ups) to --out as
    Markdown or HTML. Exit 0; 2 for an unknown project or an output file that cannot be written."""
    from lifecycle.retire import build_handover, to_html, to_markdown

    project = projects.find_project(context.workspace, args.project)
    report = build_handover(context.workspace, context.actor, project.id)
    text = to_markdown(report) if args.format == "md" else to_html(report)
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"Cannot write {args.out}: {error.strerror}.", "Pick a folder you can write to.") from None
    return Result(f"Wrote the hand-over report of {project.name} to {args.out} ({len(text):,} characters).",
                  {"project": project.name, "format": args.format, "out": str(args.out), "characters": len(text)})
