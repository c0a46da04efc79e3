"""The model and its held-out rows: what validating, explaining, reviewing the fairness of and
mitigating a registered version all start from, assembled in one place.

:func:`held_out` loads the version's dataset once (through
:func:`~lifecycle.develop.training.data_for_run`), refuses a split without test rows with one
message, and loads the pipeline. Columns the model does not read (sensitive attributes) are
taken from the frame already loaded (:meth:`HeldOut.columns`), never loaded again.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from lifecycle.develop import training
from lifecycle.develop.training import TrainingData
from lifecycle.errors import InputError
from lifecycle.models import registry
from lifecycle.records import DatasetVersion, ModelVersion, Project, Run, Split
from lifecycle.workspace import Workspace

__all__ = ["HeldOut", "held_out", "no_test_rows"]


@dataclass(frozen=True, kw_only=True, eq=False)
class HeldOut:
    """A registered version's pipeline, its run and its split's rows (test rows: ``X``, ``y``)."""

    version: ModelVersion
    run: Run
    data: TrainingData
    pipeline: Any  # a fitted scikit-learn Pipeline (or a mitigated classifier)

    @property
    def project(self) -> Project:
        return self.data.project

    @property
    def task(self) -> str:
        return self.data.task

    @property
    def dataset(self) -> DatasetVersion:
        return self.data.dataset

    @property
    def split(self) -> Split:
        return self.data.split

    @property
    def X(self) -> pd.DataFrame:
        """The test rows' input columns (indexed by the dataset version's row numbers)."""
        return self.data.X_test

    @property
    def y(self) -> pd.Series:
        """The test rows' target, encoded (binary: 0/1, 1 = the positive class)."""
        return self.data.y_test

    @property
    def positive_class(self) -> str | None:
        return self.data.positive_class

    def columns(self, names: list[str] | tuple[str, ...]) -> pd.DataFrame:
        """Columns ``names`` of the dataset version for the test rows, in ``X``'s row order and
        index, from the frame already loaded. Raises InputError for a column the version lacks."""
        return self.data.columns(names, rows=self.X.index)


def no_test_rows(split: Split) -> InputError:
    """The one refusal for a split without test rows."""
    return InputError(f"Split #{split.id} has no test rows.", "Create a split with a test share in the Data stage.")


def held_out(workspace: Workspace, version: ModelVersion, *, actor_name: str = "system",
             data: TrainingData | None = None) -> HeldOut:
    """The pipeline of ``version`` and its run's split, loaded once.

    ``data``: frames already loaded in this operation (e.g. a mitigation candidate's base, on
    the same dataset version and split); reused instead of loading the version again.
    ``actor_name`` is recorded if the artifact is refused. Raises InputError when the split has
    no test rows (before loading the pipeline), NotFound when the run or artifact is missing."""
    run = training.get_run(workspace, version.run_id)
    frames = training.data_for_run(workspace, run, loaded=data)
    if len(frames.X_test) == 0:
        raise no_test_rows(frames.split)
    pipeline = registry.load_pipeline(workspace, version, actor_name=actor_name)
    return HeldOut(version=version, run=run, data=frames, pipeline=pipeline)
