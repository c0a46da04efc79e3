"""The Home page's portfolio: every project, the stage it has reached, its key numbers, in plain words."""
from __future__ import annotations

from dataclasses import dataclass

from lifecycle import evidence
from lifecycle.data.datasets import list_datasets
from lifecycle.problem.projects import list_projects, objectives
from lifecycle.records import ModelState, Project
from lifecycle.store import models as model_store
from lifecycle.stages import next_step, reached, stage_states
from lifecycle.status import StageState
from lifecycle.workspace import Workspace


@dataclass(frozen=True, kw_only=True)
class ProjectSummary:
    project: Project
    stages: tuple[StageState, ...]
    stage_reached: str
    datasets: int
    latest_rows: int | None
    objectives: tuple[str, ...]
    next_step: str
    model: str | None = None  # the newest model version's label
    drivers: tuple[str, ...] = ()  # what drives that model most, in plain words (from its stored explanation)

    @property
    def health(self) -> str:
        done = sum(1 for s in self.stages if s.state == "done")
        return f"{done} of {len(self.stages)} stages done; next: {self.next_step}"


def summarise(workspace: Workspace, project: Project) -> ProjectSummary:
    states = stage_states(workspace, project)
    primary = [d for d in list_datasets(workspace, project.id) if not d.auxiliary]
    objective_set = objectives(workspace, project.id)
    versions = model_store.versions_for(workspace.db.cursor(), project.id)
    # What stakeholders ask about is the model serving production, else the newest one
    newest = next((v for v in versions if v.state == ModelState.PRODUCTION), versions[-1] if versions else None)
    explained = evidence.latest(workspace, newest.id, "explanation") if newest else None
    return ProjectSummary(
        model=newest.label if newest else None,
        drivers=tuple(d["statement"] for d in explained.payload.get("drivers", ())) if explained else (),
        project=project, stages=tuple(states), stage_reached=reached(states), datasets=len(primary),
        latest_rows=primary[-1].rows if primary else None,
        objectives=tuple(str(o) for o in objective_set.objectives) if objective_set else (),
        next_step=next_step(states))


def portfolio(workspace: Workspace) -> list[ProjectSummary]:
    return [summarise(workspace, p) for p in list_projects(workspace)]
