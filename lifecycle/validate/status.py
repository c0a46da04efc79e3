"""Stage 4's own status: done once a model version passed validation (validated or later)."""
from __future__ import annotations

from lifecycle.records import ModelState, Project
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace

VALIDATED_OR_LATER = ModelState.at_least(ModelState.VALIDATED)


def stage_status(workspace: Workspace, project: Project) -> StageState:
    versions = model_store.versions_for(workspace.db.cursor(), project.id)
    if not versions:
        return StageState(stage="Validate", state=StageProgress.BLOCKED,
                          reason="Needs a registered model version (Develop).")
    validated = [v for v in versions if v.state in VALIDATED_OR_LATER]
    if not validated:
        return StageState(stage="Validate", state=StageProgress.READY,
                          reason="Validate a model version against the objectives.")
    newest = ([v for v in validated if not v.state.is_closed] or validated)[-1]  # a retired one only if all are
    if newest.state == ModelState.VALIDATED:
        return StageState(stage="Validate", state=StageProgress.DONE,
                          reason=f"Model v{newest.version} is validated; reviewers who did not train it can "
                                 "sign it off (Govern).")
    return StageState(stage="Validate", state=StageProgress.DONE, reason=f"Model v{newest.version} is {newest.state}.")


STAGE = Stage(number=4, name="Validate", status=stage_status,
              purpose="Judges a model version on held-out data, with intervals, robustness and slices, against every "
                      "objective; only a passing version becomes validated.")
