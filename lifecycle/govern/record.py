"""Everything the governance checklist, the model card and the documentation pack read about one
model version, loaded once from the store (no model file, no dataset rows, no heavy library)."""
from __future__ import annotations

from dataclasses import dataclass

from lifecycle.deploy.paths import log_dir, predictions_dir
from lifecycle.errors import NotFound
from lifecycle.models.approval import Approval, approval_state
from lifecycle.records import (ABTest, Alert, AuditEvent, DatasetVersion, Deployment, Evidence, ModelVersion,
                               ObjectiveSet, Project, ProjectEvidence, Run, Search, SignOff, Split, StoredValidation)
from lifecycle.store import abtests as abtest_store
from lifecycle.store import alerts as alert_store
from lifecycle.store import audit_log
from lifecycle.store import datasets as dataset_store
from lifecycle.store import deployments as deployment_store
from lifecycle.store import evidence as evidence_store
from lifecycle.store import models as model_store
from lifecycle.store import monitor_performance as monitor_store
from lifecycle.store import prediction_log as log_store
from lifecycle.store import preparation as preparation_store
from lifecycle.store import projects as project_store
from lifecycle.store import runs as run_store
from lifecycle.store import signoffs as signoff_store
from lifecycle.workspace import Workspace

BASELINE_ALGORITHM = "dummy"  # the catalogue's naive baseline (scikit-learn's Dummy estimators)


@dataclass(frozen=True, kw_only=True)
class VersionRecord:
    """A model version and what the workspace holds about it, read once and then only read."""

    project: Project
    version: ModelVersion
    validation: StoredValidation | None
    evidence: tuple[Evidence, ...]  # newest first
    run: Run | None
    search: Search | None
    dataset: DatasetVersion | None
    split: Split | None
    objectives: ObjectiveSet | None
    feasibility: ProjectEvidence | None
    baselines: tuple[Run, ...]  # finished naive-baseline runs on the same dataset version
    deployments: tuple[Deployment, ...]
    log_segments: int  # prediction-log segments of the project
    events: tuple[AuditEvent, ...]  # the version's audit events, oldest first
    signoffs: tuple[SignOff, ...]  # oldest first
    monitored: tuple[tuple[int, int, int, int], ...] = ()  # (window seconds, windows, predictions, labelled) (stage 6)
    alerts: tuple[Alert, ...] = ()  # the version's monitoring alerts, newest first (stage 6)
    abtests: tuple[ABTest, ...] = ()  # A/B tests the version took part in, newest first (stage 7)

    def approval(self) -> Approval:
        """Where the version's sign-off stands: who approved, how many the risk tier needs."""
        return approval_state(self.version, list(self.signoffs), risk_tier=self.project.risk_tier,
                              validated_at=None if self.validation is None else self.validation.created_at)

    def latest(self, kind: str) -> Evidence | None:
        """The newest piece of stored evidence of ``kind`` (explanation, fairness, mitigation)."""
        return next((e for e in self.evidence if e.kind == kind), None)


def load_record(workspace: Workspace, version_id: int) -> VersionRecord:
    """Read the record of model version ``version_id``. Raises NotFound for an unknown version."""
    cursor = workspace.db.cursor()
    version = model_store.get_version(cursor, version_id)
    if version is None:
        raise NotFound(f"No model version with id {version_id}.",
                       "List a project's versions on the Govern page or with `runs list`.")
    project = project_store.get(cursor, version.project_id)
    if project is None:
        raise NotFound(f"Model version {version_id} names project #{version.project_id}, which is not on record.",
                       "Its governance needs the project's framing (stage 1).")
    run = run_store.get_run(cursor, version.run_id)
    dataset = None if run is None else dataset_store.get(cursor, run.dataset_id)
    baselines = () if run is None else tuple(
        r for r in run_store.list_runs(cursor, project.id, algorithm=BASELINE_ALGORITHM, statuses=("finished",))
        if r.dataset_id == run.dataset_id and r.id != run.id)
    segments = log_store.segments(predictions_dir(log_dir(workspace.path, project.id)))
    return VersionRecord(
        project=project, version=version, validation=model_store.latest_validation(cursor, version.id),
        evidence=tuple(evidence_store.evidence_for(cursor, version.id)), run=run,
        search=None if run is None or run.search_id is None else run_store.get_search(cursor, run.search_id),
        dataset=dataset, split=None if run is None else preparation_store.get_split(cursor, run.split_id),
        objectives=project_store.objective_set(cursor, project.id),
        feasibility=evidence_store.latest_project_evidence(cursor, project.id, "feasibility"),
        baselines=baselines, deployments=tuple(deployment_store.for_version(cursor, version.id)),
        log_segments=len(segments.files), events=tuple(audit_log.filtered(cursor, version_id=version.id)),
        signoffs=tuple(signoff_store.for_version(cursor, version.id)),
        monitored=tuple(monitor_store.tracked(cursor, project.id, version.id)),
        alerts=tuple(a for a in alert_store.listed(cursor, project_id=project.id) if a.model_version_id == version.id),
        abtests=tuple(t for t in abtest_store.for_project(cursor, project.id)
                      if version.id in (t.champion_id, t.challenger_id)))
