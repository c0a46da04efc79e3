"""CLI commands of the review evidence on a model version (stage 4's Explain and Fairness sections):
``explain``, ``fairness`` and ``mitigate``.

scikit-learn, SHAP and Fairlearn are slow to import, so every domain module is imported inside
its command; the parser's choices and defaults are copied here as plain values (a unit test
checks them against the domain's)."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from lifecycle.cli.context import Context, Result

if TYPE_CHECKING:
    from lifecycle.records import Objective
    from lifecycle.validate.fairness_review import FairnessReport

MIN_GROUP_SIZE = 30  # lifecycle.validate.fairness_review.MIN_GROUP_SIZE
DEFAULT_BOOTSTRAP = 200  # lifecycle.validate.fairness_review.DEFAULT_BOOTSTRAP
METHODS = ("threshold_optimizer", "exponentiated_gradient", "correlation_remover")  # lifecycle.review.mitigation.METHODS
CONSTRAINTS = ("demographic_parity", "equalized_odds")  # lifecycle.review.fair_models.CONSTRAINTS


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    explain = groups.add_parser("explain", parents=[output],
                                help="SHAP importance of a model version by source column (stored as evidence)")
    explain.add_argument("version_id", type=int)
    explain.add_argument("--rows", type=int, default=None,
                         help="test rows to explain (default 500)")
    explain.add_argument("--seed", type=int, default=0, help="seed of the row and background samples")
    explain.add_argument("--class", dest="target_class", default=None,
                         help="multiclass: the class to explain (default: the model's first class)")
    explain.set_defaults(handler=explain_command)

    fairness = groups.add_parser(
        "fairness", parents=[output],
        help="group metrics, and fairness differences and ratios with bootstrap intervals, of a model version")
    fairness.add_argument("version_id", type=int)
    fairness.add_argument("--sensitive", action="append", default=None, metavar="COL",
                          help="a sensitive column; repeat for several (default: the project's)")
    fairness.add_argument("--min-group-size", type=int, default=MIN_GROUP_SIZE,
                          help=f"smaller groups are flagged and not compared (default {MIN_GROUP_SIZE})")
    fairness.add_argument("--bootstrap", type=int, default=DEFAULT_BOOTSTRAP, help="bootstrap resamples")
    fairness.add_argument("--seed", type=int, default=0)
    fairness.set_defaults(handler=fairness_command)

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


# ----------------------------------------------------------------------------- explain

def explain_command(context: Context, args: argparse.Namespace) -> Result:
    """Print which source columns drive a model version (mean |SHAP| over test rows, largest first),
    the notes, a summary and its main drivers; computed once, then read from the store.
    Exit 0; 2 on a refused permission or bad input (an unknown version or class)."""
    from lifecycle.models import registry
    from lifecycle.review import explain

    version = registry.get_version(context.workspace, args.version_id)
    explanation, stored, from_store = explain.explain_version(
        context.workspace, context.actor, version,
        rows=explain.DEFAULT_ROWS if args.rows is None else args.rows, seed=args.seed, target_class=args.target_class)
    width = max(len(c) for c in explanation.importance)
    lines = [f"Model {version.label}: mean |SHAP| ({explanation.output}) over {explanation.rows:,} test rows, "
             f"{explanation.method} explainer" + (" (from the store)" if from_store else "")]
    lines += [f"  {column:<{width}}  {value:.4g}" for column, value in explanation.importance.items()]
    lines += [f"  {note}" for note in explanation.notes]
    lines.append(explanation.summary)
    lines += [f"  - {driver.statement}" for driver in explanation.drivers]
    return Result("\n".join(lines), {
        "version_id": version.id, "evidence_id": stored.id, "from_store": from_store, "method": explanation.method,
        "output": explanation.output, "target_class": explanation.target_class, "rows": explanation.rows,
        "available_rows": explanation.available_rows, "seed": explanation.seed,
        "base_value": explanation.base_value,
        "importance": [{"column": c, "mean_abs_shap": v} for c, v in explanation.importance.items()],
        "drivers": [{"column": d.column, "direction": d.direction, "statement": d.statement}
                    for d in explanation.drivers],
        "notes": list(explanation.notes)})


# ----------------------------------------------------------------------------- fairness

def report_text(report: FairnessReport, objectives: tuple[Objective, ...] = ()) -> list[str]:
    """The group tables and the differences with their intervals, as plain text lines."""
    from lifecycle.validate.fairness_review import judge, label

    def verdict(objective: Objective | None, disparity) -> str:
        status = judge(objective, disparity)
        return f"  objective {objective.comparator} {objective.threshold:g}: {status}" if status else ""

    by_metric = {o.metric: o for o in objectives}
    columns = [m for m in report.metric_names if m != "count"]
    lines = [f"Decisions: {report.decision}.",
             f"{report.n_bootstrap} bootstrap resamples (seed {report.seed}), {report.confidence:.0%} "
             f"percentile intervals; groups under {report.min_group_size} rows are flagged and not compared."]
    for grouping in report.groupings:
        width = max([len(g.group) for g in grouping.groups] + [5]) + 2
        lines += ["", grouping.name,
                  "  " + "group".ljust(width) + "rows".rjust(8) + "".join(f"  {m[:18]:>18}" for m in columns)]
        for group in grouping.groups:
            lines.append("  " + group.group.ljust(width) + f"{group.count:>8,}"
                         + "".join(f"  {_number(group.metrics.get(m)):>18}" for m in columns)
                         + ("  (small: not compared)" if group.small else ""))
        for disparity in grouping.disparities:
            interval = "" if disparity.low is None else f" [{_number(disparity.low)}, {_number(disparity.high)}]"
            lines.append(f"  {label(disparity.metric)}: {_number(disparity.value)}{interval}"
                         + verdict(by_metric.get(disparity.metric), disparity))
        lines += [f"  note: {note}" for note in grouping.notes]
    lines += [f"note: {note}" for note in report.notes]
    return lines


def fairness_command(context: Context, args: argparse.Namespace) -> Result:
    """Print the fairness review of a model version: per sensitive grouping, a table of group metrics,
    then each difference or ratio with its bootstrap interval and the objective's verdict; stored as
    evidence and read back on a repeat. Exit 0; 2 on a refused permission or bad input."""
    from lifecycle.models import registry
    from lifecycle.review import fairness_evidence

    version = registry.get_version(context.workspace, args.version_id)
    stored = fairness_evidence.review_version(context.workspace, context.actor, version.id,
                                              sensitive=args.sensitive, seed=args.seed, n_bootstrap=args.bootstrap,
                                              min_group_size=args.min_group_size)
    objectives = fairness_evidence.fairness_objectives(context.workspace, version.project_id)
    origin = "read from the store" if stored.from_store else "computed now"
    lines = [f"Fairness review of model {version.label} on {stored.report.n_rows:,} test rows "
             f"(evidence #{stored.evidence.id}, {origin})", *report_text(stored.report, objectives)]
    return Result("\n".join(lines), {"version_id": version.id, "evidence_id": stored.evidence.id,
                                     "from_store": stored.from_store, "report": stored.report.to_dict()})


# ----------------------------------------------------------------------------- mitigation

def mitigate_command(context: Context, args: argparse.Namespace) -> Result:
    """Create a fairness-mitigated candidate version of a model; prints "Created model LABEL: ...", its
    notes, and the accuracy / fairness trade-off of the base and every candidate on the test rows.
    Exit 0; 2 on a refused permission or bad input (not binary, no sensitive attribute...)."""
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
