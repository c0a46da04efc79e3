"""CLI command of stage 6 (Monitor): ``simulate``, traffic for a project in production.

Without ``--history-days`` it replays held-out rows through the project's running scoring service
over HTTP, like any client (no user needed, and the workspace is not opened when the held-out
rows were copied beside it before, so it works while the app holds the workspace). With
``--history-days`` it writes simulated days straight into the project's prediction and feedback
logs instead: that opens the workspace, needs a user allowed to, and is on the audit trail.
"""
from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from dataclasses import asdict

from lifecycle.cli.context import Context, Result
from lifecycle.errors import InputError

DEFAULT_RATE = 20.0  # rows a second


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    simulate = groups.add_parser("simulate", parents=[output],
                                 help="stage 6: send simulated traffic (held-out rows, optional drift, delayed "
                                      "labels) to a project's scoring service, or write simulated history")
    simulate.add_argument("--project", required=True, help="project name")
    simulate.add_argument("--rows", type=int, required=True, help="rows to send (with --history-days: in all)")
    simulate.add_argument("--rate", type=float, default=DEFAULT_RATE,
                          help=f"rows a second (default {DEFAULT_RATE:g})")
    simulate.add_argument("--drift", default="none",
                          help="drift spec, parts joined by ';': shift:COLUMN=+10, weight:COLUMN=CATEGORY:3, "
                               "label-rate:0.4, after:ROWS, from:TIME (default none)")
    simulate.add_argument("--label-delay", type=float, default=None,
                          help="seconds between an answer and its true label (default 30 live, 3600 in history; "
                               "0 at once)")
    simulate.add_argument("--label-share", type=float, default=1.0,
                          help="share of rows whose true label comes back (default 1)")
    simulate.add_argument("--batch", type=int, default=None, help="rows per request (default: about 4 requests "
                                                                  "a second)")
    simulate.add_argument("--seed", type=int, default=0, help="seed of the rows drawn and labelled (default 0)")
    simulate.add_argument("--history-days", type=int, default=None,
                          help="write this many days of past traffic into the log instead of sending requests")
    simulate.add_argument("--drift-day", type=int, default=0,
                          help="with --history-days: the day the drift starts, 0 the oldest (default 0)")
    simulate.set_defaults(handler=simulate_command, needs_actor=False)


def simulate_command(context: Context, args: argparse.Namespace) -> Result:
    """Replay ``--rows`` held-out rows of the project's production version through its running
    scoring service at ``--rate`` rows a second, with the ``--drift`` spec, sending true labels to
    ``/feedback`` after ``--label-delay`` seconds; progress on stderr, Ctrl+C stops after the current
    request. With ``--history-days D``: write D days of simulated history (``--rows`` spread evenly)
    into the logs instead, the drift from ``--drift-day``. Exit 0 when every request was answered
    (or the history written); 1 when the service refused some requests; 2 on bad input, a drift
    that does not fit the model, nothing in production, or the service not running (the message
    says how to start it)."""
    from lifecycle.cli.deploy import find_project
    from lifecycle.monitor.drift_spec import parse_drift

    drift = parse_drift(args.drift)
    if args.history_days is not None:
        return _history(context, args, drift)
    from lifecycle.deploy import process
    from lifecycle.deploy.paths import deploy_dir
    from lifecycle.monitor import simulate
    from lifecycle.monitor.replay_rows import production_manifest

    label_delay = simulate.DEFAULT_LABEL_DELAY if args.label_delay is None else args.label_delay
    simulate.check_replay(n_rows=args.rows, rate=args.rate, label_delay=label_delay, label_share=args.label_share,
                          batch_rows=args.batch)
    project_id = find_project(context.path, args.project)
    manifest = production_manifest(context.path, project_id)
    drift.check(manifest.production.input_schema, manifest.task)  # before asking for the service
    status = process.service_status(deploy_dir(context.path, project_id))
    if not status.running or not status.url:
        raise InputError(f"The scoring service of {args.project} is not running.",
                         f"Start it with `python -m lifecycle serve --project '{args.project}'` in another terminal "
                         "(or from the Deploy page, or by starting the app), then run simulate again.")
    rows = _rows(context, project_id)
    cancel = threading.Event()
    summary = _cancellable(cancel, lambda: simulate.replay(
        status.url, rows, n_rows=args.rows, rate=args.rate, drift=drift, label_delay=label_delay,
        label_share=args.label_share, batch_rows=args.batch, seed=args.seed, progress=_Printer(), cancel=cancel))
    text = (f"Sent {summary.rows_sent:,} rows of {rows.project} in {summary.requests:,} requests to {summary.url} "
            f"({summary.rows_answered:,} answered, {summary.refused:,} requests refused, {summary.drifted_rows:,} "
            f"drifted) in {summary.seconds:.1f} s; {summary.labels_sent:,} labels sent"
            + (f", {summary.labels_pending:,} dropped" if summary.labels_pending else "")
            + (f", {summary.labels_refused:,} refused" if summary.labels_refused else "")
            + (" (stopped early)" if summary.cancelled else "")
            + f". Request ids start with sim-{summary.tag}-.")
    if summary.first_refusal:
        text += f"\nfirst refusal: {summary.first_refusal}"
    return Result(text, {"project": rows.project, "version_id": rows.version_id, "drift": str(drift),
                         **asdict(summary)}, exit_code=1 if summary.refused else 0)


def _history(context: Context, args: argparse.Namespace, drift) -> Result:
    from lifecycle.monitor import history
    from lifecycle.problem import projects

    days = args.history_days
    if days < 1:
        raise InputError(f"--history-days {days} writes nothing.", "Give 1 or more days.")
    if args.rows < days:
        raise InputError(f"--rows {args.rows} is fewer than one row a day over {days} days.",
                         f"Give at least {days} rows.")
    actor = context.actor
    project = projects.find_project(context.workspace, args.project)
    summary = history.write_history(
        context.workspace, project.id, days=days, rows_per_day=math.ceil(args.rows / days), drift=drift,
        start_drift_day=args.drift_day,
        label_delay=history.DEFAULT_LABEL_DELAY if args.label_delay is None else args.label_delay,
        label_share=args.label_share, request_rows=args.batch or history.DEFAULT_REQUEST_ROWS, seed=args.seed,
        actor=actor)
    drifted = (f", {summary.drifted_rows:,} drifted ({summary.drift}) from {summary.drift_from:%Y-%m-%d %H:%M}"
               if summary.drift_from else "")
    text = (f"Wrote {summary.rows:,} simulated rows of {project.name} from {summary.start:%Y-%m-%d %H:%M} to "
            f"{summary.end:%Y-%m-%d %H:%M} UTC{drifted}; {summary.labels:,} labels "
            f"({summary.labels_pending:,} not due yet).")
    return Result(text, {"project": project.name, **asdict(summary)})


def _rows(context: Context, project_id: int):
    """The held-out rows: the copy beside the workspace when there is one (no database), else the workspace."""
    from lifecycle.monitor import replay_rows
    from lifecycle.problem import projects

    rows = replay_rows.cached_replay_rows(context.path, project_id)
    if rows is None:
        rows = replay_rows.replay_rows(context.workspace, projects.get_project(context.workspace, project_id))
    return rows


def _cancellable(cancel: threading.Event, work):
    """Run ``work`` with Ctrl+C (and SIGTERM) setting ``cancel`` instead of raising."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    previous = {number: signal.signal(number, lambda *_: cancel.set()) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        return work()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class _Printer:
    """Progress on stderr, one line each tenth of the way (the CLI's stdout stays the result)."""

    def __init__(self) -> None:
        self.shown: tuple[int, str] | None = None

    def __call__(self, fraction: float, message: str) -> None:
        step = (int(fraction * 10), message.split()[0])  # a new tenth, or a new phase (sending, waiting)
        if step != self.shown:
            self.shown = step
            print(message, file=sys.stderr, flush=True)
