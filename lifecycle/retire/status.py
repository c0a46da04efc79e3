"""Stage 9's own status: done once the project's model reached its end of life (every version that
passed validation is retired or rejected, at least one retired with its archive); until then not
reached while a version can still serve (saying which were retired already), blocked before any."""
from __future__ import annotations

from lifecycle.records import ModelState, Project
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.store import models as model_store
from lifecycle.store import retirements as retirement_store
from lifecycle.workspace import Workspace


def stage_status(workspace: Workspace, project: Project) -> StageState:
    cursor = workspace.db.cursor()
    retired = retirement_store.for_project(cursor, project.id)
    open_versions = [v for v in model_store.versions_for(cursor, project.id)
                     if v.state.reached(ModelState.VALIDATED) and not v.state.is_closed]
    if retired and not open_versions:
        last = retired[-1]
        return StageState(stage="Retire", state=StageProgress.DONE,
                          reason=f"End of life: model v{last.version} was retired on {last.retired_at:%Y-%m-%d} with "
                                 "its archive; the hand-over report covers the whole life.")
    if open_versions:
        already = (f" Retired so far: {', '.join(f'v{r.version}' for r in retired)}, each with its archive."
                   if retired else "")
        return StageState(stage="Retire", state=StageProgress.NOT_REACHED,
                          reason="The model is live: retire a version when it is superseded or no longer needed."
                                 + already)
    return StageState(stage="Retire", state=StageProgress.BLOCKED, reason="Needs a validated model version (Validate).")


STAGE = Stage(number=9, name="Retire", status=stage_status,
              purpose="Decommissions a version (stops serving, archives it with its evidence), cleans data by retention "
                      "rules and writes the hand-over report.")
