"""Stage 7's own status for the lifecycle strip: a retrain or an A/B test running, the last test
concluded, or what a project needs before champion and challenger can be compared on live traffic."""
from __future__ import annotations

from lifecycle.records import ModelState, Project
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.store import abtests as abtest_store
from lifecycle.store import deployments as deployment_store
from lifecycle.store import models as model_store
from lifecycle.store import retrains as retrain_store
from lifecycle.workspace import Workspace


def stage_status(workspace: Workspace, project: Project) -> StageState:
    cursor = workspace.db.cursor()
    retraining = retrain_store.running(cursor, project.id)
    if retraining:
        return StageState(stage="Retrain", state=StageProgress.READY,
                          reason=f"Retrain #{retraining[-1].id} is running ({retraining[-1].step}).")
    running = abtest_store.running(cursor, project.id)
    if running is not None:
        return StageState(stage="Retrain", state=StageProgress.READY,
                          reason=f"A/B test #{running.id} is running ({running.share:.0%} of traffic to the "
                                 "challenger): read its verdict, then conclude it.")
    ended = next((t for t in abtest_store.for_project(cursor, project.id) if t.status == "concluded"), None)
    if ended is not None:
        return StageState(stage="Retrain", state=StageProgress.DONE,
                          reason=f"A/B test #{ended.id} concluded: challenger {ended.decision}.")
    if not any(d.role == "production" for d in deployment_store.active(cursor, project.id)):
        return StageState(stage="Retrain", state=StageProgress.BLOCKED,
                          reason="Needs a version in production to challenge (Deploy).")
    if any(v.state == ModelState.STAGING for v in model_store.versions_for(cursor, project.id)):
        return StageState(stage="Retrain", state=StageProgress.READY,
                          reason="Compare the staged challenger with production, then A/B test it on live traffic.")
    return StageState(stage="Retrain", state=StageProgress.READY,
                      reason="Stage a validated challenger (Deploy) to compare it with production.")


STAGE = Stage(number=7, name="Retrain", status=stage_status,
              purpose="Compares champion and challenger offline and on live traffic (A/B tests with an "
                      "always-valid verdict), and retrains by policy.")
