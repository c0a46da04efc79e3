"""Stage 9's own status: done once a version of the project is retired (its archive and hand-over
report are on record); until then not reached while a version can still serve, blocked before any."""
from __future__ import annotations

from lifecycle.records import ModelState, Project
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.store import models as model_store
from lifecycle.store import retirements as retirement_store
from lifecycle.workspace import Workspace


def stage_status(workspace: Workspace, project: Project) -> StageState:
    cursor = workspace.db.cursor()
    retired = retirement_store.for_project(cursor, project.id)
    if retired:
        last = retired[-1]
        more = f" ({len(retired)} retired in all)" if len(retired) > 1 else ""
        return StageState(stage="Retire", state=StageProgress.DONE,
                          reason=f"Model v{last.version} was retired on {last.retired_at:%Y-%m-%d}, with its archive{more}; "
                                 "the hand-over report covers the whole life.")
    if any(v.state.reached(ModelState.VALIDATED) and not v.state.is_closed
           for v in model_store.versions_for(cursor, project.id)):
        return StageState(stage="Retire", state=StageProgress.NOT_REACHED,
                          reason="Nothing retired yet: retire a version when it is superseded or no longer needed.")
    return StageState(stage="Retire", state=StageProgress.BLOCKED, reason="Needs a validated model version (Validate).")


STAGE = Stage(number=9, name="Retire", status=stage_status,
              purpose="Decommissions a version (stops serving, archives it with its evidence), cleans data by retention "
                      "rules and writes the hand-over report.")
