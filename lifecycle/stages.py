"""The nine stages and where a project stands in them (what the lifecycle strip shows)."""
from __future__ import annotations

from dataclasses import dataclass

from lifecycle.data.datasets import list_datasets
from lifecycle.problem.projects import objectives
from lifecycle.records import ModelState, Project
from lifecycle.store import models as model_store
from lifecycle.store import preparation as preparation_store
from lifecycle.workspace import Workspace

STAGES = ("Problem", "Data", "Develop", "Validate", "Deploy", "Monitor", "Retrain", "Govern", "Retire")
PURPOSE = {
    "Problem": "States the problem, the target and the measurable objectives every later stage is judged by.",
    "Data": "Brings data in, profiles it, defines the preprocessing recipe and freezes a dataset version and split.",
    "Develop": "Trains and tunes models, every trial a run on record; compares runs and registers a model version.",
    "Validate": "Judges a model version on held-out data, with intervals, robustness and slices, against every "
                "objective; only a passing version becomes validated.",
}
VALIDATED_OR_LATER = ModelState.at_least(ModelState.VALIDATED)


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
    versions = model_store.versions_for(workspace.db.cursor(), project.id)
    if not splits:
        states.append(StageState(stage="Develop", state="blocked", reason="Needs a frozen dataset version and split (Data)."))
    elif versions:
        states.append(StageState(stage="Develop", state="done", reason=f"{len(versions)} model version(s) registered."))
    else:
        states.append(StageState(stage="Develop", state="ready", reason="Train runs and register the best as a model version."))
    validated = [v for v in versions if v.state in VALIDATED_OR_LATER]
    if validated:
        states.append(StageState(stage="Validate", state="done", reason=f"Model v{validated[-1].version} is {validated[-1].state}."))
    elif versions:
        states.append(StageState(stage="Validate", state="ready", reason="Validate a model version against the objectives."))
    else:
        states.append(StageState(stage="Validate", state="blocked", reason="Needs a registered model version (Develop)."))
    gate = "Needs a validated model version (Validate)." if not validated else "Arrives in a later release."
    states += [StageState(stage=s, state="not reached", reason=gate) for s in STAGES[4:]]
    return states


def reached(states: list[StageState]) -> str:
    """The furthest stage that is done, or the first one still to do."""
    done = [s.stage for s in states if s.state == "done"]
    return done[-1] if done else states[0].stage
