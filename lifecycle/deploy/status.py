"""Stage 5's own status, and the gates each model version has passed or still needs."""
from __future__ import annotations

from dataclasses import dataclass

from lifecycle.records import ModelState, ModelVersion, Project
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.store import deployments as deployment_store
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class GateCheck:
    """One gate on the way to production: passed, or what it still needs (in words)."""

    gate: str
    passed: bool
    needs: str  # empty when passed


def gates(version: ModelVersion) -> list[GateCheck]:
    """The promotion gates of a version in order: validated (staging needs it), approved by the
    reviewers' sign-off (production needs it), in staging, serving in production."""
    validated = version.state.reached(ModelState.VALIDATED)
    staged = version.state in (ModelState.STAGING, ModelState.PRODUCTION)
    serving = version.state == ModelState.PRODUCTION
    return [  # short words: the page shows them side by side in one table
        GateCheck(gate="Validated", passed=validated, needs="" if validated else "validate it"),
        GateCheck(gate="Approved", passed=version.approved, needs="" if version.approved else "the reviewers' sign-off"),
        GateCheck(gate="Staging", passed=staged, needs="" if staged else "an analyst stages it"),
        GateCheck(gate="Production", passed=serving, needs="" if serving else "an analyst promotes it"),
    ]


def stage_status(workspace: Workspace, project: Project) -> StageState:
    cursor = workspace.db.cursor()
    serving = [d for d in deployment_store.active(cursor, project.id) if d.role == "production"]
    if serving:
        version = model_store.get_version(cursor, serving[0].model_version_id)
        return StageState(stage="Deploy", state=StageProgress.DONE, reason=f"Model v{version.version} is in production.")
    versions = model_store.versions_for(cursor, project.id)
    if any(v.state.reached(ModelState.VALIDATED) and not v.state.is_closed for v in versions):
        return StageState(stage="Deploy", state=StageProgress.READY,
                          reason="Promote a validated version: staging, then production once reviewers sign it off.")
    return StageState(stage="Deploy", state=StageProgress.BLOCKED, reason="Needs a validated model version (Validate).")


STAGE = Stage(number=5, name="Deploy", status=stage_status,
              purpose="Stages a validated version, promotes an approved one to production, serves it over HTTP and "
                      "scores batches.")
