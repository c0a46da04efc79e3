"""The nine stages and where a project stands in them (what the lifecycle strip shows)."""
from __future__ import annotations

from dataclasses import dataclass

from lifecycle.datasets import list_datasets
from lifecycle.projects import objectives
from lifecycle.records import Project
from lifecycle.store import preparation as preparation_store
from lifecycle.workspace import Workspace

STAGES = ("Problem", "Data", "Develop", "Validate", "Deploy", "Monitor", "Retrain", "Govern", "Retire")
PURPOSE = {
    "Problem": "States the problem, the target and the measurable objectives every later stage is judged by.",
    "Data": "Brings data in, profiles it, defines the preprocessing recipe and freezes a dataset version and split.",
}


@dataclass(frozen=True, kw_only=True)
class StageState:
    stage: str
    state: str  # done, ready, blocked, not reached
    reason: str


def stage_states(workspace: Workspace, project: Project | None) -> list[StageState]:
    if project is None:
        return [StageState(stage=s, state="blocked" if s != "Problem" else "ready",
                           reason="Create a project first." if s != "Problem" else "Create a project.")
                for s in STAGES]
    objective_set = objectives(workspace, project.id)
    has_objectives = bool(objective_set and objective_set.objectives)
    data = [d for d in list_datasets(workspace, project.id) if not d.auxiliary]
    splits = preparation_store.split_count(workspace.db.cursor(), project.id)
    states = [StageState(stage="Problem", state="done" if has_objectives else "ready",
                         reason="Objectives set." if has_objectives else "Add at least one measurable objective.")]
    if splits:
        states.append(StageState(stage="Data", state="done", reason="A dataset version is frozen and split."))
    elif data:
        states.append(StageState(stage="Data", state="ready", reason="Freeze a dataset version with a recipe and a split."))
    else:
        states.append(StageState(stage="Data", state="ready", reason="Ingest a dataset."))
    gate = "Needs a frozen dataset version and split (Data)." if not splits else "Arrives in a later release."
    states += [StageState(stage=s, state="not reached", reason=gate) for s in STAGES[2:]]
    return states


def reached(states: list[StageState]) -> str:
    """The furthest stage that is done, or the first one still to do."""
    done = [s.stage for s in states if s.state == "done"]
    return done[-1] if done else states[0].stage
