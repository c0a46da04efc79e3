"""Stage 2's own status: done once a dataset version is frozen and split."""
from __future__ import annotations

from lifecycle.data.datasets import list_datasets
from lifecycle.records import Project
from lifecycle.status import Stage, StageProgress, StageState
from lifecycle.store import preparation as preparation_store
from lifecycle.workspace import Workspace


def has_split(workspace: Workspace, project: Project) -> bool:
    return preparation_store.split_count(workspace.db.cursor(), project.id) > 0


def stage_status(workspace: Workspace, project: Project) -> StageState:
    if has_split(workspace, project):
        return StageState(stage="Data", state=StageProgress.DONE, reason="A dataset version is frozen and split.")
    if any(not d.auxiliary for d in list_datasets(workspace, project.id)):
        return StageState(stage="Data", state=StageProgress.READY,
                          reason="Freeze a dataset version with a recipe and a split.")
    return StageState(stage="Data", state=StageProgress.READY, reason="Ingest a dataset.")


STAGE = Stage(number=2, name="Data", status=stage_status,
              purpose="Brings data in, profiles it, defines the preprocessing recipe and freezes a dataset version "
                      "and split.")
