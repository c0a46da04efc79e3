"""Stage 8's own status: done once a version of the project is signed off (approved or later),
to do while a validated version awaits its sign-off."""
from __future__ import annotations

from lifecycle.records import ModelState, Project
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.store import models as model_store
from lifecycle.store import signoffs as signoff_store
from lifecycle.workspace import Workspace

_SIGNED = (ModelState.APPROVED, ModelState.STAGING, ModelState.PRODUCTION)


def stage_status(workspace: Workspace, project: Project) -> StageState:
    cursor = workspace.db.cursor()
    versions = model_store.versions_for(cursor, project.id)
    waiting = [v for v in versions if v.state in (ModelState.VALIDATED, ModelState.STAGING) and not v.approved]
    signed = [v for v in versions if v.state in _SIGNED and v.approved]
    if signed:
        newest = signed[-1]
        names = sorted({s.signer for s in signoff_store.for_version(cursor, newest.id) if s.approving})
        reason = f"Model v{newest.version} is signed off" + (f" by {', '.join(names)}." if names else ".")
        if waiting:
            reason += f" Model v{waiting[-1].version} awaits its sign-off."
        return StageState(stage="Govern", state=StageProgress.DONE, reason=reason)
    if waiting:
        return StageState(stage="Govern", state=StageProgress.READY,
                          reason=f"Model v{waiting[-1].version} awaits its sign-off by reviewers who did not build it.")
    return StageState(stage="Govern", state=StageProgress.BLOCKED, reason="Needs a validated model version (Validate).")


STAGE = Stage(number=8, name="Govern", status=stage_status,
              purpose="Checks the evidence item by item, records the reviewers' sign-off (four eyes), writes the "
                      "model card and the technical documentation, and keeps the audit trail verifiable.")
