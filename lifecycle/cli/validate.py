"""CLI commands of stage 4 (Validate) and the model state machine: ``validate``, ``approve`` (a
sign-off with the decision approve: see ``cli/govern.py``) and ``move`` (which also rejects:
``move ID rejected --reason ...``)."""
from __future__ import annotations

import argparse

from lifecycle.cli.context import Context, Result
from lifecycle.errors import GateRefused


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    validate = groups.add_parser("validate", parents=[output],
                                 help="stage 4: judge a model version; exit 0 when every blocking objective passes")
    validate.add_argument("version_id", type=int)
    validate.add_argument("--seed", type=int, default=0)
    validate.add_argument("--bootstrap", type=int, default=200)
    validate.add_argument("--cost-fn", type=float, default=None, help="binary: cost of a missed positive")
    validate.add_argument("--cost-fp", type=float, default=None, help="binary: cost of a false alarm")
    validate.set_defaults(handler=validate_command)

    approve = groups.add_parser("approve", parents=[output],
                                help="sign a version off with the decision approve (as `signoff --decision approve`)")
    approve.add_argument("version_id", type=int)
    approve.add_argument("--reason", default="approved from the command line", help="the sign-off's comment")
    approve.add_argument("--item", action="append", default=[], metavar="ID=JUDGEMENT[:COMMENT]",
                         help="judge one checklist item, as with signoff")
    approve.set_defaults(handler=approve_command)

    move = groups.add_parser("move", parents=[output], help="move a model version to another state")
    move.add_argument("version_id", type=int)
    move.add_argument("state")
    move.add_argument("--reason", required=True)
    move.set_defaults(handler=move_command)


def validate_command(context: Context, args: argparse.Namespace) -> Result:
    """Validate a model version on its test split; prints PASS or FAIL with the report id and one line
    per objective (status, value, interval). A passing candidate moves to validated. Exit 0 when every
    blocking objective passes, 1 when one fails, 2 on a refused permission or bad input."""
    from lifecycle.validate import stage as validate_stage

    outcome = validate_stage.validate_version(context.workspace, context.actor, args.version_id, seed=args.seed,
                                              n_bootstrap=args.bootstrap, cost_fn=args.cost_fn, cost_fp=args.cost_fp)
    report = outcome.report
    lines = [f"Model {outcome.version.label}: {'PASS' if report.passed else 'FAIL'} (report #{outcome.stored.id}), "
             f"{report.class_count_text}"]
    for verdict in report.verdicts:
        interval = "" if verdict.low is None else f" [{verdict.low:.4f}, {verdict.high:.4f}]"
        value = "—" if verdict.value is None else f"{verdict.value:.4f}"
        estimate = report.metrics.get(verdict.metric)
        why = verdict.reason if verdict.value is None else (estimate.unreliable if estimate is not None else "")
        lines.append(f"  {verdict.status:<10} {verdict.objective}{'' if verdict.blocking else ' (advisory)'}: "
                     f"{value}{interval}" + (f" — {why}" if why else ""))
    return Result("\n".join(lines), {"version_id": outcome.version.id, "state": outcome.version.state,
                                     "passed": report.passed, "report_id": outcome.stored.id,
                                     "report": report.to_dict()},
                  exit_code=0 if report.passed else 1)


def approve_command(context: Context, args: argparse.Namespace) -> Result:
    """Approval is the Govern stage's sign-off: this records the acting reviewer's sign-off with the
    decision approve (``signoff ID --decision approve --comment REASON``); the version is approved once
    as many reviewers as its risk tier needs have signed. Prints the outcome. Exit 0 when recorded; 1
    when blocking evidence or a blocking statement is missing (named); 2 on a refused permission (not a
    reviewer, their own model) or bad input."""
    from lifecycle.cli.govern import signoff_result

    return signoff_result(context, args.version_id, "approve", args.reason, args.item)


def move_command(context: Context, args: argparse.Namespace) -> Result:
    """Move a model version to STATE through its gate (staging, production, rejected...; retiring is
    the `retire` command), rewriting the deployment manifest when serving changes; prints "Model version ID is now STATE."
    Exit 0; 1 when the gate refuses (not validated, not approved: CI stops there); 2 when the move
    does not exist, the reason is missing or the role may not make it."""
    return _move(context, args.version_id, args.state, args.reason)


def _move(context: Context, version_id: int, state: str, reason: str) -> Result:
    from lifecycle.deploy import promotion

    try:
        version = promotion.move(context.workspace, context.actor, version_id, state, reason)
    except GateRefused as refused:
        return Result(f"refused: {refused}", {"version_id": version_id, "state": state, "refused": str(refused)},
                      exit_code=1)
    return Result(f"Model version {version.id} is now {version.state}.",
                  {"version_id": version.id, "state": version.state})
