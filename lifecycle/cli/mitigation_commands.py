"""CLI command of fairness mitigation: ``mitigate VERSION_ID --method M --constraint C [--sensitive COL]...``
creates a mitigated candidate version and prints its id and the trade-off against its base."""
from __future__ import annotations

import argparse

from lifecycle.cli.commands import Context, Result
from lifecycle.review.fair_models import CONSTRAINTS

METHODS = ("threshold_optimizer", "exponentiated_gradient", "correlation_remover")  # lifecycle.review.mitigation.METHODS


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    mitigate = groups.add_parser("mitigate", parents=[output],
                                 help="create a fairness-mitigated candidate version of a model (binary tasks)")
    mitigate.add_argument("version_id", type=int)
    mitigate.add_argument("--method", required=True, choices=METHODS)
    mitigate.add_argument("--constraint", required=True, choices=CONSTRAINTS)
    mitigate.add_argument("--sensitive", action="append", default=None, metavar="COL",
                          help="a sensitive column; repeat for several (default: the project's)")
    mitigate.add_argument("--max-iter", type=int, default=50, help="exponentiated gradient iterations (default 50)")
    mitigate.add_argument("--eps", type=float, default=0.01, help="exponentiated gradient constraint slack")
    mitigate.set_defaults(handler=mitigate_command)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def mitigate_command(context: Context, args: argparse.Namespace) -> Result:
    from lifecycle.review import mitigation  # scikit-learn and Fairlearn, only for this command
    from lifecycle.review import mitigation_tradeoff

    made = mitigation.create_candidate(context.workspace, context.actor, args.version_id, method=args.method,
                                       constraint=args.constraint, sensitive=args.sensitive, max_iter=args.max_iter,
                                       eps=args.eps)
    result, _ = mitigation_tradeoff.trade_off(context.workspace, context.actor, made.base.id, constraint=args.constraint,
                                     sensitive=made.run.params["sensitive"])
    lines = [f"Created model {made.version.label}: {mitigation.describe(made.run)} of {made.base.label} "
             f"(run #{made.run.id}).", *[f"note: {n}" for n in made.notes], "",
             f"Trade-off on {result.n_test:,} test rows ({result.metric}, lower is fairer):"]
    for point in result.points:
        lines.append(f"  {point.label:<28} accuracy {_number(point.accuracy)}  {result.metric} "
                     f"{_number(point.fairness)}  {point.description}")
    return Result("\n".join(lines), {"version_id": made.version.id, "run_id": made.run.id,
                                     "base_version_id": made.base.id, "notes": list(made.notes),
                                     "trade_off": result.to_dict()})
