"""Stage 3's own status: done once a model version is registered."""
from __future__ import annotations

from lifecycle.data.status import has_split
from lifecycle.records import Project
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.store import models as model_store
from lifecycle.workspace import Workspace


def stage_status(workspace: Workspace, project: Project) -> StageState:
    if not has_split(workspace, project):
        return StageState(stage="Develop", state=StageProgress.BLOCKED,
                          reason="Needs a frozen dataset version and split (Data).")
    versions = model_store.versions_for(workspace.db.cursor(), project.id)
    if versions:
        return StageState(stage="Develop", state=StageProgress.DONE,
                          reason=f"{len(versions)} model version(s) registered.")
    return StageState(stage="Develop", state=StageProgress.READY,
                      reason="Train runs and register the best as a model version.")


STAGE = Stage(number=3, name="Develop", status=stage_status,
              purpose="Trains and tunes models, every trial a run on record; compares runs and registers a model "
                      "version.")
