"""CLI commands of stage 7 (Retrain): ``retrain --project NAME [--policy ID] [--wait]`` (what is due,
or one policy now) and ``retrain policy add|list|disable|enable`` (retraining policies), ``compare``
(champion against challenger offline, on the same labelled rows), ``version-diff`` (two versions side
by side) and ``abtest start|status|conclude|rollback`` (A/B tests on live traffic with an always-valid
verdict).

The domain modules (scipy, statsmodels, scikit-learn) are imported inside the commands.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime

from lifecycle.cli.context import Context, Result
from lifecycle.errors import InputError
from lifecycle.problem import projects



def add_parsers(groups, output: argparse.ArgumentParser) -> None:
    _retrain_parsers(groups, output)
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


# ----------------------------------------------------------------------------- retrain and policies

def _retrain_parsers(groups, output: argparse.ArgumentParser) -> None:
    retrain = groups.add_parser("retrain", parents=[output],
                                help="stage 7: retrain by policy: what is due now, or --policy ID now; policies")
    retrain.add_argument("--project", dest="retrain_project", default=None, help="the project's name")
    retrain.add_argument("--policy", type=int, default=None, help="run this policy now (a manual retrain)")
    retrain.add_argument("--wait", action="store_true",
                         help="follow each retrain on stderr and exit 1 unless every one ends done")
    retrain.set_defaults(handler=retrain_command)
    policy = retrain.add_subparsers(dest="retrain_group").add_parser(
        "policy", help="retraining policies: when, on which rows, with which search").add_subparsers(
        dest="policy_action", required=True)
    add = policy.add_parser("add", parents=[output], help="a new policy (enabled)")
    add.add_argument("--project", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--trigger", default="manual", help="manual (default), alert or schedule")
    add.add_argument("--alert-kinds", default=None, help="alert trigger: drift,objective (default both)")
    add.add_argument("--every-days", type=float, default=None, help="schedule trigger: days between retrains")
    add.add_argument("--window", default="both",
                     help="reference (the production version's dataset version), production (labelled production "
                          "rows) or both (default)")
    add.add_argument("--last-days", type=float, default=None, help="production rows of the last N days only")
    add.add_argument("--since", default=None, help="production rows logged from this time on (ISO 8601, UTC)")
    add.add_argument("--until", default=None, help="production rows logged before this time (ISO 8601, UTC)")
    add.add_argument("--search", default="production_search",
                     help="the production version's search (default), its parameters refitted, or custom")
    add.add_argument("--algorithm", default=None, help="custom search: the algorithm")
    add.add_argument("--method", default=None, help="custom search: none, grid, random (default) or halving")
    add.add_argument("--space", default=None, help="custom search: the search space as JSON")
    add.add_argument("--trials", type=int, default=None)
    add.add_argument("--cv-folds", type=int, default=None)
    add.add_argument("--seed", type=int, default=None)
    add.set_defaults(handler=policy_add)
    listed = policy.add_parser("list", parents=[output], help="the project's policies and what is due")
    listed.add_argument("--project", required=True)
    listed.set_defaults(handler=policy_list, needs_actor=False)
    for action, handler in (("disable", policy_disable), ("enable", policy_enable)):
        sub = policy.add_parser(action, parents=[output], help=f"{action} a policy")
        sub.add_argument("policy_id", type=int)
        sub.set_defaults(handler=handler)


def _when(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a time.", "Write it as ISO 8601, e.g. 2026-11-01T00:00.") from None
    if found.tzinfo is not None:
        from datetime import timezone
        found = found.astimezone(timezone.utc).replace(tzinfo=None)
    return found


def _progress(done: int, total: int | None = None, item=None, message: str | None = None) -> None:
    print(f"[{done}/{total or '?'}] {message or ''}", file=sys.stderr, flush=True)


def _retrain_json(retrain) -> dict:
    from dataclasses import asdict
    return asdict(retrain)


def _retrain_text(workspace, retrain) -> str:
    from lifecycle.retrain.lineage import lineage

    lines = [f"Retrain #{retrain.id} ({retrain.trigger}) {retrain.state}."]
    lines += [f"  {step.link}: {step.text}" for step in lineage(workspace, retrain) if step.link != "end"]
    lines += [f"  note: {note}" for note in retrain.notes]
    if retrain.message:
        lines.append(f"  {retrain.message}")
    return "\n".join(lines)


def retrain_command(context: Context, args: argparse.Namespace) -> Result:
    """Retrain a project: with --policy ID, that policy now (a manual retrain by --user); without it,
    every policy that is due (its alerts not yet acted on, its schedule come due), each acting as its
    policy's owner. The retrain runs here, in the foreground (no daemon is left behind): a new dataset
    version from the window, the same search, the best run registered and validated, compared with the
    production version; its lineage is printed. Exit 0 when the retrains are on record (their state in
    the output); with --wait 1 unless every one ended done; 2 on bad input (an unknown project or
    policy, a disabled policy, no production version, a window of labelled production rows with none in
    range, a retrain already running on the project)."""
    from lifecycle.retrain import retraining, triggers

    if not args.retrain_project:
        raise InputError("Name the project to retrain.", "Use `retrain --project NAME [--policy ID]`.")
    project = projects.find_project(context.workspace, args.retrain_project)
    progress = _progress if args.wait else None
    if args.policy is not None:
        from lifecycle.retrain.policies import get_policy

        policy = get_policy(context.workspace, args.policy)
        if policy.project_id != project.id:
            raise InputError(f"Policy #{policy.id} belongs to another project.",
                             f"List {project.name}'s with `retrain policy list --project {project.name!r}`.")
        made = [retraining.start_retrain(context.workspace, context.actor, policy.id, background=False,
                                         progress=progress)]
    else:
        made = triggers.run_due(context.workspace, project_id=project.id, background=False, progress=progress)
    if not made:
        return Result(f"Nothing is due on {project.name}.", {"project": project.name, "retrains": []})
    text = "\n".join(_retrain_text(context.workspace, r) for r in made)
    failed = [r for r in made if r.state != "done"]
    return Result(text, {"project": project.name, "retrains": [_retrain_json(r) for r in made]},
                  exit_code=1 if args.wait and failed else 0)


def policy_add(context: Context, args: argparse.Namespace) -> Result:
    """Save a retraining policy of the project: --trigger manual, alert (on each open alert of
    --alert-kinds, once per alert) or schedule (--every-days); --window and its time range; --search.
    Exit 0; 2 on bad input (an unknown algorithm or window, a bad period, range or search space, a name
    in use) or a refused permission; nothing is written then."""
    from lifecycle.retrain import policies

    project = projects.find_project(context.workspace, args.project)
    window = policies.data_window(args.window, since=_when(args.since, "--since"), until=_when(args.until, "--until"),
                                  last_days=args.last_days)
    search = policies.search_choice(args.search, algorithm=args.algorithm, method=args.method, space=args.space,
                                    trials=args.trials, cv_folds=args.cv_folds, seed=args.seed)
    kinds = tuple(k.strip() for k in args.alert_kinds.split(",") if k.strip()) if args.alert_kinds else ()
    policy = policies.create_policy(context.workspace, context.actor, project.id, name=args.name, trigger=args.trigger,
                                    window=window, search=search, alert_kinds=kinds, every_days=args.every_days)
    return Result(f"Policy #{policy.id} ({policy.name}) saved. {policies.describe(policy)}", _policy_json(policy))


def _policy_json(policy) -> dict:
    from dataclasses import asdict
    return asdict(policy)


def policy_list(context: Context, args: argparse.Namespace) -> Result:
    """List the project's retraining policies (enabled or not, who automatic retrains act as) and what is
    due now. Exit 0; 2 for an unknown project."""
    from lifecycle.retrain import policies, triggers

    project = projects.find_project(context.workspace, args.project)
    found = policies.list_policies(context.workspace, project.id)
    due = triggers.due_policies(context.workspace, project_id=project.id)
    lines = [f"#{p.id} {p.name} [{'enabled' if p.enabled else 'disabled'}, acts as {p.owner}]: {policies.describe(p)}"
             for p in found] or [f"No retraining policy on {project.name} yet."]
    lines += [f"Due: #{d.policy.id} {d.policy.name} ({d.reason})" for d in due]
    return Result("\n".join(lines), {"project": project.name, "policies": [_policy_json(p) for p in found],
                                     "due": [{"policy_id": d.policy.id, "trigger": d.trigger.kind,
                                              "alert_id": d.trigger.alert_id, "scheduled_for": d.trigger.scheduled_for,
                                              "reason": d.reason} for d in due]})


def policy_disable(context: Context, args: argparse.Namespace) -> Result:
    """Disable a policy: it fires no more, its retrains stay on record. Exit 0; 2 for an unknown or
    already disabled policy, or a refused permission."""
    from lifecycle.retrain import policies

    policy = policies.disable_policy(context.workspace, context.actor, args.policy_id)
    return Result(f"Policy #{policy.id} ({policy.name}) disabled.", _policy_json(policy))


def policy_enable(context: Context, args: argparse.Namespace) -> Result:
    """Enable a disabled policy again; its automatic retrains act as --user from now on. Exit 0; 2 for
    an unknown or already enabled policy, or a refused permission."""
    from lifecycle.retrain import policies

    policy = policies.enable_policy(context.workspace, context.actor, args.policy_id)
    return Result(f"Policy #{policy.id} ({policy.name}) enabled; it acts as {policy.owner}.", _policy_json(policy))
