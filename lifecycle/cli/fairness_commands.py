"""CLI command of the fairness review: ``fairness VERSION_ID [--sensitive COL]...``."""
from __future__ import annotations

import argparse

from lifecycle.cli.commands import Context, Result
from lifecycle.validate.fairness_review import DEFAULT_BOOTSTRAP, MIN_GROUP_SIZE, FairnessReport, judge, label
from lifecycle.records import Objective


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
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


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


def _verdict(objective: Objective | None, disparity) -> str:
    status = judge(objective, disparity)
    return f"  objective {objective.comparator} {objective.threshold:g}: {status}" if status else ""


def report_text(report: FairnessReport, objectives: tuple[Objective, ...] = ()) -> list[str]:
    """The group tables and the differences with their intervals, as plain text lines."""
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
                         + _verdict(by_metric.get(disparity.metric), disparity))
        lines += [f"  note: {note}" for note in grouping.notes]
    lines += [f"note: {note}" for note in report.notes]
    return lines


def fairness_command(context: Context, args: argparse.Namespace) -> Result:
    from lifecycle.review import fairness_evidence
    from lifecycle.models import registry

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
