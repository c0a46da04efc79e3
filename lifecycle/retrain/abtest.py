"""A/B tests on live traffic: start one between the production version (the champion) and a staged
challenger, conclude it (promote the winner through the normal gates, or keep the champion), or roll
it back at any point.

The split is on record as deployments: while a test runs the champion's production deployment
answers ``1 − share`` and a ``challenger`` deployment answers ``share``; the deployment manifest is
rewritten from that record (``deploy.promotion.sync_manifest``) and the scoring service, which
already routes each request by a hash of its request id, sends the same request id to the same
version every time. While the split holds, moves that would change who answers are refused
(``models.states.refuse_during_split``). Every start, conclusion and rollback is one transaction
with its audit event; bad input changes nothing.
"""
from __future__ import annotations

from dataclasses import asdict

from lifecycle.auth import Permission, require
from lifecycle.deploy.promotion import expected_manifest, sync_manifest
from lifecycle.errors import InputError
from lifecycle.models import states
from lifecycle.models.registry import get_version
from lifecycle.problem.projects import get_project
from lifecycle.records import ABTest, ModelState, ModelVersion, User
from lifecycle.retrain import outcomes as outcome_rules
from lifecycle.retrain import power
from lifecycle.retrain.verdict import ABTestStatus, CHAMPION_BETTER, abtest_status
from lifecycle.store import abtests as abtest_store
from lifecycle.store import audit_log
from lifecycle.store import deployments as deployment_store
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

DEFAULT_MDE_POINTS = 0.05  # classification: five points of accuracy
DEFAULT_MDE_SHARE_OF_ERROR = 0.10  # regression: a tenth of the champion's mean absolute error
PROMOTE, KEEP = "promote", "keep"


def _production(cursor, project_id: int):
    return next((d for d in deployment_store.active(cursor, project_id) if d.role == "production"), None)


def _baseline(workspace: Workspace, champion: ModelVersion, kind: str) -> tuple[float, float]:
    """The champion's held-out accuracy (and its sd), or its mean absolute error and the sd of the absolute
    errors, from its newest stored validation. Raises InputError when the report lacks them."""
    stored = model_store.latest_validation(workspace.db.cursor(), champion.id)
    report = stored.report if stored is not None else {}
    if kind == outcome_rules.CORRECT:
        value = ((report.get("metrics") or {}).get("accuracy") or {}).get("value")
        if value is None:
            raise InputError(f"Model {champion.label} has no held-out accuracy on record to plan the test from.",
                             "Validate it again, or give the champion's expected accuracy (--baseline).")
        return float(value), float((value * (1 - value)) ** 0.5)
    residuals = report.get("residuals") or {}
    pairs = [(a, p) for a, p in zip(residuals.get("actual") or (), residuals.get("predicted") or ())
             if a is not None and p is not None]
    if len(pairs) < 2:
        raise InputError(f"Model {champion.label} has no held-out residuals on record to plan the test from.",
                         "Validate it again, or give the champion's mean absolute error (--baseline) and its spread.")
    errors = [abs(p - a) for a, p in pairs]
    mean = sum(errors) / len(errors)
    sd = (sum((e - mean) ** 2 for e in errors) / (len(errors) - 1)) ** 0.5
    return mean, sd


def plan_for(workspace: Workspace, champion_id: int, *, share: float, mde: float | None = None,
             alpha: float = 0.05, power_: float = 0.8, baseline: float | None = None) -> power.SamplePlan:
    """The sample plan of an A/B test against ``champion_id`` (what the calculator shows before a test
    starts): the baseline from the champion's stored validation unless given, the MDE by default five
    points of accuracy (classification) or a tenth of its mean absolute error (regression).
    Raises InputError for values out of range or a baseline that cannot be found."""
    champion = get_version(workspace, champion_id)
    kind = outcome_rules.outcome_kind(get_project(workspace, champion.project_id).task)
    if baseline is None:
        baseline, sd = _baseline(workspace, champion, kind)
    elif kind == outcome_rules.CORRECT:
        sd = (baseline * (1 - baseline)) ** 0.5 if 0 < baseline < 1 else 0.0
    else:
        sd = baseline  # an absolute error's spread is about its mean (half-normal: 0.76×; exponential: 1×)
    if kind == outcome_rules.CORRECT:
        return power.plan_proportions(baseline, DEFAULT_MDE_POINTS if mde is None else mde, alpha=alpha,
                                      power=power_, share=share)
    return power.plan_means(baseline, sd, DEFAULT_MDE_SHARE_OF_ERROR * baseline if mde is None else mde,
                            alpha=alpha, power=power_, share=share)


def _check_start(workspace: Workspace, project_id: int, champion_id: int, challenger_id: int,
                 share: float) -> tuple[ModelVersion, ModelVersion]:
    if champion_id == challenger_id:
        raise InputError(f"The champion and the challenger are the same version (#{champion_id}).",
                         "Pick a different challenger: a staged version of this project.")
    if not 0 < share < 1:
        raise InputError(f"The challenger's share {share:g} is outside (0, 1).",
                         "Give it a share strictly between 0 and 1, e.g. 0.2 for a fifth of the traffic.")
    champion, challenger = get_version(workspace, champion_id), get_version(workspace, challenger_id)
    for version in (champion, challenger):
        if version.project_id != project_id:
            raise InputError(f"Model {version.label} belongs to another project.", "Pick versions of this project.")
    cursor = workspace.db.cursor()
    production = _production(cursor, project_id)
    if production is None or production.model_version_id != champion.id:
        serving = "nothing" if production is None else f"version #{production.model_version_id}"
        raise InputError(f"Model {champion.label} is not the production version ({serving} is).",
                         "The champion is the version in production; promote it first (Deploy).")
    if not challenger.state.reached(ModelState.VALIDATED):
        raise InputError(f"Model {challenger.label} was never validated.",
                         "Validate it (Validate page or `validate ID`), then move it to staging.")
    if challenger.state != ModelState.STAGING:
        raise InputError(f"Model {challenger.label} is not in staging.",
                         "Move it to staging first (Deploy page or `move ID staging`).")
    running = abtest_store.running(cursor, project_id)
    if running is not None:
        raise InputError(f"A/B test #{running.id} (#{running.champion_id} vs #{running.challenger_id}) is already "
                         "running on this project.", "Conclude or roll it back before starting another.")
    shadow = next((d for d in deployment_store.active(cursor, project_id) if d.role == "shadow"), None)
    if shadow is not None and shadow.model_version_id == challenger.id:
        raise InputError(f"Model {challenger.label} is the shadow; it cannot also answer traffic.",
                         "Stop the shadow on the Deploy page first.")
    return champion, challenger


def start_abtest(workspace: Workspace, actor: User, project_id: int, *, champion_id: int, challenger_id: int,
                 share: float, mde: float | None = None, alpha: float = 0.05, power_: float = 0.8,
                 baseline: float | None = None, reason: str = "") -> ABTest:
    """Start an A/B test: ``challenger_id`` (a staged, validated version) answers ``share`` of the
    project's traffic beside the production version ``champion_id``, with the sample plan
    (``plan_for``) on record. Raises PermissionDenied (RUN_EXPERIMENT) or InputError (identical
    versions, share outside (0, 1), a champion not in production, a challenger never validated or not
    staged, a test already running); nothing changes then."""
    require(actor, Permission.RUN_EXPERIMENT)
    champion, challenger = _check_start(workspace, project_id, champion_id, challenger_id, share)
    plan = plan_for(workspace, champion.id, share=share, mde=mde, alpha=alpha, power_=power_, baseline=baseline)
    kind = outcome_rules.outcome_kind(get_project(workspace, project_id).task)
    why = reason.strip() or f"A/B test of v{challenger.version} against v{champion.version}"
    with workspace.db.transaction() as cursor:
        test = abtest_store.insert(cursor, project_id=project_id, champion_id=champion.id,
                                   challenger_id=challenger.id, share=share, outcome=kind, plan=asdict(plan),
                                   started_by=actor.name, reason=why)
        note = f"A/B test #{test.id}: v{challenger.version} answers {share:.0%}"
        _split(cursor, project_id, champion.id, 1 - share, actor.name, note)
        deployment_store.start(cursor, project_id=project_id, model_version_id=challenger.id, role="challenger",
                               share=share, started_by=actor.name, reason=note)
        audit_log.append(cursor, actor=actor.name, action="abtest.started", entity=f"abtest:{test.id}",
                         details={"project_id": project_id, "champion": champion.id, "challenger": challenger.id,
                                  "share": share, "planned_outcomes": plan.outcomes, "mde": plan.mde,
                                  "alpha": plan.alpha, "power": plan.power, "tau2": plan.tau2, "reason": why})
        expected_manifest(workspace, project_id)  # a missing artifact refuses here, before anything is committed
    sync_manifest(workspace, project_id, actor.name)
    return test


def _split(cursor, project_id: int, champion_id: int, share: float, actor_name: str, reason: str) -> None:
    """End the champion's production deployment and start it again at ``share`` (a row per period and share)."""
    current = _production(cursor, project_id)
    deployment_store.end(cursor, current.id, ended_by=actor_name, reason=reason)
    deployment_store.start(cursor, project_id=project_id, model_version_id=champion_id, role="production",
                           share=share, started_by=actor_name, reason=reason)


def _running(workspace: Workspace, project_id: int) -> ABTest:
    test = abtest_store.running(workspace.db.cursor(), project_id)
    if test is None:
        raise InputError(f"No A/B test is running on project #{project_id}.",
                         "Start one first (Retrain page or `abtest start`).")
    return test


def _end_split(cursor, test: ABTest, actor_name: str, reason: str, *, restore_champion: bool) -> None:
    for deployment in deployment_store.active(cursor, test.project_id):
        if deployment.role == "challenger":
            deployment_store.end(cursor, deployment.id, ended_by=actor_name, reason=reason)
    if restore_champion:
        _split(cursor, test.project_id, test.champion_id, 1.0, actor_name, reason)


def conclude_abtest(workspace: Workspace, actor: User, project_id: int, *, decision: str | None = None,
                    reason: str = "") -> tuple[ABTest, ABTestStatus]:
    """Conclude the running test on its verdict: ``promote`` moves the challenger to production through
    the normal gate (it needs the reviewers' sign-off; the champion goes back to staging), ``keep``
    returns all traffic to the champion; ``None`` follows the verdict (promote only a challenger found
    better). The decision, its numbers and who made it go to the audit trail. Raises InputError (no
    running test, no labelled outcomes, promoting a challenger the test found worse, an unknown
    decision), GateRefused (the challenger is not approved) or PermissionDenied; nothing changes then.
    Returns the ended test and the status it was concluded on."""
    require(actor, Permission.RUN_EXPERIMENT)
    if decision not in (None, PROMOTE, KEEP):
        raise InputError(f"Unknown decision {decision!r}.", f"Use {PROMOTE!r} or {KEEP!r}.")
    test = _running(workspace, project_id)
    status = abtest_status(workspace, test)
    if status.outcomes == 0:
        raise InputError(f"A/B test #{test.id} has no labelled outcomes yet, so there is no verdict to conclude on.",
                         "Wait for feedback on answered requests, or roll the test back.")
    decision = decision or (PROMOTE if status.winner == "challenger" else KEEP)
    if decision == PROMOTE and status.verdict == CHAMPION_BETTER:
        raise InputError(f"A/B test #{test.id} found the champion better; promoting the challenger is refused.",
                         "Keep the champion (conclude with keep) or roll the test back.")
    why = reason.strip() or status.sentence()
    numbers = status.to_dict()
    with workspace.db.transaction() as cursor:
        _end_split(cursor, test, actor.name, f"A/B test #{test.id} concluded: {decision}",
                   restore_champion=decision == KEEP)
        if decision == PROMOTE:
            states.transition(workspace, actor, test.challenger_id, ModelState.PRODUCTION,
                              f"won A/B test #{test.id}: {why}")
        ended = abtest_store.finish(cursor, test.id, status="concluded",
                                    decision="promoted" if decision == PROMOTE else "kept", ended_by=actor.name,
                                    reason=why, result=numbers)
        audit_log.append(cursor, actor=actor.name, action="abtest.concluded", entity=f"abtest:{test.id}",
                         details={"project_id": project_id, "decision": ended.decision, "reason": why,
                                  **{k: numbers[k] for k in ("verdict", "test", "outcomes", "effect", "low", "high",
                                                             "p_value", "alpha")}})
        expected_manifest(workspace, project_id)
    sync_manifest(workspace, project_id, actor.name)
    return ended, status


def rollback_abtest(workspace: Workspace, actor: User, project_id: int, reason: str) -> ABTest:
    """Stop the running test at once: all traffic back to the champion, the test on record as rolled
    back with the numbers so far. Raises InputError (no running test, no reason) or PermissionDenied."""
    require(actor, Permission.RUN_EXPERIMENT)
    if not reason.strip():
        raise InputError("Rolling back an A/B test needs a reason.", "Say why, in a sentence; it goes to the audit trail.")
    test = _running(workspace, project_id)
    numbers = abtest_status(workspace, test).to_dict()
    with workspace.db.transaction() as cursor:
        _end_split(cursor, test, actor.name, f"A/B test #{test.id} rolled back", restore_champion=True)
        ended = abtest_store.finish(cursor, test.id, status="rolled_back", decision="rolled_back",
                                    ended_by=actor.name, reason=reason.strip(), result=numbers)
        audit_log.append(cursor, actor=actor.name, action="abtest.rolled_back", entity=f"abtest:{test.id}",
                         details={"project_id": project_id, "reason": reason.strip(), "outcomes": numbers["outcomes"],
                                  "verdict": numbers["verdict"]})
        expected_manifest(workspace, project_id)
    sync_manifest(workspace, project_id, actor.name)
    return ended

