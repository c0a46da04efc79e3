"""CLI commands of stage 6 (Monitor) for labels and alerts: ``feedback FILE --project NAME`` (labels
joined to the prediction log) and ``alerts list|ack|resolve|webhook``."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lifecycle.cli.context import Context, Result
from lifecycle.problem import projects
from lifecycle.records import ALERT_STATES, Alert


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    feedback = groups.add_parser("feedback", parents=[output],
                                 help="stage 6: record the true labels of scored requests from a CSV/Parquet file "
                                      "(request_id, label, optional row)")
    feedback.add_argument("file", type=Path)
    feedback.add_argument("--project", required=True)
    feedback.set_defaults(handler=feedback_command)

    alerts = groups.add_parser("alerts", help="stage 6: monitoring alerts").add_subparsers(dest="action", required=True)
    listing = alerts.add_parser("list", parents=[output], help="alerts, newest first")
    listing.add_argument("--project", default=None)
    listing.add_argument("--state", default=None, choices=ALERT_STATES)
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(handler=alerts_list, needs_actor=False)
    for name, handler, words in (("ack", alerts_ack, "acknowledge an open alert"),
                                 ("resolve", alerts_resolve, "resolve an open or acknowledged alert")):
        parser = alerts.add_parser(name, parents=[output], help=words)
        parser.add_argument("alert_id", type=int)
        parser.add_argument("--comment", required=True, help="what was found or done (on the audit trail)")
        parser.set_defaults(handler=handler)
    webhook = alerts.add_parser("webhook", parents=[output],
                                help="set (or with --url '' remove) the webhook a project's alerts are posted to")
    webhook.add_argument("--project", required=True)
    webhook.add_argument("--url", required=True, help="an http(s) incoming-webhook URL (Slack, Mattermost, ...)")
    webhook.add_argument("--no-send-open", action="store_true",
                         help="do not send the open alerts raised before the webhook was set (default: they are "
                              "queued and go out with the next refresh)")
    webhook.set_defaults(handler=alerts_webhook)


def alert_json(alert: Alert) -> dict[str, Any]:
    """An alert as the ``alerts`` commands print it with --json."""
    return {"id": alert.id, "project_id": alert.project_id, "model_version_id": alert.model_version_id,
            "kind": alert.kind, "key": alert.key, "title": alert.title, "state": alert.state,
            "opened_at": alert.opened_at, "acknowledged_by": alert.acknowledged_by,
            "acknowledged_at": alert.acknowledged_at, "acknowledged_comment": alert.acknowledged_comment,
            "resolved_by": alert.resolved_by, "resolved_at": alert.resolved_at,
            "resolved_comment": alert.resolved_comment, "delivery": alert.delivery,
            "deliveries": [{"attempt": d.attempt, "at": d.at, "host": d.url_host, "status": d.status,
                            "error": d.error} for d in alert.deliveries],
            "evidence": alert.evidence}


def _line(alert: Alert) -> str:
    delivery = "" if alert.delivery == "none" else f"\t{alert.delivery} ({len(alert.deliveries)} attempt(s))"
    return f"{alert.id}\t{alert.state}\t{alert.kind}\t{alert.opened_at:%Y-%m-%d %H:%M}\t{alert.title}{delivery}"


def feedback_command(context: Context, args: argparse.Namespace) -> Result:
    """Record the labels in FILE (columns request_id, label, optional row) for the project's scored
    requests, as one feedback segment; prints how many, and which will not join. Exit 0; 2 for a file
    that is refused (unreadable, a column missing, a bad label, no known request id: nothing written),
    an unknown project or a refused permission."""
    from lifecycle.monitor.feedback import upload_feedback_path

    project = projects.find_project(context.workspace, args.project)
    upload = upload_feedback_path(context.workspace, context.actor, project.id, args.file)
    lines = [f"Recorded {upload.rows:,} label(s) for {project.name} from {upload.file} (segment {upload.segment})."]
    lines += [f"  note: {m}" for m in upload.messages]
    return Result("\n".join(lines), {"project": project.name, "file": upload.file, "rows": upload.rows,
                                     "segment": upload.segment, "unknown": upload.unknown,
                                     "unknown_examples": list(upload.unknown_examples),
                                     "repeated_in_file": upload.repeated_in_file,
                                     "already_labelled": upload.already_labelled, "messages": list(upload.messages)})


def alerts_list(context: Context, args: argparse.Namespace) -> Result:
    """Print one "ID<tab>STATE<tab>KIND<tab>OPENED<tab>TITLE[<tab>DELIVERY]" line per alert, newest
    first (of --project, in --state), or "No alerts." Exit 0; 2 for an unknown project."""
    from lifecycle.monitor.alerts import alerts_for

    project_id = projects.find_project(context.workspace, args.project).id if args.project else None
    found = alerts_for(context.workspace, project_id, state=args.state, limit=args.limit)
    return Result("\n".join(_line(a) for a in found) or "No alerts.", [alert_json(a) for a in found])


def alerts_ack(context: Context, args: argparse.Namespace) -> Result:
    """Acknowledge alert ID with --comment (who and when are recorded). Exit 0; 2 for an unknown
    alert, one already acknowledged or resolved, an empty comment or a refused permission."""
    from lifecycle.monitor.alerts import acknowledge

    alert = acknowledge(context.workspace, context.actor, args.alert_id, args.comment)
    return Result(f"Alert {alert.id} acknowledged by {alert.acknowledged_by}.", alert_json(alert))


def alerts_resolve(context: Context, args: argparse.Namespace) -> Result:
    """Resolve alert ID with --comment. Exit 0; 2 for an unknown or already resolved alert, an empty
    comment or a refused permission."""
    from lifecycle.monitor.alerts import resolve

    alert = resolve(context.workspace, context.actor, args.alert_id, args.comment)
    return Result(f"Alert {alert.id} resolved by {alert.resolved_by}.", alert_json(alert))


def alerts_webhook(context: Context, args: argparse.Namespace) -> Result:
    """Set the project's webhook to --url (an http or https URL), or remove it with --url ''; prints
    the host (the URL's path is often its secret) and the open alerts raised before it, queued for the
    next refresh unless --no-send-open. Exit 0; 2 for a URL that is not http(s), an
    unknown project or a refused permission."""
    from lifecycle.monitor.webhook import set_webhook, unsent_open

    project = projects.find_project(context.workspace, args.project)
    earlier = unsent_open(context.workspace, project.id)
    hook = set_webhook(context.workspace, context.actor, project.id, args.url, send_open=not args.no_send_open)
    if hook is None:
        return Result(f"{project.name} has no webhook now; its alerts stay in the workspace.",
                      {"project": project.name, "webhook": None})
    queued = [] if args.no_send_open else [a.id for a in earlier]
    earlier_words = (f" {len(earlier)} open alert(s) raised before " +
                     ("are queued: they go out with the next refresh (`monitor refresh`)." if queued else
                      "are not sent (--no-send-open).")) if earlier else ""
    return Result(f"{project.name}'s alerts are posted to {hook.host}.{earlier_words}",
                  {"project": project.name, "webhook": {"host": hook.host, "set_by": hook.set_by,
                                                        "set_at": hook.set_at}, "queued_alerts": queued})
