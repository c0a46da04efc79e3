"""CLI commands of stage 6 (Monitor): ``monitor refresh`` (bring a project's monitoring up to date
from its prediction log), ``monitor drift`` (the drift table of one window) and ``monitor
configure`` (the project's drift rules)."""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import Any

from lifecycle.cli.context import Context, Result
from lifecycle.errors import InputError
from lifecycle.problem import projects


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    monitor = groups.add_parser("monitor", help="stage 6: drift of the traffic against the training reference"
                                ).add_subparsers(dest="action", required=True)
    refresh = monitor.add_parser("refresh", parents=[output],
                                 help="compute what the log added since the last refresh (drift, alerts, performance, delivery)")
    refresh.add_argument("--project", required=True)
    refresh.set_defaults(handler=refresh_command, needs_actor=False)
    drift = monitor.add_parser("drift", parents=[output], help="the drift table of one window (refreshed first)")
    drift.add_argument("--project", required=True)
    drift.add_argument("--window", default=None, help="window size such as 15m, 1h, 1d (default: the project's)")
    drift.add_argument("--at", default=None, metavar="TIMESTAMP",
                       help="a time in the window to show, ISO 8601, UTC unless it says (default: the newest window)")
    drift.set_defaults(handler=drift_command, needs_actor=False)
    configure = monitor.add_parser("configure", parents=[output],
                                   help="show or change the drift rules of a project")
    configure.add_argument("--project", required=True)
    configure.add_argument("--window", default=None, help="window size drift is judged on (15m, 1h, 1d)")
    configure.add_argument("--alpha", type=float, default=None, help="Benjamini–Hochberg false discovery rate")
    configure.add_argument("--min-rows", type=int, default=None, help="rows a window needs before drift is called")
    configure.add_argument("--consecutive", type=int, default=None,
                           help="drifting windows in a row that confirm drift")
    configure.add_argument("--numeric-test", choices=["ks", "none"], default=None)
    configure.add_argument("--numeric-effect", choices=["wasserstein", "psi", "ks"], default=None)
    configure.add_argument("--numeric-min-effect", type=float, default=None)
    configure.add_argument("--categorical-test", choices=["chi2", "none"], default=None)
    configure.add_argument("--categorical-effect", choices=["jensen_shannon", "psi"], default=None)
    configure.add_argument("--categorical-min-effect", type=float, default=None)
    configure.set_defaults(handler=configure_command, needs_actor=False)


def _actor(context: Context):
    return context.actor if context.user else None


def _at(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--at {text!r} is not a time.", "Write it as ISO 8601, e.g. 2026-03-02T14:30.") from None
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}g}"


def _drift_refresh_json(report) -> dict[str, Any]:
    return {"version_id": report.model_version_id, "window_seconds": report.size_seconds,
            "computed": [w.isoformat() for w in report.computed], "windows_on_record": report.stored,
            "windows_in_log": report.windows_in_log, "rows_read": report.rows_read,
            "reference_built": report.reference_built, "seconds": round(report.seconds, 3),
            "skipped_segments": [{"file": name, "reason": reason} for name, reason in report.skipped_segments],
            "note": report.note}


def _drift_words(report) -> str:
    from lifecycle.monitor.windows import format_size

    if report.note and not report.computed:
        return f"drift: {report.note}"
    words = (f"drift: {len(report.computed)} window(s) of {format_size(report.size_seconds)} computed "
             f"({report.rows_read:,} rows) in {report.seconds:.2f} s; {report.stored} on record")
    if report.reference_built:
        words += "; reference built"
    for name, reason in report.skipped_segments:
        words += f"\n  skipped log segment {name}: {reason}"
    return words


def refresh_command(context: Context, args: argparse.Namespace) -> Result:
    """Run every step of the project's monitoring refresh: drift of the production version on the
    project's window size (only windows the log added or changed; the version's reference built the
    first time), an alert per confirmed drift, performance per window, an alert per objective
    breach, and delivery of pending alerts to the webhook; prints what each step did.
    Exit 0; 2 for an unknown project."""
    from lifecycle.monitor import refresh as monitor_refresh

    project = projects.find_project(context.workspace, args.project)
    done = monitor_refresh.refresh(context.workspace, project.id, actor=_actor(context))
    data: dict[str, Any] = {"project": project.name, "seconds": round(done.seconds, 3)}
    lines = [f"{project.name}: monitoring refreshed in {done.seconds:.2f} s"]
    if "drift" in done.reports:
        data["drift"] = _drift_refresh_json(done.drift)
        lines.append(_drift_words(done.drift))
    for name in ("drift_alerts", "objective_alerts"):
        raised = done.reports.get(name, [])
        data[name] = [{"id": a.id, "key": a.key, "title": a.title} for a in raised]
        lines.append(f"{name.replace('_', ' ')}: {len(raised)} raised"
                     + "".join(f"\n  #{a.id} {a.title}" for a in raised))
    performance = done.reports.get("performance")
    if "performance" in done.reports:
        data["performance"] = None if performance is None else {
            "windows": performance.windows, "computed": performance.computed, "unchanged": performance.unchanged}
        lines.append("performance: nothing in production" if performance is None else
                     f"performance: {performance.computed} window(s) computed, {performance.unchanged} unchanged")
    delivery = done.reports.get("delivery")
    if delivery is not None:
        data["delivery"] = {"delivered": list(delivery.delivered), "pending": list(delivery.pending),
                            "attempts": delivery.attempts, "waiting_for_webhook": delivery.waiting_for_webhook}
        lines.append(f"delivery: {len(delivery.delivered)} delivered, {len(delivery.pending)} pending"
                     + (" (no webhook set)" if delivery.waiting_for_webhook else ""))
    return Result("\n".join(lines), data)


def _feature_json(feature) -> dict[str, Any]:
    return {"feature": feature.feature, "source": feature.source, "kind": feature.kind, "status": feature.status,
            "statistic": feature.statistic, "statistic_value": feature.statistic_value, "p_value": feature.p_value,
            "adjusted_p_value": feature.adjusted_p_value, "effect_name": feature.effect_name,
            "effect": feature.effect, "min_effect": feature.min_effect, "drift": feature.drift,
            "confirmed": feature.confirmed, "streak": feature.streak, "impact": feature.impact,
            "importance_share": feature.importance_share, "n_current": feature.n_current,
            "n_reference": feature.n_reference, "n_missing": feature.n_missing, "exact": feature.statistics.exact,
            "reason": feature.reason}


def _table_text(project_name: str, table) -> str:
    from lifecycle.monitor.windows import format_size

    if table.window_start is None or not table.features:
        return f"{project_name}: {table.note}"
    state = "complete" if table.complete else "open"
    end = f"{table.window_end:%H:%M}" if table.window_end.date() == table.window_start.date() else (
        f"{table.window_end:%Y-%m-%d %H:%M}")
    lines = [f"{project_name}, version #{table.model_version_id}: window {table.window_start:%Y-%m-%d %H:%M}–"
             f"{end} UTC ({format_size(table.size_seconds)}, {table.window_rows:,} rows, {state})",
             f"{'feature':<22} {'test':<15} {'p (BH)':>8} {'effect':<26} {'drift':<6} {'confirmed':<10} impact"]
    for f in table.features:
        name = f.feature if f.source == "input" else f"[{f.feature}]"
        test = f"{f.statistic} {_number(f.statistic_value)}"
        effect = f"{f.effect_name} {_number(f.effect)}"
        confirmed = f"yes ({f.streak})" if f.confirmed else "no"
        if f.status in ("drift", "no_drift"):
            lines.append(f"{name[:22]:<22} {test:<15} {_number(f.adjusted_p_value, 2):>8} {effect:<26} "
                         f"{'yes' if f.drift else 'no':<6} {confirmed:<10} {_number(f.impact)}")
        else:
            lines.append(f"{name[:22]:<22} {f.reason}")
    lines.append(table.importance_note)
    return "\n".join(lines)


def drift_command(context: Context, args: argparse.Namespace) -> Result:
    """Refresh the project's drift, then print the table of the window holding --at (default: the
    newest): each feature with its test statistic, Benjamini–Hochberg adjusted p-value, effect size,
    whether it drifts and whether drift is confirmed, inputs ranked by impact, then the model's
    outputs in brackets. Exit 0 (drift or not); 2 for an unknown project, window size or time."""
    from lifecycle.monitor import drift as monitor_drift
    from lifecycle.monitor import drift_views
    from lifecycle.monitor.windows import format_size, parse_size

    project = projects.find_project(context.workspace, args.project)
    size = parse_size(args.window) if args.window else None
    at = _at(args.at)
    report = monitor_drift.refresh_drift(context.workspace, project.id, size_seconds=size, actor=_actor(context))
    table = drift_views.drift_table(context.workspace, project.id, size_seconds=report.size_seconds, window_start=at)
    data = {"project": project.name, "version_id": table.model_version_id,
            "window": {"start": table.window_start, "end": table.window_end, "size": format_size(table.size_seconds),
                       "rows": table.window_rows, "complete": table.complete},
            "weighted": table.weighted, "importance_note": table.importance_note, "note": table.note,
            "features": [_feature_json(f) for f in table.features], "drifting": list(table.drifting),
            "confirmed": list(table.confirmed), "refresh": _drift_refresh_json(report)}
    return Result(_table_text(project.name, table), data)


def configure_command(context: Context, args: argparse.Namespace) -> Result:
    """Show the project's drift rules, or change those given (tests, effect sizes and their minimum,
    false discovery rate, minimum window rows, windows in a row, window size), the change on the
    audit trail; prints the rules. Exit 0; 2 for a value out of range or a role that may not."""
    from lifecycle.monitor import drift_config
    from lifecycle.monitor.windows import parse_size

    project = projects.find_project(context.workspace, args.project)
    changes: dict[str, Any] = {}
    for kind in ("numeric", "categorical"):
        rule: dict[str, Any] = {}
        test = getattr(args, f"{kind}_test")
        if test is not None:
            rule["test"] = None if test == "none" else test
        if getattr(args, f"{kind}_effect") is not None:
            rule["effect"] = getattr(args, f"{kind}_effect")
        if getattr(args, f"{kind}_min_effect") is not None:
            rule["min_effect"] = getattr(args, f"{kind}_min_effect")
        if rule:
            changes[kind] = rule
    for name in ("alpha", "min_rows", "consecutive"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.window is not None:
        changes["window_seconds"] = parse_size(args.window)
    if changes:
        rules = drift_config.configure_drift(context.workspace, context.actor, project.id, **changes)
    else:
        rules = drift_config.drift_rules(context.workspace, project.id)
    return Result("\n".join([f"{project.name}: drift rules"] + drift_config.describe_rules(rules)),
                  {"project": project.name, "changed": sorted(changes), "rules": rules.to_dict()})
