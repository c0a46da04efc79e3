"""CLI commands of stage 7 (Retrain): ``compare`` (champion against challenger offline, on the same
labelled rows), ``version-diff`` (two versions side by side) and ``abtest start|status|conclude|rollback``
(A/B tests on live traffic with an always-valid verdict).

The domain modules (scipy, statsmodels, scikit-learn) are imported inside the commands.
"""
from __future__ import annotations

import argparse

from lifecycle.cli.context import Context, Result
from lifecycle.problem import projects


def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    compare = groups.add_parser("compare", parents=[output],
                                help="stage 7: version B against version A on the same labelled rows, with a verdict")
    compare.add_argument("version_a", type=int, help="the champion's model version id")
    compare.add_argument("version_b", type=int, help="the challenger's model version id")
    compare.add_argument("--metric", default=None, help="a metric of the task (default: the task's primary metric)")
    compare.add_argument("--resamples", type=int, default=1000, help="paired bootstrap resamples (default 1000)")
    compare.add_argument("--seed", type=int, default=0)
    compare.set_defaults(handler=compare_command, needs_actor=False)

    diff = groups.add_parser("version-diff", parents=[output],
                             help="stage 7: two model versions side by side (data, recipe, params, metrics, drivers)")
    diff.add_argument("version_a", type=int)
    diff.add_argument("version_b", type=int)
    diff.set_defaults(handler=version_diff_command, needs_actor=False)

    actions = groups.add_parser("abtest", help="stage 7: A/B tests on live traffic").add_subparsers(
        dest="action", required=True)
    start = actions.add_parser("start", parents=[output], help="split traffic between production and a staged challenger")
    start.add_argument("--project", required=True)
    start.add_argument("--champion", type=int, required=True, help="the production version's id")
    start.add_argument("--challenger", type=int, required=True, help="a staged, validated version's id")
    start.add_argument("--share", type=float, required=True, help="the challenger's share of traffic, in (0, 1)")
    start.add_argument("--mde", type=float, default=None,
                       help="minimum detectable effect (default: 0.05 of accuracy; regression: a tenth of the MAE)")
    start.add_argument("--alpha", type=float, default=0.05)
    start.add_argument("--power", type=float, default=0.8)
    start.add_argument("--baseline", type=float, default=None,
                       help="the champion's expected accuracy (or MAE); default: its stored validation")
    start.add_argument("--reason", default="")
    start.set_defaults(handler=abtest_start)
    status = actions.add_parser("status", parents=[output], help="the running test: outcomes, progress, verdict")
    status.add_argument("--project", required=True)
    status.set_defaults(handler=abtest_status, needs_actor=False)
    conclude = actions.add_parser("conclude", parents=[output],
                                  help="end the test: promote the challenger through the gates, or keep the champion")
    conclude.add_argument("--project", required=True)
    which = conclude.add_mutually_exclusive_group()
    which.add_argument("--promote", dest="decision", action="store_const", const="promote")
    which.add_argument("--keep", dest="decision", action="store_const", const="keep")
    conclude.add_argument("--reason", default="")
    conclude.set_defaults(handler=abtest_conclude, decision=None)
    rollback = actions.add_parser("rollback", parents=[output], help="stop the test now: all traffic to the champion")
    rollback.add_argument("--project", required=True)
    rollback.add_argument("--reason", required=True)
    rollback.set_defaults(handler=abtest_rollback)


def compare_command(context: Context, args: argparse.Namespace) -> Result:
    """Compare VERSION_B (challenger) with VERSION_A (champion) on B's held-out test rows: each one's
    metric, the difference with its interval (paired bootstrap; DeLong's for ROC AUC), McNemar's test
    for accuracy, and the verdict (better, worse, or no detectable difference). Exit 0 whatever the
    verdict; 2 on bad input (identical versions, another project's version, a metric that does not apply)."""
    from lifecycle.retrain.compare import compare_versions

    found = compare_versions(context.workspace, args.version_a, args.version_b, metric=args.metric,
                             n_resamples=args.resamples, seed=args.seed)
    lines = [found.sentence(), f"Rows: {found.source}."] + [f"Note: {note}" for note in found.notes]
    if found.mcnemar is not None:
        lines.append(f"McNemar: {found.mcnemar.only_a} rows only A got right, {found.mcnemar.only_b} only B, "
                     f"p = {found.mcnemar.p_value:.3g} ({'exact' if found.mcnemar.exact else 'chi-square'}).")
    boot = found.bootstrap
    if boot.low is not None:
        lines.append(f"Paired bootstrap ({boot.n_resamples} resamples, seed {boot.seed}): {boot.difference:+.4f} "
                     f"[{boot.low:+.4f}, {boot.high:+.4f}].")
    return Result("\n".join(lines), found.to_dict())


def version_diff_command(context: Context, args: argparse.Namespace) -> Result:
    """Print two versions side by side from what is on record: data version and size, split, recipe,
    algorithm and params, every held-out metric with its interval, objectives and fairness, top drivers;
    a '*' marks what differs. Exit 0; 2 for the same version twice or versions of different projects."""
    from lifecycle.retrain.diff import version_diff

    found = version_diff(context.workspace, args.version_a, args.version_b)
    width = max(len(r.aspect) for r in found.rows)
    lines = [f"{'':2}{'':{width}}  A: {found.version_a.label}  |  B: {found.version_b.label}"]
    section = None
    for row in found.rows:
        if row.section != section:
            section = row.section
            lines.append(f"{section}:")
        lines.append(f"{'*' if row.differs else ' '} {row.aspect:{width}}  {row.a}  |  {row.b}")
    return Result("\n".join(lines), found.to_dict())


def abtest_start(context: Context, args: argparse.Namespace) -> Result:
    """Start an A/B test: --challenger answers --share of the project's traffic beside the production
    version --champion, split by request id; prints the sample plan (labelled outcomes needed). Exit 0;
    2 on bad input (identical versions, a share outside (0, 1), a champion not in production, a
    challenger never validated or not staged, a test already running) or a refused permission."""
    from lifecycle.retrain import abtest

    project = projects.find_project(context.workspace, args.project)
    test = abtest.start_abtest(context.workspace, context.actor, project.id, champion_id=args.champion,
                               challenger_id=args.challenger, share=args.share, mde=args.mde, alpha=args.alpha,
                               power_=args.power, baseline=args.baseline, reason=args.reason)
    from lifecycle.retrain.power import SamplePlan

    plan = SamplePlan(**test.plan)
    return Result(f"A/B test #{test.id} started: version {test.challenger_id} answers {test.share:.0%} of "
                  f"{project.name}'s traffic, version {test.champion_id} the rest.\nPlan: {plan.describe()}",
                  {"test_id": test.id, "project": project.name, "champion": test.champion_id,
                   "challenger": test.challenger_id, "share": test.share, "plan": test.plan})


def abtest_status(context: Context, args: argparse.Namespace) -> Result:
    """Print the running test of the project: labelled outcomes per version, progress toward the planned
    number, the effect with its always-valid interval and p-value (mSPRT), and the verdict; or the last
    ended test when none runs. Exit 0; 2 for an unknown project."""
    from lifecycle.retrain import verdict

    project = projects.find_project(context.workspace, args.project)
    status = verdict.running_status(context.workspace, project.id)
    if status is None:
        ended = verdict.tests_for(context.workspace, project.id)
        if not ended:
            return Result(f"No A/B test on {project.name} yet.", {"project": project.name, "running": None})
        last = ended[0]
        return Result(f"No A/B test is running on {project.name}; the last, #{last.id}, ended "
                      f"{last.status.replace('_', ' ')} ({last.decision}).",
                      {"project": project.name, "running": None, "last": {"test_id": last.id, "status": last.status,
                                                                          "decision": last.decision,
                                                                          "result": last.result}})
    r = status.result
    text = (f"A/B test #{status.test.id} on {project.name}: v{status.champion.version} {r.n_a:,} outcomes, "
            f"v{status.challenger.version} {r.n_b:,}; {status.outcomes:,} of {status.plan.outcomes:,} planned "
            f"({status.progress:.0%}).\nTest: {r.test}.\nVerdict: {status.sentence()}")
    return Result(text, {"project": project.name, "running": status.to_dict(), "progress": status.progress})


def abtest_conclude(context: Context, args: argparse.Namespace) -> Result:
    """Conclude the running test: --promote moves the challenger to production through the normal gate,
    --keep returns all traffic to the champion; neither follows the verdict. The decision, its numbers and
    who made it go to the audit trail. Exit 0; 1 when the production gate refuses (the challenger is not
    approved); 2 on bad input (no running test, no labelled outcomes, promoting a challenger found worse)."""
    from lifecycle.errors import GateRefused
    from lifecycle.retrain import abtest

    project = projects.find_project(context.workspace, args.project)
    try:
        ended, status = abtest.conclude_abtest(context.workspace, context.actor, project.id, decision=args.decision,
                                               reason=args.reason)
    except GateRefused as refused:
        return Result(f"refused: {refused}", {"project": project.name, "refused": str(refused)}, exit_code=1)
    return Result(f"A/B test #{ended.id} concluded: challenger {ended.decision}. {status.sentence()}",
                  {"project": project.name, "test_id": ended.id, "decision": ended.decision, "result": ended.result})


def abtest_rollback(context: Context, args: argparse.Namespace) -> Result:
    """Stop the running test now: all traffic back to the champion, the test on record as rolled back
    with its numbers so far and the reason. Exit 0; 2 when no test runs, no reason, or the role may not."""
    from lifecycle.retrain import abtest

    project = projects.find_project(context.workspace, args.project)
    ended = abtest.rollback_abtest(context.workspace, context.actor, project.id, args.reason)
    return Result(f"A/B test #{ended.id} rolled back: all traffic to version {ended.champion_id}.",
                  {"project": project.name, "test_id": ended.id, "status": ended.status})
