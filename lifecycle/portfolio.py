"""The Home page's portfolio: every project, the stage it has reached, its key numbers, in plain words."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from lifecycle import evidence
from lifecycle.data.datasets import list_datasets
from lifecycle.monitor.alerts import open_alerts
from lifecycle.problem.projects import list_projects, objectives
from lifecycle.problem.objectives import CATALOGUE, is_met
from lifecycle.records import ModelState, ModelVersion, Project
from lifecycle.review.explain_summary import outcome_words, plain_words
from lifecycle.store import audit_log
from lifecycle.store import models as model_store
from lifecycle.store import monitor_drift as drift_store
from lifecycle.stages import next_step, reached, stage_states
from lifecycle.status import StageState
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class Health:
    word: str  # "on track", "attention" or "failing"
    reason: str  # why, in a sentence


@dataclass(frozen=True, kw_only=True)
class ObjectiveStanding:
    """The primary objective, its latest value on the test split, and that value per model version."""

    objective: str  # "roc_auc >= 0.88"
    metric: str
    threshold: float
    comparator: str
    value: float | None  # on the newest validated model version; None before any validation
    passed: bool | None
    model: str | None  # the version the value belongs to, "v1"
    trend: tuple[tuple[str, float], ...] = ()  # (version, value) in version order

    @property
    def word(self) -> str:
        return "pending" if self.passed is None else "pass" if self.passed else "fail"


@dataclass(frozen=True, kw_only=True)
class ProjectSummary:
    project: Project
    stages: tuple[StageState, ...]
    stage_reached: str
    datasets: int
    latest_rows: int | None
    objectives: tuple[str, ...]
    next_step: str
    health: Health
    last_changed: datetime
    primary: ObjectiveStanding | None = None
    model: str | None = None  # the newest model version's label
    drivers: tuple[str, ...] = ()  # what drives that model most, in plain words (from its stored explanation)
    open_alerts: tuple[str, ...] = ()  # titles of the project's unresolved monitoring alerts, newest first

    @property
    def progress(self) -> str:
        done = sum(1 for s in self.stages if s.state == "done")
        return f"{done} of {len(self.stages)} stages done; next: {self.next_step}"


def _verdicts(report: dict) -> dict[str, dict]:
    return {v["metric"]: v for v in report.get("verdicts", ())}


def _standing(objective_set, validations: list[tuple[ModelVersion, dict]],
              focus: ModelVersion | None = None) -> ObjectiveStanding | None:
    """The primary objective's value for the model in focus (the one in production, else the newest
    validated), against its threshold, and its trend across every validated version."""
    if not objective_set or not objective_set.objectives:
        return None
    ranked = sorted(objective_set.objectives, key=lambda o: (not o.blocking, CATALOGUE[o.metric].kind != "performance"
                                                              if o.metric in CATALOGUE else True))
    primary = ranked[0]
    trend = tuple((f"v{version.version}", float(found["value"])) for version, report in validations
                  if (found := _verdicts(report).get(primary.metric)) and found.get("value") is not None)
    measured = [(version, _verdicts(report).get(primary.metric)) for version, report in validations
                if _verdicts(report).get(primary.metric, {}).get("value") is not None]
    latest = next((m for m in measured if focus is not None and m[0].id == focus.id),
                  measured[-1] if measured else None)
    value = None if latest is None else float(latest[1]["value"])
    return ObjectiveStanding(objective=str(primary), metric=primary.metric, threshold=primary.threshold,
                             comparator=primary.comparator, value=value,
                             passed=None if value is None else is_met(primary, value),
                             model=None if latest is None else f"v{latest[0].version}", trend=trend)


def _health(states: list[StageState], validations: list[tuple[ModelVersion, dict]], objective_set,
            newest: ModelVersion | None) -> Health:
    """Judged on the model in focus (``newest``: the one in production, else the newest version).
    failing: it misses a blocking objective; attention: it misses an advisory one, it is not validated
    yet, or no objectives are set; else on track."""
    judged = next(((v, r) for v, r in validations if newest is not None and v.id == newest.id), None)
    if judged is not None:
        version, report = judged
        missed = [v for v in report.get("verdicts", ()) if v.get("status") == "fail"]
        blocking = [v["objective"] for v in missed if v.get("blocking")]
        if blocking:
            return Health(word="failing", reason=f"model v{version.version} misses {'; '.join(blocking)}.")
        if missed:
            return Health(word="attention", reason=f"model v{version.version} meets every blocking objective but "
                                                   f"misses the advisory {'; '.join(v['objective'] for v in missed)}.")
        return Health(word="on track", reason=f"model v{version.version} meets every objective.")
    if objective_set is None or not objective_set.objectives:
        return Health(word="attention", reason="no objectives are set, so no model can be judged.")
    if newest is not None:
        return Health(word="attention", reason=f"model v{newest.version} is not validated yet.")
    return Health(word="on track", reason=f"in stage {reached(states)}; no model yet, nothing failing.")


def summarise(workspace: Workspace, project: Project) -> ProjectSummary:
    states = stage_states(workspace, project)
    cursor = workspace.db.cursor()
    primary = [d for d in list_datasets(workspace, project.id) if not d.auxiliary]
    objective_set = objectives(workspace, project.id)
    versions = model_store.versions_for(cursor, project.id)
    # What stakeholders ask about is the model serving production, else the newest one
    newest = next((v for v in versions if v.state == ModelState.PRODUCTION), versions[-1] if versions else None)
    latest = model_store.latest_validations(cursor, [v.id for v in versions])  # one query, not one per version
    validations = [(v, latest[v.id].report) for v in versions if v.id in latest]
    explained = evidence.latest(workspace, newest.id, "explanation") if newest else None
    outcome = outcome_words(project.task, project.target, project.positive_class,
                            explained.payload.get("target_class") if explained else None)
    drivers = tuple(plain_words(d, outcome, first=i == 0)
                    for i, d in enumerate(explained.payload.get("drivers", ()))) if explained else ()
    moments = [project.updated_at, *(d.created_at for d in primary), *(v.state_changed_at for v in versions),
               *(v.created_at for v in versions)]
    return ProjectSummary(
        model=f"v{newest.version}" if newest else None, drivers=drivers,
        project=project, stages=tuple(states), stage_reached=reached(states), datasets=len(primary),
        latest_rows=primary[-1].rows if primary else None,
        objectives=tuple(str(o) for o in objective_set.objectives) if objective_set else (),
        next_step=next_step(states), health=_health(states, validations, objective_set, newest),
        primary=_standing(objective_set, validations, newest), last_changed=max(moments),
        open_alerts=tuple(a.title for a in open_alerts(workspace, project.id)))


# The last portfolio computed per workspace file, with the state it was computed in (see portfolio).
_computed: dict[str, tuple[tuple, list[ProjectSummary]]] = {}
_computed_lock = threading.Lock()


def state_stamp(workspace: Workspace) -> tuple:
    """What the portfolio depends on, cheaply: the audit trail's head (every state change writes an
    audit event in its transaction, so any change of a project, version, deployment, alert, sign-off,
    retirement, A/B test or retrain moves it) and the monitoring on record (refreshes store drift
    windows without an audit event; the Monitor stage's status reads whether there are any)."""
    cursor = workspace.db.cursor()
    return audit_log.head(cursor), drift_store.monitored_stamp(cursor)


def portfolio(workspace: Workspace) -> list[ProjectSummary]:
    """Every project's summary, in list order. Computed again only when the workspace's state has
    changed since the last call (``state_stamp``): a project costs about 30 small queries (its stage
    statuses, versions, validations, evidence, alerts), 3 s for 100 projects on a busy machine, and
    the Home page reruns on every click."""
    key, stamp = str(workspace.path), state_stamp(workspace)
    with _computed_lock:
        held = _computed.get(key)
    if held is not None and held[0] == stamp:
        return list(held[1])
    summaries = [summarise(workspace, p) for p in list_projects(workspace)]
    with _computed_lock:
        _computed[key] = (stamp, summaries)
    return list(summaries)
