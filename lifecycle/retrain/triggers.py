"""When policies fire: on each open Monitor alert of their kinds (once per alert), and every N days.

Nothing runs in the background on a clock. The app calls :func:`run_due` when the Home or Retrain
page loads, and the CLI's ``retrain --project NAME`` calls it for that project: whatever is due
then starts. An alert policy is due for every alert of its kinds that is open or acknowledged (not
resolved), that it has not fired on yet and that was opened after its last retrain started (an
alert opened before is covered by that retrain: one drift episode raising several alerts retrains
once); the retrain records the alert id, and the pair (policy, alert) is unique in the store, so a
policy fires once per alert however often this is checked. A
schedule is due when ``every_days`` have passed since the last time it was due (or since the policy
was created): periods missed while nothing checked start one retrain, not one per period.

An automatic retrain acts as the policy's owner (who last saved or enabled it). When it cannot
start (the owner's role may no longer retrain, nothing is in production, no labelled production
row is in range, ...) the refusal is recorded as a failed retrain with its reason: the trigger is
used up and the page shows why, instead of the same refusal on every page load.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from lifecycle import auth
from lifecycle.clock import utc_now
from lifecycle.errors import LifecycleError
from lifecycle.monitor.alerts import alerts_for
from lifecycle.problem.projects import get_project
from lifecycle.records import Retrain, RetrainPolicy
from lifecycle.retrain import retraining
from lifecycle.retrain.policies import describe_search, describe_window
from lifecycle.retrain.retrain_plan import Trigger
from lifecycle.store import audit_log
from lifecycle.store import retrains as retrain_store
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class Due:
    """A policy that should fire now, and why: ``alert`` #``alert_id`` or ``schedule`` due at
    ``scheduled_for``."""

    policy: RetrainPolicy
    trigger: Trigger
    reason: str


def due_policies(workspace: Workspace, now: datetime | None = None, *, project_id: int | None = None) -> list[Due]:
    """Every enabled policy that should fire at ``now`` (naive UTC; default now), of one project or of
    all (archived projects left out), oldest alert or schedule first within each policy."""
    now = now or utc_now()
    cursor = workspace.db.cursor()
    found: list[Due] = []
    for policy in retrain_store.policies(cursor, project_id, enabled_only=True):
        if get_project(workspace, policy.project_id).archived_at is not None:
            continue
        if policy.trigger == "alert":
            fired = retrain_store.fired_alerts(cursor, policy.id)
            covered_until = retrain_store.last_started(cursor, policy.id)
            alerts = [a for kind in policy.alert_kinds for a in alerts_for(workspace, policy.project_id, kind=kind)
                      if a.is_open and a.id not in fired and (covered_until is None or a.opened_at > covered_until)]
            for alert in sorted(alerts, key=lambda a: a.id):
                found.append(Due(policy=policy, trigger=Trigger(kind="alert", alert_id=alert.id),
                                 reason=f"{alert.kind} alert #{alert.id}: {alert.title}"))
        elif policy.trigger == "schedule":
            anchor = retrain_store.last_scheduled(cursor, policy.id) or policy.created_at
            period = timedelta(days=policy.every_days)
            if now - anchor >= period:
                periods = math.floor((now - anchor) / period)
                due_at = anchor + periods * period
                found.append(Due(policy=policy, trigger=Trigger(kind="schedule", scheduled_for=due_at),
                                 reason=f"every {policy.every_days:g} days, due {due_at:%Y-%m-%d %H:%M} UTC"))
    return found


def run_due(workspace: Workspace, now: datetime | None = None, *, project_id: int | None = None,
            background: bool = True, progress: retraining.Progress | None = None) -> list[Retrain]:
    """Start what is due (:func:`due_policies`), each acting as its policy's owner; returns the
    retrains made (running, ended, or failed at the start with the reason). In the background (the
    app) at most one starts per project and call, and none on a project with a retrain running: the
    rest stay due for the next call. In the foreground (the CLI) they run one after another."""
    made: list[Retrain] = []
    with retraining.START_LOCK:
        busy: set[int] = set()
        for due in due_policies(workspace, now, project_id=project_id):
            project = due.policy.project_id
            if project in busy or retraining.running_retrain(workspace, project) is not None:
                continue
            made.append(fire(workspace, due, now, background=background, progress=progress))
            if background:
                busy.add(project)
    return made


def fire(workspace: Workspace, due: Due, now: datetime | None = None, *, background: bool = True,
         progress: retraining.Progress | None = None) -> Retrain:
    """Start the retrain ``due`` asks for, acting as its policy's owner; a start it refuses is recorded
    as a failed retrain with the reason (see the module). Returns the retrain."""
    owner = due.policy.owner
    try:
        actor = auth.get_user(workspace, owner)
        return retraining.start_retrain(workspace, actor, due.policy.id, trigger=due.trigger, requested_by=owner,
                                        background=background, progress=progress, now=now)
    except LifecycleError as error:
        return _refused(workspace, due, str(error))


def _refused(workspace: Workspace, due: Due, why: str) -> Retrain:
    """A trigger that could not start a retrain, on record as a failed retrain with the reason."""
    policy = due.policy
    with workspace.db.transaction() as cursor:
        record = retrain_store.insert_retrain(
            cursor, project_id=policy.project_id, policy_id=policy.id, trigger=due.trigger.kind,
            alert_id=due.trigger.alert_id, scheduled_for=due.trigger.scheduled_for, requested_by=policy.owner,
            acting_as=policy.owner, champion_id=None,
            window={"kind": policy.window.kind, "described": describe_window(policy.window)},
            search={"source": policy.search.source, "described": describe_search(policy.search)}, state="failed",
            step="start", message=f"Could not start ({due.reason}): {why}"[:2000])
        audit_log.append(cursor, actor=policy.owner, action="retrain.refused", entity=f"retrain:{record.id}",
                         details={"project_id": policy.project_id, "policy_id": policy.id, "trigger": due.trigger.kind,
                                  "alert_id": due.trigger.alert_id, "reason": why})
    return record
