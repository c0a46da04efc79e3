"""Stage 1's own status: done once the project has measurable objectives."""
from __future__ import annotations

from lifecycle.problem.projects import objectives
from lifecycle.records import Project
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.workspace import Workspace


def stage_status(workspace: Workspace, project: Project) -> StageState:
    objective_set = objectives(workspace, project.id)
    if objective_set and objective_set.objectives:
        return StageState(stage="Problem", state=StageProgress.DONE, reason="Objectives set.")
    return StageState(stage="Problem", state=StageProgress.READY, reason="Add at least one measurable objective.")


STAGE = Stage(number=1, name="Problem", status=stage_status,
              purpose="States the problem, the target and the measurable objectives every later stage is judged by.")
