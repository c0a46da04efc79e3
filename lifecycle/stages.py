"""The nine stages in order, and where a project stands in each (what the lifecycle strip shows).

Each built stage says its own status (``lifecycle/<stage>/status.py``); a stage not built yet
is listed here with its purpose only and shows as not reached.
"""
from __future__ import annotations

from lifecycle.data.status import STAGE as DATA
from lifecycle.deploy.status import STAGE as DEPLOY
from lifecycle.develop.status import STAGE as DEVELOP
from lifecycle.govern.status import STAGE as GOVERN
from lifecycle.monitor.status import STAGE as MONITOR
from lifecycle.problem.status import STAGE as PROBLEM
from lifecycle.records import Project
from lifecycle.retire.status import STAGE as RETIRE
from lifecycle.retrain.status import STAGE as RETRAIN
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.validate.status import STAGE as VALIDATE
from lifecycle.workspace import Workspace

STAGES: tuple[Stage, ...] = (
    PROBLEM, DATA, DEVELOP, VALIDATE, DEPLOY,
    MONITOR,
    RETRAIN,
    GOVERN,
    RETIRE,
)
NAMES = tuple(stage.name for stage in STAGES)


def purpose(name: str) -> str:
    """The one sentence shown under a stage page's title ('' for pages that are not a stage)."""
    return next((stage.purpose for stage in STAGES if stage.name == name), "")


def stage_states(workspace: Workspace, project: Project | None) -> list[StageState]:
    """One state per stage, in order. Without a project only Problem can be worked on."""
    if project is None:
        return [StageState(stage=s.name, state=StageProgress.READY if s.number == 1 else StageProgress.BLOCKED,
                           reason="Create a project." if s.number == 1 else "Create a project first.")
                for s in STAGES]
    states: list[StageState] = []
    for stage in STAGES:
        if stage.status is not None:
            states.append(stage.status(workspace, project))
            continue
        previous = states[-1]
        reason = ("Arrives in a later release." if previous.state == StageProgress.DONE
                  else f"Needs the {previous.stage} stage done first.")
        states.append(StageState(stage=stage.name, state=StageProgress.NOT_REACHED, reason=reason))
    return states


def reached(states: list[StageState]) -> str:
    """The furthest stage that is done, or the first one still to do."""
    done = [s.stage for s in states if s.state == StageProgress.DONE]
    return done[-1] if done else states[0].stage


def next_step(states: list[StageState]) -> str:
    """What to do next, read off the stage list: the first stage to do or blocked, else the
    first one not reached yet, as 'Stage: reason'."""
    for wanted in ((StageProgress.READY, StageProgress.BLOCKED), (StageProgress.NOT_REACHED,)):
        stage = next((s for s in states if s.state in wanted), None)
        if stage is not None:
            return f"{stage.stage}: {stage.reason}"
    return "Every stage is done."
